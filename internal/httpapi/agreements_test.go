package httpapi

import (
	"net/http"
	"testing"

	"pejl/internal/forum"
)

// The contract of issue 12 at the HTTP edge: pace and window on create, published on PATCH,
// themes and agreements (statuses and errors), the follow-up.
func TestSurveysThemesAgreementsHTTP(t *testing.T) {
	e := newEnv(t, nil)
	fac := e.facilitator("fac@pejl.test")
	other := e.facilitator("other@pejl.test")

	w := e.do("POST", "/api/v1/sessions", map[string]any{"title": "Trivsel", "charter_id": "allerod-ledelsesgrundlag",
		"pace": "self", "opens_at": "2026-03-01T08:00:00+01:00", "closes_at": "2026-03-14T16:00:00+01:00"}, as(fac))
	wantStatus(t, w, http.StatusCreated)
	var survey forum.SessionInfo
	mustJSON(t, w, &survey)
	if survey.Pace != "self" || survey.OpensAt == nil || survey.OpensAt.UTC().Hour() != 7 || survey.Published {
		t.Errorf("survey = pace %q opens %v published %v", survey.Pace, survey.OpensAt, survey.Published)
	}
	wantError(t, e.do("POST", "/api/v1/sessions", map[string]any{"title": "X", "charter_id": "allerod-ledelsesgrundlag", "pace": "slow"}, as(fac)),
		http.StatusBadRequest, "bad_request")
	wantError(t, e.do("POST", "/api/v1/sessions", map[string]any{"title": "X", "charter_id": "allerod-ledelsesgrundlag", "pace": "self",
		"opens_at": "yesterday"}, as(fac)), http.StatusBadRequest, "bad_request")
	w = e.do("PATCH", "/api/v1/sessions/"+survey.ID, map[string]any{"published": true}, as(fac))
	wantStatus(t, w, http.StatusOK)
	mustJSON(t, w, &survey)
	if !survey.Published {
		t.Error("PATCH published: not published")
	}

	s := e.createSession(fac, "Temadag")
	wantError(t, e.do("PATCH", "/api/v1/sessions/"+s.ID, map[string]any{"published": true}, as(fac)), http.StatusBadRequest, "bad_request")
	base := "/api/v1/sessions/" + s.ID
	w = e.do("POST", base+"/themes", map[string]any{"title": "Samarbejde", "comments": []string{}}, as(fac))
	wantStatus(t, w, http.StatusCreated)
	var th forum.Theme
	mustJSON(t, w, &th)
	wantError(t, e.do("POST", base+"/themes", map[string]any{"title": " "}, as(fac)), http.StatusBadRequest, "bad_request")
	wantError(t, e.do("POST", base+"/themes", map[string]any{"title": "X", "comments": []string{"c-none"}}, as(fac)), http.StatusBadRequest, "bad_request")
	wantError(t, e.do("GET", base+"/themes", nil, as(other)), http.StatusNotFound, "not_found")
	wantStatus(t, e.do("PATCH", base+"/themes/"+th.ID, map[string]any{"title": "Samarbejde på tværs"}, as(fac)), http.StatusOK)
	w = e.do("POST", base+"/themes/"+th.ID+"/proposal", nil, as(fac))
	wantStatus(t, w, http.StatusCreated)
	var prop forum.Activity
	mustJSON(t, w, &prop)
	if prop.Kind != "choice" || len(prop.Options) != 3 {
		t.Errorf("proposal = %+v", prop)
	}

	w = e.do("POST", base+"/agreements", map[string]any{"what": "Fælles morgenmøde", "who": "Direktionen", "due": "2027-03-01",
		"follow_up": "2027-06-01", "statements": []string{"s2-1"}, "theme": th.ID}, as(fac))
	wantStatus(t, w, http.StatusCreated)
	var ag forum.Agreement
	mustJSON(t, w, &ag)
	for _, bad := range []map[string]any{{"who": "X"}, {"what": "X", "due": "1. marts"}, {"what": "X", "statements": []string{"nope"}}, {"what": "X", "theme": "t9"}} {
		wantError(t, e.do("POST", base+"/agreements", bad, as(fac)), http.StatusBadRequest, "bad_request")
	}
	wantStatus(t, e.do("PATCH", base+"/agreements/"+ag.ID, map[string]any{"who": "HR"}, as(fac)), http.StatusOK)
	wantError(t, e.do("PATCH", base+"/agreements/a99", map[string]any{"who": "HR"}, as(fac)), http.StatusNotFound, "not_found")
	var list struct{ Agreements []forum.Agreement }
	mustJSON(t, e.do("GET", base+"/agreements", nil, as(fac)), &list)
	if len(list.Agreements) != 1 || list.Agreements[0].Who != "HR" {
		t.Errorf("agreements = %+v", list.Agreements)
	}

	w = e.do("POST", base+"/follow-up", nil, as(fac))
	wantStatus(t, w, http.StatusCreated)
	var fu forum.SessionInfo
	mustJSON(t, w, &fu)
	if fu.Pace != "self" || fu.Follows != s.ID || fu.Title != "Opfølgning: Temadag" {
		t.Errorf("follow-up = pace %q follows %q title %q", fu.Pace, fu.Follows, fu.Title)
	}
	wantError(t, e.do("POST", base+"/follow-up", nil, as(other)), http.StatusNotFound, "not_found")
	wantStatus(t, e.do("DELETE", base+"/agreements/"+ag.ID, nil, as(fac)), http.StatusNoContent)
	wantStatus(t, e.do("DELETE", base+"/themes/"+th.ID, nil, as(fac)), http.StatusNoContent)
	wantError(t, e.do("DELETE", base+"/themes/"+th.ID, nil, as(fac)), http.StatusNotFound, "not_found")
}
