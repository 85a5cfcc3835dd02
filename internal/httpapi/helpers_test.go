package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"pejl/internal/forum"
	"pejl/internal/memstore"
)

const (
	publicURL    = "http://pejl.test"
	adminEmail   = "admin@pejl.test"
	userPassword = "facilitator-pw-1"
)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv is a whole HTTP edge over a real embedded engine.
type testEnv struct {
	t    *testing.T
	eng  forum.Engine
	svc  *forum.Service
	api  *api
	h    http.Handler
	logs *syncBuffer
}

func newEnv(t *testing.T, mod func(*Config)) *testEnv {
	t.Helper()
	eng, err := memstore.Open(t.TempDir(), memstore.Options{})
	if err != nil {
		t.Fatalf("open memstore: %v", err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := forum.NewService(eng, forum.Config{PublicURL: publicURL, Logger: logger})
	t.Cleanup(svc.Close)
	cfg := Config{Service: svc, Logger: logger, PublicURL: publicURL}
	if mod != nil {
		mod(&cfg)
	}
	a := newAPI(cfg)
	return &testEnv{t: t, eng: eng, svc: svc, api: a, h: a.engine, logs: logs}
}

type opt func(*http.Request)

func header(k, v string) opt { return func(r *http.Request) { r.Header.Set(k, v) } }
func origin(o string) opt    { return header("Origin", o) }
func bearer(tok string) opt  { return header("Authorization", "Bearer "+tok) }
func from(addr string) opt   { return func(r *http.Request) { r.RemoteAddr = addr } }
func hostIs(h string) opt    { return func(r *http.Request) { r.Host = h } }
func cookieOnly(c *client) opt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie}) }
}

// as authenticates with the client's cookie from Pejl's own origin.
func as(c *client) opt {
	return func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
		r.Header.Set("Origin", publicURL)
	}
}

func (e *testEnv) do(method, path string, body any, opts ...opt) *httptest.ResponseRecorder {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	r := httptest.NewRequest(method, path, rd)
	if rd != nil && r.Header.Get("Content-Type") == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(r)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// client is a logged-in facilitator.
type client struct {
	cookie string
	user   userJSON
}

func (e *testEnv) login(email, password string) *client {
	e.t.Helper()
	w := e.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, origin(publicURL))
	if w.Code != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", email, w.Code, w.Body)
	}
	var out struct {
		User userJSON `json:"user"`
	}
	mustJSON(e.t, w, &out)
	for _, ck := range w.Result().Cookies() {
		if ck.Name == sessionCookie {
			return &client{cookie: ck.Value, user: out.User}
		}
	}
	e.t.Fatalf("login %s: no %s cookie", email, sessionCookie)
	return nil
}

// fastHash returns a bcrypt hash of the test password at the lowest cost: a real login
// compares against it quickly even under the race detector (cost 11 takes seconds there).
var fastHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(userPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// seedUser stores an account with the test password directly in the engine.
func (e *testEnv) seedUser(email, role string) {
	e.t.Helper()
	u := forum.User{ID: "u" + forum.NewID(8), Email: email, Name: "Test " + role, Role: role,
		PasswordHash: fastHash(), CreatedAt: time.Now().UTC()}
	if err := e.eng.CreateUser(context.Background(), u); err != nil {
		e.t.Fatalf("seed user %s: %v", email, err)
	}
}

// admin seeds an admin account and logs in through the API.
func (e *testEnv) admin() *client {
	e.t.Helper()
	e.seedUser(adminEmail, forum.RoleAdmin)
	return e.login(adminEmail, userPassword)
}

// facilitator seeds a facilitator account and logs in through the API.
func (e *testEnv) facilitator(email string) *client {
	e.t.Helper()
	e.seedUser(email, forum.RoleFacilitator)
	return e.login(email, userPassword)
}

// createSession makes a session on the built-in charter.
func (e *testEnv) createSession(c *client, title string) forum.SessionInfo {
	e.t.Helper()
	w := e.do("POST", "/api/v1/sessions", map[string]any{"title": title, "charter_id": "allerod-ledelsesgrundlag", "language": "da"}, as(c))
	if w.Code != http.StatusCreated {
		e.t.Fatalf("create session: %d %s", w.Code, w.Body)
	}
	var s forum.SessionInfo
	mustJSON(e.t, w, &s)
	return s
}

func mustJSON(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON; body %s", ct, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", w.Body, err)
	}
}

// errorShape checks that a response is the spec's JSON error and returns it.
func errorShape(t *testing.T, w *httptest.ResponseRecorder) errorObject {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("status %d: Content-Type %q, want JSON; body %.300s", w.Code, ct, w.Body)
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
		t.Fatalf("status %d: body is not the error shape: %.300s", w.Code, w.Body)
	}
	obj, ok := raw["error"]
	if !ok || len(raw) != 1 {
		t.Fatalf("status %d: body is not {\"error\":…}: %.300s", w.Code, w.Body)
	}
	var e errorObject
	if err := json.Unmarshal(w.Body.Bytes(), &struct {
		Error *errorObject `json:"error"`
	}{&e}); err != nil {
		t.Fatal(err)
	}
	if e.Code == "" || e.Message == "" {
		t.Fatalf("status %d: error without code or message: %s", w.Code, w.Body)
	}
	if d, ok := obj["details"]; ok && !bytes.HasPrefix(bytes.TrimSpace(d), []byte("[")) {
		t.Fatalf("details is not an array: %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "goroutine ") || strings.Contains(w.Body.String(), ".go:") {
		t.Fatalf("error body looks like a stack trace: %s", w.Body)
	}
	return e
}

func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, code string) errorObject {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body)
	}
	e := errorShape(t, w)
	if e.Code != code {
		t.Fatalf("code %q, want %q; body %s", e.Code, code, w.Body)
	}
	return e
}

func wantStatus(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %.500s", w.Code, status, w.Body)
	}
}
