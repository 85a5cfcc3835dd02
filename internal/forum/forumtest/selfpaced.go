package forumtest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pejl/internal/forum"
)

// testSelfPacedOpenSet: in a self-paced session every activity is in the open set until the
// session ends, whatever its own state; ending it closes them all (engine contract).
func testSelfPacedOpenSet(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := NewSession("u1")
	s.Pace = forum.PaceSelf
	noErr(t, "CreateSession", e.CreateSession(ctx, s))
	res, err := e.ApplyVotes(ctx, s.ID, []forum.VoteOp{
		{ClientID: "m1", Vote: MakeVote(s, "p1", "", ActClosed, "st1", 2, 0)},
	})
	noErr(t, "ApplyVotes", err)
	if res[0].Status != forum.VoteApplied {
		t.Errorf("vote on a closed activity of a self-paced session: %s, want applied", statusName(res[0].Status))
	}
	s.State = forum.StateEnded
	_, err = e.SaveSession(ctx, s)
	noErr(t, "SaveSession ended", err)
	res, err = e.ApplyVotes(ctx, s.ID, []forum.VoteOp{
		{ClientID: "m2", Vote: MakeVote(s, "p1", "", ActScale, "st1", 4, 0)},
	})
	noErr(t, "ApplyVotes after the end", err)
	if res[0].Status != forum.VoteClosed {
		t.Errorf("vote after a self-paced session ended: %s, want closed", statusName(res[0].Status))
	}
	votes := allVotes(t, e, s.ID)
	if len(votes) != 1 || votes[0].Activity != ActClosed {
		t.Errorf("votes = %s, want only the one before the end", mustJSON(votes))
	}
}

// surveySession makes a self-paced session with a window from T0+1h to T0+3h, answers shown
// to the room from one answer.
func surveySession(t *testing.T, h *Harness) *forum.Session {
	t.Helper()
	opens, closes := T0.Add(time.Hour), T0.Add(3*time.Hour)
	one := 1
	s, err := h.Svc.CreateSession(t.Context(), h.Owner, forum.NewSession{Title: "Trivsel", CharterID: CharterID,
		Groups: h.Groups, Pace: forum.PaceSelf, OpensAt: &opens, ClosesAt: &closes, AnonymityThreshold: &one})
	noErr(t, "CreateSession self-paced", err)
	return s
}

func testSvcSelfPaced(t *testing.T, h *Harness) {
	ctx := t.Context()
	bad := func(name string, in forum.NewSession) {
		t.Helper()
		in.Title, in.CharterID = "X", CharterID
		_, err := h.Svc.CreateSession(ctx, h.Owner, in)
		wantCode(t, name, err, forum.EBadRequest)
	}
	at := func(d time.Duration) *time.Time { x := T0.Add(d); return &x }
	bad("unknown pace", forum.NewSession{Pace: "slow"})
	bad("closes before it opens", forum.NewSession{Pace: forum.PaceSelf, OpensAt: at(time.Hour), ClosesAt: at(time.Minute)})
	bad("a window on a live session", forum.NewSession{ClosesAt: at(time.Hour)})

	s := surveySession(t, h)
	if s.Pace != forum.PaceSelf || s.OpensAt == nil || !s.OpensAt.Equal(T0.Add(time.Hour)) {
		t.Fatalf("session = pace %q opens %v", s.Pace, s.OpensAt)
	}
	// Two sections: people answer both without any goto.
	var scales []*forum.Activity
	for i := range s.Activities {
		if s.Activities[i].Kind == forum.KindScale {
			scales = append(scales, &s.Activities[i])
		}
	}
	if len(scales) < 2 {
		t.Fatalf("the charter gives %d scale activities, want two sections at least", len(scales))
	}
	a1, a2 := scales[0], scales[len(scales)-1]
	p := h.Join(t, s, "", "leder")
	vote := func(id string, a *forum.Activity, value int) error {
		_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: id, Activity: a.ID, Statement: a.Statements[0], Value: json.RawMessage(strconv(value))})
		return err
	}

	// Before opens_at: refused, with the time it opens.
	err := vote("v0", a1, 3)
	wantCode(t, "vote before opens_at", err, forum.ESessionClosed)
	if !strings.Contains(forum.ErrorMessage(err), "opens") {
		t.Errorf("message before opens_at = %q, want when it opens", forum.ErrorMessage(err))
	}
	snap, err := h.Svc.Snapshot(ctx, s)
	noErr(t, "Snapshot", err)
	if snap.State != forum.StateLobby || snap.Pace != forum.PaceSelf {
		t.Errorf("snapshot before opens_at: state %s pace %q, want lobby self", snap.State, snap.Pace)
	}

	// Open: every section's activities, answered in any order, answers changed.
	h.Clock.Advance(time.Hour)
	noErr(t, "vote in the last section first", vote("v1", a2, 2))
	noErr(t, "vote in the first section", vote("v2", a1, 4))
	noErr(t, "changed answer", vote("v3", a1, 5))
	mine, err := h.Svc.Mine(ctx, s.ID, p.ID)
	noErr(t, "Mine", err)
	got := map[string]string{}
	for _, v := range mine.Votes {
		got[v.Activity] = string(v.Value)
	}
	if got[a1.ID] != "5" || got[a2.ID] != "2" || len(got) != 2 {
		t.Errorf("answers kept = %v, want %s=5 (changed) and %s=2", got, a1.ID, a2.ID)
	}
	var comments string
	for _, a := range s.Activities {
		if a.Kind == forum.KindComments && a.Section == a2.Section {
			comments = a.ID
		}
	}
	c, err := h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "c1", Activity: comments, Text: "Godt initiativ"})
	noErr(t, "comment while open", err)

	s, _ = h.Svc.SessionByID(ctx, s.ID)
	snap, err = h.Svc.Snapshot(ctx, s)
	noErr(t, "Snapshot open", err)
	if snap.State != forum.StateLive || len(snap.Sections) < 2 {
		t.Errorf("open snapshot: state %s, %d sections; want live and every section", snap.State, len(snap.Sections))
	}
	for _, av := range snap.Activities {
		if av.State != forum.ActivityOpen {
			t.Errorf("activity %s shows %s while the survey is open", av.ID, av.State)
		}
		if av.Tally != nil {
			t.Errorf("activity %s shows results before they are published: %s", av.ID, mustJSON(av.Tally))
		}
	}
	// The meaning of an activity cannot change while people answer.
	if _, err := h.Svc.UpdateActivity(ctx, h.Owner, s.ID, a1.ID, forum.ActivityPatch{Statements: &[]string{a1.Statements[0]}}); forum.ErrorCode(err) != forum.EConflict {
		t.Errorf("changing a scale's statements while the survey is open: %v, want conflict", err)
	}

	// Publish (command), then hide again (PATCH), then publish by PATCH.
	h.Do(t, s.ID, forum.Command{Type: "publish"})
	s, _ = h.Svc.SessionByID(ctx, s.ID)
	snap, _ = h.Svc.Snapshot(ctx, s)
	shown := 0
	for _, av := range snap.Activities {
		if av.Tally != nil {
			shown++
		}
		if av.ID == a1.ID && av.Tally != nil && av.Tally.Statements[a1.Statements[0]].Counts["5"] != 1 {
			t.Errorf("published results of %s = %s, want one 5", a1.ID, mustJSON(av.Tally))
		}
	}
	if !snap.Published || shown == 0 {
		t.Errorf("published snapshot: published %v, %d activities with results", snap.Published, shown)
	}
	no, yes := false, true
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{Published: &no})
	noErr(t, "PATCH published false", err)
	s, _ = h.Svc.SessionByID(ctx, s.ID)
	if snap, _ = h.Svc.Snapshot(ctx, s); snap.Published || snap.Activities[0].Tally != nil {
		t.Errorf("unpublished snapshot still shows results")
	}
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{Published: &yes})
	noErr(t, "PATCH published true", err)

	// Past closes_at: answers and comments refused with session_closed, nothing changes.
	h.Clock.Advance(2 * time.Hour)
	err = vote("v4", a1, 1)
	wantCode(t, "vote after closes_at", err, forum.ESessionClosed)
	if !strings.Contains(forum.ErrorMessage(err), "closed") {
		t.Errorf("message after closes_at = %q, want that it closed", forum.ErrorMessage(err))
	}
	_, err = h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "c2", Activity: comments, Text: "For sent"})
	wantCode(t, "comment after closes_at", err, forum.ESessionClosed)
	_, err = h.Svc.Upvote(ctx, s.ID, p, "u1", c.ID)
	wantCode(t, "upvote after closes_at", err, forum.ESessionClosed)
	if _, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "v3", Activity: a1.ID, Statement: a1.Statements[0], Value: json.RawMessage("5")}); err != nil {
		t.Errorf("a resent vote (same id) after the close: %v, want acknowledged", err)
	}
	mine, _ = h.Svc.Mine(ctx, s.ID, p.ID)
	for _, v := range mine.Votes {
		if v.Activity == a1.ID && string(v.Value) != "5" {
			t.Errorf("answer after the close changed it to %s", v.Value)
		}
	}
	_, _, err = h.Svc.Hello(ctx, s, "", "", "")
	wantCode(t, "new participant after closes_at", err, forum.ESessionEnded)
	snap, _ = h.Svc.Snapshot(ctx, s)
	if snap.State != forum.StateEnded {
		t.Errorf("snapshot after closes_at: state %s, want ended", snap.State)
	}

	// Moving closes_at later opens it again.
	later := T0.Add(5 * time.Hour)
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{ClosesAt: &later})
	noErr(t, "PATCH closes_at", err)
	noErr(t, "vote after closes_at moved", vote("v5", a1, 1))
	before := T0
	_, err = h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{ClosesAt: &before})
	wantCode(t, "closes_at before opens_at", err, forum.EBadRequest)
}

func testSvcSelfPacedByHand(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, err := h.Svc.CreateSession(ctx, h.Owner, forum.NewSession{Title: "Puls", CharterID: CharterID, Pace: forum.PaceSelf})
	noErr(t, "CreateSession", err)
	i := slices.IndexFunc(s.Activities, func(a forum.Activity) bool { return a.Kind == forum.KindScale })
	if i < 0 {
		t.Fatal("the charter gives no scale activity")
	}
	a := s.Activities[i]
	p := h.Join(t, s, "", "")
	vote := func(id string, v int) error {
		_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: id, Activity: a.ID, Statement: a.Statements[0], Value: json.RawMessage(strconv(v))})
		return err
	}
	wantCode(t, "vote before it is opened", vote("v1", 3), forum.ESessionClosed)
	// While it waits, the facilitator may still change what it asks.
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, a.ID, forum.ActivityPatch{Statements: &[]string{a.Statements[0]}})
	noErr(t, "edit before opening", err)
	h.Do(t, s.ID, forum.Command{Type: "open"})
	noErr(t, "vote once opened by hand", vote("v2", 3))
	noErr(t, "changed", vote("v3", 4))
	h.Do(t, s.ID, forum.Command{Type: "close"})
	wantCode(t, "vote once closed by hand", vote("v4", 2), forum.ESessionClosed)
	got, _ := h.Svc.SessionByID(ctx, s.ID)
	if got.State != forum.StateEnded || len(got.OpenActivities()) != 0 {
		t.Errorf("closed by hand: state %s open %v", got.State, got.OpenActivities())
	}
	// Publishing after the close is allowed; a live session has nothing to publish.
	h.Do(t, s.ID, forum.Command{Type: "publish"})
	live := h.Session(t)
	_, err = h.Svc.Do(ctx, h.Owner, live.ID, forum.Command{Type: "publish"})
	wantCode(t, "publish a live session", err, forum.EBadRequest)
	yes := true
	_, err = h.Svc.UpdateSession(ctx, h.Owner, live.ID, forum.SessionPatch{Published: &yes})
	wantCode(t, "PATCH published on a live session", err, forum.EBadRequest)
}

func strconv(v int) string { b, _ := json.Marshal(v); return string(b) }

// testSvcAgreements: comments → themes → a proposal the room votes on → an agreement,
// edited after the end; a follow-up survey with one item per agreement.
func testSvcAgreements(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, scale, _, _, _, comments := votingSession(t, h)
	sec := h.firstSection()
	st := sec.Statements[0].ID
	p := h.Join(t, s, "", "leder")
	c1, err := h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "c1", Activity: comments, Statement: st, Text: "Mere feedback"})
	noErr(t, "AddComment", err)
	c2, err := h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "c2", Activity: comments, Text: "Faste møder"})
	noErr(t, "AddComment", err)

	title := "Feedback"
	th, err := h.Svc.AddTheme(ctx, h.Owner, s.ID, forum.ThemeIn{Title: &title, Comments: &[]string{c1.ID, c2.ID, c1.ID}})
	noErr(t, "AddTheme", err)
	if !slices.Equal(th.Comments, []string{c1.ID, c2.ID}) || !slices.Equal(th.Statements, []string{st}) {
		t.Errorf("theme = %s, want both comments once and the statement of the first", mustJSON(th))
	}
	empty := "  "
	_, err = h.Svc.AddTheme(ctx, h.Owner, s.ID, forum.ThemeIn{Title: &empty})
	wantCode(t, "theme without a title", err, forum.EBadRequest)
	_, err = h.Svc.AddTheme(ctx, h.Owner, s.ID, forum.ThemeIn{Title: &title, Comments: &[]string{"nope"}})
	wantCode(t, "theme with an unknown comment", err, forum.EBadRequest)
	_, err = h.Svc.AddTheme(ctx, h.Other, s.ID, forum.ThemeIn{Title: &title})
	wantCode(t, "theme by another facilitator", err, forum.ENotFound)
	other := "Møder"
	th2, err := h.Svc.AddTheme(ctx, h.Owner, s.ID, forum.ThemeIn{Title: &other, Comments: &[]string{c2.ID}})
	noErr(t, "AddTheme 2", err)
	renamed := "Faste møder"
	th2, err = h.Svc.UpdateTheme(ctx, h.Owner, s.ID, th2.ID, forum.ThemeIn{Title: &renamed})
	noErr(t, "UpdateTheme", err)
	if th2.Title != renamed || !slices.Equal(th2.Comments, []string{c2.ID}) {
		t.Errorf("renamed theme = %s", mustJSON(th2))
	}

	// The room votes on the proposal.
	prop, err := h.Svc.ProposeTheme(ctx, h.Owner, s.ID, th.ID)
	noErr(t, "ProposeTheme", err)
	if prop.Kind != forum.KindChoice || prop.Section != sec.ID || len(prop.Options) != 3 || prop.Options[0].ID != "ja" {
		t.Errorf("proposal = %s", mustJSON(prop))
	}
	again, err := h.Svc.ProposeTheme(ctx, h.Owner, s.ID, th.ID)
	noErr(t, "ProposeTheme again", err)
	if again.ID != prop.ID {
		t.Errorf("proposing again made %s, want the same %s", again.ID, prop.ID)
	}
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: prop.ID})
	_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "v1", Activity: prop.ID, Value: json.RawMessage(`["ja"]`)})
	noErr(t, "vote on the proposal", err)
	_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "v2", Activity: scale, Statement: st, Value: json.RawMessage(`2`)})
	noErr(t, "vote on the scale", err)

	// Accepted: an agreement from the theme.
	what, who, due, fu := "Feedback hver måned", "Afdelingsleder", "2025-06-01", "2025-09-01T10:00:00+02:00"
	ag, err := h.Svc.AddAgreement(ctx, h.Owner, s.ID, forum.AgreementIn{What: &what, Who: &who, Due: &due, FollowUp: &fu, Theme: &th.ID})
	noErr(t, "AddAgreement", err)
	if ag.ID == "" || ag.Due != "2025-06-01" || ag.FollowUp != "2025-09-01" || !slices.Equal(ag.Statements, []string{st}) || ag.Theme != th.ID {
		t.Errorf("agreement = %s, want dates as dates and the theme's statements", mustJSON(ag))
	}
	for _, tc := range []struct {
		name string
		in   forum.AgreementIn
	}{
		{"no what", forum.AgreementIn{Who: &who}},
		{"bad due", forum.AgreementIn{What: &what, Due: ptr("1. juni")}},
		{"unknown statement", forum.AgreementIn{What: &what, Statements: &[]string{"s99-9"}}},
		{"unknown theme", forum.AgreementIn{What: &what, Theme: ptr("t99")}},
		{"what too long", forum.AgreementIn{What: ptr(strings.Repeat("x", forum.MaxAgreementWhat+1))}},
	} {
		_, err := h.Svc.AddAgreement(ctx, h.Owner, s.ID, tc.in)
		wantCode(t, "agreement "+tc.name, err, forum.EBadRequest)
	}
	what2 := "Faste teammøder"
	ag2, err := h.Svc.AddAgreement(ctx, h.Owner, s.ID, forum.AgreementIn{What: &what2, Who: ptr("Teamet"), Statements: &[]string{sec.Statements[1].ID}})
	noErr(t, "AddAgreement 2", err)

	// Editable after the end.
	h.Do(t, s.ID, forum.Command{Type: "end"})
	later := "2025-07-01"
	ag, err = h.Svc.UpdateAgreement(ctx, h.Owner, s.ID, ag.ID, forum.AgreementIn{Due: &later})
	noErr(t, "UpdateAgreement after the end", err)
	if ag.Due != later || ag.What != what {
		t.Errorf("updated agreement = %s", mustJSON(ag))
	}
	noErr(t, "DeleteTheme", h.Svc.DeleteTheme(ctx, h.Owner, s.ID, th2.ID))
	wantCode(t, "delete a deleted theme", h.Svc.DeleteTheme(ctx, h.Owner, s.ID, th2.ID), forum.ENotFound)
	extra, err := h.Svc.AddAgreement(ctx, h.Owner, s.ID, forum.AgreementIn{What: ptr("Slettes")})
	noErr(t, "AddAgreement 3", err)
	noErr(t, "DeleteAgreement", h.Svc.DeleteAgreement(ctx, h.Owner, s.ID, extra.ID))
	got, _ := h.Svc.SessionByID(ctx, s.ID)
	if len(got.Themes) != 1 || len(got.Agreements) != 2 {
		t.Fatalf("session keeps %d themes and %d agreements, want 1 and 2", len(got.Themes), len(got.Agreements))
	}
	snap, _ := h.Svc.Snapshot(ctx, got)
	if len(snap.Agreements) != 2 {
		t.Errorf("the end screen shows %d agreements, want 2", len(snap.Agreements))
	}

	// The follow-up.
	fu1, err := h.Svc.FollowUp(ctx, h.Owner, s.ID, forum.FollowUpRequest{})
	noErr(t, "FollowUp", err)
	if fu1.Pace != forum.PaceSelf || fu1.Follows != s.ID || fu1.CharterID != s.CharterID || !strings.HasPrefix(fu1.Title, "Opfølgning: ") {
		t.Errorf("follow-up = pace %q follows %q charter %q title %q", fu1.Pace, fu1.Follows, fu1.CharterID, fu1.Title)
	}
	items := map[string]*forum.Activity{}
	for i := range fu1.Activities {
		if a := &fu1.Activities[i]; a.Agreement != "" {
			items[a.Agreement] = a
		}
	}
	for _, want := range []*forum.Agreement{ag, ag2} {
		a := items[want.ID]
		if a == nil {
			t.Errorf("no follow-up item for agreement %s", want.ID)
			continue
		}
		var ids []string
		for _, o := range a.Options {
			ids = append(ids, o.ID)
		}
		if a.Kind != forum.KindChoice || a.Prompt != "Er aftalen gennemført?" || !slices.Equal(ids, forum.FollowUpOptions) {
			t.Errorf("follow-up item = %s", mustJSON(a))
		}
	}
	if len(items) != 2 {
		t.Errorf("follow-up has %d agreement items, want 2", len(items))
	}
	var hasScale bool
	for _, a := range fu1.Activities {
		if a.ID == scale && slices.Contains(a.Statements, st) {
			hasScale = true
		}
	}
	if !hasScale {
		t.Errorf("the follow-up does not ask the same statements (activity %s)", scale)
	}
	_, err = h.Svc.FollowUp(ctx, h.Other, s.ID, forum.FollowUpRequest{})
	wantCode(t, "follow-up by another facilitator", err, forum.ENotFound)

	// A copy of the workshop or of the follow-up starts without the room's themes and
	// agreements; the follow-up's copy is still a survey, not yet opened.
	for _, src := range []*forum.Session{s, fu1} {
		cp, err := h.Svc.CopySession(ctx, h.Owner, src.ID, forum.CopyRequest{})
		noErr(t, "CopySession", err)
		if len(cp.Themes) != 0 || len(cp.Agreements) != 0 || cp.Follows != "" || cp.Published || cp.Pace != src.Pace || cp.OpensAt != nil {
			t.Errorf("copy of %q: themes %d agreements %d follows %q published %v pace %q opens %v", src.Title,
				len(cp.Themes), len(cp.Agreements), cp.Follows, cp.Published, cp.Pace, cp.OpensAt)
		}
	}
}

// testSvcCompareFollowUp: a workshop and its follow-up compared "før / efter": the change per
// statement, section and group, never for a group below the threshold in either session nor
// for the merged groups, and the agreements with what the follow-up answered.
func testSvcCompareFollowUp(t *testing.T, h *Harness) {
	ctx := t.Context()
	two := 2
	w, err := h.Svc.CreateSession(ctx, h.Owner, forum.NewSession{Title: "Temadag", CharterID: CharterID, Groups: h.Groups, AnonymityThreshold: &two})
	noErr(t, "CreateSession", err)
	sec := h.firstSection()
	st1, st2 := sec.Statements[0].ID, sec.Statements[1].ID
	scale := sec.ID + "-scale"
	h.Do(t, w.ID, forum.Command{Type: "open", Activity: scale})
	w, _ = h.Svc.SessionByID(ctx, w.ID)
	n := 0
	answer := func(s *forum.Session, group string, values map[string]int) *forum.Participant {
		t.Helper()
		p := h.Join(t, s, "", group)
		for st, v := range values {
			n++
			_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: fmt.Sprint("v", n), Activity: scale, Statement: st, Value: json.RawMessage(strconv(v))})
			noErr(t, "Vote", err)
		}
		return p
	}
	for range 3 {
		answer(w, "leder", map[string]int{st1: 2, st2: 3})
		answer(w, "medarb", map[string]int{st1: 3, st2: 3})
	}
	answer(w, "politiker", map[string]int{st1: 5, st2: 3})
	answer(w, "politiker", map[string]int{st1: 5, st2: 3})
	what := "Ugentlig feedback"
	ag, err := h.Svc.AddAgreement(ctx, h.Owner, w.ID, forum.AgreementIn{What: &what, Who: ptr("Lederen"), Statements: &[]string{st1}})
	noErr(t, "AddAgreement", err)
	h.Do(t, w.ID, forum.Command{Type: "end"})

	f, err := h.Svc.FollowUp(ctx, h.Owner, w.ID, forum.FollowUpRequest{})
	noErr(t, "FollowUp", err)
	h.Do(t, f.ID, forum.Command{Type: "open"})
	f, _ = h.Svc.SessionByID(ctx, f.ID)
	var item string
	for _, a := range f.Activities {
		if a.Agreement == ag.ID {
			item = a.ID
		}
	}
	say := func(p *forum.Participant, option string) {
		t.Helper()
		n++
		_, err := h.Svc.Vote(ctx, f.ID, p, forum.VoteIn{ClientID: fmt.Sprint("v", n), Activity: item, Value: json.RawMessage(`["` + option + `"]`)})
		noErr(t, "Vote on the follow-up item", err)
	}
	for range 3 {
		say(answer(f, "leder", map[string]int{st1: 4}), "ja")
	}
	say(answer(f, "medarb", map[string]int{st1: 5, st2: 1}), "delvist")
	// Medarbejder and Politiker (one each) pass only merged, as "other".
	say(answer(f, "politiker", map[string]int{st1: 4}), "nej")

	cmp, err := h.Svc.Compare(ctx, h.Owner, CharterID, []string{w.ID, f.ID})
	noErr(t, "Compare", err)
	if len(cmp.Sessions) != 2 || cmp.Sessions[1].Follows != w.ID || cmp.Sessions[1].Pace != forum.PaceSelf {
		t.Fatalf("sessions = %s", mustJSON(cmp.Sessions))
	}
	byID := map[string]forum.ComparedStatement{}
	for _, cs := range cmp.Statements {
		byID[cs.ID] = cs
	}
	c1 := byID[st1].Changes
	if len(c1) != 1 || c1[0].From != w.ID || c1[0].To != f.ID || c1[0].Mean == nil {
		t.Fatalf("changes of %s = %s", st1, mustJSON(c1))
	}
	wm, fm := *byID[st1].Sessions[w.ID].Mean, *byID[st1].Sessions[f.ID].Mean
	if want := forum.Round2(fm - wm); *c1[0].Mean != want || c1[0].FromN != 8 || c1[0].ToN != 5 {
		t.Errorf("change of %s = %s, want mean %+.2f from 8 to 5 answers", st1, mustJSON(c1[0]), want)
	}
	if d, ok := c1[0].Groups["leder"]; !ok || d != 2 {
		t.Errorf("change of %s for Leder = %v (%v), want +2", st1, d, ok)
	}
	for _, key := range []string{"medarbejder", forum.OtherGroup, "politiker"} {
		if d, ok := c1[0].Groups[key]; ok {
			t.Errorf("change of %s for %s = %v: the group is below the threshold in one session (or merged)", st1, key, d)
		}
	}
	// One answer in the follow-up: the room's change is there (as both means are), no group's.
	if c2 := byID[st2].Changes; len(c2) != 1 || c2[0].Mean == nil || *c2[0].Mean != -2 || c2[0].ToN != 1 || len(c2[0].Groups) != 0 {
		t.Errorf("change of %s (one answer in the follow-up) = %s, want -2 and no group", st2, mustJSON(c2))
	}
	var secCmp *forum.ComparedSection
	for i := range cmp.Sections {
		if cmp.Sections[i].ID == sec.ID {
			secCmp = &cmp.Sections[i]
		}
	}
	if secCmp == nil || len(secCmp.Changes) != 1 || secCmp.Changes[0].Mean == nil {
		t.Fatalf("section %s = %s", sec.ID, mustJSON(secCmp))
	}
	if _, ok := secCmp.Changes[0].Groups["medarbejder"]; ok {
		t.Errorf("section change for Medarbejder, a group below the threshold in the follow-up")
	}
	if len(cmp.Agreements) != 1 {
		t.Fatalf("agreements = %s, want the one agreement once", mustJSON(cmp.Agreements))
	}
	ca := cmp.Agreements[0]
	if ca.Session != w.ID || ca.What != what || len(ca.FollowUps) != 1 {
		t.Fatalf("agreement = %s", mustJSON(ca))
	}
	fu := ca.FollowUps[0]
	if fu.Session != f.ID || fu.N != 5 || fu.Options["ja"] != 3 || fu.Options["delvist"] != 1 || fu.Options["nej"] != 1 || fu.Status != "ja" || fu.Withheld {
		t.Errorf("follow-up status = %s, want 3 ja, 1 delvist, 1 nej", mustJSON(fu))
	}
}

// testSvcSurveyCap: a self-paced session takes up to SurveyParticipantsPerSession people,
// a live one ParticipantsPerSession.
func testSvcSurveyCap(t *testing.T, h *Harness) {
	ctx := t.Context()
	svc := limitedService(t, h, forum.Limits{ParticipantsPerSession: 3, SurveyParticipantsPerSession: 5})
	live := h.Session(t)
	survey, err := h.Svc.CreateSession(ctx, h.Owner, forum.NewSession{Title: "Trivsel", CharterID: CharterID, Pace: forum.PaceSelf})
	noErr(t, "CreateSession", err)
	for _, c := range []struct {
		s    *forum.Session
		room int
	}{{live, 3}, {survey, 5}} {
		for i := range c.room {
			_, _, err := svc.Hello(ctx, c.s, "", "", "")
			noErr(t, fmt.Sprintf("participant %d of %d", i+1, c.room), err)
		}
		_, _, err := svc.Hello(ctx, c.s, "", "", "")
		wantCode(t, fmt.Sprintf("participant %d (pace %q)", c.room+1, c.s.Pace), err, forum.ESessionFull)
	}
}
