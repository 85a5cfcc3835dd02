// Package sso logs facilitators in with OpenID Connect (Microsoft Entra ID, or any OpenID
// provider): the authorization code flow with PKCE, a state and a nonce. It speaks to the
// provider (discovery, the token endpoint, the signing keys) and reads the verified ID
// token's claims into a forum.Identity; the rules about accounts live in forum.SSOLogin.
package sso

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"pejl/internal/forum"
)

// PendingLifetime is how long a started login may take at the provider.
const PendingLifetime = 10 * time.Minute

// Config is the single sign-on configuration (PEJL_OIDC_* in the server).
type Config struct {
	// Issuer is the provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0.
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this server's callback: <public URL>/api/v1/auth/oidc/callback.
	RedirectURL string
	// Scopes asked for besides "openid"; default "email profile".
	Scopes []string
	// AllowedDomains and AllowedGroups restrict who may log in (forum.SSOPolicy).
	AllowedDomains []string
	AllowedGroups  []string
	// GroupsClaim names the claim that lists the person's groups; default "groups".
	GroupsClaim string
	// AdminClaim, "claim=value" (e.g. "roles=Pejl.Admin" or "groups=<object id>"), makes an
	// admin of whoever has that value in that claim (a string or a list); the role then
	// follows the claim at every login. Empty: roles are managed in Pejl.
	AdminClaim string
	// Label is the login button's name of the provider, e.g. "Microsoft"; default none.
	Label string
	// HTTPClient speaks to the provider; default http.DefaultClient with a 15 s timeout.
	HTTPClient *http.Client
}

// Enabled reports whether single sign-on is configured.
func (c Config) Enabled() bool { return c.Issuer != "" }

// Check reports what is missing or wrong in an enabled configuration.
func (c Config) Check() error {
	if !c.Enabled() {
		return nil
	}
	var missing []string
	if c.ClientID == "" {
		missing = append(missing, "PEJL_OIDC_CLIENT_ID")
	}
	if c.RedirectURL == "" {
		missing = append(missing, "PEJL_OIDC_REDIRECT_URL (or PEJL_PUBLIC_URL)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("PEJL_OIDC_ISSUER is set but %s is not", strings.Join(missing, " and "))
	}
	for _, u := range []string{c.Issuer, c.RedirectURL} {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			return fmt.Errorf("%q is not an http(s) URL", u)
		}
	}
	if c.AdminClaim != "" {
		if k, v, ok := strings.Cut(c.AdminClaim, "="); !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return fmt.Errorf("PEJL_OIDC_ADMIN_CLAIM %q must be claim=value, e.g. roles=Pejl.Admin", c.AdminClaim)
		}
	}
	return nil
}

// Provider is a configured OpenID provider. Discovery happens on first use (and is tried
// again after a failure), so a provider that is down at start does not stop the server.
type Provider struct {
	cfg  Config
	mu   sync.Mutex
	op   *oidc.Provider
	auth oauth2.Config
}

// New makes a Provider; cfg must pass Check.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"email", "profile"}
	}
	if cfg.GroupsClaim == "" {
		cfg.GroupsClaim = "groups"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	return &Provider{cfg: cfg}, nil
}

// Label names the provider on the login button ("" for none).
func (p *Provider) Label() string { return p.cfg.Label }

// Policy is who may log in.
func (p *Provider) Policy() forum.SSOPolicy {
	return forum.SSOPolicy{AllowedDomains: p.cfg.AllowedDomains, AllowedGroups: p.cfg.AllowedGroups}
}

func (p *Provider) ctx(ctx context.Context) context.Context {
	ctx = oidc.ClientContext(ctx, p.cfg.HTTPClient)
	return context.WithValue(ctx, oauth2.HTTPClient, p.cfg.HTTPClient)
}

// discover returns the provider's metadata, fetching it on first use.
func (p *Provider) discover(ctx context.Context) (*oidc.Provider, oauth2.Config, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.op != nil {
		return p.op, p.auth, nil
	}
	op, err := oidc.NewProvider(p.ctx(ctx), p.cfg.Issuer)
	if err != nil {
		return nil, oauth2.Config{}, fmt.Errorf("sso: discovery at %s: %w", p.cfg.Issuer, err)
	}
	p.op = op
	p.auth = oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: p.cfg.RedirectURL,
		Endpoint: op.Endpoint(), Scopes: append([]string{oidc.ScopeOpenID}, p.cfg.Scopes...),
	}
	return p.op, p.auth, nil
}

// Pending is a started login, kept by the browser (in a cookie) until the callback.
type Pending struct {
	State    string    `json:"s"`
	Nonce    string    `json:"n"`
	Verifier string    `json:"v"`
	Next     string    `json:"r,omitempty"`
	Expires  time.Time `json:"e"`
}

// Encode is the cookie value.
func (pd Pending) Encode() string {
	b, _ := json.Marshal(pd)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodePending reads a cookie value; ok is false for anything malformed or expired.
func DecodePending(v string, now time.Time) (Pending, bool) {
	var pd Pending
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) > 4096 || json.Unmarshal(b, &pd) != nil {
		return Pending{}, false
	}
	if pd.State == "" || pd.Nonce == "" || pd.Verifier == "" || !now.Before(pd.Expires) {
		return Pending{}, false
	}
	return pd, true
}

func random() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Start begins a login: the URL to send the browser to, and what to keep until the callback.
// next is where to go after the login (a path of this server; checked by the caller).
func (p *Provider) Start(ctx context.Context, next string, now time.Time) (string, Pending, error) {
	_, auth, err := p.discover(ctx)
	if err != nil {
		return "", Pending{}, err
	}
	pd := Pending{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next, Expires: now.Add(PendingLifetime)}
	u := auth.AuthCodeURL(pd.State, oidc.Nonce(pd.Nonce), oauth2.S256ChallengeOption(pd.Verifier))
	return u, pd, nil
}

// ErrLogin is a login the provider or its token did not vouch for (a wrong audience, issuer,
// nonce, signature, an expired token, a code the provider refused). The cause is wrapped.
var ErrLogin = errors.New("sso: the login could not be verified")

// Finish ends a login at the callback: it exchanges the code (with the PKCE verifier),
// verifies the ID token (signature, issuer, audience = our client id, expiry, nonce) and
// returns the identity. The caller has checked the state against pd and claimed it once.
func (p *Provider) Finish(ctx context.Context, pd Pending, code string) (forum.Identity, error) {
	op, auth, err := p.discover(ctx)
	if err != nil {
		return forum.Identity{}, err
	}
	ctx = p.ctx(ctx)
	tok, err := auth.Exchange(ctx, code, oauth2.VerifierOption(pd.Verifier))
	if err != nil {
		return forum.Identity{}, fmt.Errorf("%w: the code exchange: %w", ErrLogin, err)
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return forum.Identity{}, fmt.Errorf("%w: the provider sent no ID token", ErrLogin)
	}
	idt, err := op.Verifier(&oidc.Config{ClientID: p.cfg.ClientID}).Verify(ctx, raw)
	if err != nil {
		return forum.Identity{}, fmt.Errorf("%w: %w", ErrLogin, err)
	}
	if idt.Nonce != pd.Nonce {
		return forum.Identity{}, fmt.Errorf("%w: the nonce does not match", ErrLogin)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return forum.Identity{}, fmt.Errorf("%w: the claims: %w", ErrLogin, err)
	}
	return p.identity(idt.Issuer, idt.Subject, claims), nil
}

// identity reads the claims Pejl uses.
func (p *Provider) identity(issuer, subject string, claims map[string]any) forum.Identity {
	str := func(k string) string { s, _ := claims[k].(string); return strings.TrimSpace(s) }
	id := forum.Identity{Issuer: issuer, Subject: subject, Name: str("name"), Email: str("email"),
		Groups: strs(claims[p.cfg.GroupsClaim])}
	if id.Email == "" { // Entra ID without the optional email claim: the UPN is the address
		for _, k := range []string{"preferred_username", "upn"} {
			if v := str(k); strings.Contains(v, "@") {
				id.Email = v
				break
			}
		}
	}
	switch v := claims["email_verified"].(type) {
	case bool:
		id.EmailVerified = &v
	case string: // some providers send "true"/"false"
		b := v == "true"
		id.EmailVerified = &b
	}
	if k, v, ok := strings.Cut(p.cfg.AdminClaim, "="); ok {
		admin := slices.Contains(strs(claims[strings.TrimSpace(k)]), strings.TrimSpace(v))
		id.Admin = &admin
	}
	return id
}

// strs reads a claim that is a string or a list of strings.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
