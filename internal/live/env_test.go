package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"pejl/internal/charter"
	"pejl/internal/forum"
	"pejl/internal/live/liveclient"
	"pejl/internal/memstore"
	"pejl/internal/redisstore"
	"pejl/internal/redisstore/redistest"
)

// The tests run real sockets (httptest.Server) against real engines: memstore in a
// temporary directory, and Redis (redistest) for the tests that need two instances.

const (
	charterID    = "allerod-rated" // the built-in charter with Baggrund rated too (ratedCharter)
	allowed      = "http://allowed.example"
	scaleAct     = "s1-scale" // Baggrund: statements s1-1 … s1-5
	commentsAct  = "s1-comments"
	otherSection = "s2"
	waitLong     = 10 * time.Second
)

func TestMain(m *testing.M) {
	if url := os.Getenv(memClientEnv); url != "" {
		memClient(url) // the child process of BenchmarkIdleConnectionMemory
	}
	redistest.Main(m)
}

// leakCheck registers a goleak check that runs after every other cleanup of the test.
func leakCheck(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		goleak.VerifyNone(t,
			goleak.IgnoreTopFunction("os/exec.(*Cmd).Wait"), // the shared redis-server
			goleak.IgnoreAnyFunction("pejl/internal/redisstore/redistest.(*Server).launch.func1"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"), // its stdout pipe readers
			goleak.IgnoreTopFunction("syscall.Syscall6"),
		)
	})
}

// instance is one Pejl process: an engine, a Service, a Hub and an HTTP server.
type instance struct {
	t    testing.TB
	eng  forum.Engine
	svc  *forum.Service
	hub  *Hub
	srv  *httptest.Server
	user *forum.User
}

type engineKind int

const (
	memEngine engineKind = iota
	redisEngine
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openEngine(t testing.TB, kind engineKind, dir string) forum.Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var (
		eng forum.Engine
		err error
	)
	switch kind {
	case memEngine:
		eng, err = memstore.Open(dir, memstore.Options{Logger: quietLogger()})
	case redisEngine:
		eng, err = redisstore.New(ctx, redisstore.Options{URL: redistest.URL(t), Logger: quietLogger()})
	}
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// newInstance starts an instance on eng; cfg's zero fields get test-friendly defaults.
// The owner is the facilitator user every test session belongs to.
func newInstance(t testing.TB, eng forum.Engine, owner *forum.User, cfg Config, name string) *instance {
	t.Helper()
	svc := forum.NewService(eng, forum.Config{PublicURL: "http://pejl.test", Logger: quietLogger()})
	cfg.Service = svc
	cfg.Engine = eng
	cfg.Logger = quietLogger()
	cfg.Instance = name
	if cfg.CheckOrigin == nil {
		cfg.CheckOrigin = func(r *http.Request) bool {
			o := r.Header.Get("Origin")
			return o == "" || o == allowed
		}
	}
	if cfg.StateCheckEvery == 0 {
		cfg.StateCheckEvery = 500 * time.Millisecond
	}
	if cfg.ShutdownWindow == 0 {
		cfg.ShutdownWindow = 200 * time.Millisecond
	}
	hub := New(cfg)
	in := &instance{t: t, eng: eng, svc: svc, hub: hub, user: owner}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/join/{code}/live", func(w http.ResponseWriter, r *http.Request) {
		hub.ServeParticipant(w, r, r.PathValue("code"))
	})
	mux.HandleFunc("/api/v1/sessions/{id}/live", func(w http.ResponseWriter, r *http.Request) {
		var u *forum.User
		switch r.Header.Get("Authorization") {
		case "Bearer owner":
			u = owner
		case "Bearer stranger":
			u = &forum.User{ID: "u-stranger", Role: forum.RoleFacilitator}
		}
		hub.ServeFacilitator(w, r, u, r.PathValue("id"))
	})
	in.srv = httptest.NewUnstartedServer(mux)
	in.srv.Listener = smallBufferListener{in.srv.Listener}
	in.srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			t.Errorf("%s: Shutdown: %v", name, err)
		}
		in.srv.Close()
		svc.Close()
	})
	return in
}

// smallBufferListener shrinks each accepted socket's kernel send buffer, so that a client
// that stops reading fills it (and then the hub's queue) with little data.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// newEnv is one instance on a fresh memstore with one session.
func newEnv(t *testing.T, cfg Config) (*instance, *forum.Session) {
	t.Helper()
	leakCheck(t)
	eng := openEngine(t, memEngine, t.TempDir())
	t.Cleanup(func() { _ = eng.Close() })
	owner := &forum.User{ID: "u-" + forum.NewID(5), Email: "owner@example.dk", Role: forum.RoleFacilitator}
	in := newInstance(t, eng, owner, cfg, "a")
	return in, in.newSession(nil)
}

// newPair is two instances sharing one Redis, with one session.
func newPair(t *testing.T, cfg Config) (a, b *instance, sess *forum.Session) {
	t.Helper()
	leakCheck(t)
	owner := &forum.User{ID: "u-" + forum.NewID(5), Email: "owner@example.dk", Role: forum.RoleFacilitator}
	engA := openEngine(t, redisEngine, "")
	t.Cleanup(func() { _ = engA.Close() })
	engB := openEngine(t, redisEngine, "")
	t.Cleanup(func() { _ = engB.Close() })
	a = newInstance(t, engA, owner, cfg, "a")
	b = newInstance(t, engB, owner, cfg, "b")
	return a, b, a.newSession(nil)
}

// autoApprove lets a session's comments reach the room without approval.
func (in *instance) autoApprove(sess *forum.Session) {
	in.t.Helper()
	yes := true
	if _, err := in.svc.UpdateSession(context.Background(), in.user, sess.ID, forum.SessionPatch{AutoApprove: &yes}); err != nil {
		in.t.Fatal(err)
	}
}

// ratedCharter is the built-in charter with its "Baggrund" not marked unrated, so that
// these tests have a scale over five statements in s1 (importing it again is a no-op).
var ratedCharter = sync.OnceValue(func() []byte {
	c, _ := charter.BuiltinByID("allerod-ledelsesgrundlag")
	src := strings.Replace(c.Source, "id: allerod-ledelsesgrundlag", "id: "+charterID, 1)
	return []byte(strings.Replace(src, " {.unrated}", "", 1))
})

func (in *instance) newSession(groups []forum.Group) *forum.Session {
	in.t.Helper()
	if _, err := in.svc.ImportCharter(context.Background(), in.user, ratedCharter()); err != nil {
		in.t.Fatal(err)
	}
	sess, err := in.svc.CreateSession(context.Background(), in.user, forum.NewSession{
		Title: "Test " + in.t.Name(), CharterID: charterID, Language: "da", Groups: groups})
	if err != nil {
		in.t.Fatal(err)
	}
	return sess
}

func (in *instance) wsURL(path string) string {
	return "ws" + strings.TrimPrefix(in.srv.URL, "http") + path
}

func (in *instance) dialParticipant(ctx context.Context, code string, opts liveclient.Options) (*liveclient.Conn, error) {
	if opts.Header == nil {
		opts.Header = http.Header{"Origin": {allowed}}
	}
	return liveclient.Dial(ctx, in.wsURL("/api/v1/join/"+code+"/live"), opts)
}

// participant connects and says hello.
func (in *instance) participant(ctx context.Context, sess *forum.Session, h liveclient.HelloMsg) (*liveclient.Conn, *liveclient.Welcome) {
	in.t.Helper()
	c, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{})
	if err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { _ = c.Close() })
	w, err := c.Hello(ctx, h)
	if err != nil {
		in.t.Fatalf("hello: %v", err)
	}
	return c, w
}

// facilitator connects as the owner and says hello.
func (in *instance) facilitator(ctx context.Context, sess *forum.Session, opts liveclient.Options) (*liveclient.Conn, *liveclient.Welcome) {
	in.t.Helper()
	return in.facilitatorAs(ctx, sess, opts, liveclient.HelloMsg{})
}

// facilitatorAs connects as the owner and says hello h (a presenter's, say).
func (in *instance) facilitatorAs(ctx context.Context, sess *forum.Session, opts liveclient.Options, h liveclient.HelloMsg) (*liveclient.Conn, *liveclient.Welcome) {
	in.t.Helper()
	opts.Header = http.Header{"Origin": {allowed}, "Authorization": {"Bearer owner"}}
	c, err := liveclient.Dial(ctx, in.wsURL("/api/v1/sessions/"+sess.ID+"/live"), opts)
	if err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { _ = c.Close() })
	w, err := c.Hello(ctx, h)
	if err != nil {
		in.t.Fatalf("facilitator hello: %v", err)
	}
	return c, w
}

// command sends a facilitator command and fails the test if it is not acknowledged.
func command(t *testing.T, ctx context.Context, c *liveclient.Conn, typ string, fields map[string]any) {
	t.Helper()
	if err := c.Command(ctx, typ, fields); err != nil {
		t.Fatalf("%s %v: %v", typ, fields, err)
	}
}

// waitFor reads messages until one of type T satisfies ok.
func waitFor[T liveclient.Message](t *testing.T, c *liveclient.Conn, d time.Duration, ok func(T) bool) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		m, err := c.Next(ctx)
		if err != nil {
			var zero T
			t.Fatalf("waiting for a %T: %v", zero, err)
		}
		if x, isT := m.(T); isT && (ok == nil || ok(x)) {
			return x
		}
	}
}

// errCode returns the socket error code of err, or "" if it is not an *ErrorMsg.
func errCode(err error) string {
	var e *liveclient.ErrorMsg
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// openScale has the facilitator go to s1 and open its scale activity.
func openScale(t *testing.T, ctx context.Context, f *liveclient.Conn) {
	t.Helper()
	command(t, ctx, f, "goto", map[string]any{"section": "s1"})
	command(t, ctx, f, "open", map[string]any{"activity": scaleAct})
}

func scaleCount(res liveclient.Results, statement string, value int) int64 {
	return res.Statements[statement].Counts[fmt.Sprint(value)]
}

// rcvBufDialer makes a client socket with a tiny receive buffer.
func rcvBufDialer() *net.Dialer {
	return &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
}
