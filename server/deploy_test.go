package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"pejl/internal/redisstore/redistest"
)

// startBalancer runs HAProxy with the shipped deploy/haproxy.cfg, changed only where it must
// be to run here: it listens on a free loopback port and its servers are the given
// addresses, reached from 127.0.0.2 (so that the balancer is not the clients' address). It returns the balancer's base URL.
func startBalancer(t *testing.T, backends ...string) string {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Fatal("haproxy is missing: apt-get install haproxy (.ci/run does it)")
	}
	src, err := os.ReadFile("../deploy/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cfg := regexp.MustCompile(`(?m)^\s*server .*$\n`).ReplaceAllString(string(src), "")
	cfg = strings.Replace(cfg, "bind *:8080", "bind "+addr, 1)
	cfg = regexp.MustCompile(`(?m)^\s*maxconn \d+`).ReplaceAllString(cfg, "    maxconn 200")
	var servers strings.Builder
	for i, b := range backends {
		fmt.Fprintf(&servers, "    server s%d %s check source 127.0.0.2\n", i, b)
	}
	cfg += servers.String()
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("haproxy output:\n%s", out.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the balancer never became ready\n%s", out.String())
	return ""
}

// Findings 2 and 9 through the shipped balancer: a rotating X-Forwarded-For escaped the
// limits when every address was trusted; /metrics was public; a slow request head held a
// connection for a minute.
func TestShippedBalancer(t *testing.T) {
	t.Parallel()
	redisURL := redistest.URL(t)
	a, b := freeAddr(t), freeAddr(t)
	env := []string{"PEJL_REDIS_URL=" + redisURL, "PEJL_TRUSTED_PROXIES=127.0.0.2"}
	startPejl(t, a, env...)
	startPejl(t, b, env...)
	lb := startBalancer(t, a, b)

	// Slowloris: a request head that never ends is cut off by timeout http-request.
	slow, err := net.Dial("tcp", strings.TrimPrefix(lb, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	start := time.Now()
	_, _ = io.WriteString(slow, "GET /healthz HTTP/1.1\r\nHost: x\r\n")

	// Wrong join codes with a rotating X-Forwarded-For: HAProxy appends the real peer, and
	// only HAProxy is trusted, so all of them count against one address.
	limited := 0
	for i := range 30 {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/join/%d", lb, 910000+i), nil)
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 10 {
		t.Errorf("30 wrong codes with a rotating X-Forwarded-For through the balancer: %d answered 429, want 10", limited)
	}

	resp, err := http.Get(lb + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics through the balancer: %d, want 404", resp.StatusCode)
	}

	_ = slow.SetReadDeadline(time.Now().Add(20 * time.Second))
	line, _ := bufio.NewReader(slow).ReadString('\n')
	if d := time.Since(start); d > 12*time.Second {
		t.Errorf("an unfinished request head was held %v (answer %q), want at most ~10 s", d, line)
	}
	if !strings.Contains(line, "408") && line != "" {
		t.Errorf("unfinished request head answered %q, want 408 or a close", line)
	}
}
