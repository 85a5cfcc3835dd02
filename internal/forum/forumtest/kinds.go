package forumtest

import (
	"encoding/json"
	"fmt"
	"testing"

	"pejl/internal/forum"
)

// The kinds of issue 11 through the Service, on every engine: "ved ikke" and taking an
// answer back, the gap rating, points, and rounds with their shift.

// kindSession makes a live session (threshold 3, no groups unless groups) on the first
// section, with the activities in added and open. It returns the session and their ids.
func kindSession(t *testing.T, h *Harness, groups []forum.Group, in ...forum.NewActivity) (*forum.Session, []string) {
	t.Helper()
	ctx := t.Context()
	thr := 3
	s, err := h.Svc.CreateSession(ctx, h.Owner, forum.NewSession{Title: "Dialog", CharterID: CharterID, Groups: groups,
		AnonymityThreshold: &thr})
	noErr(t, "CreateSession", err)
	var ids []string
	for _, a := range in {
		a.Section = h.firstSection().ID
		got, err := h.Svc.AddActivity(ctx, h.Owner, s.ID, a)
		noErr(t, "AddActivity "+a.Kind, err)
		ids = append(ids, got.ID)
		h.Do(t, s.ID, forum.Command{Type: "open", Activity: got.ID})
	}
	s, err = h.Svc.SessionByID(ctx, s.ID)
	noErr(t, "SessionByID", err)
	return s, ids
}

// vote casts one vote and fails the test on an error.
func (h *Harness) vote(t *testing.T, s *forum.Session, p *forum.Participant, activity, statement, value string) {
	t.Helper()
	_, err := h.Svc.Vote(t.Context(), s.ID, p, forum.VoteIn{ClientID: forum.NewID(8), Activity: activity, Statement: statement,
		Value: json.RawMessage(value)})
	noErr(t, fmt.Sprintf("Vote %s %s %s", activity, statement, value), err)
}

// results reads an activity's results as the facilitator sees them.
func (h *Harness) results(t *testing.T, s *forum.Session, id string) (forum.Results, []forum.GroupResults) {
	t.Helper()
	sess, err := h.Svc.SessionByID(t.Context(), s.ID)
	noErr(t, "SessionByID", err)
	a, _ := sess.Activity(id)
	total, per, ok, err := h.Svc.ActivityResults(t.Context(), forum.ForFacilitator, sess, a)
	if err != nil || !ok {
		t.Fatalf("ActivityResults %s: %v %v", id, ok, err)
	}
	return total, per
}

func testSvcDontKnowAndRetract(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, ids := kindSession(t, h, nil, forum.NewActivity{Kind: forum.KindScale, Min: 0, Max: 10, Prompt: "0–10"})
	scale := ids[0]
	st := h.firstSection().Statements[0].ID
	var ps []*forum.Participant
	for i, v := range []string{`2`, `4`, `null`, `null`} {
		p := h.Join(t, s, "", "")
		ps = append(ps, p)
		h.vote(t, s, p, scale, st, v)
		_ = i
	}
	r, _ := h.results(t, s, scale)
	sr := r.Statements[st]
	if sr.N != 2 || sr.Skipped != 2 || sr.Mean == nil || *sr.Mean != 3 || sr.Counts["0"] != 0 || sr.Counts["10"] != 0 || len(sr.Counts) != 11 {
		t.Errorf("ved ikke: %s, want n 2, skipped 2, mean 3 over 0–10", mustJSON(sr))
	}
	// A "ved ikke" replaced by a number, and a number taken back.
	h.vote(t, s, ps[2], scale, st, `6`)
	_, err := h.Svc.Vote(ctx, s.ID, ps[0], forum.VoteIn{ClientID: "back-1", Activity: scale, Statement: st, Retract: true})
	noErr(t, "Vote retract", err)
	r, _ = h.results(t, s, scale)
	sr = r.Statements[st]
	if sr.N != 2 || sr.Skipped != 1 || *sr.Mean != 5 || sr.Counts["2"] != 0 {
		t.Errorf("after a change and a retraction: %s, want n 2 (4, 6), skipped 1, mean 5", mustJSON(sr))
	}
	mine, err := h.Svc.Mine(ctx, s.ID, ps[0].ID)
	noErr(t, "Mine", err)
	if len(mine.Votes) != 0 {
		t.Errorf("Mine after taking the answer back = %s, want no votes", mustJSON(mine.Votes))
	}
	rows, err := h.Svc.RowRuleOf(ctx, s, forum.RowOptions{})
	noErr(t, "RowRuleOf", err)
	var kept int
	noErr(t, "ScanVotes", h.Svc.ScanVotes(ctx, s.ID, func(v forum.Vote) error {
		if _, ok := rows.Vote(&v); ok {
			kept++
		}
		return nil
	}))
	if kept != 3 {
		t.Errorf("export rows = %d, want 3 (the retracted vote left out)", kept)
	}
	// Retracting needs a statement of the activity; a repeated id changes nothing.
	_, err = h.Svc.Vote(ctx, s.ID, ps[1], forum.VoteIn{ClientID: "back-2", Activity: scale, Statement: "nope", Retract: true})
	wantCode(t, "retract without a statement of the activity", err, forum.EInvalidValue)
	_, err = h.Svc.Vote(ctx, s.ID, ps[0], forum.VoteIn{ClientID: "back-1", Activity: scale, Statement: st, Value: json.RawMessage(`9`)})
	noErr(t, "repeated id", err)
	if r, _ = h.results(t, s, scale); r.Statements[st].Counts["9"] != 0 {
		t.Errorf("a repeated id counted: %s", mustJSON(r.Statements[st]))
	}
}

func testSvcGap(t *testing.T, h *Harness) {
	ctx := t.Context()
	groups := []forum.Group{{ID: "leder", Label: "Leder"}, {ID: "medarb", Label: "Medarbejder"}}
	s, ids := kindSession(t, h, groups, forum.NewActivity{Kind: forum.KindGap})
	gap := ids[0]
	sec := h.firstSection()
	st1, st2 := sec.Statements[0].ID, sec.Statements[1].ID
	a, _ := s.Activity(gap)
	if len(a.Statements) != len(sec.Statements) || len(a.Axes) != 2 || a.Axes[0].ID != forum.AxisToday ||
		a.Axes[1].Prompt != "Hvor vigtigt er det for os?" || a.Axes[0].Min != 1 || a.Axes[0].Max != 5 {
		t.Fatalf("gap activity defaults: %s", mustJSON(a))
	}
	// Four leaders and two employees (below the threshold of 3).
	type ans struct{ group, v1, v2 string }
	var ps []*forum.Participant
	for _, x := range []ans{
		{"leder", `{"today":2,"wanted":5}`, `{"today":3,"wanted":3}`},
		{"leder", `{"today":3,"wanted":4}`, `{"today":null,"wanted":4}`},
		{"leder", `{"today":4,"wanted":4}`, `{"today":2,"wanted":5}`},
		{"leder", `{"today":1,"wanted":5}`, `{"today":5,"wanted":1}`},
		{"medarb", `{"today":5,"wanted":5}`, `{"today":4,"wanted":4}`},
		{"medarb", `{"today":1,"wanted":2}`, `{"today":null,"wanted":null}`},
	} {
		p := h.Join(t, s, "", x.group)
		ps = append(ps, p)
		h.vote(t, s, p, gap, st1, x.v1)
		h.vote(t, s, p, gap, st2, x.v2)
	}
	// The fourth leader changes their mind on st1: the earlier vote is replaced.
	h.vote(t, s, ps[3], gap, st1, `{"today":3,"wanted":5}`)
	r, per := h.results(t, s, gap)
	sr := r.Statements[st1]
	// today 2,3,4,3,5,1 → mean 3; wanted 5,4,4,5,5,2 → 4.17; own gaps 3,1,0,2,0,1 → 1.17
	if sr.N != 6 || sr.Today.N != 6 || *sr.Today.Mean != 3 || *sr.Wanted.Mean != 4.17 || *sr.Gap != 1.17 ||
		sr.GapCounts["3"] != 1 || sr.GapCounts["0"] != 2 || sr.GapCounts["4"] != 0 || sr.Today.Counts["1"] != 1 {
		t.Errorf("gap st1: %s", mustJSON(sr))
	}
	sr = r.Statements[st2]
	// today 3,_,2,5,4,_ → n 4 mean 3.5, skipped 2; wanted 3,4,5,1,4,_ → n 5 mean 3.4; gaps 0,3,-4,0 → -0.25
	if sr.N != 6 || sr.Today.N != 4 || sr.Today.Skipped != 2 || *sr.Today.Mean != 3.5 || sr.Wanted.N != 5 ||
		*sr.Wanted.Mean != 3.4 || *sr.Gap != -0.25 || sr.GapCounts["-4"] != 1 {
		t.Errorf("gap st2: %s", mustJSON(sr))
	}
	b, _ := json.Marshal(r)
	var shape struct {
		Statements map[string]struct {
			Today     struct{ Counts map[string]int64 } `json:"today"`
			Gap       *float64                          `json:"gap"`
			GapCounts map[string]int64                  `json:"gap_counts"`
			N         int64                             `json:"n"`
		} `json:"statements"`
	}
	if err := json.Unmarshal(b, &shape); err != nil || shape.Statements[st1].Gap == nil || shape.Statements[st1].GapCounts["3"] != 1 ||
		shape.Statements[st1].Today.Counts["5"] != 1 {
		t.Errorf("gap results JSON: %s", b)
	}
	// Groups: leaders alone pass; the two employees are not shown, and then not the
	// leaders either (the rest would be two people: secondary suppression).
	for _, g := range per {
		if g.Group.ID != "leder" && g.Group.ID != forum.OtherGroup {
			t.Errorf("group %s shown with 2 members", g.Group.ID)
		}
	}
	// A third employee: both groups pass, each with its own today, wanted and gap.
	p := h.Join(t, s, "", "medarb")
	h.vote(t, s, p, gap, st1, `{"today":2,"wanted":5}`)
	_, per = h.results(t, s, gap)
	byID := map[string]forum.StatementResult{}
	for _, g := range per {
		byID[g.Group.ID] = g.Results.Statements[st1]
	}
	if l, m := byID["leder"], byID["medarb"]; l.Gap == nil || m.Gap == nil || *l.Gap != 1.5 || *m.Gap != 1.33 || *m.Today.Mean != 2.67 {
		t.Errorf("gap per group: leder %s, medarb %s; want gaps 1.5 and 1.33", mustJSON(l), mustJSON(m))
	}
	// Values the gap rating refuses.
	for _, v := range []string{`3`, `{"today":0,"wanted":3}`, `{"today":3,"later":3}`, `{"today":"3"}`, `[3,4]`} {
		_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: forum.NewID(8), Activity: gap, Statement: st1, Value: json.RawMessage(v)})
		wantCode(t, "gap value "+v, err, forum.EInvalidValue)
	}
	// Axes with their own prompts and a 0–10 range; unequal ranges are refused.
	x, err := h.Svc.AddActivity(ctx, h.Owner, s.ID, forum.NewActivity{Kind: forum.KindGap, Section: sec.ID,
		Axes: []forum.Axis{{Prompt: "Nu", Min: 0, Max: 10}, {Prompt: "Mål", Min: 0, Max: 10}}})
	if err != nil || x.Axes[0].Prompt != "Nu" || x.Axes[1].ID != forum.AxisWanted || x.Axes[1].Max != 10 || len(x.Axes[0].Labels) != 0 {
		t.Errorf("gap 0–10: %s, %v", mustJSON(x), err)
	}
	_, err = h.Svc.AddActivity(ctx, h.Owner, s.ID, forum.NewActivity{Kind: forum.KindGap, Section: sec.ID,
		Axes: []forum.Axis{{Min: 1, Max: 5}, {Min: 0, Max: 10}}})
	wantCode(t, "gap with unequal ranges", err, forum.EBadRequest)
}

func testSvcPoints(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, ids := kindSession(t, h, nil, forum.NewActivity{Kind: forum.KindPoints, Prompt: "Fordel 100 point",
		Options: []forum.Option{{ID: "tillid", Label: "Tillid"}, {ID: "mod", Label: "Mod"}, {ID: "ro", Label: "Ro"}}})
	pts := ids[0]
	a, _ := s.Activity(pts)
	if a.Budget != 100 {
		t.Errorf("budget = %d, want 100 by default", a.Budget)
	}
	p1, p2 := h.Join(t, s, "", ""), h.Join(t, s, "", "")
	for _, v := range []string{`{"tillid":60,"mod":41}`, `{"tillid":-1}`, `{"tillid":1.5}`, `{"nope":1}`, `{}`, `["tillid"]`, `{"tillid":0}`} {
		_, err := h.Svc.Vote(ctx, s.ID, p1, forum.VoteIn{ClientID: forum.NewID(8), Activity: pts, Value: json.RawMessage(v)})
		wantCode(t, "points "+v, err, forum.EInvalidValue)
	}
	h.vote(t, s, p1, pts, "", `{"mod":40,"tillid":60}`)
	h.vote(t, s, p2, pts, "", `{"tillid":100}`)
	h.vote(t, s, p2, pts, "", `{"ro":30,"tillid":70}`) // replaced
	r, _ := h.results(t, s, pts)
	if r.N != 2 || r.Points["tillid"] != 130 || r.Points["mod"] != 40 || r.Points["ro"] != 30 {
		t.Errorf("points results: %s", mustJSON(r))
	}
	mine, err := h.Svc.Mine(ctx, s.ID, p1.ID)
	noErr(t, "Mine", err)
	if len(mine.Votes) != 1 || string(mine.Votes[0].Value) != `{"tillid":60,"mod":40}` {
		t.Errorf("points value in normal form: %s", mustJSON(mine.Votes))
	}
	_, err = h.Svc.AddActivity(ctx, h.Owner, s.ID, forum.NewActivity{Kind: forum.KindPoints, Section: h.firstSection().ID,
		Prompt: "x", Budget: -5})
	wantCode(t, "negative budget", err, forum.EBadRequest)
}

func testSvcRounds(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, ids := kindSession(t, h, nil, forum.NewActivity{Kind: forum.KindScale}, forum.NewActivity{Kind: forum.KindWords, Prompt: "Ord"})
	scale := ids[0]
	sec := h.firstSection()
	st1, st2 := sec.Statements[0].ID, sec.Statements[1].ID
	round1 := map[int]string{0: `2`, 1: `3`, 2: `4`, 3: `null`, 4: `5`}
	var ps []*forum.Participant
	for i := 0; i < 5; i++ {
		p := h.Join(t, s, "", "")
		ps = append(ps, p)
		h.vote(t, s, p, scale, st1, round1[i])
		if i < 2 {
			h.vote(t, s, p, scale, st2, `3`)
		}
	}
	h.Do(t, s.ID, forum.Command{Type: "round", Activity: scale})
	sess, err := h.Svc.SessionByID(ctx, s.ID)
	noErr(t, "SessionByID", err)
	r2, ok := sess.Activity(scale + "-r2")
	a1, _ := sess.Activity(scale)
	if !ok || r2.Round != 2 || r2.RoundOf != scale || r2.State != forum.ActivityOpen || a1.State != forum.ActivityClosed ||
		!sameJSON(r2.Statements, a1.Statements) {
		t.Fatalf("round 2: %s; round 1 %s", mustJSON(r2), mustJSON(a1))
	}
	j, _ := json.Marshal(r2)
	if !json.Valid(j) || !containsAll(string(j), `"round":2`, `"round_of":"`+scale+`"`) {
		t.Errorf("round 2 JSON: %s", j)
	}
	// Round 1 cannot be opened again (the shift counts from it), and takes no more votes.
	_, err = h.Svc.Do(ctx, h.Owner, s.ID, forum.Command{Type: "open", Activity: scale})
	wantCode(t, "open round 1 again", err, forum.EBadRequest)
	_, err = h.Svc.Vote(ctx, s.ID, ps[0], forum.VoteIn{ClientID: "late", Activity: scale, Statement: st1, Value: json.RawMessage(`1`)})
	wantCode(t, "vote on round 1 after round 2 opened", err, forum.EActivityClosed)
	// Round 2: 2→3 up, 3→3 same, 4→2 down, ved ikke→4 (not both), a newcomer (not both).
	for i, v := range []string{`3`, `3`, `2`, `4`} {
		h.vote(t, s, ps[i], r2.ID, st1, v)
	}
	h.vote(t, s, h.Join(t, s, "", ""), r2.ID, st1, `5`)
	h.vote(t, s, ps[0], r2.ID, st2, `5`) // one person on st2: below the threshold
	res, _ := h.results(t, s, r2.ID)
	sh := res.Statements[st1].Shift
	if sh == nil || sh.NBoth != 3 || sh.Up != 0.33 || sh.Down != 0.33 || sh.Same != 0.33 || sh.MeanChange != -0.33 {
		t.Errorf("shift st1 = %s, want n_both 3, a third each way, mean change -0.33", mustJSON(sh))
	}
	if res.Statements[st2].Shift != nil {
		t.Errorf("shift st2 with one person shown: %s", mustJSON(res.Statements[st2].Shift))
	}
	// A round-2 vote replaced moves the shift with it: the one who went down now goes up.
	h.vote(t, s, ps[2], r2.ID, st1, `5`)
	res, _ = h.results(t, s, r2.ID)
	if sh = res.Statements[st1].Shift; sh == nil || sh.Up != 0.67 || sh.Down != 0 || sh.MeanChange != 0.67 {
		t.Errorf("shift after a replaced vote = %s, want up 0.67, mean change 0.67", mustJSON(sh))
	}
	b, _ := json.Marshal(res)
	if !containsAll(string(b), `"shift":{"up":0.67,"down":0,"same":0.33,"mean_change":0.67,"n_both":3}`) {
		t.Errorf("shift JSON: %s", b)
	}
	// Round 1's results stay as they were.
	if r1, _ := h.results(t, s, scale); r1.Statements[st1].N != 4 || r1.Statements[st1].Shift != nil {
		t.Errorf("round 1 after round 2: %s", mustJSON(r1.Statements[st1]))
	}
	// No third round, no round of words.
	_, err = h.Svc.Do(ctx, h.Owner, s.ID, forum.Command{Type: "round", Activity: scale})
	wantCode(t, "round twice", err, forum.EBadRequest)
	_, err = h.Svc.Do(ctx, h.Owner, s.ID, forum.Command{Type: "round", Activity: r2.ID})
	wantCode(t, "round of a round", err, forum.EBadRequest)
	_, err = h.Svc.Do(ctx, h.Owner, s.ID, forum.Command{Type: "round", Activity: ids[1]})
	wantCode(t, "round of words", err, forum.EBadRequest)
}

// A round 2 of a choice: its own tally and idempotency, round 1 kept, no shift (not per
// statement).
func testSvcChoiceRound(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, ids := kindSession(t, h, nil, forum.NewActivity{Kind: forum.KindChoice, Prompt: "Vælg",
		Options: []forum.Option{{ID: "ja", Label: "Ja"}, {ID: "nej", Label: "Nej"}}})
	choice := ids[0]
	p := h.Join(t, s, "", "")
	h.vote(t, s, p, choice, "", `["ja"]`)
	h.Do(t, s.ID, forum.Command{Type: "round", Activity: choice})
	r2 := choice + forum.RoundSuffix
	_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "same-id", Activity: r2, Value: json.RawMessage(`["nej"]`)})
	noErr(t, "round-2 vote", err)
	_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "same-id", Activity: r2, Value: json.RawMessage(`["ja"]`)})
	noErr(t, "round-2 vote, repeated id", err)
	r1, _ := h.results(t, s, choice)
	res, _ := h.results(t, s, r2)
	if r1.Options["ja"] != 1 || r1.Options["nej"] != 0 || res.Options["nej"] != 1 || res.Options["ja"] != 0 || res.N != 1 {
		t.Errorf("choice rounds: round 1 %s, round 2 %s", mustJSON(r1), mustJSON(res))
	}
	mine, err := h.Svc.Mine(ctx, s.ID, p.ID)
	noErr(t, "Mine", err)
	if len(mine.Votes) != 2 {
		t.Errorf("Mine = %s, want a vote in each round", mustJSON(mine.Votes))
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !json.Valid([]byte(s)) || !contains(s, x) {
			return false
		}
	}
	return true
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func testSvcKindPatch(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, ids := kindSession(t, h, nil, forum.NewActivity{Kind: forum.KindGap}, forum.NewActivity{Kind: forum.KindPoints, Prompt: "Fordel"})
	gap, pts := ids[0], ids[1]
	st := h.firstSection().Statements[0].ID
	h.vote(t, s, h.Join(t, s, "", ""), gap, st, `{"today":1,"wanted":2}`)
	// Wording of an answered gap rating may change; its range may not.
	ax := []forum.Axis{{Prompt: "Sådan er det nu", Min: 1, Max: 5}, {Prompt: "Sådan vil vi have det", Min: 1, Max: 5}}
	a, err := h.Svc.UpdateActivity(ctx, h.Owner, s.ID, gap, forum.ActivityPatch{Axes: &ax})
	if err != nil || a.Axes[0].Prompt != "Sådan er det nu" || a.Axes[1].ID != forum.AxisWanted {
		t.Errorf("gap axes wording: %s, %v", mustJSON(a), err)
	}
	ax[0].Max, ax[1].Max = 7, 7
	_, err = h.Svc.UpdateActivity(ctx, h.Owner, s.ID, gap, forum.ActivityPatch{Axes: &ax})
	wantCode(t, "gap range of an answered activity", err, forum.EConflict)
	// An unanswered, closed points activity may get another budget.
	h.Do(t, s.ID, forum.Command{Type: "close", Activity: pts})
	b := 50
	p, err := h.Svc.UpdateActivity(ctx, h.Owner, s.ID, pts, forum.ActivityPatch{Budget: &b})
	if err != nil || p.Budget != 50 {
		t.Errorf("points budget: %s, %v", mustJSON(p), err)
	}
}
