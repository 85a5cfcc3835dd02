package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pejl/internal/forum"
)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) {
		c.Frontend = fstest.MapFS{"assets/app-1234.js": {Data: []byte("console.log(1)")}}
	})
	for _, path := range []string{"/healthz", "/api/v1/config", "/api/v1/nope", "/", "/j/123456", "/host", "/assets/app-1234.js", "/nope"} {
		w := e.do("GET", path, nil)
		h := w.Header()
		if h.Get("Content-Security-Policy") != contentSecurityPolicy {
			t.Errorf("%s: CSP %q", path, h.Get("Content-Security-Policy"))
		}
		for k, v := range map[string]string{
			"X-Content-Type-Options":     "nosniff",
			"Referrer-Policy":            "no-referrer",
			"X-Frame-Options":            "DENY",
			"Permissions-Policy":         "camera=(), microphone=(), geolocation=()",
			"Cross-Origin-Opener-Policy": "same-origin",
		} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), v)
			}
		}
		cc := h.Get("Cache-Control")
		switch {
		case strings.HasPrefix(path, "/api/"):
			if cc != "no-store" {
				t.Errorf("%s: Cache-Control %q", path, cc)
			}
		case strings.HasPrefix(path, "/assets/"):
			if !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
				t.Errorf("%s: Cache-Control %q", path, cc)
			}
		case path == "/" || path == "/host" || strings.HasPrefix(path, "/j/"):
			if cc != "no-cache" {
				t.Errorf("%s: Cache-Control %q", path, cc)
			}
		}
	}
	if !strings.Contains(contentSecurityPolicy, "script-src 'self';") || strings.Contains(contentSecurityPolicy, "unsafe-inline") {
		t.Error("CSP is not strict")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var readyErr error
	e := newEnv(t, func(c *Config) {
		c.Ready = func(context.Context) error {
			mu.Lock()
			defer mu.Unlock()
			return readyErr
		}
	})
	wantStatus(t, e.do("GET", "/healthz", nil), http.StatusOK)
	wantStatus(t, e.do("HEAD", "/healthz", nil), http.StatusOK)
	wantStatus(t, e.do("GET", "/readyz", nil), http.StatusOK)
	mu.Lock()
	readyErr = errors.New("draining at 10.9.8.7")
	mu.Unlock()
	w := e.do("GET", "/readyz", nil)
	eo := wantError(t, w, http.StatusServiceUnavailable, forum.EUnavailable)
	if strings.Contains(eo.Message, "10.9.8.7") {
		t.Errorf("readiness leaks the reason: %q", eo.Message)
	}
	wantStatus(t, e.do("GET", "/healthz", nil), http.StatusOK)

	// Without a Ready function the engine's ping decides.
	e2 := newEnv(t, nil)
	wantStatus(t, e2.do("GET", "/readyz", nil), http.StatusOK)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	e := newEnv(t, func(c *Config) {
		c.Registerer = reg
		c.Metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	})
	// A second edge on the same registry reuses the collectors.
	_ = newAPI(Config{Service: e.svc, Logger: e.api.log, Registerer: reg})

	wantStatus(t, e.do("GET", "/healthz", nil), http.StatusOK)
	wantStatus(t, e.do("GET", "/api/v1/join/123456", nil), http.StatusNotFound)
	w := e.do("GET", "/metrics", nil)
	wantStatus(t, w, http.StatusOK)
	body := w.Body.String()
	for _, want := range []string{
		`pejl_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		`pejl_http_requests_total{code="404",method="GET",route="/api/v1/join/:code"} 1`,
		`pejl_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Without a metrics handler: a JSON 404.
	e2 := newEnv(t, nil)
	wantError(t, e2.do("GET", "/metrics", nil), http.StatusNotFound, forum.ENotFound)
}

func TestPages(t *testing.T) {
	t.Parallel()
	placeholder := []byte("<!doctype html><html lang=\"da\"><title>Pejl</title><p>Pladsholder</p></html>")
	e := newEnv(t, func(c *Config) { c.Placeholder = placeholder })
	for _, path := range []string{"/", "/j/123456", "/host", "/host/sessions/abc", "/present", "/present/abc"} {
		w := e.do("GET", path, nil)
		wantStatus(t, w, http.StatusOK)
		if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if w.Body.String() != string(placeholder) {
			t.Errorf("%s: body %q", path, w.Body)
		}
	}
	w := e.do("GET", "/no-such-page", nil)
	wantStatus(t, w, http.StatusNotFound)
	if strings.Contains(w.Header().Get("Content-Type"), "json") || strings.Contains(w.Body.String(), "Pladsholder") {
		t.Errorf("unknown page: %q %q", w.Header().Get("Content-Type"), w.Body)
	}
	wantStatus(t, e.do("GET", "/assets/app.js", nil), http.StatusNotFound)

	// With a built frontend.
	fe := fstest.MapFS{
		"index.html":          {Data: []byte("<html>index</html>")},
		"host.html":           {Data: []byte("<html>host</html>")},
		"assets/app-1234.js":  {Data: []byte("console.log('pejl')")},
		"assets/app-1234.css": {Data: []byte("body{}")},
		"favicon.svg":         {Data: []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")},
	}
	e = newEnv(t, func(c *Config) { c.Frontend = fe; c.Placeholder = placeholder })
	for path, want := range map[string]string{
		"/": "<html>index</html>", "/j/1": "<html>index</html>", "/host": "<html>host</html>", "/host/x": "<html>host</html>",
		"/present/x": string(placeholder), "/assets/app-1234.js": "console.log('pejl')", "/favicon.svg": "<svg",
	} {
		w := e.do("GET", path, nil)
		wantStatus(t, w, http.StatusOK)
		if !strings.HasPrefix(w.Body.String(), want) {
			t.Errorf("%s: %q, want %q", path, w.Body, want)
		}
	}
	if ct := e.do("GET", "/assets/app-1234.js", nil).Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("js Content-Type %q", ct)
	}
	if ct := e.do("GET", "/assets/app-1234.css", nil).Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("css Content-Type %q", ct)
	}
	for _, path := range []string{"/assets/", "/assets", "/assets/../index.html", "/assets/nope.js"} {
		w := e.do("GET", path, nil)
		if w.Code == http.StatusOK && path != "/assets/../index.html" {
			t.Errorf("%s: %d %q", path, w.Code, w.Body)
		}
	}
	wantStatus(t, e.do("HEAD", "/", nil), http.StatusOK)
	wantStatus(t, e.do("POST", "/", nil), http.StatusMethodNotAllowed)
}

func TestAPINeverHTML(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	wantError(t, e.do("GET", "/api/v1/nope", nil), http.StatusNotFound, forum.ENotFound)
	wantError(t, e.do("GET", "/api/v2/sessions", nil), http.StatusNotFound, forum.ENotFound)
	wantError(t, e.do("GET", "/api/v1/sessions/", nil), http.StatusNotFound, forum.ENotFound)
	wantError(t, e.do("GET", "/api", nil), http.StatusNotFound, forum.ENotFound)
	w := e.do("PUT", "/api/v1/config", nil)
	wantError(t, w, http.StatusMethodNotAllowed, eMethodNotAllowed)
	if w.Header().Get("Allow") != "GET" {
		t.Errorf("Allow %q", w.Header().Get("Allow"))
	}
	wantError(t, e.do("DELETE", "/api/v1/auth/login", nil), http.StatusMethodNotAllowed, eMethodNotAllowed)
}

func TestConfigEndpoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Version = "1.2.3" })
	w := e.do("GET", "/api/v1/config", nil)
	wantStatus(t, w, http.StatusOK)
	var out struct {
		Version       string   `json:"version"`
		RetentionDays int      `json:"retention_days"`
		Languages     []string `json:"languages"`
	}
	mustJSON(t, w, &out)
	if out.Version != "1.2.3" || out.RetentionDays != 180 || strings.Join(out.Languages, ",") != "da,en" {
		t.Errorf("config %s", w.Body)
	}
}

// fakeLive records what reached it; it stands in for package live.
type fakeLive struct {
	mu    sync.Mutex
	calls []string
	panic bool
}

func (f *fakeLive) ServeParticipant(w http.ResponseWriter, _ *http.Request, code string) {
	if f.panic {
		panic("boom in live")
	}
	f.mu.Lock()
	f.calls = append(f.calls, "participant:"+code)
	f.mu.Unlock()
	w.WriteHeader(http.StatusSwitchingProtocols)
}

func (f *fakeLive) ServeFacilitator(w http.ResponseWriter, _ *http.Request, u *forum.User, sessionID string) {
	f.mu.Lock()
	f.calls = append(f.calls, "facilitator:"+u.Email+":"+sessionID)
	f.mu.Unlock()
	w.WriteHeader(http.StatusSwitchingProtocols)
}

func (f *fakeLive) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func TestLiveRoutes(t *testing.T) {
	t.Parallel()
	fl := &fakeLive{}
	e := newEnv(t, func(c *Config) { c.Live = fl })
	admin := e.admin()
	anna := e.facilitator("anna@pejl.test")
	s := e.createSession(admin, "Live")
	live := "/api/v1/sessions/" + s.ID + "/live"

	wantError(t, e.do("GET", "/api/v1/join/"+s.Code+"/live", nil, origin("https://evil.example")), http.StatusForbidden, forum.EForbidden)
	wantStatus(t, e.do("GET", "/api/v1/join/"+s.Code+"/live", nil, origin(publicURL)), http.StatusSwitchingProtocols)
	wantStatus(t, e.do("GET", "/api/v1/join/"+s.Code+"/live", nil), http.StatusSwitchingProtocols)

	wantError(t, e.do("GET", live, nil, cookieOnly(admin), origin("https://evil.example")), http.StatusForbidden, forum.EForbidden)
	wantError(t, e.do("GET", live, nil, origin(publicURL)), http.StatusUnauthorized, forum.EUnauthenticated)
	wantError(t, e.do("GET", live, nil, bearer("pejl_nope")), http.StatusUnauthorized, forum.EUnauthenticated)
	wantError(t, e.do("GET", live, nil, as(anna)), http.StatusNotFound, forum.ENotFound)
	wantError(t, e.do("GET", "/api/v1/sessions/nope/live", nil, as(admin)), http.StatusNotFound, forum.ENotFound)
	wantStatus(t, e.do("GET", live, nil, as(admin)), http.StatusSwitchingProtocols)

	got := strings.Join(fl.take(), " ")
	want := "participant:" + s.Code + " participant:" + s.Code + " facilitator:" + adminEmail + ":" + s.ID
	if got != want {
		t.Errorf("live calls %q, want %q", got, want)
	}

	// Without a Live: 503, after the checks.
	e2 := newEnv(t, nil)
	wantError(t, e2.do("GET", "/api/v1/join/123456/live", nil), http.StatusServiceUnavailable, forum.EUnavailable)
	wantError(t, e2.do("GET", "/api/v1/sessions/x/live", nil), http.StatusUnauthorized, forum.EUnauthenticated)
}

func TestPanicIsJSON500(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.Live = &fakeLive{panic: true} })
	w := e.do("GET", "/api/v1/join/123456/live", nil)
	eo := wantError(t, w, http.StatusInternalServerError, forum.EInternal)
	if strings.Contains(eo.Message, "boom") {
		t.Errorf("panic value leaks: %q", eo.Message)
	}
	if n := strings.Count(e.logs.String(), "boom in live"); n != 1 {
		t.Errorf("panic logged %d times", n)
	}
}

func TestAllowedOrigin(t *testing.T) {
	t.Parallel()
	allowed := AllowedOrigins("https://pejl.example.dk/", nil)
	if len(allowed) != 1 || allowed[0] != "https://pejl.example.dk" {
		t.Fatalf("AllowedOrigins = %v", allowed)
	}
	cases := []struct {
		origin, host string
		want         bool
	}{
		{"", "x", true},
		{"https://pejl.example.dk", "internal:8080", true},
		{"https://PEJL.example.dk", "internal:8080", true},
		{"http://pejl.example.dk", "internal:8080", false},
		{"https://pejl.example.dk:8443", "internal:8080", false},
		{"https://evil.example", "internal:8080", false},
		{"null", "internal:8080", false},
		// Finding 9: the Host header decided "same origin", and http and https were one.
		{"https://internal:8080", "internal:8080", false}, // a name in Host (DNS rebinding)
		{"http://internal:8080", "internal:8080", false},
		{"http://10.0.0.7:8080", "10.0.0.7:8080", true},   // a literal address, same scheme
		{"https://10.0.0.7:8080", "10.0.0.7:8080", false}, // https page, http connection
		{"http://localhost:8080", "localhost:8080", true},
		{"javascript:alert(1)", "internal:8080", false},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = tc.host
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := AllowedOrigin(r, allowed); got != tc.want {
			t.Errorf("AllowedOrigin(%q, host %q) = %v", tc.origin, tc.host, got)
		}
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []string{"10.0.0.0/8", "192.168.1.1"}
	cases := []struct {
		remote, xff, want string
	}{
		{"203.0.113.5:1234", "", "203.0.113.5"},
		{"203.0.113.5:1234", "1.2.3.4", "203.0.113.5"},
		{"10.0.0.1:1234", "1.2.3.4", "1.2.3.4"},
		{"10.0.0.1:1234", "6.6.6.6, 1.2.3.4", "1.2.3.4"},
		{"10.0.0.1:1234", "1.2.3.4, 192.168.1.1", "1.2.3.4"},
		{"10.0.0.1:1234", "", "10.0.0.1"},
		{"10.0.0.1:1234", "garbage", "10.0.0.1"},
		{"[2001:db8::1]:443", "1.2.3.4", "2001:db8::1"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := ClientAddr(r, trusted); got != tc.want {
			t.Errorf("ClientAddr(%s, %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// Finding: the shipped compose file trusted every address as a proxy, silently. Trusting
// everything is now warned about at start; a list of real proxies is not.
func TestTrustingEveryAddressIsWarnedAbout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		proxies []string
		warn    bool
	}{
		{[]string{"0.0.0.0/0"}, true},
		{[]string{"10.0.0.5", "::/0"}, true},
		{[]string{"172.28.0.10", "10.0.0.0/8"}, false},
		{nil, false},
	} {
		e := newEnv(t, func(c *Config) { c.TrustedProxies = tc.proxies })
		if got := strings.Contains(e.logs.String(), "trusts every address"); got != tc.warn {
			t.Errorf("proxies %v: warned %v, want %v (logs %q)", tc.proxies, got, tc.warn, e.logs.String())
		}
	}
}

// Finding: X-Forwarded-For rotated through the balancer escaped the limits. Behind a proxy
// that appends the real peer (HAProxy's option forwardfor), the addresses a client puts in
// front do not count: with only the balancer trusted, the limit holds.
func TestRotatedForwardedForThroughATrustedProxyIsLimited(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.TrustedProxies = []string{"127.0.0.2"} })
	limited := 0
	for i := range 40 {
		xff := fmt.Sprintf("203.0.113.%d, 198.51.100.9", i)
		w := e.do("GET", fmt.Sprintf("/api/v1/join/%d", 900000+i), nil, from("127.0.0.2:5000"), header("X-Forwarded-For", xff))
		if w.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 20 {
		t.Errorf("40 wrong codes with a rotating X-Forwarded-For: %d limited, want 20", limited)
	}
}

// Finding: no HSTS behind TLS, and /metrics open to anyone who reaches the server.
func TestHSTSAndMetricsToken(t *testing.T) {
	t.Parallel()
	plain := newEnv(t, func(c *Config) { c.Metrics = http.NotFoundHandler() })
	if h := plain.do("GET", "/healthz", nil).Header().Get("Strict-Transport-Security"); h != "" {
		t.Errorf("http public URL: Strict-Transport-Security %q, want none", h)
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "pejl_up 1\n") })
	e := newEnv(t, func(c *Config) { c.HSTS, c.Metrics, c.MetricsToken = true, metrics, "s3cret-metrics" })
	if h := e.do("GET", "/healthz", nil).Header().Get("Strict-Transport-Security"); h != "max-age=31536000" {
		t.Errorf("https public URL: Strict-Transport-Security %q", h)
	}
	wantError(t, e.do("GET", "/metrics", nil), http.StatusUnauthorized, forum.EUnauthenticated)
	wantError(t, e.do("GET", "/metrics", nil, bearer("wrong")), http.StatusUnauthorized, forum.EUnauthenticated)
	w := e.do("GET", "/metrics", nil, bearer("s3cret-metrics"))
	if w.Code != http.StatusOK || w.Body.String() != "pejl_up 1\n" {
		t.Errorf("metrics with the token: %d %q", w.Code, w.Body)
	}
}
