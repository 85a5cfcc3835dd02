package forumtest

import (
	"encoding/json"
	"testing"
	"time"

	"pejl/internal/forum"
)

// testSvcCopy: a copy has the shaped activities and none of the answers; a rehearsal is
// marked, left out of comparisons and swept after a day; a template never runs, is listed
// for whom it is meant, and starts sessions.
func testSvcCopy(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	sec := h.firstSection()
	choice, err := h.Svc.AddActivity(ctx, h.Owner, s.ID, forum.NewActivity{Kind: forum.KindChoice, Section: sec.ID,
		Prompt: "Hvad?", Options: []forum.Option{{Label: "A"}, {Label: "B"}}})
	noErr(t, "AddActivity", err)
	noErr(t, "delete", h.Svc.DeleteActivity(ctx, h.Owner, s.ID, sec.ID+"-comments"))
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: choice.ID})
	s, _ = h.Svc.SessionByID(ctx, s.ID)
	p := h.Join(t, s, "", "leder")
	_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "v1", Activity: choice.ID, Value: json.RawMessage(`["o1"]`)})
	noErr(t, "vote", err)
	noErr(t, "share", func() error {
		_, err := h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{SharedWith: &[]string{h.Other.Email}})
		return err
	}())

	cp, err := h.Svc.CopySession(ctx, h.Other, s.ID, forum.CopyRequest{Title: "Anden runde"})
	noErr(t, "copy", err)
	if cp.ID == s.ID || cp.Code == s.Code || cp.Owner != h.Other.ID || cp.State != forum.StateLobby || cp.Title != "Anden runde" ||
		cp.CurrentSection != "" || len(cp.SharedWith) != 0 || cp.Rehearsal || cp.Template {
		t.Errorf("copy = %s", mustJSON(cp))
	}
	if len(cp.Activities) != len(s.Activities) {
		t.Fatalf("copy has %d activities, source %d", len(cp.Activities), len(s.Activities))
	}
	for i, a := range cp.Activities {
		if a.ID != s.Activities[i].ID || a.Prompt != s.Activities[i].Prompt || a.State != forum.ActivityClosed {
			t.Errorf("activity %d of the copy = %s", i, mustJSON(a))
		}
	}
	if _, ok := cp.Activity(sec.ID + "-comments"); ok {
		t.Error("the deleted activity came back in the copy")
	}
	if tally, _ := h.E.Tally(ctx, cp.ID, choice.ID); len(tally) != 0 {
		t.Errorf("the copy has answers: %v", tally)
	}
	if n, _, _ := h.E.ParticipantCounts(ctx, cp.ID); n != 0 {
		t.Errorf("the copy has %d participants", n)
	}
	_, err = h.Svc.CopySession(ctx, h.Other, "nope", forum.CopyRequest{})
	wantCode(t, "copy unknown", err, forum.ENotFound)

	// A rehearsal: marked, not compared, swept after a day.
	reh, err := h.Svc.CopySession(ctx, h.Owner, s.ID, forum.CopyRequest{Rehearsal: true})
	noErr(t, "rehearsal", err)
	if !reh.Rehearsal || reh.Title != "Prøvekørsel: "+s.Title {
		t.Errorf("rehearsal = %q rehearsal=%v", reh.Title, reh.Rehearsal)
	}
	if info := h.Svc.Info(reh); !info.Rehearsal || !info.ExpiresAt.Equal(reh.CreatedAt.Add(24*time.Hour)) {
		t.Errorf("rehearsal info = %s", mustJSON(info))
	}
	if snap, err := h.Svc.Snapshot(ctx, reh); err != nil || !snap.Rehearsal {
		t.Errorf("the phones' snapshot does not say rehearsal: %v", err)
	}
	cmp, err := h.Svc.Compare(ctx, h.Owner, CharterID, nil)
	noErr(t, "compare", err)
	for _, cs := range cmp.Sessions {
		if cs.ID == reh.ID {
			t.Error("a rehearsal is in the comparison")
		}
	}
	_, err = h.Svc.Compare(ctx, h.Owner, CharterID, []string{s.ID, reh.ID})
	wantCode(t, "compare a named rehearsal", err, forum.EBadRequest)

	// A template for the organisation: listed for everyone, joins nobody, runs nothing.
	tpl, err := h.Svc.CopySession(ctx, h.Owner, s.ID, forum.CopyRequest{Title: "Skabelon", Template: forum.ShareOrganisation})
	noErr(t, "template", err)
	mine, err := h.Svc.CopySession(ctx, h.Owner, s.ID, forum.CopyRequest{Title: "Min skabelon", Template: forum.ShareOwner})
	noErr(t, "own template", err)
	list, err := h.Svc.Templates(ctx, h.Other)
	noErr(t, "Templates", err)
	if len(list) != 1 || list[0].ID != tpl.ID {
		t.Errorf("another facilitator's templates = %v, want only the organisation's", list)
	}
	sessions, _ := h.Svc.Sessions(ctx, h.Owner)
	for _, x := range sessions {
		if x.ID == tpl.ID || x.ID == mine.ID {
			t.Error("a template is listed among the sessions")
		}
	}
	_, err = h.Svc.Do(ctx, h.Owner, tpl.ID, forum.Command{Type: "goto", Section: sec.ID})
	wantCode(t, "run a template", err, forum.EConflict)
	_, err = h.Svc.JoinLookup(ctx, tpl.Code, "192.0.2.1")
	wantCode(t, "join a template", err, forum.EUnknownCode)
	from, err := h.Svc.CopySession(ctx, h.Other, tpl.ID, forum.CopyRequest{Title: "Fra skabelonen"})
	noErr(t, "start from a template", err)
	if from.Template || from.Owner != h.Other.ID || len(from.Activities) != len(tpl.Activities) {
		t.Errorf("session from the template = %s", mustJSON(from))
	}
	_, err = h.Svc.CopySession(ctx, h.Owner, s.ID, forum.CopyRequest{Template: "everyone"})
	wantCode(t, "bad template", err, forum.EBadRequest)

	h.Clock.Advance(25 * time.Hour)
	n, err := h.Svc.SweepExpired(ctx)
	noErr(t, "sweep", err)
	if n != 1 {
		t.Errorf("swept %d sessions after a day, want only the rehearsal", n)
	}
	_, err = h.Svc.SessionByID(ctx, reh.ID)
	wantCode(t, "the rehearsal after a day", err, forum.ENotFound)
	_, err = h.Svc.SessionByID(ctx, tpl.ID)
	noErr(t, "the template after a day", err)
}
