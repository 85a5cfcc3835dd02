package main

// Whole-process tests: the real binary, started and killed like in production. The socket
// client here is written from the public spec alone (plain gorilla/websocket and JSON), as a
// third-party client would be.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pejl/internal/redisstore/redistest"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// pejlBinary builds the server once per test run.
func pejlBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pejl-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "pejl")
		out, err := exec.Command("go", "build", "-race", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	out  *syncBuf
	done chan error
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	testAdmin    = "admin@example.dk"
	testPassword = "correct-horse-battery"
)

// startPejl starts the binary with the given extra environment and waits for /readyz.
func startPejl(t *testing.T, addr string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(pejlBinary(t))
	cmd.Env = append(os.Environ(),
		"PEJL_ADDR="+addr,
		"PEJL_PUBLIC_URL=http://"+addr,
		"PEJL_ADMIN_EMAIL="+testAdmin,
		"PEJL_ADMIN_PASSWORD="+testPassword,
		"PEJL_LOG_LEVEL=warn",
	)
	cmd.Env = append(cmd.Env, env...)
	p := &proc{t: t, cmd: cmd, base: "http://" + addr, out: &syncBuf{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("server output:\n%s", p.out.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.done:
			p.done <- err
			t.Fatalf("server exited early: %v\n%s", err, p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("server not ready within 30 s\n%s", p.out.String())
	return nil
}

// api is a small facilitator client: cookie login, JSON in and out.
type api struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func login(t *testing.T, base string) *api {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &api{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 60 * time.Second}}
	a.do("POST", "/api/v1/auth/login", map[string]string{"email": testAdmin, "password": testPassword}, 200, nil)
	return a
}

func (a *api) do(method, path string, body any, want int, out any) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", a.base)
	resp, err := a.hc.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

type wsConn struct {
	t *testing.T
	c *websocket.Conn
}

func dialWS(t *testing.T, base, path string, hdr http.Header) *wsConn {
	t.Helper()
	if hdr == nil {
		hdr = http.Header{}
	}
	hdr.Set("Origin", base)
	c, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+path, hdr)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	t.Cleanup(func() { c.Close() })
	return &wsConn{t: t, c: c}
}

func (w *wsConn) send(v any) {
	w.t.Helper()
	if err := w.c.WriteJSON(v); err != nil {
		w.t.Fatal(err)
	}
}

// waitFor reads messages until one of the type (and id, when given) arrives.
func (w *wsConn) waitFor(typ, id string) map[string]any {
	w.t.Helper()
	_ = w.c.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var m map[string]any
		if err := w.c.ReadJSON(&m); err != nil {
			w.t.Fatalf("waiting for %s %s: %v", typ, id, err)
		}
		if m["type"] == "error" && id != "" && m["id"] == id && typ != "error" {
			w.t.Fatalf("message %s answered with error: %v", id, m)
		}
		if m["type"] == typ && (id == "" || m["id"] == id) {
			return m
		}
	}
}

// facilitatorCookie returns the login cookie header for socket dials.
func (a *api) cookieHeader() http.Header {
	req, _ := http.NewRequest("GET", a.base, nil)
	h := http.Header{}
	for _, c := range a.hc.Jar.Cookies(req.URL) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	return h
}

type created struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	JoinURL string `json:"join_url"`
}

// runVotes creates a session, opens the first section's scale, makes n participants vote
// (waiting for each ack) and returns the session and how many votes were acknowledged per
// statement value.
func setupAndVote(t *testing.T, base string, n int) (created, string) {
	a := login(t, base)
	var s created
	a.do("POST", "/api/v1/sessions", map[string]any{"title": "Kill test", "charter_id": "allerod-ledelsesgrundlag"}, 201, &s)
	f := dialWS(t, base, "/api/v1/sessions/"+s.ID+"/live", a.cookieHeader())
	f.send(map[string]any{"type": "hello"})
	f.waitFor("welcome", "")
	f.send(map[string]any{"type": "goto", "id": "f1", "section": "s2"})
	f.waitFor("ack", "f1")
	f.send(map[string]any{"type": "open", "id": "f2", "activity": "s2-scale"})
	f.waitFor("ack", "f2")
	for i := range n {
		p := dialWS(t, base, "/api/v1/join/"+s.Code+"/live", nil)
		p.send(map[string]any{"type": "hello"})
		p.waitFor("welcome", "")
		id := fmt.Sprintf("v%d", i)
		p.send(map[string]any{"type": "vote", "id": id, "activity": "s2-scale", "statement": "s2-1", "value": 1 + i%5})
		p.waitFor("ack", id)
		p.c.Close()
	}
	return s, "s2-1"
}

func statementN(t *testing.T, a *api, sessionID, activity, statement string) (int, float64) {
	t.Helper()
	var view struct {
		Activities []struct {
			ID    string `json:"id"`
			Tally struct {
				Statements map[string]struct {
					N    int      `json:"n"`
					Mean *float64 `json:"mean"`
				} `json:"statements"`
			} `json:"tally"`
		} `json:"activities"`
	}
	a.do("GET", "/api/v1/sessions/"+sessionID, nil, 200, &view)
	for _, act := range view.Activities {
		if act.ID == activity {
			st := act.Tally.Statements[statement]
			m := 0.0
			if st.Mean != nil {
				m = *st.Mean
			}
			return st.N, m
		}
	}
	t.Fatalf("activity %s not in view", activity)
	return 0, 0
}

func testKill9(t *testing.T, env ...string) {
	addr := freeAddr(t)
	p := startPejl(t, addr, env...)
	s, st := setupAndVote(t, p.base, 25)
	// Acks arrived; kill at once.
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil
	p2 := startPejl(t, addr, env...)
	a := login(t, p2.base)
	var got created
	a.do("GET", "/api/v1/sessions/"+s.ID, nil, 200, &struct {
		Session *created `json:"session"`
	}{&got})
	if got.Code != s.Code {
		t.Fatalf("code after restart %q, want %q", got.Code, s.Code)
	}
	n, mean := statementN(t, a, s.ID, "s2-scale", st)
	if n != 25 || mean != 3 {
		t.Fatalf("after kill -9: n=%d mean=%v, want 25 and 3", n, mean)
	}
	var join map[string]any
	resp, err := http.Get(p2.base + "/api/v1/join/" + s.Code)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&join)
	resp.Body.Close()
	if join["session_id"] != s.ID {
		t.Fatalf("join lookup after restart: %v", join)
	}
}

func TestKill9Embedded(t *testing.T) {
	testKill9(t, "PEJL_DATA_DIR="+t.TempDir())
}

func TestKill9Redis(t *testing.T) {
	testKill9(t, "PEJL_REDIS_URL="+redistest.URL(t))
}

func TestSIGTERMDrains(t *testing.T) {
	addr := freeAddr(t)
	p := startPejl(t, addr, "PEJL_DATA_DIR="+t.TempDir())
	s, _ := setupAndVote(t, p.base, 1)
	w := dialWS(t, p.base, "/api/v1/join/"+s.Code+"/live", nil)
	w.send(map[string]any{"type": "hello"})
	w.waitFor("welcome", "")
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Readiness goes 503 at once, while the process still answers.
	ready := 0
	for time.Since(start) < time.Second {
		resp, err := http.Get(p.base + "/readyz")
		if err == nil {
			ready = resp.StatusCode
			resp.Body.Close()
			if ready == http.StatusServiceUnavailable {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if ready != http.StatusServiceUnavailable {
		t.Fatalf("/readyz after SIGTERM: %d, want 503", ready)
	}
	// The socket is asked to reconnect with a close code of the reconnect range or 1012.
	_ = w.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var closeCode int
	for {
		if _, _, err := w.c.ReadMessage(); err != nil {
			if ce, ok := err.(*websocket.CloseError); ok {
				closeCode = ce.Code
			}
			break
		}
	}
	if closeCode != 1012 && (closeCode < 4000 || closeCode > 4499) {
		t.Fatalf("close code %d, want 1012 or 4000–4499", closeCode)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.out.String())
		}
	case <-time.After(25 * time.Second):
		t.Fatal("did not exit within 25 s of SIGTERM")
	}
	t.Logf("exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
}

func TestFirstStartPrintsAdminLogin(t *testing.T) {
	addr := freeAddr(t)
	cmd := exec.Command(pejlBinary(t))
	cmd.Env = append(os.Environ(), "PEJL_ADDR="+addr, "PEJL_DATA_DIR="+t.TempDir(), "PEJL_ADMIN_EMAIL=", "PEJL_ADMIN_PASSWORD=")
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	var password string
	deadline := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer deadline.Stop()
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "Adgangskode:") {
			password = strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
		}
		if strings.HasPrefix(line, "Pejl is running") {
			break
		}
	}
	deadline.Stop() // it bounds the start only; the login below has its own timeout
	if password == "" {
		t.Fatal("no one-time admin password printed")
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": devAdminEmail, "password": password})
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/auth/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://"+addr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login with the printed password: %d", resp.StatusCode)
	}
}

func TestExportsOverHTTP(t *testing.T) {
	addr := freeAddr(t)
	p := startPejl(t, addr, "PEJL_DATA_DIR="+t.TempDir())
	s, _ := setupAndVote(t, p.base, 5)
	a := login(t, p.base)
	for _, tc := range []struct{ path, ct, starts string }{
		{"votes.csv?columns=ids", "text/csv; charset=utf-8", "\ufeffsession_id,section_id,section_title,activity_id,activity_kind,statement_id,statement_text,participant,group,value,updated_at"},
		{"votes.csv?delimiter=semicolon&columns=ids", "text/csv; charset=utf-8", "\ufeffsession_id;section_id;"},
		{"votes.csv?delimiter=semicolon", "text/csv; charset=utf-8", "\ufeffForløb;Afsnit;Aktivitet;Type;Udsagn;Deltager;Gruppe;Svar;Tidspunkt"},
		{"comments.csv?columns=ids", "text/csv; charset=utf-8", "\ufeffsession_id,section_id,section_title,activity_id,statement_id,comment_id,participant,group,text,upvotes,hidden,created_at,starred"},
		{"results.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "PK"},
		{"report.pdf", "application/pdf", "%PDF"},
		{"session.json", "application/json; charset=utf-8", "{"},
	} {
		resp, err := a.hc.Get(p.base + "/api/v1/sessions/" + s.ID + "/export/" + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.ct || !strings.HasPrefix(string(body), tc.starts) {
			t.Fatalf("%s: %d %q %.120q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if tc.path == "report.pdf" && !strings.Contains(resp.Header.Get("Content-Disposition"), "filename*=UTF-8''Rapport%20%E2%80%93%20Kill%20test%20%E2%80%93%20") {
			t.Fatalf("report.pdf: Content-Disposition %q", resp.Header.Get("Content-Disposition"))
		}
		if tc.path == "votes.csv?columns=ids" && strings.Count(string(body), "\r\n") != 6 {
			t.Fatalf("votes.csv has %d lines, want header + 5:\n%s", strings.Count(string(body), "\r\n"), body)
		}
	}
	var cmp map[string]any
	a.do("GET", "/api/v1/charters/allerod-ledelsesgrundlag/results?sessions="+s.ID, nil, 200, &cmp)
	if len(cmp) == 0 {
		t.Fatal("empty comparison")
	}
}

// TestTwoInstancesShareRedis: a phone on instance A votes and the facilitator on instance B
// sees the tally move; the facilitator's goto on B reaches the phone on A. Both clients
// follow only the public spec.
func TestTwoInstancesShareRedis(t *testing.T) {
	redisURL := redistest.URL(t)
	addrA, addrB := freeAddr(t), freeAddr(t)
	a := startPejl(t, addrA, "PEJL_REDIS_URL="+redisURL, "PEJL_INSTANCE=a")
	b := startPejl(t, addrB, "PEJL_REDIS_URL="+redisURL, "PEJL_INSTANCE=b")

	fac := login(t, b.base)
	var s created
	fac.do("POST", "/api/v1/sessions", map[string]any{"title": "To instanser", "charter_id": "allerod-ledelsesgrundlag"}, 201, &s)
	f := dialWS(t, b.base, "/api/v1/sessions/"+s.ID+"/live", fac.cookieHeader())
	f.send(map[string]any{"type": "hello"})
	f.waitFor("welcome", "")

	phone := dialWS(t, a.base, "/api/v1/join/"+s.Code+"/live", nil)
	phone.send(map[string]any{"type": "hello"})
	phone.waitFor("welcome", "")

	f.send(map[string]any{"type": "goto", "id": "g1", "section": "s2"})
	f.waitFor("ack", "g1")
	for {
		st := phone.waitFor("state", "")
		sess, _ := st["session"].(map[string]any)
		if sess["current_section"] == "s2" {
			break
		}
	}
	f.send(map[string]any{"type": "open", "id": "o1", "activity": "s2-scale"})
	f.waitFor("ack", "o1")

	// The same vote sent five times (a resend storm) is counted once.
	for range 5 {
		phone.send(map[string]any{"type": "vote", "id": "same", "activity": "s2-scale", "statement": "s2-3", "value": 4})
	}
	for range 5 {
		phone.waitFor("ack", "same")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := f.waitFor("tally", "")
		if m["activity"] != "s2-scale" {
			continue
		}
		res, _ := m["results"].(map[string]any)
		sts, _ := res["statements"].(map[string]any)
		st, _ := sts["s2-3"].(map[string]any)
		if n, _ := st["n"].(float64); n == 1 {
			counts, _ := st["counts"].(map[string]any)
			if counts["4"] != float64(1) {
				t.Fatalf("tally on B: %v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the facilitator on B never saw the vote cast on A")
		}
	}
	if n, _ := statementN(t, fac, s.ID, "s2-scale", "s2-3"); n != 1 {
		t.Fatalf("five sends of one id counted %d times", n)
	}
}

// TestRedisOutage: with Redis down, a vote is answered unavailable within 1.5 s, /readyz is
// 503 and the socket stays open; once Redis is back (its append-only file intact), the same
// vote resent with the same id is acknowledged and counted once.
func TestRedisOutage(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{AOF: true})
	addr := freeAddr(t)
	p := startPejl(t, addr, "PEJL_REDIS_URL="+rs.URL())
	s, _ := setupAndVote(t, p.base, 1)
	phone := dialWS(t, p.base, "/api/v1/join/"+s.Code+"/live", nil)
	phone.send(map[string]any{"type": "hello"})
	phone.waitFor("welcome", "")

	rs.Pause() // a Redis that hangs: the worst case for timeouts
	start := time.Now()
	phone.send(map[string]any{"type": "vote", "id": "out1", "activity": "s2-scale", "statement": "s2-2", "value": 5})
	m := phone.waitFor("error", "out1")
	if took := time.Since(start); m["code"] != "unavailable" || took > 1500*time.Millisecond {
		t.Fatalf("vote during the outage: %v after %v; want unavailable within 1.5 s", m, took)
	}
	resp, err := http.Get(p.base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/readyz during the outage: %d, want 503", resp.StatusCode)
	}
	rs.Resume()

	// The outbox resends the same id: acknowledged (whether or not the first try landed),
	// counted once.
	deadline := time.Now().Add(10 * time.Second)
	for {
		phone.send(map[string]any{"type": "vote", "id": "out1", "activity": "s2-scale", "statement": "s2-2", "value": 5})
		_ = phone.c.SetReadDeadline(time.Now().Add(3 * time.Second))
		var got map[string]any
		acked := false
		for {
			if err := phone.c.ReadJSON(&got); err != nil {
				t.Fatalf("socket after the outage: %v", err)
			}
			if got["id"] == "out1" {
				acked = got["type"] == "ack"
				break
			}
		}
		if acked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the resent vote was never acknowledged: last answer %v", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
	a := login(t, p.base)
	if n, _ := statementN(t, a, s.ID, "s2-scale", "s2-2"); n != 1 {
		t.Fatalf("after the outage the vote counts %d times, want 1", n)
	}
}
