// Package httpapi is Pejl's HTTP edge: the REST API of spec/api-v1.md (plus
// the additions in docs/api.md), the pages of the embedded frontend, and the operational endpoints.
// It is built with Gin, and Gin stops here: handlers bind the request, call forum.Service,
// and render; every rule lives in the Service. Every route is listed in routes.go; forum
// error codes are mapped to HTTP statuses once, in errors.go.
package httpapi

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"pejl/internal/forum"
	"pejl/internal/sso"
)

// Live serves the WebSocket routes; package live implements it. httpapi has already checked
// the Origin (and, for a facilitator, authenticated the user and checked their access to the
// session) before it calls either method.
type Live interface {
	// ServeParticipant upgrades a phone's connection for the session with that join code.
	ServeParticipant(w http.ResponseWriter, r *http.Request, code string)
	// ServeFacilitator upgrades a facilitator's (or presenter screen's) connection.
	ServeFacilitator(w http.ResponseWriter, r *http.Request, user *forum.User, sessionID string)
}

// Config is what the HTTP edge needs. Only Service is required.
type Config struct {
	// Service holds every rule; required.
	Service *forum.Service
	// Logger receives errors (each logged once, where handled); default slog.Default().
	Logger *slog.Logger
	// PublicURL is the server's public base URL, e.g. "http://localhost:8080".
	PublicURL string
	// AllowedOrigins are the origins browsers may send state-changing requests and socket
	// upgrades from; default: PublicURL's origin. A request whose Origin's host equals its
	// Host is same-origin and always allowed.
	AllowedOrigins []string
	// TrustedProxies are IPs or CIDRs whose X-Forwarded-For is believed; default none (the
	// client address is the connection's peer).
	TrustedProxies []string
	// SecureCookies sets Secure on the login cookie; set it when PublicURL is https.
	SecureCookies bool
	// Live serves the WebSocket routes; nil answers them 503 (for tests).
	Live Live
	// Exports writes the export formats; nil functions answer 501.
	Exports Exports
	// Frontend is the built frontend (index.html, host.html, present.html, assets/…); it may
	// lack any of them, or be nil.
	Frontend fs.FS
	// Placeholder is served (200, text/html) for page routes whose HTML the frontend lacks;
	// default a small built-in page.
	Placeholder []byte
	// Ready reports readiness for /readyz (nil error = ready); default: the engine's Ping.
	Ready func(ctx context.Context) error
	// Metrics is served at /metrics (the Prometheus handler); nil answers 404.
	Metrics http.Handler
	// MetricsToken, when set, is the bearer token /metrics requires.
	MetricsToken string
	// HSTS sends Strict-Transport-Security (set it when PublicURL is https).
	HSTS bool
	// Registerer receives the request metrics; nil records none.
	Registerer prometheus.Registerer
	// Version is reported by GET /api/v1/config; default the module's build version.
	Version string
	// SSO is the OpenID provider facilitators may log in with; nil for none.
	SSO *sso.Provider
}

// api is the HTTP edge's state: its dependencies, closed over by the handler makers.
type api struct {
	svc            *forum.Service
	log            *slog.Logger
	cfg            Config
	allowedOrigins []string
	trusted        proxies
	live           Live
	exports        Exports
	metrics        *requestMetrics
	engine         *gin.Engine
}

var setModeOnce sync.Once

// New returns the HTTP handler for the whole server: API, pages, health and metrics.
func New(cfg Config) http.Handler {
	return newAPI(cfg).engine
}

func newAPI(cfg Config) *api {
	setModeOnce.Do(func() { gin.SetMode(gin.ReleaseMode) })
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if len(cfg.Placeholder) == 0 {
		cfg.Placeholder = defaultPlaceholder
	}
	if cfg.Version == "" {
		cfg.Version = buildVersion()
	}
	a := &api{
		svc:            cfg.Service,
		log:            cfg.Logger,
		cfg:            cfg,
		allowedOrigins: AllowedOrigins(cfg.PublicURL, cfg.AllowedOrigins),
		live:           cfg.Live,
		exports:        cfg.Exports,
	}
	var bad []string
	a.trusted, bad = parseProxies(cfg.TrustedProxies)
	for _, b := range bad {
		a.log.Error("ignoring an invalid trusted proxy; give an IP address or a CIDR", "proxy", b)
	}
	for _, p := range a.trusted {
		if p.Bits() == 0 {
			a.log.Warn("PEJL_TRUSTED_PROXIES trusts every address, so any client can choose the address "+
				"that login and join limits count (X-Forwarded-For); list only your load balancers' addresses", "proxy", p.String())
		}
	}
	a.metrics = newRequestMetrics(cfg.Registerer, a.log)

	e := gin.New()
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.HandleMethodNotAllowed = true
	e.ForwardedByClientIP = true
	e.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := e.SetTrustedProxies(a.trusted.list()); err != nil {
		a.log.Error("setting trusted proxies", "err", err)
	}
	a.engine = e
	a.routes(e)
	return a
}

func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// actorKey is where the authenticated user is kept in the request's gin context.
const actorKey = "pejl.actor"

// actorFrom returns the authenticated user of a request that passed requireUser, or nil.
func actorFrom(c *gin.Context) *forum.User {
	if v, ok := c.Get(actorKey); ok {
		u, _ := v.(*forum.User)
		return u
	}
	return nil
}

var defaultPlaceholder = []byte(`<!doctype html>
<html lang="da"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pejl</title></head><body><main><h1>Pejl</h1>
<p>Brugerfladen er ikke bygget endnu. Kør <code>make build</code> og start serveren igen.</p>
</main></body></html>
`)
