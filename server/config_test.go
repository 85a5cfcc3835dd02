package main

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":8080" || cfg.PublicURL != "http://localhost:8080" || cfg.DataDir != "./data" ||
		cfg.Retention != 4320*time.Hour || cfg.AllowedOrigins[0] != "http://localhost:8080" || cfg.RedisURL != "" ||
		cfg.Location.String() != "Europe/Copenhagen" || cfg.RedisWaitReplicas != 0 || cfg.RedisWaitTimeout != 500*time.Millisecond {
		t.Fatalf("defaults: %+v", cfg)
	}
	cfg, err = loadConfig(env(map[string]string{"PEJL_ADDR": "127.0.0.1:9000", "PEJL_PUBLIC_URL": "https://pejl.example.dk/",
		"PEJL_ALLOWED_ORIGINS": "https://a.dk,https://b.dk", "PEJL_RETENTION": "24h", "PEJL_TIMEZONE": "America/New_York",
		"PEJL_REDIS_WAIT_REPLICAS": "1", "PEJL_REDIS_WAIT_TIMEOUT": "250ms"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "https://pejl.example.dk" || len(cfg.AllowedOrigins) != 2 || cfg.Retention != 24*time.Hour || cfg.Location.String() != "America/New_York" ||
		cfg.RedisWaitReplicas != 1 || cfg.RedisWaitTimeout != 250*time.Millisecond {
		t.Fatalf("parsed: %+v", cfg)
	}
	for _, bad := range []map[string]string{
		{"PEJL_PUBLIC_URL": "ftp://x"},
		{"PEJL_ADMIN_EMAIL": "a@b.dk"},
		{"PEJL_LOG_FORMAT": "xml"},
		{"PEJL_RETENTION": "soon"},
		{"PEJL_RETENTION": "-1h"},
		{"PEJL_TIMEZONE": "Mars/Olympus"},
		{"PEJL_REDIS_WAIT_REPLICAS": "-1"},
		{"PEJL_REDIS_WAIT_TIMEOUT": "0s"},
		{"PEJL_OIDC_ISSUER": "https://login.microsoftonline.com/t/v2.0"},
		{"PEJL_OIDC_ISSUER": "https://login.microsoftonline.com/t/v2.0", "PEJL_OIDC_CLIENT_ID": "c", "PEJL_OIDC_ADMIN_CLAIM": "roles"},
	} {
		if _, err := loadConfig(env(bad)); err == nil || !strings.Contains(err.Error(), "configuration") {
			t.Errorf("%v: err %v", bad, err)
		}
	}

	// Single sign-on: the redirect URL follows the public URL; lists are trimmed.
	cfg, err = loadConfig(env(map[string]string{"PEJL_PUBLIC_URL": "https://pejl.kommune.dk",
		"PEJL_OIDC_ISSUER": "https://login.microsoftonline.com/t/v2.0", "PEJL_OIDC_CLIENT_ID": "c", "PEJL_OIDC_CLIENT_SECRET": "s",
		"PEJL_OIDC_ALLOWED_DOMAINS": "kommune.dk, skole.kommune.dk", "PEJL_OIDC_ADMIN_CLAIM": "roles=Pejl.Admin"}))
	if err != nil {
		t.Fatal(err)
	}
	sc := cfg.OIDC.sso()
	if sc.RedirectURL != "https://pejl.kommune.dk/api/v1/auth/oidc/callback" || len(sc.AllowedDomains) != 2 || sc.AllowedDomains[1] != "skole.kommune.dk" ||
		sc.GroupsClaim != "groups" || sc.Label != "Microsoft" || !sc.Enabled() {
		t.Errorf("sso config %+v", sc)
	}
}
