package httpapi

import (
	"bytes"
	"encoding/xml"
	"errors"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"pejl/internal/charter"
	"pejl/internal/forum"
)

const newCharter = `---
id: team-charter
language: en
---
# Our Team Charter

We wrote this together.

## Trust

We trust each other.

- We keep our promises.
- We say what we think,
  kindly.

## Growth

### Learning

- We learn from mistakes.
`

func TestCharters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	admin := e.admin()

	wantError(t, e.do("GET", "/api/v1/charters", nil), http.StatusUnauthorized, forum.EUnauthenticated)

	w := e.do("GET", "/api/v1/charters", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	var list struct {
		Charters []map[string]any `json:"charters"`
	}
	mustJSON(t, w, &list)
	var found map[string]any
	for _, c := range list.Charters {
		for _, k := range []string{"id", "title", "language", "sections", "statements", "builtin"} {
			if _, ok := c[k]; !ok {
				t.Errorf("charter item lacks %q: %v", k, c)
			}
		}
		if c["id"] == "allerod-ledelsesgrundlag" {
			found = c
		}
	}
	if found == nil || found["statements"] != float64(37) || found["builtin"] != true || found["language"] != "da" {
		t.Fatalf("built-in charter in list: %v", found)
	}

	w = e.do("GET", "/api/v1/charters/allerod-ledelsesgrundlag", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	var ch struct {
		ID, Title, Language, Intro string
		Sections                   []struct {
			ID, Title, Body string
			Level           int
			Statements      []struct{ ID, Text string }
		}
	}
	mustJSON(t, w, &ch)
	n := 0
	for _, s := range ch.Sections {
		n += len(s.Statements)
		if s.ID == "" || s.Title == "" || (s.Level != 2 && s.Level != 3) {
			t.Errorf("section %+v", s)
		}
	}
	if n != 37 || len(ch.Sections) < 9 {
		t.Fatalf("built-in: %d sections, %d statements", len(ch.Sections), n)
	}
	wantError(t, e.do("GET", "/api/v1/charters/nope", nil, as(admin)), http.StatusNotFound, forum.ENotFound)

	// Import a charter no one has seen.
	w = e.do("POST", "/api/v1/charters", newCharter, as(admin), header("Content-Type", "text/markdown; charset=utf-8"))
	wantStatus(t, w, http.StatusCreated)
	mustJSON(t, w, &ch)
	if ch.ID != "team-charter" || ch.Title != "Our Team Charter" || ch.Language != "en" || ch.Intro != "We wrote this together." {
		t.Fatalf("imported %s", w.Body)
	}
	if len(ch.Sections) != 3 || ch.Sections[0].Title != "Trust" || ch.Sections[2].Title != "Learning" || ch.Sections[2].Level != 3 {
		t.Fatalf("sections %s", w.Body)
	}
	if len(ch.Sections[0].Statements) != 2 || ch.Sections[0].Statements[1].Text != "We say what we think, kindly." ||
		len(ch.Sections[1].Statements) != 0 || len(ch.Sections[2].Statements) != 1 {
		t.Fatalf("statements %s", w.Body)
	}
	w = e.do("GET", "/api/v1/charters/team-charter", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	// Same id, other text: never changed in place.
	w = e.do("POST", "/api/v1/charters", strings.Replace(newCharter, "kindly", "bluntly", 1), as(admin), header("Content-Type", "text/markdown"))
	wantError(t, w, http.StatusConflict, forum.EConflict)

	// A broken one: a second title and an empty section title, each with its line.
	broken := "# One\n\n# Two\n\n##\n\n- a statement\n"
	w = e.do("POST", "/api/v1/charters", broken, as(admin), header("Content-Type", "text/markdown"))
	eo := wantError(t, w, http.StatusUnprocessableEntity, forum.EInvalidCharter)
	lines := map[int]bool{}
	for _, d := range eo.Details {
		if d.Line < 1 || d.Message == "" || d.MessageDA == "" {
			t.Errorf("detail %+v (every problem has its line, and its message in English and Danish)", d)
		}
		lines[d.Line] = true
	}
	if !lines[3] || !lines[5] {
		t.Errorf("details %+v, want lines 3 and 5", eo.Details)
	}
	w = e.do("POST", "/api/v1/charters", "no title at all\n", as(admin), header("Content-Type", "text/markdown"))
	wantError(t, w, http.StatusUnprocessableEntity, forum.EInvalidCharter)

	big := "# Big\n\n## S\n\n" + strings.Repeat("x", 1<<20)
	w = e.do("POST", "/api/v1/charters", big, as(admin), header("Content-Type", "text/markdown"))
	wantError(t, w, http.StatusRequestEntityTooLarge, forum.ETooLarge)

	w = e.do("POST", "/api/v1/charters", newCharter, as(admin), header("Content-Type", "application/json"))
	eo = wantError(t, w, http.StatusUnsupportedMediaType, eUnsupportedMediaType)
	if !strings.Contains(eo.Message, "text/markdown") {
		t.Errorf("415 message does not say what to send: %q", eo.Message)
	}
	w = e.do("POST", "/api/v1/charters", newCharter, as(admin), header("Content-Type", ""))
	wantStatus(t, w, http.StatusUnsupportedMediaType)

	// Correct a typo: the source to edit, then a new version with the same ids.
	w = e.do("GET", "/api/v1/charters/team-charter/source", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	if w.Header().Get("Content-Type") != "text/markdown; charset=utf-8" || w.Body.String() != newCharter {
		t.Errorf("source: %q %q", w.Header().Get("Content-Type"), w.Body.String()[:40])
	}
	fixed := strings.Replace(newCharter, "kindly.", "kindly and clearly.", 1)
	w = e.do("POST", "/api/v1/charters/team-charter/versions", fixed, as(admin), header("Content-Type", "text/markdown"))
	wantStatus(t, w, http.StatusCreated)
	var v2 charter.Charter
	mustJSON(t, w, &v2)
	if v2.ID != "team-charter-v2" || v2.Family != "team-charter" || v2.Version != 2 || v2.Sections[0].Statements[1].ID != "s1-2" ||
		v2.Sections[0].Statements[1].Text != "We say what we think, kindly and clearly." {
		t.Errorf("v2 = %+v", v2)
	}
	w = e.do("GET", "/api/v1/charters", nil, as(admin))
	if !strings.Contains(w.Body.String(), `"id":"team-charter-v2","title":"Our Team Charter","language":"en","sections":3,"statements":3,"builtin":false,"family":"team-charter","version":2`) {
		t.Errorf("list: %s", w.Body)
	}
	// A statement removed: 422 with the line and a Danish message.
	w = e.do("POST", "/api/v1/charters/team-charter-v2/versions", strings.Replace(fixed, "- We keep our promises.\n", "", 1), as(admin), header("Content-Type", "text/markdown"))
	eo = wantError(t, w, http.StatusUnprocessableEntity, forum.EInvalidCharter)
	if len(eo.Details) != 1 || eo.Details[0].Line != 9 || !strings.Contains(eo.Details[0].MessageDA, "1 udsagn") {
		t.Errorf("details %+v", eo.Details)
	}
	wantError(t, e.do("POST", "/api/v1/charters/nope/versions", fixed, as(admin), header("Content-Type", "text/markdown")), http.StatusNotFound, forum.ENotFound)
	wantStatus(t, e.do("POST", "/api/v1/charters/team-charter/versions", fixed, as(admin), header("Content-Type", "text/plain")), http.StatusUnsupportedMediaType)
	wantError(t, e.do("GET", "/api/v1/charters/nope/source", nil, as(admin)), http.StatusNotFound, forum.ENotFound)
	wantStatus(t, e.do("GET", "/api/v1/charters/team-charter/source", nil), http.StatusUnauthorized)
}

func TestSessionsLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	admin := e.admin()

	w := e.do("POST", "/api/v1/sessions", map[string]any{
		"title": "Ledermøde", "charter_id": "allerod-ledelsesgrundlag", "language": "da",
		"groups": []map[string]string{{"id": "leder", "label": "Leder"}, {"label": "Medarbejder"}}, "anonymity_threshold": 3,
	}, as(admin))
	wantStatus(t, w, http.StatusCreated)
	var raw map[string]any
	mustJSON(t, w, &raw)
	for _, k := range []string{"id", "code", "join_url", "state", "title", "charter_id", "language", "groups", "anonymity_threshold", "created_at"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("session lacks %q: %s", k, w.Body)
		}
	}
	var s forum.SessionInfo
	mustJSON(t, w, &s)
	if _, err := strconv.Atoi(s.Code); err != nil || len(s.Code) < 6 {
		t.Errorf("code %q", s.Code)
	}
	if s.JoinURL != publicURL+"/j/"+s.Code || s.State != forum.StateLobby || s.Title != "Ledermøde" ||
		s.CharterID != "allerod-ledelsesgrundlag" || len(s.Groups) != 2 || s.AnonymityThreshold != 3 {
		t.Errorf("session %s", w.Body)
	}

	w = e.do("GET", "/api/v1/sessions/"+s.ID, nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	var view struct {
		Session      map[string]any   `json:"session"`
		Charter      map[string]any   `json:"charter"`
		Activities   []map[string]any `json:"activities"`
		Participants struct {
			Count  *int64           `json:"count"`
			Groups map[string]int64 `json:"groups"`
		} `json:"participants"`
	}
	mustJSON(t, w, &view)
	if view.Session["id"] != s.ID || view.Session["join_url"] != s.JoinURL || view.Charter["id"] != "allerod-ledelsesgrundlag" {
		t.Errorf("view %s", w.Body)
	}
	if view.Participants.Count == nil || *view.Participants.Count != 0 || view.Participants.Groups == nil {
		t.Errorf("participants %s", w.Body)
	}
	if len(view.Activities) == 0 {
		t.Fatal("no default activities")
	}
	var scale map[string]any
	for _, a := range view.Activities {
		if _, ok := a["tally"]; !ok {
			t.Errorf("activity without tally: %v", a)
		}
		if a["kind"] == "scale" && scale == nil {
			scale = a
		}
	}
	if scale == nil || scale["prompt"] != "Hvor godt lever vi op til det?" || scale["state"] != "closed" || scale["results"] != "hidden" ||
		scale["min"] != float64(1) || scale["max"] != float64(5) {
		t.Errorf("scale activity %v", scale)
	}

	// PATCH.
	w = e.do("PATCH", "/api/v1/sessions/"+s.ID, map[string]any{"title": "Nyt navn"}, as(admin))
	wantStatus(t, w, http.StatusOK)
	mustJSON(t, w, &s)
	if s.Title != "Nyt navn" || len(s.Groups) != 2 {
		t.Errorf("patched %s", w.Body)
	}
	w = e.do("PATCH", "/api/v1/sessions/"+s.ID, map[string]any{"anonymity_threshold": 0}, as(admin))
	wantError(t, w, http.StatusBadRequest, forum.EBadRequest)

	// An extra activity.
	section := scale["section"].(string)
	w = e.do("POST", "/api/v1/sessions/"+s.ID+"/activities", map[string]any{
		"kind": "choice", "section": section, "prompt": "Hvad er vigtigst?",
		"options": []map[string]string{{"label": "Tillid"}, {"label": "Dialog"}},
	}, as(admin))
	wantStatus(t, w, http.StatusCreated)
	var act forum.Activity
	mustJSON(t, w, &act)
	if act.Kind != "choice" || len(act.Options) != 2 || act.Options[0].ID != "o1" || act.MaxChoices != 1 || act.State != "closed" {
		t.Errorf("activity %s", w.Body)
	}
	w = e.do("POST", "/api/v1/sessions/"+s.ID+"/activities", map[string]any{"kind": "poll", "section": section}, as(admin))
	wantError(t, w, http.StatusBadRequest, forum.EBadRequest)
	w = e.do("POST", "/api/v1/sessions/"+s.ID+"/activities", map[string]any{"kind": "rank", "section": section, "scope": "charter", "prompt": "Rangér"}, as(admin))
	wantStatus(t, w, http.StatusCreated)

	// Comments (none yet).
	w = e.do("GET", "/api/v1/sessions/"+s.ID+"/comments", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	if strings.TrimSpace(w.Body.String()) != `{"comments":[]}` {
		t.Errorf("comments %s", w.Body)
	}

	// List.
	second := e.createSession(admin, "Second")
	w = e.do("GET", "/api/v1/sessions", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	var list struct {
		Sessions []forum.SessionInfo `json:"sessions"`
	}
	mustJSON(t, w, &list)
	if len(list.Sessions) != 2 || list.Sessions[0].ID != second.ID || list.Sessions[1].ID != s.ID || list.Sessions[1].JoinURL == "" {
		t.Errorf("list %s", w.Body)
	}

	// Validation.
	w = e.do("POST", "/api/v1/sessions", map[string]any{"title": "", "charter_id": "allerod-ledelsesgrundlag"}, as(admin))
	wantError(t, w, http.StatusBadRequest, forum.EBadRequest)
	w = e.do("POST", "/api/v1/sessions", map[string]any{"title": "x", "charter_id": "nope"}, as(admin))
	wantError(t, w, http.StatusBadRequest, forum.EBadRequest)
	w = e.do("POST", "/api/v1/sessions", map[string]any{"title": "x", "charter_id": "allerod-ledelsesgrundlag", "language": "fr"}, as(admin))
	wantError(t, w, http.StatusBadRequest, forum.EBadRequest)
	w = e.do("POST", "/api/v1/sessions", `{"title": 5, "charter_id": "allerod-ledelsesgrundlag"}`, as(admin))
	if eo := wantError(t, w, http.StatusBadRequest, forum.EBadRequest); !strings.Contains(eo.Message, "title") ||
		len(eo.Details) != 1 || eo.Details[0].Field != "title" {
		t.Errorf("wrong type does not name the field: %s", w.Body)
	}

	// Delete.
	wantStatus(t, e.do("DELETE", "/api/v1/sessions/"+s.ID, nil, as(admin)), http.StatusNoContent)
	wantError(t, e.do("GET", "/api/v1/sessions/"+s.ID, nil, as(admin)), http.StatusNotFound, forum.ENotFound)
	wantError(t, e.do("DELETE", "/api/v1/sessions/"+s.ID, nil, as(admin)), http.StatusNotFound, forum.ENotFound)
	wantError(t, e.do("GET", "/api/v1/join/"+s.Code, nil), http.StatusNotFound, forum.EUnknownCode)
}

func TestSessionAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	admin := e.admin()
	anna := e.facilitator("anna@pejl.test")
	bo := e.facilitator("bo@pejl.test")
	s := e.createSession(anna, "Annas")

	for _, path := range []string{"", "/comments", "/qr.svg", "/qr.png", "/export/votes.csv", "/export/session.json"} {
		w := e.do("GET", "/api/v1/sessions/"+s.ID+path, nil, as(bo))
		wantError(t, w, http.StatusNotFound, forum.ENotFound)
		if strings.Contains(w.Body.String(), "Annas") {
			t.Errorf("404 reveals the session: %s", w.Body)
		}
	}
	wantError(t, e.do("PATCH", "/api/v1/sessions/"+s.ID, map[string]any{"title": "Mine"}, as(bo)), http.StatusNotFound, forum.ENotFound)
	wantError(t, e.do("DELETE", "/api/v1/sessions/"+s.ID, nil, as(bo)), http.StatusNotFound, forum.ENotFound)
	wantError(t, e.do("POST", "/api/v1/sessions/"+s.ID+"/activities", map[string]any{"kind": "words", "prompt": "?"}, as(bo)),
		http.StatusNotFound, forum.ENotFound)

	var list struct {
		Sessions []forum.SessionInfo `json:"sessions"`
	}
	w := e.do("GET", "/api/v1/sessions", nil, as(bo))
	mustJSON(t, w, &list)
	if len(list.Sessions) != 0 {
		t.Errorf("bo sees %s", w.Body)
	}
	w = e.do("GET", "/api/v1/sessions", nil, as(anna))
	mustJSON(t, w, &list)
	if len(list.Sessions) != 1 {
		t.Errorf("anna sees %s", w.Body)
	}
	w = e.do("GET", "/api/v1/sessions", nil, as(admin))
	mustJSON(t, w, &list)
	if len(list.Sessions) != 1 {
		t.Errorf("admin sees %s", w.Body)
	}
	wantStatus(t, e.do("GET", "/api/v1/sessions/"+s.ID, nil, as(admin)), http.StatusOK)
	wantStatus(t, e.do("GET", "/api/v1/sessions/"+s.ID, nil, as(anna)), http.StatusOK)
	// Export stubs answer only after the access check.
	wantError(t, e.do("GET", "/api/v1/sessions/"+s.ID+"/export/votes.csv", nil, as(anna)), http.StatusNotImplemented, eNotImplemented)
	wantStatus(t, e.do("DELETE", "/api/v1/sessions/"+s.ID, nil, as(admin)), http.StatusNoContent)
}

func TestJoinLookup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *Config) { c.TrustedProxies = []string{"10.0.0.0/8"} })
	admin := e.admin()
	s := e.createSession(admin, "Join me")
	w := e.do("PATCH", "/api/v1/sessions/"+s.ID, map[string]any{"groups": []map[string]string{{"id": "a", "label": "A"}}}, as(admin))
	wantStatus(t, w, http.StatusOK)

	w = e.do("GET", "/api/v1/join/"+s.Code, nil)
	wantStatus(t, w, http.StatusOK)
	var j map[string]any
	mustJSON(t, w, &j)
	if j["session_id"] != s.ID || j["title"] != "Join me" || j["state"] != "lobby" || j["language"] != "da" ||
		j["join_url"] != s.JoinURL || j["retention_days"] != float64(180) {
		t.Errorf("join %s", w.Body)
	}
	if g, _ := j["groups"].([]any); len(g) != 1 {
		t.Errorf("groups %s", w.Body)
	}
	for _, secret := range []string{"owner", "code\"", admin.user.ID} {
		if strings.Contains(w.Body.String(), secret) {
			t.Errorf("join answer reveals %q: %s", secret, w.Body)
		}
	}

	wantError(t, e.do("GET", "/api/v1/join/000000", nil), http.StatusNotFound, forum.EUnknownCode)
	wantError(t, e.do("GET", "/api/v1/join/abc", nil), http.StatusNotFound, forum.EUnknownCode)

	// Guessing from one address is limited; the right code is refused too once limited.
	limited := false
	for i := range 40 {
		w := e.do("GET", "/api/v1/join/9"+strconv.Itoa(100000+i), nil, from("192.0.2.77:4000"))
		if w.Code == http.StatusTooManyRequests {
			wantError(t, w, http.StatusTooManyRequests, forum.ERateLimited)
			if ra, err := strconv.Atoi(w.Header().Get("Retry-After")); err != nil || ra < 1 {
				t.Fatalf("Retry-After %q", w.Header().Get("Retry-After"))
			}
			limited = true
			break
		}
		wantError(t, w, http.StatusNotFound, forum.EUnknownCode)
	}
	if !limited {
		t.Fatal("40 wrong codes from one address were never limited")
	}
	// Another address is not limited; behind a trusted proxy the forwarded address counts.
	wantStatus(t, e.do("GET", "/api/v1/join/"+s.Code, nil, from("192.0.2.78:4000")), http.StatusOK)
	wantStatus(t, e.do("GET", "/api/v1/join/"+s.Code, nil, from("10.1.2.3:4000"), header("X-Forwarded-For", "192.0.2.99")), http.StatusOK)
	w = e.do("GET", "/api/v1/join/123123123", nil, from("10.1.2.3:4000"), header("X-Forwarded-For", "192.0.2.77"))
	wantError(t, w, http.StatusTooManyRequests, forum.ERateLimited)
	// An untrusted peer cannot pick its address with X-Forwarded-For.
	w = e.do("GET", "/api/v1/join/123123123", nil, from("192.0.2.77:4000"), header("X-Forwarded-For", "192.0.2.200"))
	wantError(t, w, http.StatusTooManyRequests, forum.ERateLimited)

	// Ended sessions are unknown codes.
	if _, err := e.svc.Do(t.Context(), &forum.User{ID: admin.user.ID, Role: forum.RoleAdmin}, s.ID, forum.Command{Type: "end"}); err != nil {
		t.Fatal(err)
	}
	wantError(t, e.do("GET", "/api/v1/join/"+s.Code, nil, from("192.0.2.50:1")), http.StatusNotFound, forum.EUnknownCode)

	// Logs name sessions, not people.
	if logs := e.logs.String(); strings.Contains(logs, "192.0.2.") {
		t.Errorf("logs contain a client address:\n%s", logs)
	}
}

func TestQRCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	admin := e.admin()
	s := e.createSession(admin, "QR <&> test")

	w := e.do("GET", "/api/v1/sessions/"+s.ID+"/qr.svg", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	if ct := w.Header().Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("svg Content-Type %q", ct)
	}
	body := w.Body.String()
	if !strings.HasPrefix(body, "<svg") || !strings.Contains(body, "<title") || !strings.Contains(body, s.JoinURL) ||
		!strings.Contains(body, "QR &lt;&amp;&gt; test") || !strings.Contains(body, "<path") {
		t.Errorf("svg %.400s", body)
	}
	if err := xmlWellFormed(w.Body.Bytes()); err != nil {
		t.Errorf("svg is not well-formed XML: %v", err)
	}

	w = e.do("GET", "/api/v1/sessions/"+s.ID+"/qr.png", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	if ct := w.Header().Get("Content-Type"); ct != "image/png" {
		t.Errorf("png Content-Type %q", ct)
	}
	img, err := png.Decode(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Fatalf("png does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 128 {
		t.Errorf("png is %v", b)
	}
	w = e.do("GET", "/api/v1/sessions/"+s.ID+"/qr.png?size=256", nil, as(admin))
	wantStatus(t, w, http.StatusOK)
	wantError(t, e.do("GET", "/api/v1/sessions/"+s.ID+"/qr.png?size=huge", nil, as(admin)), http.StatusBadRequest, forum.EBadRequest)
	wantError(t, e.do("GET", "/api/v1/sessions/"+s.ID+"/qr.png?size=99999", nil, as(admin)), http.StatusBadRequest, forum.EBadRequest)
	wantError(t, e.do("GET", "/api/v1/sessions/"+s.ID+"/qr.svg", nil), http.StatusUnauthorized, forum.EUnauthenticated)
}

func TestQRSVGMatchesBitmap(t *testing.T) {
	t.Parallel()
	bm := [][]bool{{true, true, false}, {false, true, false}, {true, false, true}}
	got := string(qrSVG(bm, "t"))
	for _, want := range []string{`viewBox="0 0 3 3"`, "M0 0h2v1h-2z", "M1 1h1v1h-1z", "M0 2h1v1h-1z", "M2 2h1v1h-1z"} {
		if !strings.Contains(got, want) {
			t.Errorf("svg lacks %q: %s", want, got)
		}
	}
	if strings.Count(got, "M") != 4 {
		t.Errorf("svg has the wrong number of runs: %s", got)
	}
}

func xmlWellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		if _, err := d.Token(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}
