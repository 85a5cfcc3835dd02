package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A target is a server under test: Pejl, or one of the reference peers. Each runs as its
// own process (so its memory can be read and nothing is shared with the generator).
type target interface {
	name() string
	engine() string
	proto() protocol
	// start starts the process (and Redis, for Pejl with -redis auto) and waits until ready.
	start(ctx context.Context) error
	// setup prepares one live session and says where its sockets are.
	setup(ctx context.Context) (*sessionInfo, error)
	// tally reads the stored results of the scale activity (the server's own count).
	tally(ctx context.Context, s *sessionInfo) (map[string]statementResult, error)
	pid() int
	// extraRSS names other processes of the app (Redis) and their RSS in KiB.
	extraRSS() map[string]int64
	stop()
	logTail() string
	logSummary() logSummary
}

type sessionInfo struct {
	partURL    string
	partURLs   []string // one per instance (partURLs[0] == partURL)
	facURL     string
	facHeader  http.Header
	scale      string    // the scale activity voted on
	statements [3]string // its statements
	canary     string    // the activity only the canary votes on
	openWith   [][3]string
	sections   [2]string // G5 alternates between these
	sessionID  string
}

type statementResult struct {
	Counts map[string]int64 `json:"counts"`
	N      int64            `json:"n"`
}

// ---- processes ----

type proc struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

func startProc(dir, logPath string, env []string, bin string, args ...string) (*proc, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = lf
	cmd.Stderr = lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	p := &proc{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		lf.Close()
		close(p.exited)
	}()
	return p, nil
}

// stop sends SIGTERM, waits up to grace, then SIGKILL (to this process only, by pid).
func (p *proc) stop(grace time.Duration) {
	if p == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func (p *proc) summary() logSummary {
	var ls logSummary
	if p == nil {
		return ls
	}
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return ls
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.TrimSpace(line) == "" || strings.Contains(line, "Pejl is running on") || strings.Contains(line, " listening on ") {
			continue // the start banners
		}
		ls.Lines++
		if len(ls.First) < 8 {
			ls.First = append(ls.First, clip(line, 400))
		}
	}
	return ls
}

func (p *proc) tail() string {
	if p == nil {
		return ""
	}
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitHTTP polls url until it answers 200, the process exits or ctx ends (bounded).
func waitHTTP(ctx context.Context, url string, p *proc, limit time.Duration) error {
	return pollHTTP(ctx, url, p, limit, 50*time.Millisecond)
}

// pollHTTP is waitHTTP with a chosen polling interval (a short one when the time to ready
// is what is measured).
func pollHTTP(ctx context.Context, url string, p *proc, limit, every time.Duration) error {
	deadline := time.Now().Add(limit)
	hc := &http.Client{Timeout: time.Second}
	for i := 0; time.Now().Before(deadline); i++ {
		select {
		case <-p.exited:
			return fmt.Errorf("the process exited while starting:\n%s", p.tail())
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		resp, err := hc.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(every)
	}
	return fmt.Errorf("%s did not become ready within %s:\n%s", url, limit, p.tail())
}

func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if (!strings.HasPrefix(kv, "PEJL_") || strings.HasPrefix(kv, "PEJL_DEBUG_ADDR=")) && !strings.HasPrefix(kv, "GODEBUG=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// ---- Redis, started by the generator for -redis auto ----

type redisProc struct {
	p    *proc
	port int
	dir  string
}

// startRedis starts a redis-server on a free port; fsync "no" runs it without an
// append-only file, "always"/"everysec" with one and that appendfsync.
func startRedis(ctx context.Context, tmp, fsync string) (*redisProc, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("-redis auto needs redis-server on PATH (Debian: apt-get install redis-server)")
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(tmp, "redis")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--maxclients", "10000"}
	if fsync == "no" {
		args = append(args, "--appendonly", "no")
	} else {
		args = append(args, "--appendonly", "yes", "--appendfsync", fsync)
	}
	p, err := startProc(dir, filepath.Join(tmp, "redis.log"), cleanEnv(), bin, args...)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if redisPing(port) == nil {
			return &redisProc{p: p, port: port, dir: dir}, nil
		}
		select {
		case <-p.exited:
			return nil, fmt.Errorf("redis-server exited:\n%s", p.tail())
		case <-ctx.Done():
			p.stop(time.Second)
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.stop(time.Second)
	return nil, fmt.Errorf("redis-server did not answer PING:\n%s", p.tail())
}

func redisPing(port int) error {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
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
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("redis answered %q", line)
	}
	return nil
}

// ---- Pejl ----

type pejlTarget struct {
	bin      string
	tmp      string
	redisURL string // "", "auto" or a URL
	// redisFsync is -redis-fsync, for "auto".
	redisFsync string
	// instances is how many Pejl processes share the one Redis (0 or 1: one, the embedded
	// engine possible); extraEnv is added to every instance's environment.
	instances int
	extraEnv  []string
	p         *proc // instance 0
	redis     *redisProc
	base      string // instance 0's base URL (setup and the facilitator go there)
	http      *http.Client
	token     string
	engName   string

	// One entry per instance.
	procs   []*proc
	bases   []string
	readyMs []float64 // exec → /readyz answered 200
	killed  []bool
}

func (t *pejlTarget) name() string    { return "pejl" }
func (t *pejlTarget) engine() string  { return t.engName }
func (t *pejlTarget) proto() protocol { return pejlProto{} }
func (t *pejlTarget) logTail() string {
	if len(t.procs) <= 1 {
		return t.p.tail()
	}
	var b strings.Builder
	for i, p := range t.procs {
		if tail := p.tail(); tail != "" {
			fmt.Fprintf(&b, "--- instance %d ---\n%s\n", i, tail)
		}
	}
	return b.String()
}

func (t *pejlTarget) logSummary() logSummary {
	if len(t.procs) <= 1 {
		return t.p.summary()
	}
	var ls logSummary
	for i, p := range t.procs {
		s := p.summary()
		ls.Lines += s.Lines
		for _, l := range s.First {
			if len(ls.First) < 8 {
				ls.First = append(ls.First, "["+strconv.Itoa(i)+"] "+l)
			}
		}
	}
	return ls
}

// pids are the instances' process ids (0 for one that was killed).
func (t *pejlTarget) pids() []int {
	out := make([]int, len(t.procs))
	for i, p := range t.procs {
		if !t.killed[i] {
			out[i] = p.cmd.Process.Pid
		}
	}
	return out
}

// kill sends SIGKILL to instance i, as a crash would, and waits until it is gone.
func (t *pejlTarget) kill(i int) {
	p := t.procs[i]
	t.killed[i] = true
	_ = p.cmd.Process.Kill()
	<-p.exited
}
func (t *pejlTarget) redisPid() int {
	if t.redis == nil {
		return 0
	}
	return t.redis.p.cmd.Process.Pid
}
func (t *pejlTarget) pid() int { return t.p.cmd.Process.Pid }
func (t *pejlTarget) extraRSS() map[string]int64 {
	if t.redis == nil {
		return nil
	}
	return map[string]int64{"redis-server": rssKiB(t.redis.p.cmd.Process.Pid)}
}

const (
	adminEmail = "loadgen@pejl.local"
)

func (t *pejlTarget) start(ctx context.Context) error {
	n := max(1, t.instances)
	var env []string
	t.engName = "embedded"
	switch {
	case t.redisURL == "auto":
		r, err := startRedis(ctx, t.tmp, t.redisFsync)
		if err != nil {
			return err
		}
		t.redis = r
		env = append(env, "PEJL_REDIS_URL=redis://127.0.0.1:"+strconv.Itoa(r.port)+"/0")
		t.engName = "redis"
		if t.redisFsync != "no" {
			t.engName = "redis (appendfsync " + t.redisFsync + ")"
		}
	case t.redisURL != "":
		env = append(env, "PEJL_REDIS_URL="+t.redisURL)
		t.engName = "redis"
	}
	if n > 1 {
		t.engName += fmt.Sprintf(", %d instances", n)
	}
	env = append(env, t.extraEnv...)
	// The instances share everything through the engine (accounts, tokens, participants'
	// resume-token hashes, the limiters' keys): no secret has to be handed to each. They are
	// started one after the other, so that each one's start → ready is measured alone.
	for i := range n {
		port, err := freePort()
		if err != nil {
			return err
		}
		base := "http://127.0.0.1:" + strconv.Itoa(port)
		name, instance := "pejl.log", "loadgen"
		if n > 1 {
			name, instance = fmt.Sprintf("pejl-%d.log", i), fmt.Sprintf("loadgen-%d", i)
		}
		ienv := append([]string{
			"PEJL_ADDR=127.0.0.1:" + strconv.Itoa(port),
			"PEJL_PUBLIC_URL=" + base,
			"PEJL_DATA_DIR=" + filepath.Join(t.tmp, fmt.Sprintf("data-%d", i)),
			"PEJL_ADMIN_EMAIL=" + adminEmail,
			"PEJL_ADMIN_PASSWORD=" + adminPassword,
			"PEJL_LOG_LEVEL=warn",
			"PEJL_INSTANCE=" + instance,
		}, env...)
		t0 := time.Now()
		p, err := startProc(t.tmp, filepath.Join(t.tmp, name), cleanEnv(ienv...), t.bin)
		if err != nil {
			return err
		}
		t.procs = append(t.procs, p)
		t.bases = append(t.bases, base)
		t.killed = append(t.killed, false)
		if i == 0 {
			t.p, t.base = p, base
		}
		if err := pollHTTP(ctx, base+"/readyz", p, 30*time.Second, 5*time.Millisecond); err != nil {
			return fmt.Errorf("instance %d: %w", i, err)
		}
		t.readyMs = append(t.readyMs, float64(time.Since(t0).Microseconds())/1000)
	}
	return nil
}

func (t *pejlTarget) stop() {
	var wg sync.WaitGroup
	for _, p := range t.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop(30 * time.Second)
		}()
	}
	wg.Wait()
	if t.redis != nil {
		t.redis.p.stop(5 * time.Second)
	}
}

// do calls the REST API of instance 0: JSON in, JSON out, the error shape of the spec on failure.
func (t *pejlTarget) do(ctx context.Context, method, path string, in, out any, want int) error {
	return t.doAt(ctx, t.base, method, path, in, out, want)
}

// doAt is do against the instance at base.
func (t *pejlTarget) doAt(ctx context.Context, base, method, path string, in, out any, want int) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", base)
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: HTTP %d (want %d): %s", method, path, resp.StatusCode, want, clip(string(b), 300))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return nil
}

func (t *pejlTarget) setup(ctx context.Context) (*sessionInfo, error) {
	jar, _ := cookiejar.New(nil)
	t.http = &http.Client{Jar: jar, Timeout: 30 * time.Second}
	if err := t.do(ctx, "POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": adminPassword}, nil, 200); err != nil {
		return nil, err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := t.do(ctx, "POST", "/api/v1/tokens", map[string]string{"name": "loadgen"}, &tok, 201); err != nil {
		return nil, err
	}
	if tok.Token == "" {
		return nil, errors.New("POST /api/v1/tokens: no token in the answer")
	}
	t.token = tok.Token
	var sess struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	if err := t.do(ctx, "POST", "/api/v1/sessions", map[string]any{"title": "Loadgen", "charter_id": "allerod-ledelsesgrundlag",
		"language": "da"}, &sess, 201); err != nil {
		return nil, err
	}
	var act struct {
		ID string `json:"id"`
	}
	if err := t.do(ctx, "POST", "/api/v1/sessions/"+sess.ID+"/activities", map[string]any{"kind": "words", "section": "s2",
		"prompt": "Canary (load generator)"}, &act, 201); err != nil {
		return nil, err
	}
	ws := "ws" + strings.TrimPrefix(t.base, "http")
	h := http.Header{}
	h.Set("Authorization", "Bearer "+t.token)
	var partURLs []string
	for _, b := range t.bases {
		partURLs = append(partURLs, "ws"+strings.TrimPrefix(b, "http")+"/api/v1/join/"+sess.Code+"/live")
	}
	return &sessionInfo{
		partURL:    partURLs[0],
		partURLs:   partURLs,
		facURL:     ws + "/api/v1/sessions/" + sess.ID + "/live",
		facHeader:  h,
		scale:      "s2-scale",
		statements: [3]string{"s2-1", "s2-2", "s2-3"},
		canary:     act.ID,
		openWith:   [][3]string{{"goto", "section", "s2"}, {"open", "activity", "s2-scale"}, {"open", "activity", act.ID}},
		sections:   [2]string{"s3", "s2"},
		sessionID:  sess.ID,
	}, nil
}

func (t *pejlTarget) tally(ctx context.Context, s *sessionInfo) (map[string]statementResult, error) {
	return t.tallyAt(ctx, 0, s)
}

// tallyAt reads the scale's tally from instance i.
func (t *pejlTarget) tallyAt(ctx context.Context, i int, s *sessionInfo) (map[string]statementResult, error) {
	var view tallyView
	if err := t.doAt(ctx, t.bases[i], "GET", "/api/v1/sessions/"+s.sessionID, nil, &view, 200); err != nil {
		return nil, err
	}
	return view.scale(s.scale)
}

// tallyView is the part of GET /api/v1/sessions/{id} (and of the peers' GET /tally) that
// the exactly-once check reads.
type tallyView struct {
	Activities []struct {
		ID    string `json:"id"`
		Tally struct {
			Statements map[string]statementResult `json:"statements"`
		} `json:"tally"`
	} `json:"activities"`
}

func (v tallyView) scale(id string) (map[string]statementResult, error) {
	for _, a := range v.Activities {
		if a.ID == id {
			return a.Tally.Statements, nil
		}
	}
	return nil, fmt.Errorf("no activity %q in the session view", id)
}

// ---- the reference peers ----

type peerTarget struct {
	kind       string // "floor" or "centrifuge"
	bin        string
	tmp        string
	stateBytes func() int
	p          *proc
	base       string
}

func (t *peerTarget) name() string   { return t.kind }
func (t *peerTarget) engine() string { return "memory" }
func (t *peerTarget) proto() protocol {
	if t.kind == "centrifuge" {
		return centrifugeProto{}
	}
	return pejlProto{}
}
func (t *peerTarget) pid() int                   { return t.p.cmd.Process.Pid }
func (t *peerTarget) extraRSS() map[string]int64 { return nil }
func (t *peerTarget) stop()                      { t.p.stop(10 * time.Second) }
func (t *peerTarget) logTail() string            { return t.p.tail() }
func (t *peerTarget) logSummary() logSummary     { return t.p.summary() }

func (t *peerTarget) start(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	t.base = "http://127.0.0.1:" + strconv.Itoa(port)
	t.p, err = startProc(t.tmp, filepath.Join(t.tmp, t.kind+".log"), cleanEnv(), t.bin,
		"-addr", "127.0.0.1:"+strconv.Itoa(port), "-state-bytes", strconv.Itoa(t.stateBytes()))
	if err != nil {
		return err
	}
	return waitHTTP(ctx, t.base+"/healthz", t.p, 30*time.Second)
}

func (t *peerTarget) setup(context.Context) (*sessionInfo, error) {
	ws := "ws" + strings.TrimPrefix(t.base, "http")
	s := &sessionInfo{
		scale:      "s2-scale",
		statements: [3]string{"s2-1", "s2-2", "s2-3"},
		canary:     "canary",
		openWith:   [][3]string{{"goto", "section", "s2"}, {"open", "activity", "s2-scale"}, {"open", "activity", "canary"}},
		sections:   [2]string{"s3", "s2"},
	}
	if t.kind == "centrifuge" {
		s.partURL = ws + "/connection/websocket"
		s.facURL = s.partURL
	} else {
		s.partURL = ws + "/ws/participant"
		s.facURL = ws + "/ws/facilitator"
	}
	s.partURLs = []string{s.partURL}
	return s, nil
}

func (t *peerTarget) tally(ctx context.Context, s *sessionInfo) (map[string]statementResult, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", t.base+"/tally", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var view tallyView
	if err := json.NewDecoder(resp.Body).Decode(&view); err != nil {
		return nil, err
	}
	return view.scale(s.scale)
}

// ---- helpers ----

var adminPassword = func() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "lg-" + hex.EncodeToString(b)
}()

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// rssKiB reads VmRSS from /proc/<pid>/status; -1 when it cannot.
func rssKiB(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				n, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// cpuSeconds is a process's user+system CPU time from /proc/<pid>/stat; 0 if unknown.
func cpuSeconds(pid int) float64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
