package httpapi

import (
	"net/http"
	"testing"

	"pejl/internal/forum"
)

// TestActivityDraftRoutes: PATCH and DELETE of an activity over HTTP, the 409 with its
// reason, and that the session stays in the lobby.
func TestActivityDraftRoutes(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.admin()
	s := e.createSession(admin, "Temadag")
	base := "/api/v1/sessions/" + s.ID + "/activities"
	w := e.do("POST", base, map[string]any{"kind": "choice", "section": "s11", "prompt": "Hvad?",
		"options": []map[string]string{{"label": "Tilid"}, {"label": "Dialog"}}}, as(admin))
	wantStatus(t, w, http.StatusCreated)
	var a forum.Activity
	mustJSON(t, w, &a)
	w = e.do("PATCH", base+"/"+a.ID, map[string]any{"options": []map[string]string{{"id": "o1", "label": "Tillid"}, {"id": "o2", "label": "Dialog"}}, "position": 0}, as(admin))
	wantStatus(t, w, http.StatusOK)
	mustJSON(t, w, &a)
	if a.Options[0].Label != "Tillid" {
		t.Errorf("patched = %+v", a)
	}
	w = e.do("PATCH", base+"/nope", map[string]any{"prompt": "x"}, as(admin))
	wantError(t, w, http.StatusNotFound, "not_found")
	w = e.do("PATCH", base+"/"+a.ID, map[string]any{"max_choices": "two"}, as(admin))
	wantError(t, w, http.StatusBadRequest, "bad_request")

	// Open it: changing the options now is a 409 that says why.
	if _, err := e.svc.Do(t.Context(), &forum.User{ID: "ops", Role: forum.RoleAdmin}, s.ID, forum.Command{Type: "open", Activity: a.ID}); err != nil {
		t.Fatal(err)
	}
	w = e.do("PATCH", base+"/"+a.ID, map[string]any{"options": []map[string]string{{"label": "A"}, {"label": "B"}, {"label": "C"}}}, as(admin))
	eo := wantError(t, w, http.StatusConflict, "conflict")
	if len(eo.Details) != 1 || eo.Details[0].Field != forum.DetailOpen {
		t.Errorf("409 details = %+v", eo.Details)
	}
	w = e.do("DELETE", base+"/"+a.ID, nil, as(admin))
	wantError(t, w, http.StatusConflict, "conflict")

	w = e.do("DELETE", base+"/s2-scale", nil, as(admin))
	wantStatus(t, w, http.StatusNoContent)
	w = e.do("DELETE", base+"/s2-scale", nil, as(admin))
	wantError(t, w, http.StatusNotFound, "not_found")
}

// TestCopyRoutes: POST …/copy makes a rehearsal or a template; GET /templates lists it.
func TestCopyRoutes(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.admin()
	s := e.createSession(admin, "Temadag")
	w := e.do("POST", "/api/v1/sessions/"+s.ID+"/copy", map[string]any{"rehearsal": true}, as(admin))
	wantStatus(t, w, http.StatusCreated)
	var info forum.SessionInfo
	mustJSON(t, w, &info)
	if !info.Rehearsal || info.Title != "Prøvekørsel: Temadag" || info.ID == s.ID || info.State != forum.StateLobby {
		t.Errorf("rehearsal = %+v", info)
	}
	w = e.do("POST", "/api/v1/sessions/"+s.ID+"/copy", nil, as(admin))
	wantStatus(t, w, http.StatusCreated)
	w = e.do("POST", "/api/v1/sessions/"+s.ID+"/copy", map[string]any{"template": "organisation", "title": "Skabelon"}, as(admin))
	wantStatus(t, w, http.StatusCreated)
	var list struct {
		Templates []forum.SessionInfo `json:"templates"`
	}
	mustJSON(t, e.do("GET", "/api/v1/templates", nil, as(admin)), &list)
	if len(list.Templates) != 1 || list.Templates[0].Title != "Skabelon" || list.Templates[0].Shared != "organisation" {
		t.Errorf("templates = %+v", list.Templates)
	}
	wantError(t, e.do("POST", "/api/v1/sessions/"+s.ID+"/copy", map[string]any{"template": "all"}, as(admin)), http.StatusBadRequest, "bad_request")
}

// TestPeopleRoutes: an admin resets a password (the old one stops working); a facilitator
// sees the other active facilitators, not the deactivated ones.
func TestPeopleRoutes(t *testing.T) {
	e := newEnv(t, nil)
	admin := e.admin()
	var made struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	for _, email := range []string{"anna@example.dk", "bo@example.dk"} {
		w := e.do("POST", "/api/v1/users", map[string]any{"email": email, "password": "first-long-secret", "name": email[:2], "role": "facilitator"}, as(admin))
		wantStatus(t, w, http.StatusCreated)
		mustJSON(t, w, &made)
	}
	bo := made.User.ID
	wantStatus(t, e.do("POST", "/api/v1/users/"+bo+"/password", map[string]any{"password": "second-long-secret"}, as(admin)), http.StatusNoContent)
	wantError(t, e.do("POST", "/api/v1/auth/login", map[string]string{"email": "bo@example.dk", "password": "first-long-secret"}, origin(publicURL)), http.StatusUnauthorized, "invalid_credentials")
	wantStatus(t, e.do("POST", "/api/v1/auth/login", map[string]string{"email": "bo@example.dk", "password": "second-long-secret"}, origin(publicURL)), http.StatusOK)
	wantError(t, e.do("POST", "/api/v1/users/"+bo+"/password", map[string]any{"password": "short"}, as(admin)), http.StatusBadRequest, "bad_request")

	wantStatus(t, e.do("PATCH", "/api/v1/users/"+bo, map[string]any{"disabled": true}, as(admin)), http.StatusOK)
	anna := e.login("anna@example.dk", "first-long-secret")
	wantError(t, e.do("POST", "/api/v1/users/"+bo+"/password", map[string]any{"password": "third-long-secret"}, as(anna)), http.StatusForbidden, "forbidden")
	var list struct {
		Facilitators []forum.Colleague `json:"facilitators"`
	}
	mustJSON(t, e.do("GET", "/api/v1/facilitators", nil, as(anna)), &list)
	var emails []string
	for _, c := range list.Facilitators {
		emails = append(emails, c.Email)
	}
	if len(emails) != 1 || emails[0] == "anna@example.dk" || emails[0] == "bo@example.dk" {
		t.Errorf("anna sees %v, want only the admin", emails)
	}
}
