package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"pejl/internal/forum"
)

// contentSecurityPolicy allows nothing inline and nothing from another origin.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// securityHeaders sets the security headers on every response (with hsts, Strict-Transport-
// Security for a year), and the caching policy by path: never cache the API, cache hashed
// assets for a year, revalidate everything else.
func securityHeaders(hsts bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		if hsts {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		p := c.Request.URL.Path
		switch {
		case isAPI(p) || p == "/metrics" || p == "/healthz" || p == "/readyz":
			h.Set("Cache-Control", "no-store")
		case strings.HasPrefix(p, "/assets/"):
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		default:
			h.Set("Cache-Control", "no-cache")
		}
		c.Next()
	}
}

// requestMetrics counts requests by route template, method and status, and times them.
type requestMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newRequestMetrics(reg prometheus.Registerer, log *slog.Logger) *requestMetrics {
	if reg == nil {
		return nil
	}
	m := &requestMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pejl_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pejl_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests (WebSocket routes excluded), by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
	}
	m.requests = register(reg, m.requests, log)
	m.duration = register(reg, m.duration, log)
	return m
}

// register registers c, or reuses the collector already registered under its name (when
// New is called twice with one registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C, log *slog.Logger) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		log.Error("registering HTTP metrics", "err", err)
	}
	return c
}

var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// observe records metrics for each request and logs it at debug level. It names the route
// template, never the client: no address, no user agent.
func (a *api) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := routeOf(c)
		method := c.Request.Method
		if !knownMethods[method] {
			method = "OTHER"
		}
		status := c.Writer.Status()
		d := time.Since(start)
		if a.metrics != nil {
			a.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
			if !strings.HasSuffix(route, "/live") {
				a.metrics.duration.WithLabelValues(route, method).Observe(d.Seconds())
			}
		}
		if a.log.Enabled(c.Request.Context(), slog.LevelDebug) {
			a.log.Debug("http request", "method", method, "route", route, "status", status, "duration", d)
		}
	}
}

// sessionCookie is the name of the login cookie.
const sessionCookie = "pejl_session"

// bearerToken returns the token of an "Authorization: Bearer …" header, and whether the
// request has an Authorization header at all.
func bearerToken(r *http.Request) (token string, present bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", true
	}
	return strings.TrimSpace(tok), true
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// crossOrigin guards cookie-authenticated state-changing requests against cross-site
// request forgery: they must come from an allowed Origin (or, without an Origin, a
// Sec-Fetch-Site of same-origin or none). Bearer-token requests are exempt; the login
// request is refused only when it names a foreign Origin.
func (a *api) crossOrigin() gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		if safeMethod(r.Method) {
			c.Next()
			return
		}
		if _, present := bearerToken(r); present {
			c.Next()
			return
		}
		forbidden := false
		if r.URL.Path == loginPath {
			forbidden = !AllowedOrigin(r, a.allowedOrigins)
		} else if _, err := r.Cookie(sessionCookie); err == nil {
			forbidden = !a.browserSameOrigin(r)
		}
		if forbidden {
			writeError(c, http.StatusForbidden, forum.EForbidden,
				"This request came from a page that is not allowed to act here (Origin check). Use Pejl's own pages, or an API token.", nil)
			return
		}
		c.Next()
	}
}

// authenticate finds the user behind the request's bearer token or login cookie.
func (a *api) authenticate(r *http.Request) (*forum.User, error) {
	u, _, err := a.credential(r)
	return u, err
}

// credential is authenticate that also returns what the request authenticated with.
func (a *api) credential(r *http.Request) (*forum.User, forum.Credential, error) {
	if tok, present := bearerToken(r); present {
		if tok == "" {
			return nil, forum.Credential{}, errorf(forum.EUnauthenticated, "Send the token as \"Authorization: Bearer <token>\".")
		}
		u, err := a.svc.UserByToken(r.Context(), tok)
		return u, forum.TokenCredential(tok), err
	}
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, forum.Credential{}, errorf(forum.EUnauthenticated, "Log in first.")
	}
	u, err := a.svc.UserByLogin(r.Context(), ck.Value)
	return u, forum.LoginCredential(ck.Value), err
}

// requireUser lets only authenticated facilitators through and keeps the user for
// actorFrom.
func (a *api) requireUser() gin.HandlerFunc {
	return func(c *gin.Context) {
		u, err := a.authenticate(c.Request)
		if err != nil {
			a.fail(c, err)
			return
		}
		c.Set(actorKey, u)
		c.Next()
	}
}
