// Package redistest gives tests a real Redis.
//
// Most tests call URL: it returns PEJL_TEST_REDIS_URL when that is set, or else the URL of
// one redis-server that the test binary starts on first use (a free 127.0.0.1 port, a
// temporary directory, no persistence) and shares between its tests. Tests that share it
// keep out of each other's way by using unique ids or a unique key prefix; nothing is
// flushed. A package that calls URL should stop the shared server at the end with
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
// (without it the server still dies with the test binary, but its directory stays).
//
// Tests that stop, kill, pause or restart Redis, or flush it, call Start for a server of their
// own, with append-only persistence if they need data to survive a restart.
//
// Without PEJL_TEST_REDIS_URL and without redis-server on PATH, tests fail (never skip)
// with a message that says how to install it.
package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvURL names the environment variable with the URL of a Redis to use instead of starting one.
const EnvURL = "PEJL_TEST_REDIS_URL"

// NotFound is the failure message when there is no redis-server to start.
const NotFound = "redis-server not found: install it (apt-get install -y redis-server) or set " + EnvURL

// Options shape a server started by Start.
type Options struct {
	// AOF turns on append-only persistence (appendfsync always), so that data survives
	// Stop/Kill and Restart. Default off: no persistence at all.
	AOF bool
	// Args are extra redis-server arguments, e.g. []string{"--maxmemory", "10mb"}.
	Args []string
}

// Server is a redis-server this process started. Its methods are safe for concurrent use.
type Server struct {
	// Addr is host:port, fixed for the server's life (Restart keeps it).
	Addr string

	opts   Options
	dir    string
	ownDir bool

	t testing.TB // owner, for Restart's failures; nil for the shared server

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
)

// URL returns the URL of a Redis for tests: PEJL_TEST_REDIS_URL if set, otherwise that of
// the server shared by this test binary, started on first use. It fails t if there is none.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "redistest-")
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = start(Options{}, dir, true)
		if sharedErr != nil {
			_ = os.RemoveAll(dir)
		}
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared.URL()
}

// Main runs the tests and then stops the shared server, if one was started. Call it from
// TestMain.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
		shared.cleanDir()
	}
	_ = code // a returning TestMain exits with m.Run's code
}

// Start starts a redis-server of the test's own, stopped (and its directory removed) when
// the test ends. It fails t if redis-server cannot be found or does not come up.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := start(opts, t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	s.t = t
	t.Cleanup(s.Stop)
	return s
}

func start(opts Options, dir string, ownDir bool) (*Server, error) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		return nil, errors.New(NotFound)
	}
	var lastErr error
	for range 3 { // a free port may be taken between our check and redis-server's bind
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &Server{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), opts: opts, dir: dir, ownDir: ownDir}
		if lastErr = s.launch(); lastErr == nil {
			return s, nil
		}
	}
	return nil, lastErr
}

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr }

// Dir is the server's data directory (its AOF and RDB files).
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down (with AOF, after writing it) and waits for it to exit. It
// does nothing if the server is not running.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // in case it is paused
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Kill ends the server at once with SIGKILL, as a crash would, and waits for it to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Pause stops the server's process (SIGSTOP) without closing its sockets: connections
// and new dials still succeed, but nothing is answered, as with a hung server. Resume
// (or Stop, Kill, Restart) ends the pause.
func (s *Server) Pause() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGSTOP)
	}
}

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// Restart stops the server if it runs (gracefully) and starts it again on the same
// address and directory; with AOF its data is back. After Kill it just starts it again.
// It fails the test that started the server if it does not come up; call it from that
// test's goroutine.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.launch(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) cleanDir() {
	if s.ownDir {
		_ = os.RemoveAll(s.dir)
	}
}

func (s *Server) launch() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	host, port, _ := net.SplitHostPort(s.Addr)
	args := []string{
		"--bind", host, "--port", port, "--dir", s.dir,
		"--save", "", "--daemonize", "no", "--logfile", "",
		"--loglevel", "warning",
	}
	if s.opts.AOF {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	args = append(args, s.opts.Args...)
	cmd := exec.Command("redis-server", args...)
	var out strings.Builder
	cmd.Stdout = &lockedWriter{w: &out}
	cmd.Stderr = cmd.Stdout
	// The server dies with the test binary, even if the binary is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ping(s.Addr) == nil {
			s.cmd, s.done = cmd, done
			return nil
		}
		select {
		case <-done:
			return fmt.Errorf("redistest: redis-server on %s exited: %s", s.Addr, cmd.Stdout.(*lockedWriter).String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redistest: redis-server on %s did not answer PING within 10s: %s", s.Addr, cmd.Stdout.(*lockedWriter).String())
		}
	}
}

// ping sends PING and expects +PONG (not -LOADING while an AOF is read).
func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.TrimSpace(line) != "+PONG" {
		return errors.New(strings.TrimSpace(line))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 64<<10 {
		return len(p), nil
	}
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
