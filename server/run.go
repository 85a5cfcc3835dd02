package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"pejl/frontend"
	"pejl/internal/export"
	"pejl/internal/forum"
	"pejl/internal/httpapi"
	"pejl/internal/live"
	"pejl/internal/memstore"
	"pejl/internal/redisstore"
	"pejl/internal/sso"
)

// devAdminEmail is the account made on a first start with no admin configured, so that a
// newcomer can log in at once; its password is printed once.
const devAdminEmail = "admin@pejl.local"

// run starts Pejl and serves until ctx ends, then shuts down in order: readiness off →
// stop accepting → sockets told to reconnect (spread out) → in-flight acks drained →
// engine closed.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if a := args[0]; a == "-h" || a == "--help" || a == "-help" {
			printUsage(stdout)
			return nil
		}
		return fmt.Errorf("unknown argument %q (configuration comes from environment variables; see -h)", args[0])
	}
	started := time.Now()
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	if cfg.Instance == "" {
		cfg.Instance, _ = os.Hostname()
		cfg.Instance += fmt.Sprintf("-%d", os.Getpid())
	}

	engine, engineName, err := openEngine(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := engine.Close(); err != nil {
			log.Error("closing the engine", "err", err)
		}
	}()

	svc := forum.NewService(engine, forum.Config{PublicURL: cfg.PublicURL, Retention: cfg.Retention, Logger: log, Location: cfg.Location,
		Limits: cfg.Limits.forum(), TokenLifetime: cfg.TokenLifetime, PasswordCost: cfg.PasswordCost})
	defer svc.Close()

	if err := bootstrapAdmin(ctx, cfg, svc, stdout); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	hub := live.New(live.Config{
		Service:     svc,
		Engine:      engine,
		Logger:      log,
		Instance:    cfg.Instance,
		CheckOrigin: func(r *http.Request) bool { return httpapi.AllowedOrigin(r, cfg.AllowedOrigins) },
		Registerer:  reg,
	})

	var draining atomic.Bool
	ready := func(ctx context.Context) error {
		if draining.Load() {
			return errors.New("draining")
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		return engine.Ping(pctx)
	}
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	if cfg.MetricsAddr != "" {
		msrv, err := serveMetrics(cfg, metrics, log)
		if err != nil {
			return err
		}
		defer msrv.Close()
		metrics = nil // only on its own listener
	}
	https := strings.HasPrefix(cfg.PublicURL, "https://")
	var provider *sso.Provider
	if cfg.OIDC.Issuer != "" {
		if provider, err = sso.New(cfg.OIDC.sso()); err != nil {
			return fmt.Errorf("single sign-on: %w", err)
		}
		log.Info("single sign-on with OpenID Connect", "issuer", cfg.OIDC.Issuer, "redirect_url", cfg.OIDC.RedirectURL,
			"allowed_domains", cfg.OIDC.AllowedDomains, "allowed_groups", cfg.OIDC.AllowedGroups)
		if len(cfg.OIDC.AllowedDomains) == 0 && len(cfg.OIDC.AllowedGroups) == 0 {
			log.Warn("single sign-on admits every account the issuer vouches for; set PEJL_OIDC_ALLOWED_DOMAINS or PEJL_OIDC_ALLOWED_GROUPS to narrow it")
		}
	}
	handler := httpapi.New(httpapi.Config{
		SSO:            provider,
		Service:        svc,
		Logger:         log,
		PublicURL:      cfg.PublicURL,
		AllowedOrigins: cfg.AllowedOrigins,
		TrustedProxies: cfg.TrustedProxies,
		SecureCookies:  https,
		HSTS:           https,
		Live:           hub,
		Exports:        exports(),
		Frontend:       frontend.FS(),
		Placeholder:    frontend.Placeholder(),
		Ready:          ready,
		Metrics:        metrics,
		MetricsToken:   cfg.MetricsToken,
		Registerer:     reg,
	})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (set PEJL_ADDR to another address)", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // exports of large sessions stream for a while
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	if cfg.DebugAddr != "" {
		dbg := &http.Server{Addr: cfg.DebugAddr, Handler: debugHandler(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := dbg.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Warn("debug listener", "addr", cfg.DebugAddr, "err", err)
			}
		}()
		defer dbg.Close()
	}

	bg, stopBG := context.WithCancel(context.Background())
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		sweepRetention(bg, svc, log)
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("pejl is ready", "url", cfg.PublicURL, "listen", ln.Addr().String(), "engine", engineName,
		"instance", cfg.Instance, "start", time.Since(started).Round(time.Millisecond).String())
	fmt.Fprintf(stdout, "Pejl is running on %s (listening on %s, engine: %s). Facilitators log in at %s/host\n",
		cfg.PublicURL, ln.Addr().String(), engineName, cfg.PublicURL)

	select {
	case err := <-serveErr:
		stopBG()
		<-sweepDone
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down")
	// Readiness off at once: load balancers see /readyz 503 and send nobody new, and the hub
	// refuses new sockets while it asks the open ones to reconnect (spread out in time).
	draining.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	hubDone := make(chan error, 1)
	go func() { hubDone <- hub.Shutdown(sctx) }()
	// Keep answering plain requests for a moment, so that health checks see the 503, then
	// stop accepting and finish what is in flight.
	select {
	case <-time.After(cfg.DrainDelay):
	case <-sctx.Done():
	}
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("http shutdown", "err", err)
	}
	if err := <-hubDone; err != nil {
		log.Warn("live shutdown", "err", err)
	}
	stopBG()
	<-sweepDone
	svc.Close()
	log.Info("stopped")
	return nil
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func openEngine(ctx context.Context, cfg Config, log *slog.Logger) (forum.Engine, string, error) {
	if cfg.RedisURL != "" {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		st, err := redisstore.New(octx, redisstore.Options{URL: cfg.RedisURL, Logger: log, Instance: cfg.Instance,
			WaitReplicas: cfg.RedisWaitReplicas, WaitTimeout: cfg.RedisWaitTimeout})
		if err != nil {
			return nil, "", fmt.Errorf("open the Redis engine (PEJL_REDIS_URL): %w", err)
		}
		return st, "redis", nil
	}
	st, err := memstore.Open(cfg.DataDir, memstore.Options{Logger: log})
	if err != nil {
		return nil, "", fmt.Errorf("open the embedded engine in %s (PEJL_DATA_DIR): %w", cfg.DataDir, err)
	}
	return st, "embedded", nil
}

// bootstrapAdmin makes sure the configured admin exists; with none configured and no admin
// at all, it makes a development admin and prints its password once.
func bootstrapAdmin(ctx context.Context, cfg Config, svc *forum.Service, stdout io.Writer) error {
	if cfg.AdminEmail != "" {
		if err := svc.EnsureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword); err != nil {
			return fmt.Errorf("PEJL_ADMIN_EMAIL/PEJL_ADMIN_PASSWORD: %w", err)
		}
		return nil
	}
	has, err := svc.HasAdmin(ctx)
	if err != nil {
		return fmt.Errorf("check for an admin account: %w", err)
	}
	if has {
		return nil
	}
	password := forum.NewID(10)
	created, err := svc.CreateFirstAdmin(ctx, devAdminEmail, password)
	if err != nil {
		return fmt.Errorf("create the first admin: %w", err)
	}
	if !created { // another instance starting at the same time made it and shows its password
		fmt.Fprintf(stdout, "\nNo admin was configured; another instance made %s and printed its one-time password.\n\n", devAdminEmail)
		return nil
	}
	fmt.Fprintf(stdout, "\nNo admin was configured, so Pejl made one. Log in at %s/host with\n"+
		"  E-mail:      %s\n  Adgangskode: %s\n"+
		"This password is shown only now. Set PEJL_ADMIN_EMAIL and PEJL_ADMIN_PASSWORD to choose your own.\n\n",
		cfg.PublicURL, devAdminEmail, password)
	return nil
}

// sweepRetention deletes expired sessions at start and then every hour.
func sweepRetention(ctx context.Context, svc *forum.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := svc.SweepExpired(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("retention sweep", "err", err)
		} else if n > 0 {
			log.Info("retention sweep deleted sessions", "sessions", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// exports wires package export's formats into the HTTP edge.
func exports() httpapi.Exports {
	return httpapi.Exports{
		VotesCSV: func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt httpapi.ExportOptions) error {
			return export.VotesCSV(ctx, w, svc, sess, export.CSVOptions{Semicolon: opt.Semicolon, Labels: !opt.IDs, Rows: opt.Rows})
		},
		CommentsCSV: func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt httpapi.ExportOptions) error {
			return export.CommentsCSV(ctx, w, svc, sess, export.CSVOptions{Semicolon: opt.Semicolon, Labels: !opt.IDs, Rows: opt.Rows})
		},
		AgreementsCSV: func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt httpapi.ExportOptions) error {
			return export.AgreementsCSV(ctx, w, svc, sess, export.CSVOptions{Semicolon: opt.Semicolon, Labels: !opt.IDs})
		},
		XLSX: func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt httpapi.ExportOptions) error {
			return export.XLSX(ctx, w, svc, sess, opt.Rows)
		},
		PDF: func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt httpapi.ExportOptions) error {
			return export.PDFWith(ctx, w, svc, sess, export.PDFOptions{OmitUnused: opt.OmitUnused})
		},
		JSON: func(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt httpapi.ExportOptions) error {
			return export.JSON(ctx, w, svc, sess, opt.Rows)
		},
		ComparisonXLSX: export.ComparisonXLSX,
	}
}

// serveMetrics serves /metrics on PEJL_METRICS_ADDR, behind PEJL_METRICS_TOKEN when set.
func serveMetrics(cfg Config, metrics http.Handler, log *slog.Logger) (*http.Server, error) {
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w (set PEJL_METRICS_ADDR to another address)", cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cfg.MetricsToken != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+cfg.MetricsToken)) != 1 {
			http.Error(w, "send the metrics token as Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
		metrics.ServeHTTP(w, r)
	}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics listener", "addr", cfg.MetricsAddr, "err", err)
		}
	}()
	return srv, nil
}

// debugHandler serves Go's profiler, for PEJL_DEBUG_ADDR only.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
