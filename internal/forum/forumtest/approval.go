package forumtest

import (
	"testing"

	"pejl/internal/forum"
)

// testSvcApproval: a new comment waits for the facilitator's approval. Until then no one
// in the room (phones, the presenter) sees it, in the snapshot or the results; its author
// sees it as waiting; the facilitator sees it. Approving (show) or starring lets the room
// see it; hiding keeps it away and tells the author. With auto-approve on, comments reach
// the room at once.
func testSvcApproval(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	sec := h.firstSection()
	comments := sec.ID + "-comments"
	h.Do(t, s.ID, forum.Command{Type: "goto", Section: sec.ID})
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: comments})
	h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: comments})
	author, other := h.Join(t, s, "", ""), h.Join(t, s, "", "")
	add := func(p *forum.Participant, id, text string) *forum.Comment {
		t.Helper()
		c, err := h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: id, Activity: comments, Text: text})
		noErr(t, "AddComment", err)
		return c
	}
	seen := func(aud forum.Audience, viewer string) map[string]bool {
		t.Helper()
		cur, err := h.Svc.SessionByID(ctx, s.ID)
		noErr(t, "SessionByID", err)
		a, _ := cur.Activity(comments)
		var all []forum.Comment
		noErr(t, "ScanComments", h.Svc.ScanComments(ctx, s.ID, func(c forum.Comment) error { all = append(all, c); return nil }))
		out := map[string]bool{}
		for _, c := range forum.CommentsFor(aud, cur, a, all, viewer) {
			out[c.Text] = true
		}
		if aud != forum.ForFacilitator && viewer == "" {
			// The snapshot and the results the room is given agree with CommentsFor.
			r, _, ok, err := h.Svc.ActivityResults(ctx, aud, cur, a)
			noErr(t, "ActivityResults", err)
			if ok && len(r.Comments) != len(out) {
				t.Errorf("audience %d: results list %d comments, CommentsFor %d", aud, len(r.Comments), len(out))
			}
			snap, err := h.Svc.Snapshot(ctx, cur)
			noErr(t, "Snapshot", err)
			for _, av := range snap.Activities {
				if av.ID == comments && av.Tally != nil {
					for _, c := range av.Tally.Comments {
						if !out[c.Text] {
							t.Errorf("the snapshot carries %q, which the room may not see", c.Text)
						}
					}
				}
			}
		}
		return out
	}
	waiting := add(author, "c1", "Kollega X er problemet")
	if !waiting.Pending {
		t.Fatal("a new comment is not pending")
	}
	for _, aud := range []forum.Audience{forum.ForParticipant, forum.ForPresenter} {
		if seen(aud, "")["Kollega X er problemet"] {
			t.Errorf("audience %d sees a comment before it is approved", aud)
		}
	}
	if !seen(forum.ForParticipant, author.ID)["Kollega X er problemet"] {
		t.Error("the author does not see their own waiting comment")
	}
	if !seen(forum.ForFacilitator, "")["Kollega X er problemet"] {
		t.Error("the facilitator does not see a waiting comment")
	}
	mine, err := h.Svc.Mine(ctx, s.ID, author.ID)
	noErr(t, "Mine", err)
	if len(mine.Comments) != 1 || !mine.Comments[0].Pending {
		t.Errorf("the author's comments %+v, want one pending", mine.Comments)
	}

	// Hide it: still not in the room; the author learns it was hidden.
	h.Do(t, s.ID, forum.Command{Type: "moderate", Comment: waiting.ID, Action: "hide"})
	if seen(forum.ForParticipant, "")["Kollega X er problemet"] {
		t.Error("a hidden comment reached the room")
	}
	mine, _ = h.Svc.Mine(ctx, s.ID, author.ID)
	if len(mine.Comments) != 1 || mine.Comments[0].Pending || !mine.Comments[0].Hidden {
		t.Errorf("after hide the author's comments %+v, want hidden, not pending", mine.Comments)
	}

	// Approve one, star another: both reach the room, starred first.
	good := add(other, "c1", "Mere dialog, tak")
	star := add(other, "c2", "Tillid er noget man viser")
	if seen(forum.ForPresenter, "")["Mere dialog, tak"] {
		t.Error("the presenter sees a comment before it is approved")
	}
	h.Do(t, s.ID, forum.Command{Type: "moderate", Comment: good.ID, Action: "show"})
	h.Do(t, s.ID, forum.Command{Type: "moderate", Comment: star.ID, Action: "star"})
	for _, aud := range []forum.Audience{forum.ForParticipant, forum.ForPresenter} {
		got := seen(aud, "")
		if !got["Mere dialog, tak"] || !got["Tillid er noget man viser"] || got["Kollega X er problemet"] {
			t.Errorf("audience %d after approval sees %v", aud, got)
		}
	}
	cur, _ := h.Svc.SessionByID(ctx, s.ID)
	a, _ := cur.Activity(comments)
	var all []forum.Comment
	noErr(t, "ScanComments", h.Svc.ScanComments(ctx, s.ID, func(c forum.Comment) error { all = append(all, c); return nil }))
	if list := forum.CommentsFor(forum.ForPresenter, cur, a, all, ""); len(list) != 2 || list[0].ID != star.ID {
		t.Errorf("the presenter's list %+v, want the starred comment first", list)
	}

	// Auto-approve: the next comment reaches the room at once.
	yes := true
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{AutoApprove: &yes})
	noErr(t, "UpdateSession", err)
	if c := add(author, "c2", "Godt at vi gør det her"); c.Pending {
		t.Error("with auto-approve a new comment is pending")
	}
	if !seen(forum.ForParticipant, "")["Godt at vi gør det her"] {
		t.Error("with auto-approve a new comment does not reach the room")
	}
}
