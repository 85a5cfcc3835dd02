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

// testSvcRankSections: a charter-wide ranking comes to the phones with its items grouped
// under their sections' titles; a ranking within one section has no groups.
func testSvcRankSections(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	sec := h.firstSection()
	wide, err := h.Svc.AddActivity(ctx, h.Owner, s.ID, forum.NewActivity{Kind: forum.KindRank, Section: sec.ID, Prompt: "Vigtigst?", Scope: "charter"})
	noErr(t, "AddActivity charter", err)
	local, err := h.Svc.AddActivity(ctx, h.Owner, s.ID, forum.NewActivity{Kind: forum.KindRank, Section: sec.ID, Prompt: "Her?"})
	noErr(t, "AddActivity section", err)
	h.Do(t, s.ID, forum.Command{Type: "goto", Section: sec.ID})
	cur, _ := h.Svc.SessionByID(ctx, s.ID)
	snap, err := h.Svc.Snapshot(ctx, cur)
	noErr(t, "Snapshot", err)
	for _, av := range snap.Activities {
		switch av.ID {
		case wide.ID:
			n := 0
			for _, g := range av.ItemSections {
				if g.Title == "" || len(g.Items) == 0 {
					t.Errorf("a group without title or items: %s", mustJSON(g))
				}
				n += len(g.Items)
			}
			if len(av.ItemSections) < 2 || n != len(av.Statements) {
				t.Errorf("the charter-wide ranking's groups: %d groups of %d items, %d statements", len(av.ItemSections), n, len(av.Statements))
			}
		case local.ID:
			if av.ItemSections != nil {
				t.Errorf("a ranking within one section has groups: %s", mustJSON(av.ItemSections))
			}
		}
	}
}

// testSvcWords: a word cloud leaves out stop words and blocked words, takes words of up to
// 40 characters and refuses longer ones, and a word the facilitator hides (moderate_word)
// is gone for every audience until shown again; only the facilitator's view names the
// hidden and the blocked words.
func testSvcWords(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	sec := h.firstSection()
	a, err := h.Svc.AddActivity(ctx, h.Owner, s.ID, forum.NewActivity{Kind: forum.KindWords, Section: sec.ID, Prompt: "Ord?"})
	noErr(t, "AddActivity", err)
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{MinResponses: ptr(1), AnonymityThreshold: ptr(1)})
	noErr(t, "results from one answer", err)
	h.Do(t, s.ID, forum.Command{Type: "goto", Section: sec.ID})
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: a.ID})
	h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: a.ID})
	long := "arbejdsmiljørepræsentantsuppleantvalget" // 39 letters
	long40 := long + "s"
	for i, words := range []string{`["Tillid","og","Lort"]`, `["tillid","THE","` + long40 + `"]`, `["tillid","åbenhed"]`} {
		p := h.Join(t, s, "", "")
		_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "w", Activity: a.ID, Value: json.RawMessage(words)})
		noErr(t, "vote "+strconv(i), err)
	}
	p := h.Join(t, s, "", "")
	_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "w", Activity: a.ID, Value: json.RawMessage(`["` + long40 + `x"]`)})
	wantCode(t, "a 41-character word", err, forum.EInvalidValue)

	cloud := func(aud forum.Audience) map[string]int64 {
		t.Helper()
		cur, _ := h.Svc.SessionByID(ctx, s.ID)
		act, _ := cur.Activity(a.ID)
		r, _, ok, err := h.Svc.ActivityResults(ctx, aud, cur, act)
		noErr(t, "ActivityResults", err)
		if !ok {
			t.Fatalf("audience %d sees no results", aud)
		}
		return r.Words
	}
	auds := []forum.Audience{forum.ForParticipant, forum.ForPresenter, forum.ForFacilitator, forum.ForExport}
	want := func(what string, words map[string]int64) {
		t.Helper()
		for _, aud := range auds {
			if got := cloud(aud); mustJSON(got) != mustJSON(words) {
				t.Errorf("%s: audience %d sees %v, want %v", what, aud, got, words)
			}
		}
	}
	want("stop and blocked words", map[string]int64{"tillid": 3, long40: 1, "åbenhed": 1})

	h.Do(t, s.ID, forum.Command{Type: "moderate_word", Activity: a.ID, Word: " Tillid ", Action: "hide"})
	want("tillid hidden", map[string]int64{long40: 1, "åbenhed": 1})
	fac, _ := h.Svc.ViewAs(ctx, h.Owner, s.ID, forum.ForFacilitator)
	if mustJSON(fac.HiddenWords[a.ID]) != `["tillid"]` || len(fac.BlockedWords) == 0 {
		t.Errorf("the facilitator's view: hidden %v, blocked %v", fac.HiddenWords, fac.BlockedWords)
	}
	pres, _ := h.Svc.ViewAs(ctx, h.Owner, s.ID, forum.ForPresenter)
	if b, _ := json.Marshal(pres); strings.Contains(string(b), "hidden_words") || strings.Contains(string(b), "blocked_words") || strings.Contains(string(b), `"lort"`) {
		t.Errorf("the presenter's view names hidden or blocked words: %s", b)
	}
	h.Do(t, s.ID, forum.Command{Type: "moderate_word", Activity: a.ID, Word: "tillid", Action: "show"})
	want("tillid shown again", map[string]int64{"tillid": 3, long40: 1, "åbenhed": 1})

	// The session's own list replaces the default one.
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{BlockedWords: &[]string{"Åbenhed", "åbenhed", ""}})
	noErr(t, "blocked words", err)
	want("own blocked list", map[string]int64{"tillid": 3, long40: 1, "lort": 1})

	for _, c := range []forum.Command{
		{Type: "moderate_word", Activity: sec.ID + "-scale", Word: "x", Action: "hide"},
		{Type: "moderate_word", Activity: a.ID, Word: "x", Action: "star"},
		{Type: "moderate_word", Activity: a.ID, Word: " ", Action: "hide"},
	} {
		_, err := h.Svc.Do(ctx, h.Owner, s.ID, c)
		wantCode(t, "moderate_word "+c.Activity+" "+c.Action, err, forum.EBadRequest)
	}
}

// testSvcEndScreen: once the session has ended, a phone's snapshot lists every activity
// whose results the room was shown, from every section, and no other.
func testSvcEndScreen(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	var secs []string
	for _, x := range h.Ch.Sections {
		if !x.Unrated && len(x.Statements) >= 2 {
			secs = append(secs, x.ID)
		}
	}
	first, second := secs[0], secs[1]
	h.Do(t, s.ID, forum.Command{Type: "goto", Section: first})
	h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: first + "-scale"})
	h.Do(t, s.ID, forum.Command{Type: "goto", Section: second})
	cur, _ := h.Svc.SessionByID(ctx, s.ID)
	snap, err := h.Svc.Snapshot(ctx, cur)
	noErr(t, "Snapshot", err)
	for _, av := range snap.Activities {
		if av.Section != second {
			t.Errorf("while live, the phone lists %s of another section", av.ID)
		}
	}
	h.Do(t, s.ID, forum.Command{Type: "end"})
	cur, _ = h.Svc.SessionByID(ctx, s.ID)
	snap, err = h.Svc.Snapshot(ctx, cur)
	noErr(t, "Snapshot", err)
	var ids []string
	for _, av := range snap.Activities {
		if av.Section != second {
			ids = append(ids, av.ID)
			if av.Results != forum.ResultsShown || av.Tally == nil || len(av.Items) == 0 {
				t.Errorf("the end screen's %s: results %s, tally %v, %d items", av.ID, av.Results, av.Tally != nil, len(av.Items))
			}
		}
	}
	if mustJSON(ids) != mustJSON([]string{first + "-scale"}) {
		t.Errorf("after the end the phone lists %v of other sections, want the shown %s-scale only", ids, first)
	}
}
