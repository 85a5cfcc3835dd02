package main

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pejl/internal/redisstore/redistest"
)

// loginAs logs a facilitator in on base.
func loginAs(t *testing.T, base, email, password string) *api {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &api{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	a.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, 200, nil)
	return a
}

// facilitatorSocket opens a facilitator socket for the session and waits for its welcome.
func facilitatorSocket(t *testing.T, base, sessionID string, hdr http.Header) *wsConn {
	t.Helper()
	w := dialWS(t, base, "/api/v1/sessions/"+sessionID+"/live", hdr)
	w.send(map[string]any{"type": "hello"})
	w.waitFor("welcome", "")
	return w
}

// closedWithin reads until the socket closes and returns its close code; it fails the
// test if that takes longer than d.
func (w *wsConn) closedWithin(what string, d time.Duration) {
	w.t.Helper()
	start := time.Now()
	_ = w.c.SetReadDeadline(start.Add(d))
	for {
		_, _, err := w.c.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			w.t.Fatalf("%s: the socket was not closed within %v: %v", what, d, err)
		}
		if ce.Code != 4503 {
			w.t.Fatalf("%s: closed with %d, want 4503", what, ce.Code)
		}
		w.t.Logf("%s: socket closed with 4503 after %v", what, time.Since(start).Round(time.Millisecond))
		return
	}
}

// Finding 3: revoked credentials did not end sockets. Each way access ends, on instance B,
// closes the facilitator's socket on instance A within a second.
func TestRevocationClosesSocketsAcrossInstances(t *testing.T) {
	t.Parallel()
	redisURL := redistest.URL(t)
	addrA, addrB := freeAddr(t), freeAddr(t)
	// bcrypt at its lowest cost: the race detector makes the real cost take seconds here.
	a := startPejl(t, addrA, "PEJL_REDIS_URL="+redisURL, "PEJL_INSTANCE=a", "PEJL_PASSWORD_COST=4")
	b := startPejl(t, addrB, "PEJL_REDIS_URL="+redisURL, "PEJL_INSTANCE=b", "PEJL_PASSWORD_COST=4")
	const pw = "anna-har-et-langt-kodeord"
	admin := login(t, b.base)
	var anna, bo struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	admin.do("POST", "/api/v1/users", map[string]string{"email": "anna@example.dk", "password": pw, "name": "Anna"}, 201, &anna)
	admin.do("POST", "/api/v1/users", map[string]string{"email": "bo@example.dk", "password": pw, "name": "Bo"}, 201, &bo)

	annaB := loginAs(t, b.base, "anna@example.dk", pw)
	var s created
	annaB.do("POST", "/api/v1/sessions", map[string]any{"title": "Tilbagekaldt", "charter_id": "allerod-ledelsesgrundlag"}, 201, &s)

	// Logout on B closes the socket opened on A with that login.
	ws := facilitatorSocket(t, a.base, s.ID, annaB.cookieHeader())
	annaB.do("POST", "/api/v1/auth/logout", nil, 204, nil)
	ws.closedWithin("logout", time.Second)

	// Deleting a token on B closes the socket opened with it on A.
	annaB = loginAs(t, b.base, "anna@example.dk", pw)
	var tok struct {
		Token string `json:"token"`
		ID    string `json:"id"`
	}
	annaB.do("POST", "/api/v1/tokens", map[string]any{"name": "skærm"}, 201, &tok)
	ws = facilitatorSocket(t, a.base, s.ID, http.Header{"Authorization": {"Bearer " + tok.Token}})
	keep := facilitatorSocket(t, a.base, s.ID, annaB.cookieHeader()) // another credential of hers
	annaB.do("DELETE", "/api/v1/tokens/"+tok.ID, nil, 204, nil)
	ws.closedWithin("token deleted", time.Second)

	// Unsharing on B closes the other facilitator's socket on A, not the owner's.
	annaB.do("PATCH", "/api/v1/sessions/"+s.ID, map[string]any{"shared_with": []string{"bo@example.dk"}}, 200, nil)
	boB := loginAs(t, b.base, "bo@example.dk", pw)
	ws = facilitatorSocket(t, a.base, s.ID, boB.cookieHeader())
	annaB.do("PATCH", "/api/v1/sessions/"+s.ID, map[string]any{"shared_with": []string{}}, 200, nil)
	ws.closedWithin("unshared", time.Second)
	keep.send(map[string]any{"type": "goto", "id": "g1", "section": "s2"})
	keep.waitFor("ack", "g1") // the owner's socket is untouched

	// A password change on B ends every login of hers: the socket on A closes.
	annaB.do("POST", "/api/v1/auth/password", map[string]string{"current_password": pw, "new_password": pw + "-nyt"}, 204, nil)
	keep.closedWithin("password changed", time.Second)
	annaB.do("GET", "/api/v1/auth/me", nil, 200, nil) // this device got a fresh login

	// Ending all logins on B closes her sockets on A.
	ws = facilitatorSocket(t, a.base, s.ID, annaB.cookieHeader())
	old := annaB.cookieHeader()
	annaB.do("POST", "/api/v1/auth/logout-all", nil, 204, nil)
	ws.closedWithin("logged out everywhere", time.Second)
	req, _ := http.NewRequest("GET", a.base+"/api/v1/auth/me", nil)
	req.Header = old
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("an ended login on A: %v %v, want 401", resp, err)
	}

	// Deactivating her account on B closes her sockets on A; she cannot log in again.
	ws = facilitatorSocket(t, a.base, s.ID, annaB.cookieHeader())
	admin.do("PATCH", "/api/v1/users/"+anna.User.ID, map[string]any{"disabled": true}, 200, nil)
	ws.closedWithin("deactivated", time.Second)
	annaB.do("GET", "/api/v1/auth/me", nil, 401, nil)
	loginFails := &api{t: t, base: a.base, hc: &http.Client{Timeout: 60 * time.Second}}
	loginFails.do("POST", "/api/v1/auth/login", map[string]string{"email": "anna@example.dk", "password": pw + "-nyt"}, 403, nil)
	_ = bo
}
