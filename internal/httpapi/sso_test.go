package httpapi

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"pejl/internal/forum"
	"pejl/internal/sso"
	"pejl/internal/sso/ssotest"
)

const ssoCallback = publicURL + "/api/v1/auth/oidc/callback"

// ssoEnv is Pejl configured for single sign-on against a real OpenID provider running in
// this process.
func ssoEnv(t *testing.T) (*testEnv, *ssotest.Provider) {
	t.Helper()
	op, err := ssotest.Start(ssoCallback,
		ssotest.User{Subject: "sub-mette", Username: "mette", Password: "pw-mette", Email: "mette@kommune.test", EmailVerified: true,
			Name: "Mette Hansen", Roles: []string{"Pejl.Admin"}},
		ssotest.User{Subject: "sub-ole", Username: "ole", Password: "pw-ole", Email: "ole@kommune.test", EmailVerified: true, Name: "Ole"},
		ssotest.User{Subject: "sub-eve", Username: "eve", Password: "pw-eve", Email: "eve@elsewhere.test", EmailVerified: true, Name: "Eve"},
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	p, err := sso.New(sso.Config{Issuer: op.Issuer, ClientID: op.ClientID, ClientSecret: op.ClientSecret,
		RedirectURL: ssoCallback, AllowedDomains: []string{"kommune.test"}, AdminClaim: "roles=Pejl.Admin", Label: "Microsoft"})
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, func(c *Config) { c.SSO = p }), op
}

// ssoStart starts a login at Pejl and logs in at the provider's form; it returns the
// callback's query (code and state) and the cookie Pejl set for the started login.
func ssoStart(t *testing.T, e *testEnv, op *ssotest.Provider, user, password string) (string, *http.Cookie) {
	t.Helper()
	w := e.do("GET", "/api/v1/auth/oidc/login?next=/host/s/abc", nil)
	wantStatus(t, w, http.StatusFound)
	to, err := url.Parse(w.Header().Get("Location"))
	if err != nil || !strings.HasPrefix(to.String(), op.Issuer) {
		t.Fatalf("login redirects to %q, want the provider", to)
	}
	q := to.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" ||
		q.Get("client_id") != op.ClientID || q.Get("redirect_uri") != ssoCallback || !strings.Contains(q.Get("scope"), "openid") {
		t.Fatalf("authorization request %v lacks PKCE, state, nonce or the client", q)
	}
	var pending *http.Cookie
	for _, ck := range w.Result().Cookies() {
		if ck.Name == ssoCookie && ck.HttpOnly && ck.Path == ssoCookiePath {
			pending = ck
		}
	}
	if pending == nil {
		t.Fatalf("no HttpOnly %s cookie for the callback: %v", ssoCookie, w.Result().Cookies())
	}

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	next := func(resp *http.Response, err error) *url.URL {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d, want a redirect", resp.Request.URL, resp.StatusCode)
		}
		loc, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	form := next(browser.Get(to.String()))
	id := form.Query().Get("authRequestID")
	back := next(browser.PostForm(op.Issuer+"/login/username", url.Values{"authRequestID": {id}, "username": {user}, "password": {password}}))
	cb := next(browser.Get(back.String()))
	if !strings.HasPrefix(cb.String(), ssoCallback+"?") {
		t.Fatalf("the provider sends the browser to %q, want the callback", cb)
	}
	return cb.RawQuery, pending
}

func withCookie(ck *http.Cookie) opt { return func(r *http.Request) { r.AddCookie(ck) } }

// callback calls Pejl's callback and returns where it redirects and the login cookie, if any.
func ssoCallbackAt(t *testing.T, e *testEnv, query string, opts ...opt) (string, string) {
	t.Helper()
	w := e.do("GET", "/api/v1/auth/oidc/callback?"+query, nil, opts...)
	wantStatus(t, w, http.StatusFound)
	login := ""
	for _, ck := range w.Result().Cookies() {
		if ck.Name == sessionCookie && ck.MaxAge > 0 {
			login = ck.Value
		}
	}
	return w.Header().Get("Location"), login
}

// TestSSOLogin: against a real OpenID provider in the process, a login succeeds and makes an
// account (an admin through the roles claim); a replayed state, an ID token for another
// audience, a person outside the allowed domain, a state from another browser and a callback
// without the started login are refused, and none of them logs anyone in.
func TestSSOLogin(t *testing.T) {
	e, op := ssoEnv(t)

	w := e.do("GET", "/api/v1/config", nil)
	var cfg struct {
		SSO *struct {
			LoginURL string `json:"login_url"`
			Label    string `json:"label"`
		} `json:"sso"`
	}
	mustJSON(t, w, &cfg)
	if cfg.SSO == nil || cfg.SSO.LoginURL != "/api/v1/auth/oidc/login" || cfg.SSO.Label != "Microsoft" {
		t.Errorf("config sso = %+v", cfg.SSO)
	}

	// Success: back where the login started, logged in, an admin account made.
	query, pending := ssoStart(t, e, op, "mette", "pw-mette")
	loc, login := ssoCallbackAt(t, e, query, withCookie(pending))
	if loc != "/host/s/abc" || login == "" {
		t.Fatalf("success: redirect %q, login cookie %q", loc, login)
	}
	w = e.do("GET", "/api/v1/auth/me", nil, as(&client{cookie: login}))
	wantStatus(t, w, http.StatusOK)
	var me struct {
		User userJSON `json:"user"`
	}
	mustJSON(t, w, &me)
	if me.User.Email != "mette@kommune.test" || me.User.Name != "Mette Hansen" || me.User.Role != forum.RoleAdmin || !me.User.SSO || !me.User.NoPassword {
		t.Errorf("me = %+v", me.User)
	}

	// The same callback again, with the same cookie: the state was used.
	loc, again := ssoCallbackAt(t, e, query, withCookie(pending))
	if loc != "/host?sso_error="+forum.SSORefusedReplay || again != "" {
		t.Errorf("replayed state: redirect %q, login %q", loc, again)
	}

	// A state from another browser's login (this browser's cookie, the other's callback).
	_, mine := ssoStart(t, e, op, "ole", "pw-ole")
	theirs, _ := ssoStart(t, e, op, "ole", "pw-ole")
	if loc, l := ssoCallbackAt(t, e, theirs, withCookie(mine)); loc != "/host?sso_error="+ssoState || l != "" {
		t.Errorf("another browser's state: redirect %q, login %q", loc, l)
	}
	// No started login in this browser.
	query, _ = ssoStart(t, e, op, "ole", "pw-ole")
	if loc, l := ssoCallbackAt(t, e, query); loc != "/host?sso_error="+ssoExpired || l != "" {
		t.Errorf("no cookie: redirect %q, login %q", loc, l)
	}

	// An ID token for another audience.
	op.WrongAudience.Store(true)
	query, pending = ssoStart(t, e, op, "ole", "pw-ole")
	if loc, l := ssoCallbackAt(t, e, query, withCookie(pending)); loc != "/host?sso_error="+ssoFailed || l != "" {
		t.Errorf("wrong audience: redirect %q, login %q", loc, l)
	}
	if !strings.Contains(e.logs.String(), "audience") {
		t.Errorf("the log does not say the audience was wrong:\n%s", e.logs)
	}
	op.WrongAudience.Store(false)

	// Someone outside the allowed domain.
	query, pending = ssoStart(t, e, op, "eve", "pw-eve")
	if loc, l := ssoCallbackAt(t, e, query, withCookie(pending)); loc != "/host?sso_error="+forum.SSORefusedDomain || l != "" {
		t.Errorf("outside the domain: redirect %q, login %q", loc, l)
	}

	// Refused logins made no account: only Mette's exists.
	us, err := e.eng.Users(t.Context())
	if err != nil || len(us) != 1 || us[0].Email != "mette@kommune.test" {
		t.Errorf("accounts after the refused logins: %+v %v", us, err)
	}

	// Ole, a facilitator (no admin role), logs in fine.
	query, pending = ssoStart(t, e, op, "ole", "pw-ole")
	if loc, l := ssoCallbackAt(t, e, query, withCookie(pending)); loc != "/host/s/abc" || l == "" {
		t.Errorf("ole: redirect %q, login %q", loc, l)
	}
	if u, err := e.eng.UserByEmail(t.Context(), "ole@kommune.test"); err != nil || u.Role != forum.RoleFacilitator {
		t.Errorf("ole's account %+v %v", u, err)
	}

	// The provider says no.
	if loc, _ := ssoCallbackAt(t, e, "error=access_denied&state=x", withCookie(pending)); loc != "/host?sso_error="+ssoDenied {
		t.Errorf("denied: redirect %q", loc)
	}
}

// TestSSOOff: without a provider the routes are 404 and the config names none.
func TestSSOOff(t *testing.T) {
	e := newEnv(t, nil)
	wantError(t, e.do("GET", "/api/v1/auth/oidc/login", nil), http.StatusNotFound, forum.ENotFound)
	wantError(t, e.do("GET", "/api/v1/auth/oidc/callback?code=x&state=y", nil), http.StatusNotFound, forum.ENotFound)
	if w := e.do("GET", "/api/v1/config", nil); strings.Contains(w.Body.String(), `"sso"`) {
		t.Errorf("config names single sign-on: %s", w.Body)
	}
}

// TestSafeNext: only the facilitator pages of this server are places to return to.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"": "/host", "/host": "/host", "/host/s/abc?x=1": "/host/s/abc?x=1", "/hostile": "/host",
		"https://evil.test/host": "/host", "//evil.test/host": "/host", `/host\..\x`: "/host", "/api/v1/users": "/host",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
