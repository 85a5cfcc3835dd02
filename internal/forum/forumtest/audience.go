package forumtest

import (
	"encoding/json"
	"testing"

	"pejl/internal/forum"
)

// testSvcAudience walks a session through hidden results, shown results, a move to another
// section and a hidden comment, and checks at every step what the room (a participant, the
// presenter) and the facilitator are given: the room never gets a tally or a comment of an
// activity whose results are hidden or whose section is not the current one.
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

	room := []forum.Audience{forum.ForParticipant, forum.ForPresenter}
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
			if _, _, ok, _ := h.Svc.ActivityResults(ctx, forum.ForFacilitator, cur, a); !ok {
				t.Errorf("%s: the facilitator does not see the results of %s", name, id)
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
