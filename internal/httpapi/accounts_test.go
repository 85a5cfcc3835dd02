package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"pejl/internal/forum"
)

func TestLoginLogoutMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.seedUser(adminEmail, forum.RoleAdmin)

	w := e.do("POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": "wrong-password"}, origin(publicURL))
	wantError(t, w, http.StatusUnauthorized, forum.EInvalidCredentials)
	// (An unknown email is the same 401; forum tests that. It costs a slow bcrypt here.)

	w = e.do("POST", "/api/v1/auth/login", map[string]string{"email": "ADMIN@pejl.test", "password": userPassword}, origin(publicURL))
	wantStatus(t, w, http.StatusOK)
	var out struct {
		User map[string]any `json:"user"`
	}
	mustJSON(t, w, &out)
	for _, k := range []string{"id", "email", "name", "role"} {
		if _, ok := out.User[k]; !ok {
			t.Errorf("user lacks %q: %s", k, w.Body)
		}
	}
	if out.User["role"] != "admin" || out.User["email"] != adminEmail {
		t.Errorf("user = %v", out.User)
	}
	if strings.Contains(w.Body.String(), "password") || strings.Contains(w.Body.String(), "$2") {
		t.Errorf("login answer reveals the password hash: %s", w.Body)
	}
	var ck *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			ck = c
		}
	}
	if ck == nil || ck.Value == "" {
		t.Fatalf("no cookie: %v", w.Header())
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Errorf("cookie flags: %+v (raw %q)", ck, w.Header().Get("Set-Cookie"))
	}
	if ck.MaxAge <= 0 {
		t.Errorf("cookie MaxAge %d", ck.MaxAge)
	}
	c := &client{cookie: ck.Value}

	w = e.do("GET", "/api/v1/auth/me", nil, cookieOnly(c))
	wantStatus(t, w, http.StatusOK)
	mustJSON(t, w, &out)
	if out.User["email"] != adminEmail {
		t.Errorf("me = %s", w.Body)
	}

	w = e.do("GET", "/api/v1/auth/me", nil)
	wantError(t, w, http.StatusUnauthorized, forum.EUnauthenticated)
	w = e.do("GET", "/api/v1/auth/me", nil, cookieOnly(&client{cookie: "forged"}))
	wantError(t, w, http.StatusUnauthorized, forum.EUnauthenticated)

	// Logout needs the Origin check (it is a cookie-authenticated write).
	w = e.do("POST", "/api/v1/auth/logout", nil, cookieOnly(c), origin("https://evil.example"))
	wantError(t, w, http.StatusForbidden, forum.EForbidden)
	w = e.do("POST", "/api/v1/auth/logout", nil, as(c))
	wantStatus(t, w, http.StatusNoContent)
	if sc := w.Header().Get("Set-Cookie"); !strings.Contains(sc, sessionCookie+"=;") || !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("logout does not clear the cookie: %q", sc)
	}
	w = e.do("GET", "/api/v1/auth/me", nil, cookieOnly(c))
	wantError(t, w, http.StatusUnauthorized, forum.EUnauthenticated)
	// Logging out without a login is fine.
	wantStatus(t, e.do("POST", "/api/v1/auth/logout", nil), http.StatusNoContent)
}

func TestSecureCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.SecureCookies = true })
	e.seedUser(adminEmail, forum.RoleAdmin)
	w := e.do("POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": userPassword})
	wantStatus(t, w, http.StatusOK)
	sc := w.Header().Get("Set-Cookie")
	for _, want := range []string{"HttpOnly", "Secure", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(sc, want) {
			t.Errorf("Set-Cookie %q lacks %s", sc, want)
		}
	}
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.seedUser(adminEmail, forum.RoleAdmin)
	var last int
	for i := range 15 {
		w := e.do("POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": "wrong-password"})
		last = w.Code
		if w.Code == http.StatusTooManyRequests {
			wantError(t, w, http.StatusTooManyRequests, forum.ERateLimited)
			ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
			if err != nil || ra < 1 {
				t.Fatalf("Retry-After %q", w.Header().Get("Retry-After"))
			}
			if i < 5 {
				t.Fatalf("limited after only %d failures", i)
			}
			// Another address is limited by the account's count too.
			w = e.do("POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": "wrong-again"}, from("198.51.100.9:1"))
			wantError(t, w, http.StatusTooManyRequests, forum.ERateLimited)
			return
		}
		wantError(t, w, http.StatusUnauthorized, forum.EInvalidCredentials)
	}
	t.Fatalf("15 failed logins were never limited (last %d)", last)
}

func TestTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	admin := e.admin()

	w := e.do("POST", "/api/v1/tokens", map[string]string{"name": "dashboard"}, as(admin))
	wantStatus(t, w, http.StatusCreated)
	var tok struct {
		Token, ID, Name string
	}
	mustJSON(t, w, &tok)
	if !strings.HasPrefix(tok.Token, "pejl_") || tok.ID == "" || tok.Name != "dashboard" {
		t.Fatalf("token answer %s", w.Body)
	}

	// Stored only as a hash.
	stored, err := e.eng.TokenByHash(context.Background(), forum.HashSecret(tok.Token))
	if err != nil {
		t.Fatalf("token not stored by hash: %v", err)
	}
	if stored.Hash == tok.Token || strings.Contains(stored.Hash, tok.Token) {
		t.Fatal("the token is stored in clear")
	}

	w = e.do("GET", "/api/v1/tokens", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), tok.Token) || strings.Contains(w.Body.String(), stored.Hash) || strings.Contains(w.Body.String(), "hash") {
		t.Fatalf("token list reveals the token or its hash: %s", w.Body)
	}
	var list struct {
		Tokens []map[string]any `json:"tokens"`
	}
	mustJSON(t, w, &list)
	if len(list.Tokens) != 1 || list.Tokens[0]["id"] != tok.ID || list.Tokens[0]["name"] != "dashboard" || list.Tokens[0]["created_at"] == nil {
		t.Fatalf("tokens = %s", w.Body)
	}

	// Bearer works wherever the cookie does, and needs no Origin, even a foreign one.
	w = e.do("GET", "/api/v1/auth/me", nil, bearer(tok.Token))
	wantStatus(t, w, http.StatusOK)
	w = e.do("POST", "/api/v1/sessions", map[string]any{"title": "Via token", "charter_id": "allerod-ledelsesgrundlag"},
		bearer(tok.Token), origin("https://evil.example"))
	wantStatus(t, w, http.StatusCreated)

	w = e.do("GET", "/api/v1/auth/me", nil, bearer("pejl_wrong"))
	wantError(t, w, http.StatusUnauthorized, forum.EUnauthenticated)
	w = e.do("GET", "/api/v1/auth/me", nil, header("Authorization", "Basic abc"))
	wantError(t, w, http.StatusUnauthorized, forum.EUnauthenticated)

	w = e.do("DELETE", "/api/v1/tokens/"+tok.ID, nil, bearer(tok.Token))
	wantStatus(t, w, http.StatusNoContent)
	w = e.do("GET", "/api/v1/auth/me", nil, bearer(tok.Token))
	wantError(t, w, http.StatusUnauthorized, forum.EUnauthenticated)
	w = e.do("DELETE", "/api/v1/tokens/"+tok.ID, nil, as(admin))
	wantError(t, w, http.StatusNotFound, forum.ENotFound)
}

func TestUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	admin := e.admin()

	w := e.do("POST", "/api/v1/users", map[string]string{"email": "f@pejl.test", "password": userPassword, "name": "Frida", "role": "facilitator"}, as(admin))
	wantStatus(t, w, http.StatusCreated)
	var created struct {
		User userJSON `json:"user"`
	}
	mustJSON(t, w, &created)
	if created.User.Email != "f@pejl.test" || created.User.Role != "facilitator" || created.User.ID == "" {
		t.Fatalf("created %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "password") {
		t.Fatalf("reveals the password: %s", w.Body)
	}
	w = e.do("POST", "/api/v1/users", map[string]string{"email": "not-an-email", "password": userPassword}, as(admin))
	wantError(t, w, http.StatusBadRequest, forum.EBadRequest)
	w = e.do("POST", "/api/v1/users", map[string]string{"email": "g@pejl.test", "password": "short"}, as(admin))
	if e := wantError(t, w, http.StatusBadRequest, forum.EBadRequest); len(e.Details) == 0 || e.Details[0].Field != "password" {
		t.Errorf("details %+v", e.Details)
	}

	f := e.facilitator("g@pejl.test")
	w = e.do("POST", "/api/v1/users", map[string]string{"email": "h@pejl.test", "password": userPassword}, as(f))
	wantError(t, w, http.StatusForbidden, forum.EForbidden)
	w = e.do("GET", "/api/v1/users", nil, as(f))
	wantError(t, w, http.StatusForbidden, forum.EForbidden)

	w = e.do("GET", "/api/v1/users", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), "password") || strings.Contains(w.Body.String(), "$2") {
		t.Fatalf("user list reveals password hashes: %s", w.Body)
	}
	var list struct {
		Users []userJSON `json:"users"`
	}
	mustJSON(t, w, &list)
	if len(list.Users) != 3 {
		t.Fatalf("users = %s", w.Body)
	}
}

func TestOriginCheckOnCookieWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.AllowedOrigins = []string{publicURL, "http://localhost:5173"} })
	admin := e.admin()
	body := map[string]any{"title": "O", "charter_id": "allerod-ledelsesgrundlag"}

	cases := []struct {
		name string
		opts []opt
		want int
	}{
		{"foreign origin", []opt{cookieOnly(admin), origin("https://evil.example")}, http.StatusForbidden},
		{"null origin", []opt{cookieOnly(admin), origin("null")}, http.StatusForbidden},
		{"no origin, no fetch metadata", []opt{cookieOnly(admin)}, http.StatusForbidden},
		{"no origin, cross-site", []opt{cookieOnly(admin), header("Sec-Fetch-Site", "cross-site")}, http.StatusForbidden},
		{"no origin, same-origin", []opt{cookieOnly(admin), header("Sec-Fetch-Site", "same-origin")}, http.StatusCreated},
		{"allowed origin", []opt{cookieOnly(admin), origin("http://localhost:5173")}, http.StatusCreated},
		{"public origin", []opt{as(admin)}, http.StatusCreated},
		// A name in Host proves nothing (DNS rebinding): httptest's Host is example.com.
		{"same host by name", []opt{cookieOnly(admin), origin("http://example.com")}, http.StatusForbidden},
		{"same address", []opt{cookieOnly(admin), origin("http://192.0.2.5:8080"), hostIs("192.0.2.5:8080")}, http.StatusCreated},
		{"same address, other scheme", []opt{cookieOnly(admin), origin("https://192.0.2.5:8080"), hostIs("192.0.2.5:8080")}, http.StatusForbidden},
		{"similar host", []opt{cookieOnly(admin), origin("http://pejl.test.evil.example")}, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := e.do("POST", "/api/v1/sessions", body, tc.opts...)
			if tc.want == http.StatusForbidden {
				wantError(t, w, http.StatusForbidden, forum.EForbidden)
			} else {
				wantStatus(t, w, tc.want)
			}
		})
	}
	// Reads need no Origin.
	wantStatus(t, e.do("GET", "/api/v1/sessions", nil, cookieOnly(admin), origin("https://evil.example")), http.StatusOK)
	// Login from a foreign page is refused; from no page (a script) it is fine.
	w := e.do("POST", "/api/v1/auth/login", map[string]string{"email": adminEmail, "password": userPassword}, origin("https://evil.example"))
	wantError(t, w, http.StatusForbidden, forum.EForbidden)
}
