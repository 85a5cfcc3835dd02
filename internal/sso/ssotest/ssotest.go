// Package ssotest runs a real OpenID provider in the test process (zitadel's OpenID Provider
// package over its example in-memory storage), for tests of single sign-on: discovery,
// authorization code with PKCE, signed ID tokens, and a plain login form. It can be told to
// issue ID tokens for another audience.
package ssotest

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/crypto"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"
)

// User is a person the provider knows.
type User struct {
	Subject       string
	Username      string
	Password      string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
	Roles         []string
}

// Provider is a running OpenID provider on 127.0.0.1.
type Provider struct {
	// Issuer is the provider's URL, e.g. http://127.0.0.1:41234.
	Issuer       string
	ClientID     string
	ClientSecret string
	// WrongAudience makes every ID token from now on name another application as its
	// audience (signed with the provider's key all the same).
	WrongAudience atomic.Bool

	users map[string]*User // by subject
	srv   *http.Server
	ln    net.Listener
}

// Start runs a provider with one confidential web client ("pejl-test" with a secret) that
// may redirect to redirectURL, and the given users.
func Start(redirectURL string, users ...User) (*Provider, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Provider{Issuer: "http://" + ln.Addr().String(), ClientID: "pejl-test", ClientSecret: "test-secret-1234567890",
		users: map[string]*User{}, ln: ln}
	for i := range users {
		p.users[users[i].Subject] = &users[i]
	}
	st := &store{Storage: storage.NewStorageWithClients(userStore{p},
		map[string]*storage.Client{p.ClientID: storage.WebClient(p.ClientID, p.ClientSecret, redirectURL)}), p: p}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	prov, err := op.NewProvider(&op.Config{
		CryptoKey:          sha256.Sum256([]byte("pejl ssotest")),
		CodeMethodS256:     true,
		AuthMethodPost:     true,
		SupportedUILocales: []language.Tag{language.Danish, language.English},
	}, st, op.StaticIssuer(p.Issuer), op.WithAllowInsecure(), op.WithLogger(quiet))
	if err != nil {
		ln.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	login := op.NewIssuerInterceptor(prov.IssuerFromRequest).HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("authRequestID")
		if r.Method == http.MethodPost {
			if err := st.CheckUsernamePassword(r.FormValue("username"), r.FormValue("password"), id); err == nil {
				http.Redirect(w, r, op.AuthCallbackURL(prov)(r.Context(), id), http.StatusFound)
				return
			}
			w.WriteHeader(http.StatusUnauthorized)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><title>Test provider</title></head><body><main>
<h1>Test provider: log in</h1>
<form method="post" action="/login/username">
<input type="hidden" name="authRequestID" value="%s">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Log in</button>
</form></main></body></html>`, html.EscapeString(id))
	})
	mux.HandleFunc("/login/username", login)
	mux.Handle("/oauth/token", p.otherAudience(prov, st))
	mux.Handle("/", prov)
	p.srv = &http.Server{Handler: mux}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() { _ = p.srv.Close() }

// userStore is the example storage's view of p's users.
type userStore struct{ p *Provider }

func (u userStore) GetUserByID(id string) *storage.User {
	if x, ok := u.p.users[id]; ok {
		return x.example()
	}
	return nil
}

func (u userStore) GetUserByUsername(name string) *storage.User {
	for _, x := range u.p.users {
		if x.Username == name {
			return x.example()
		}
	}
	return nil
}

func (u userStore) ExampleClientID() string { return "service" }

func (x *User) example() *storage.User {
	return &storage.User{ID: x.Subject, Username: x.Username, Password: x.Password, FirstName: x.Name,
		Email: x.Email, EmailVerified: x.EmailVerified, PreferredLanguage: language.Danish}
}

// store is the example storage with the ID token carrying the profile, email, groups and
// roles claims, and the audience switch.
type store struct {
	*storage.Storage
	p *Provider
}

type claimsClient struct{ op.Client }

// IDTokenUserinfoClaimsAssertion puts the userinfo claims in the ID token, as Entra ID does.
func (claimsClient) IDTokenUserinfoClaimsAssertion() bool { return true }

func (s *store) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.Storage.GetClientByClientID(ctx, id)
	if err != nil {
		return nil, err
	}
	return claimsClient{c}, nil
}

func (s *store) SetUserinfoFromRequest(ctx context.Context, ui *oidc.UserInfo, tok op.IDTokenRequest, scopes []string) error {
	if err := s.Storage.SetUserinfoFromRequest(ctx, ui, tok, scopes); err != nil {
		return err
	}
	if u, ok := s.p.users[tok.GetSubject()]; ok {
		ui.Name = u.Name
		if len(u.Groups) > 0 {
			ui.AppendClaims("groups", u.Groups)
		}
		if len(u.Roles) > 0 {
			ui.AppendClaims("roles", u.Roles)
		}
	}
	return nil
}

// otherAudience serves the token endpoint; while WrongAudience is set it gives the ID token
// another audience (and authorized party) and signs it again with the provider's own key,
// as a token the provider issued to another application would be.
func (p *Provider) otherAudience(next http.Handler, st *store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.WrongAudience.Load() {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var resp map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &resp) != nil {
			copyResponse(w, rec)
			return
		}
		raw, _ := resp["id_token"].(string)
		parts := strings.Split(raw, ".")
		var claims map[string]any
		if len(parts) != 3 {
			copyResponse(w, rec)
			return
		}
		if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err != nil || json.Unmarshal(b, &claims) != nil {
			copyResponse(w, rec)
			return
		}
		claims["aud"], claims["azp"], claims["client_id"] = []string{"another-application"}, "another-application", "another-application"
		key, err := st.SigningKey(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		signer, err := op.SignerFromKey(key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if resp["id_token"], err = crypto.Sign(claims, signer); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
}

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
