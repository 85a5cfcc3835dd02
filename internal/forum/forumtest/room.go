package forumtest

import (
	"encoding/json"
	"strings"
	"testing"

	"pejl/internal/forum"
)

// testSvcNotes: presenter notes come from the charter ("<!-- noter: … -->") or are set per
// session; the facilitator's view lists them, and nothing the room is given holds them —
// not the presenter's view, not a phone's snapshot, not the session's results.
func testSvcNotes(t *testing.T, h *Harness) {
	ctx := t.Context()
	src := "# Noter\n\n## Første\n\n<!-- noter: Spørg efter et eksempel fra hverdagen -->\n\n- Vi lytter\n- Vi svarer\n\n## Anden\n\n- Vi følger op\n"
	ch, err := h.Svc.ImportCharter(ctx, h.Owner, []byte(src))
	noErr(t, "ImportCharter", err)
	s, err := h.Svc.CreateSession(ctx, h.Owner, forum.NewSession{Title: "Noter", CharterID: ch.ID})
	noErr(t, "CreateSession", err)
	first, second := ch.Sections[0].ID, ch.Sections[1].ID
	const own = "Kirsten starter runden – husk tiden"
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{Notes: map[string]string{second: own}})
	noErr(t, "UpdateSession notes", err)
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{Notes: map[string]string{"s99": "x"}})
	wantCode(t, "notes of an unknown section", err, forum.EBadRequest)
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{Notes: map[string]string{first: strings.Repeat("æ", 4001)}})
	wantCode(t, "notes too long", err, forum.EBadRequest)
	h.Do(t, s.ID, forum.Command{Type: "goto", Section: second})
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: second + "-scale"})
	h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: second + "-scale"})

	secret := []string{"eksempel fra hverdagen", "Kirsten starter"}
	holds := func(what string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		noErr(t, "marshal "+what, err)
		for _, x := range secret {
			if strings.Contains(string(b), x) {
				t.Errorf("%s holds the presenter notes %q: %s", what, x, b)
			}
		}
	}
	fac, err := h.Svc.ViewAs(ctx, h.Owner, s.ID, forum.ForFacilitator)
	noErr(t, "facilitator view", err)
	if fac.Notes[first] != "Spørg efter et eksempel fra hverdagen" || fac.Notes[second] != own {
		t.Errorf("the facilitator's notes = %v", fac.Notes)
	}
	pres, err := h.Svc.ViewAs(ctx, h.Owner, s.ID, forum.ForPresenter)
	noErr(t, "presenter view", err)
	holds("the presenter's view", pres)
	cur, _ := h.Svc.SessionByID(ctx, s.ID)
	snap, err := h.Svc.Snapshot(ctx, cur)
	noErr(t, "Snapshot", err)
	if snap.Section == nil || snap.Section.ID != second {
		t.Fatalf("the snapshot's section = %v", snap.Section)
	}
	holds("a phone's snapshot", snap)
	holds("the session's summary", h.Svc.Info(cur))
	for _, aud := range []forum.Audience{forum.ForParticipant, forum.ForPresenter, forum.ForExport} {
		if n := forum.NotesFor(aud, cur, ch); n != nil {
			t.Errorf("NotesFor(%d) = %v", aud, n)
		}
	}

	// A copy keeps its notes; clearing a section's notes hides the charter's too.
	cp, err := h.Svc.CopySession(ctx, h.Owner, s.ID, forum.CopyRequest{})
	noErr(t, "copy", err)
	if v, _ := h.Svc.ViewAs(ctx, h.Owner, cp.ID, forum.ForFacilitator); v.Notes[second] != own {
		t.Errorf("the copy's notes = %v", v.Notes)
	}
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{Notes: map[string]string{first: "  "}})
	noErr(t, "clear notes", err)
	if v, _ := h.Svc.ViewAs(ctx, h.Owner, s.ID, forum.ForFacilitator); len(v.Notes) != 1 || v.Notes[second] != own {
		t.Errorf("after clearing: notes = %v", v.Notes)
	}
}

// testSvcScaleItems: a scale over statements of other sections gives the phones their text
// (items), and only for those not in its own section.
func testSvcScaleItems(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	sec := h.firstSection()
	var other string
	for _, x := range h.Ch.Sections {
		if x.ID != sec.ID && len(x.Statements) > 0 {
			other = x.Statements[0].ID
			break
		}
	}
	a, err := h.Svc.AddActivity(ctx, h.Owner, s.ID, forum.NewActivity{Kind: forum.KindScale, Section: sec.ID, Statements: []string{sec.Statements[0].ID, other}})
	noErr(t, "AddActivity", err)
	h.Do(t, s.ID, forum.Command{Type: "goto", Section: sec.ID})
	cur, _ := h.Svc.SessionByID(ctx, s.ID)
	snap, err := h.Svc.Snapshot(ctx, cur)
	noErr(t, "Snapshot", err)
	for _, av := range snap.Activities {
		if av.ID != a.ID {
			continue
		}
		if len(av.Items) != 1 || av.Items[0].ID != other || av.Items[0].Text == "" {
			t.Errorf("the scale's items = %s, want only %s with its text", mustJSON(av.Items), other)
		}
		return
	}
	t.Errorf("the phone's snapshot lacks the scale %s", a.ID)
}
