package main

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"pejl/internal/forum"
	"pejl/internal/sso"
)

// Config is Pejl's configuration, read from environment variables. Every field is
// documented in the README with its default.
type Config struct {
	// Addr is the address to listen on.
	Addr string `env:"PEJL_ADDR" envDefault:":8080"`
	// PublicURL is the base URL phones and browsers use (join links, QR codes, Origin).
	// Empty means http://localhost:<port of Addr>.
	PublicURL string `env:"PEJL_PUBLIC_URL"`
	// DataDir is where the embedded engine keeps its journal.
	DataDir string `env:"PEJL_DATA_DIR" envDefault:"./data"`
	// RedisURL selects the Redis engine (redis://, rediss://); empty = embedded engine.
	RedisURL string `env:"PEJL_REDIS_URL"`
	// RedisWaitReplicas, above 0, makes every write acknowledged to a client wait until
	// that many replicas of its Redis master have it (WAIT); 0 = off (docs/operations.md).
	RedisWaitReplicas int `env:"PEJL_REDIS_WAIT_REPLICAS" envDefault:"0"`
	// RedisWaitTimeout bounds that wait; past it the write is answered unavailable. It must
	// be below the read timeout (1s unless PEJL_REDIS_URL sets read_timeout).
	RedisWaitTimeout time.Duration `env:"PEJL_REDIS_WAIT_TIMEOUT" envDefault:"500ms"`
	// AdminEmail and AdminPassword make sure this admin account exists at start.
	AdminEmail    string `env:"PEJL_ADMIN_EMAIL"`
	AdminPassword string `env:"PEJL_ADMIN_PASSWORD"`
	// AllowedOrigins are the origins browsers may call from (comma-separated); default the
	// public URL's origin.
	AllowedOrigins []string `env:"PEJL_ALLOWED_ORIGINS" envSeparator:","`
	// TrustedProxies are the addresses/CIDRs whose X-Forwarded-For is believed.
	TrustedProxies []string `env:"PEJL_TRUSTED_PROXIES" envSeparator:","`
	// LogFormat is text or json.
	LogFormat string `env:"PEJL_LOG_FORMAT" envDefault:"text"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `env:"PEJL_LOG_LEVEL" envDefault:"info"`
	// Retention is how long sessions are kept; then they are deleted with everything in them.
	Retention time.Duration `env:"PEJL_RETENTION" envDefault:"4320h"`
	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration `env:"PEJL_SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// DrainDelay is how long a stopping instance keeps answering (with /readyz 503) before
	// it stops accepting connections, so that load balancers notice.
	DrainDelay time.Duration `env:"PEJL_DRAIN_DELAY" envDefault:"2s"`
	// DebugAddr, when set, serves Go's profiler (net/http/pprof) on its own listener; keep
	// it on loopback. Empty = off.
	DebugAddr string `env:"PEJL_DEBUG_ADDR"`
	// Instance names this process among several (presence, logs); default the host name.
	Instance string `env:"PEJL_INSTANCE"`
	// Timezone is the IANA zone people read times in: every export writes local times with
	// their offset, and file names carry the local date.
	Timezone string `env:"PEJL_TIMEZONE" envDefault:"Europe/Copenhagen"`
	// Location is Timezone, loaded.
	Location *time.Location `env:"-"`
	// MetricsAddr, when set, serves /metrics on its own listener (and not on Addr).
	MetricsAddr string `env:"PEJL_METRICS_ADDR"`
	// MetricsToken, when set, is the bearer token /metrics asks for.
	MetricsToken string `env:"PEJL_METRICS_TOKEN"`
	// PasswordCost is the bcrypt cost of new password hashes (10–15; lower only in tests).
	PasswordCost int `env:"PEJL_PASSWORD_COST" envDefault:"11"`
	// TokenLifetime is how long a new API token is valid; 0 = until it is deleted.
	TokenLifetime time.Duration `env:"PEJL_TOKEN_LIFETIME" envDefault:"0"`
	// Limits bound load per account, client address, participant and session
	// (docs/operations.md lists them).
	Limits LimitsConfig
	// OIDC is single sign-on (off unless PEJL_OIDC_ISSUER is set).
	OIDC OIDCConfig
}

// OIDCConfig is single sign-on with OpenID Connect (docs/operations.md).
type OIDCConfig struct {
	Issuer       string `env:"PEJL_OIDC_ISSUER"`
	ClientID     string `env:"PEJL_OIDC_CLIENT_ID"`
	ClientSecret string `env:"PEJL_OIDC_CLIENT_SECRET"`
	// RedirectURL defaults to PEJL_PUBLIC_URL + /api/v1/auth/oidc/callback.
	RedirectURL    string   `env:"PEJL_OIDC_REDIRECT_URL"`
	AllowedDomains []string `env:"PEJL_OIDC_ALLOWED_DOMAINS" envSeparator:","`
	AllowedGroups  []string `env:"PEJL_OIDC_ALLOWED_GROUPS" envSeparator:","`
	GroupsClaim    string   `env:"PEJL_OIDC_GROUPS_CLAIM" envDefault:"groups"`
	AdminClaim     string   `env:"PEJL_OIDC_ADMIN_CLAIM"`
	Scopes         []string `env:"PEJL_OIDC_SCOPES" envSeparator:" "`
	Label          string   `env:"PEJL_OIDC_LABEL" envDefault:"Microsoft"`
}

// sso is the sso package's configuration.
func (o OIDCConfig) sso() sso.Config {
	trim := func(in []string) []string {
		var out []string
		for _, s := range in {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return sso.Config{Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: o.ClientSecret, RedirectURL: o.RedirectURL,
		Scopes: trim(o.Scopes), AllowedDomains: trim(o.AllowedDomains), AllowedGroups: trim(o.AllowedGroups),
		GroupsClaim: o.GroupsClaim, AdminClaim: o.AdminClaim, Label: strings.TrimSpace(o.Label)}
}

// LimitsConfig is forum.Limits from the environment; 0 takes the default.
type LimitsConfig struct {
	LoginPerAccount           int           `env:"PEJL_LIMIT_LOGIN_PER_ACCOUNT"`
	LoginPerAddress           int           `env:"PEJL_LIMIT_LOGIN_PER_ADDRESS"`
	LoginWindow               time.Duration `env:"PEJL_LIMIT_LOGIN_WINDOW"`
	JoinGuessesPerAddress     int           `env:"PEJL_LIMIT_JOIN_GUESSES_PER_ADDRESS"`
	NewParticipantsPerAddress int           `env:"PEJL_LIMIT_NEW_PARTICIPANTS_PER_ADDRESS"`
	ParticipantsPerSession    int           `env:"PEJL_LIMIT_PARTICIPANTS_PER_SESSION"`
	// SurveyParticipantsPerSession bounds a self-paced session (a survey) instead.
	SurveyParticipantsPerSession int           `env:"PEJL_LIMIT_SURVEY_PARTICIPANTS_PER_SESSION"`
	CommentsPerParticipant       int           `env:"PEJL_LIMIT_COMMENTS_PER_PARTICIPANT"`
	CommentsPerSession           int           `env:"PEJL_LIMIT_COMMENTS_PER_SESSION"`
	WordsPerActivity             int           `env:"PEJL_LIMIT_WORDS_PER_ACTIVITY"`
	AddressKeyRotation           time.Duration `env:"PEJL_ADDRESS_KEY_ROTATION"`
}

// forum returns the limits for forum.Config.
func (l LimitsConfig) forum() forum.Limits { return forum.Limits(l) }

func loadConfig(getenv func(string) string) (Config, error) {
	var cfg Config
	vars := map[string]string{}
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	for _, p := range params {
		if v := getenv(p.Key); v != "" {
			vars[p.Key] = v
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	if cfg.PublicURL == "" {
		port := "8080"
		if i := strings.LastIndex(cfg.Addr, ":"); i >= 0 && i < len(cfg.Addr)-1 {
			port = cfg.Addr[i+1:]
		}
		cfg.PublicURL = "http://localhost:" + port
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("configuration: PEJL_PUBLIC_URL %q must be an http(s) URL such as https://pejl.example.dk", cfg.PublicURL)
	}
	if len(cfg.AllowedOrigins) == 0 {
		cfg.AllowedOrigins = []string{u.Scheme + "://" + u.Host}
	}
	if (cfg.AdminEmail == "") != (cfg.AdminPassword == "") {
		return cfg, fmt.Errorf("configuration: set both PEJL_ADMIN_EMAIL and PEJL_ADMIN_PASSWORD, or neither")
	}
	switch cfg.LogFormat {
	case "text", "json":
	default:
		return cfg, fmt.Errorf("configuration: PEJL_LOG_FORMAT must be text or json, not %q", cfg.LogFormat)
	}
	if cfg.PasswordCost < 4 || cfg.PasswordCost > 15 {
		return cfg, fmt.Errorf("configuration: PEJL_PASSWORD_COST must be 10 to 15 (lower only in tests)")
	}
	if cfg.RedisWaitReplicas < 0 {
		return cfg, fmt.Errorf("configuration: PEJL_REDIS_WAIT_REPLICAS must be 0 (off) or a number of replicas")
	}
	if cfg.RedisWaitTimeout <= 0 {
		return cfg, fmt.Errorf("configuration: PEJL_REDIS_WAIT_TIMEOUT must be above 0 (e.g. 500ms) and below Redis's read timeout (1s)")
	}
	if cfg.Retention <= 0 {
		return cfg, fmt.Errorf("configuration: PEJL_RETENTION must be positive (e.g. 4320h)")
	}
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil || cfg.Timezone == "" || cfg.Timezone == "Local" {
		return cfg, fmt.Errorf("configuration: PEJL_TIMEZONE %q is not a time zone such as Europe/Copenhagen", cfg.Timezone)
	}
	cfg.Location = loc
	if cfg.OIDC.Issuer != "" && cfg.OIDC.RedirectURL == "" {
		cfg.OIDC.RedirectURL = cfg.PublicURL + "/api/v1/auth/oidc/callback"
	}
	if err := cfg.OIDC.sso().Check(); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}
