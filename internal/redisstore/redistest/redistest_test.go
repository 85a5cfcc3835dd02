package redistest_test

import (
	"fmt"
	"net"
	"runtime"
	"testing"

	"pejl/internal/redisstore/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// fatalTB records a Fatal instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatal(args ...any) {
	f.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func TestNoRedisServerFails(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(redistest.EnvURL, "")
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		redistest.Start(f, redistest.Options{})
	}()
	<-done
	if f.msg != redistest.NotFound {
		t.Errorf("Start without redis-server: %q, want %q", f.msg, redistest.NotFound)
	}
}

func TestEnvURL(t *testing.T) {
	t.Setenv(redistest.EnvURL, "redis://example.invalid:1/3")
	if got := redistest.URL(t); got != "redis://example.invalid:1/3" {
		t.Errorf("URL = %q", got)
	}
}

func TestStartStopRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	dial := func() error {
		c, err := net.Dial("tcp", srv.Addr)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(); err != nil {
		t.Fatalf("started server: %v", err)
	}
	srv.Kill()
	if dial() == nil {
		t.Fatalf("killed server still accepts connections")
	}
	srv.Restart()
	if err := dial(); err != nil {
		t.Fatalf("restarted server: %v", err)
	}
	if redistest.URL(t) == "" {
		t.Fatalf("no shared URL")
	}
}
