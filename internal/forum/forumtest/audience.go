package forumtest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"pejl/internal/forum"
)

// testSvcAudience walks a session through hidden results, shown results, a move to another
// section and a hidden comment, and checks at every step what a participant, the presenter
// and the facilitator are given: a participant never gets a tally or a comment of an
// activity whose results are hidden or whose section is not the current one; the presenter
// shows what the facilitator puts on the stage, but never a hidden comment nor an author.
func testSvcAudience(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, scale, choice, _, _, comments := votingSession(t, h)
	sec := h.firstSection()
	st := sec.Statements[0].ID
	author, other := h.Join(t, s, "", "leder"), h.Join(t, s, "", "medarb")
	for _, p := range []*forum.Participant{author, other} {
		_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "v1", Activity: scale, Statement: st, Value: json.RawMessage(`4`)})
		noErr(t, "Vote", err)
		_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "v2", Activity: choice, Value: json.RawMessage(`["tillid"]`)})
		noErr(t, "Vote choice", err)
	}
	c1, err := h.Svc.AddComment(ctx, s.ID, author, forum.CommentIn{ClientID: "c1", Activity: comments, Text: "Første kommentar"})
	noErr(t, "AddComment", err)
	c2, err := h.Svc.AddComment(ctx, s.ID, other, forum.CommentIn{ClientID: "c1", Activity: comments, Text: "Anden kommentar"})
	noErr(t, "AddComment", err)
	var all []forum.Comment
	noErr(t, "ScanComments", h.Svc.ScanComments(ctx, s.ID, func(c forum.Comment) error { all = append(all, c); return nil }))

	room := []forum.Audience{forum.ForParticipant}
	// step checks what each audience gets now; shown says whether the room may see the
	// results of the scale, the choice and the comments.
	step := func(name string, shown bool) {
		t.Helper()
		cur, err := h.Svc.SessionByID(ctx, s.ID)
		noErr(t, "SessionByID", err)
		for _, id := range []string{scale, choice, comments} {
			a, _ := cur.Activity(id)
			for _, aud := range room {
				_, _, ok, err := h.Svc.ActivityResults(ctx, aud, cur, a)
				noErr(t, "ActivityResults", err)
				if ok != shown {
					t.Errorf("%s: audience %d sees the results of %s: %v, want %v", name, aud, id, ok, shown)
				}
				if forum.SeesResults(aud, cur, a) != shown {
					t.Errorf("%s: SeesResults(%d, %s) = %v, want %v", name, aud, id, !shown, shown)
				}
				if a.Kind != forum.KindComments {
					tally, err := h.E.Tally(ctx, s.ID, id)
					noErr(t, "Tally", err)
					if _, _, ok := forum.TallyFor(aud, cur, a, tally); ok != shown {
						t.Errorf("%s: TallyFor(%d, %s) = %v, want %v", name, aud, id, ok, shown)
					}
				}
			}
			for _, aud := range []forum.Audience{forum.ForFacilitator, forum.ForPresenter} {
				if _, _, ok, _ := h.Svc.ActivityResults(ctx, aud, cur, a); !ok {
					t.Errorf("%s: audience %d does not see the results of %s", name, aud, id)
				}
			}
		}
		ca, _ := cur.Activity(comments)
		for _, aud := range room {
			for _, c := range all {
				want := shown && !c.Hidden
				if got := forum.SeesComment(aud, cur, ca, &c, ""); got != want {
					t.Errorf("%s: audience %d sees comment %q: %v, want %v", name, aud, c.Text, got, want)
				}
			}
			for _, c := range forum.CommentsFor(aud, cur, ca, all, "") {
				if !shown || c.Hidden || c.Participant != "" || c.Group != "" {
					t.Errorf("%s: audience %d is given %s", name, aud, mustJSON(c))
				}
			}
		}
		for _, c := range forum.CommentsFor(forum.ForPresenter, cur, ca, all, "") {
			if c.Hidden || c.Participant != "" || c.Group != "" {
				t.Errorf("%s: the presenter is given %s", name, mustJSON(c))
			}
		}
		// A participant always sees their own comments, and no one else's until shown.
		mine := forum.CommentsFor(forum.ForParticipant, cur, ca, all, author.ID)
		own := false
		for _, c := range mine {
			own = own || c.ID == c1.ID
		}
		if !own || (!shown && len(mine) != 1) {
			t.Errorf("%s: the author is given %s", name, mustJSON(mine))
		}
		if got := forum.CommentsFor(forum.ForFacilitator, cur, ca, all, ""); len(got) != len(all) {
			t.Errorf("%s: the facilitator gets %d of %d comments", name, len(got), len(all))
		}
		snap, err := h.Svc.Snapshot(ctx, cur)
		noErr(t, "Snapshot", err)
		for _, av := range snap.Activities {
			if av.Section != cur.CurrentSection {
				t.Errorf("%s: the snapshot lists %s of section %s", name, av.ID, av.Section)
			}
			if av.Tally != nil && !shown {
				t.Errorf("%s: the snapshot carries the results of %s", name, av.ID)
			}
			if av.Tally != nil && av.Kind == forum.KindComments {
				for _, c := range av.Tally.Comments {
					if c.Participant != "" || c.Group != "" || c.Hidden {
						t.Errorf("%s: the snapshot carries %s", name, mustJSON(c))
					}
				}
			}
		}
	}

	step("results hidden", false)
	for _, id := range []string{scale, choice, comments} {
		h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: id})
	}
	step("results shown", true)
	h.Do(t, s.ID, forum.Command{Type: "moderate", Comment: c2.ID, Action: "hide"})
	all = all[:0]
	noErr(t, "ScanComments", h.Svc.ScanComments(ctx, s.ID, func(c forum.Comment) error { all = append(all, c); return nil }))
	step("a comment hidden", true)
	var next string
	for _, sc := range h.Ch.Sections {
		if sc.ID != sec.ID {
			next = sc.ID
			break
		}
	}
	h.Do(t, s.ID, forum.Command{Type: "goto", Section: next})
	step("another section current, the activities still open and shown", false)
	h.Do(t, s.ID, forum.Command{Type: "goto", Section: sec.ID})
	for _, id := range []string{scale, choice, comments} {
		h.Do(t, s.ID, forum.Command{Type: "hide_results", Activity: id})
	}
	step("results hidden again", false)
}

// testSvcResultsWait: the room sees an item's figures only once ResultsFrom (the threshold,
// 5, by default) have answered it; the facilitator always sees them.
func testSvcResultsWait(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, scale, choice, _, _, _ := votingSession(t, h)
	st := h.firstSection().Statements[0].ID
	h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: scale})
	h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: choice})
	var ps []*forum.Participant
	for i := range 5 {
		g := "leder"
		if i%2 == 1 {
			g = "medarb"
		}
		ps = append(ps, h.Join(t, s, "", g))
	}
	vote := func(p *forum.Participant) {
		t.Helper()
		_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "v", Activity: scale, Statement: st, Value: json.RawMessage(`4`)})
		noErr(t, "Vote", err)
		_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "w", Activity: choice, Value: json.RawMessage(`["mod"]`)})
		noErr(t, "Vote", err)
	}
	check := func(answers int64, wait bool) {
		t.Helper()
		cur, err := h.Svc.SessionByID(ctx, s.ID)
		noErr(t, "SessionByID", err)
		for _, aud := range []forum.Audience{forum.ForParticipant, forum.ForPresenter, forum.ForExport} {
			a, _ := cur.Activity(scale)
			r, per, _, err := h.Svc.ActivityResults(ctx, aud, cur, a)
			noErr(t, "ActivityResults", err)
			sr := r.Statements[st]
			if sr.N != answers || sr.Withheld != wait || r.Withheld != wait || (wait && (len(sr.Counts) != 0 || sr.Mean != nil || r.MinResponses != 5)) {
				t.Errorf("%d answers, audience %d: scale results %s, want withheld %v", answers, aud, mustJSON(r), wait)
			}
			if !wait && sr.Counts["4"] != answers {
				t.Errorf("%d answers, audience %d: counts %v", answers, aud, sr.Counts)
			}
			if wait && len(per) != 0 {
				t.Errorf("%d answers, audience %d: groups %s before the results may be seen", answers, aud, mustJSON(per))
			}
			c, _ := cur.Activity(choice)
			r, _, _, err = h.Svc.ActivityResults(ctx, aud, cur, c)
			noErr(t, "ActivityResults", err)
			if r.N != answers || r.Withheld != wait || (wait && len(r.Options) != 0) || (!wait && r.Options["mod"] != answers) {
				t.Errorf("%d answers, audience %d: choice results %s, want withheld %v", answers, aud, mustJSON(r), wait)
			}
		}
		a, _ := cur.Activity(scale)
		r, _, _, err := h.Svc.ActivityResults(ctx, forum.ForFacilitator, cur, a)
		noErr(t, "ActivityResults", err)
		if r.Withheld || r.Statements[st].Counts["4"] != answers {
			t.Errorf("%d answers: the facilitator sees %s", answers, mustJSON(r.Statements[st]))
		}
		snap, err := h.Svc.Snapshot(ctx, cur)
		noErr(t, "Snapshot", err)
		for _, av := range snap.Activities {
			if av.ID == scale && (av.Tally == nil || av.Tally.Statements[st].Withheld != wait) {
				t.Errorf("%d answers: the participants' snapshot has %s", answers, mustJSON(av.Tally))
			}
		}
	}
	for i := range 3 {
		vote(ps[i])
	}
	check(3, true)
	vote(ps[3])
	check(4, true)
	vote(ps[4])
	check(5, false)
}

// testSvcThresholdLocked: the anonymity threshold (and the number of answers results wait
// for) may be raised at any time, but not lowered once anyone has answered.
func testSvcThresholdLocked(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, scale, _, _, _, _ := votingSession(t, h)
	set := func(thr, minResp *int) error {
		_, err := h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{AnonymityThreshold: thr, MinResponses: minResp})
		return err
	}
	n := func(v int) *int { return &v }
	noErr(t, "lowering the threshold before any answer", set(n(3), nil))
	noErr(t, "raising it again", set(n(5), nil))
	p := h.Join(t, s, "", "leder")
	_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "v", Activity: scale, Statement: h.firstSection().Statements[0].ID, Value: json.RawMessage(`3`)})
	noErr(t, "Vote", err)
	for _, tc := range []struct {
		name      string
		thr, resp *int
		field     string
	}{
		{"threshold 5 → 1", n(1), nil, "anonymity_threshold"},
		{"results from 5 → 2", nil, n(2), "min_responses"},
	} {
		err := set(tc.thr, tc.resp)
		wantCode(t, tc.name+" after an answer", err, forum.EConflict)
		var fe *forum.Error
		if !errors.As(err, &fe) || !strings.Contains(fe.Message, "kan ikke sænkes") || len(fe.Details) != 1 || fe.Details[0].Field != tc.field {
			t.Errorf("%s: error %v, want a Danish reason on field %s", tc.name, err, tc.field)
		}
	}
	cur, _ := h.Svc.SessionByID(ctx, s.ID)
	if cur.AnonymityThreshold != 5 || cur.ResultsFrom() != 5 {
		t.Errorf("after refused changes: threshold %d, results from %d", cur.AnonymityThreshold, cur.ResultsFrom())
	}
	noErr(t, "raising the threshold after answers", set(n(8), nil))
	noErr(t, "waiting for more answers", set(nil, n(10)))
	cur, _ = h.Svc.SessionByID(ctx, s.ID)
	if cur.AnonymityThreshold != 8 || cur.ResultsFrom() != 10 {
		t.Errorf("after raising: threshold %d, results from %d", cur.AnonymityThreshold, cur.ResultsFrom())
	}
}
