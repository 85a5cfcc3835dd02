package forumtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pejl/internal/charter"
	"pejl/internal/forum"
)

// CharterID is the built-in charter the service suite runs sessions through.
const CharterID = "allerod-ledelsesgrundlag"

// Clock is a settable clock for forum.Config.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Harness is a Service over an engine with a fake clock and three accounts: an admin, a
// facilitator who owns the sessions the suite makes, and another facilitator.
type Harness struct {
	E      forum.Engine
	Svc    *forum.Service
	Clock  *Clock
	Admin  *forum.User
	Owner  *forum.User
	Other  *forum.User
	Ch     *charter.Charter
	Groups []forum.Group
}

// NewHarness makes a Service over e (closed in t.Cleanup before the engine is).
func NewHarness(t *testing.T, e forum.Engine) *Harness {
	t.Helper()
	ch, ok := charter.BuiltinByID(CharterID)
	if !ok {
		t.Fatalf("no built-in charter %q", CharterID)
	}
	h := &Harness{E: e, Clock: NewClock(T0), Ch: ch,
		Groups: []forum.Group{{ID: "leder", Label: "Leder"}, {ID: "medarb", Label: "Medarbejder"}, {ID: "politiker", Label: "Politiker"}}}
	h.Svc = forum.NewService(e, forum.Config{PublicURL: "https://pejl.test/", Now: h.Clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BatchWindow: time.Millisecond})
	t.Cleanup(h.Svc.Close)
	ctx := t.Context()
	for _, u := range []*forum.User{
		{ID: "u-admin", Email: "admin@pejl.test", Name: "Admin", Role: forum.RoleAdmin, CreatedAt: T0},
		{ID: "u-owner", Email: "owner@pejl.test", Name: "Facilitator", Role: forum.RoleFacilitator, CreatedAt: T0},
		{ID: "u-other", Email: "other@pejl.test", Name: "Another", Role: forum.RoleFacilitator, CreatedAt: T0},
	} {
		noErr(t, "CreateUser", e.CreateUser(ctx, *u))
		switch u.ID {
		case "u-admin":
			h.Admin = u
		case "u-owner":
			h.Owner = u
		default:
			h.Other = u
		}
	}
	return h
}

// Session creates a session from the built-in charter, owned by h.Owner, with h.Groups.
func (h *Harness) Session(t *testing.T) *forum.Session {
	t.Helper()
	s, err := h.Svc.CreateSession(t.Context(), h.Owner, forum.NewSession{Title: "Ledergruppen", CharterID: CharterID, Groups: h.Groups})
	noErr(t, "CreateSession", err)
	return s
}

// Do runs a facilitator command as h.Owner.
func (h *Harness) Do(t *testing.T, sessionID string, cmd forum.Command) int64 {
	t.Helper()
	v, err := h.Svc.Do(t.Context(), h.Owner, sessionID, cmd)
	noErr(t, "Do "+cmd.Type+" "+cmd.Activity+cmd.Section, err)
	return v
}

// Join makes a new participant.
func (h *Harness) Join(t *testing.T, s *forum.Session, name, group string) *forum.Participant {
	t.Helper()
	p, _, err := h.Svc.Hello(t.Context(), s, "", name, group)
	noErr(t, "Hello", err)
	return p
}

// firstSection is the first rated section of the charter with three statements or more.
func (h *Harness) firstSection() *charter.Section {
	for i := range h.Ch.Sections {
		if len(h.Ch.Sections[i].Statements) >= 3 && !h.Ch.Sections[i].Unrated {
			return &h.Ch.Sections[i]
		}
	}
	panic("forumtest: the charter has no section with three statements")
}

func codeOf(err error) string { return forum.ErrorCode(err) }

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := codeOf(err); got != code {
		t.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

// RunService runs forum.Service end to end over engines from newEngine: sessions from a
// built-in charter, joining, voting with every rule, comments, moderation, commands,
// results with the anonymity rule, retention and deletion.
func RunService(t *testing.T, newEngine func(t *testing.T) forum.Engine) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *Harness)
	}{
		{"CreateSession", testSvcCreateSession},
		{"Hello", testSvcHello},
		{"VoteRules", testSvcVoteRules},
		{"VoteIdempotency", testSvcVoteIdempotency},
		{"Results", testSvcResults},
		{"GroupAnonymity", testSvcGroupAnonymity},
		{"Audience", testSvcAudience},
		{"ResultsWait", testSvcResultsWait},
		{"ThresholdLocked", testSvcThresholdLocked},
		{"Comments", testSvcComments},
		{"Commands", testSvcCommands},
		{"SweepExpired", testSvcSweepExpired},
		{"DeleteSession", testSvcDeleteSession},
		{"Draft", testSvcDraft},
		{"LoginLimitConcurrent", testSvcLoginLimitConcurrent},
		{"JoinGuessingKeepsTheRoom", testSvcJoinGuessingKeepsTheRoom},
		{"NewParticipantsPerAddress", testSvcNewParticipantsPerAddress},
		{"CommentAndWordBounds", testSvcCommentAndWordBounds},
		{"Copy", testSvcCopy},
		{"FirstAdminOnce", testSvcFirstAdminOnce},
		{"InputHygiene", testSvcInputHygiene},
		{"Approval", testSvcApproval},
		{"Notes", testSvcNotes},
		{"ScaleItems", testSvcScaleItems},
		{"RankSections", testSvcRankSections},
		{"Words", testSvcWords},
		{"EndScreen", testSvcEndScreen},
		{"SelfPaced", testSvcSelfPaced},
		{"SelfPacedByHand", testSvcSelfPacedByHand},
		{"Agreements", testSvcAgreements},
		{"CompareFollowUp", testSvcCompareFollowUp},
		{"SurveyCap", testSvcSurveyCap},
		{"DontKnowAndRetract", testSvcDontKnowAndRetract},
		{"Gap", testSvcGap},
		{"Points", testSvcPoints},
		{"Rounds", testSvcRounds},
		{"KindPatch", testSvcKindPatch},
		{"ChoiceRound", testSvcChoiceRound},
		{"SSO", testSvcSSO},
		{"CharterVersion", testSvcCharterVersion},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, NewHarness(t, newEngine(t))) })
	}
}

func testSvcCreateSession(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	if s.State != forum.StateLobby || s.Rev != 1 || len(s.Code) != 6 {
		t.Errorf("new session: state %s rev %d code %q", s.State, s.Rev, s.Code)
	}
	want := forum.DefaultActivities(h.Ch, "da")
	if len(s.Activities) == 0 || !sameJSON(s.Activities, want) {
		t.Errorf("activities = %d, want the charter's %d defaults", len(s.Activities), len(want))
	}
	got, err := h.Svc.JoinLookup(ctx, s.Code, "10.0.0.1")
	if err != nil || got.ID != s.ID {
		t.Errorf("JoinLookup = %v, %v", got, err)
	}
	wrong := "999999"
	if wrong == s.Code {
		wrong = "999998"
	}
	_, err = h.Svc.JoinLookup(ctx, wrong, "10.0.0.1")
	wantCode(t, "JoinLookup(wrong code)", err, forum.EUnknownCode)

	_, err = h.Svc.Session(ctx, h.Other, s.ID)
	wantCode(t, "Session as another facilitator", err, forum.ENotFound)
	if _, err := h.Svc.Session(ctx, h.Admin, s.ID); err != nil {
		t.Errorf("Session as admin: %v", err)
	}
	for _, tc := range []struct {
		who  *forum.User
		want int
	}{{h.Owner, 1}, {h.Other, 0}, {h.Admin, 1}} {
		list, err := h.Svc.Sessions(ctx, tc.who)
		if err != nil || len(list) != tc.want {
			t.Errorf("Sessions(%s) = %d sessions, %v; want %d", tc.who.ID, len(list), err, tc.want)
		}
	}
	_, err = h.Svc.CreateSession(ctx, h.Owner, forum.NewSession{Title: "X", CharterID: "no-such-charter"})
	wantCode(t, "CreateSession with an unknown charter", err, forum.EBadRequest)
	_, err = h.Svc.CreateSession(ctx, nil, forum.NewSession{Title: "X", CharterID: CharterID})
	wantCode(t, "CreateSession without an actor", err, forum.EUnauthenticated)
}

func testSvcHello(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	p, tok, err := h.Svc.Hello(ctx, s, "", " Anna ", "leder")
	noErr(t, "Hello", err)
	if p.Name != "" || p.Group != "leder" || tok == "" || p.TokenHash == tok { // a name is never stored
		t.Errorf("Hello = %+v token %q", p, tok)
	}
	again, tok2, err := h.Svc.Hello(ctx, s, tok, "", "")
	if err != nil || again.ID != p.ID || tok2 != tok {
		t.Errorf("Hello with the resume token = %v %q, %v; want the same participant", again, tok2, err)
	}
	forged, tok3, err := h.Svc.Hello(ctx, s, "forged-token", "", "medarb")
	if err != nil || forged.ID == p.ID || tok3 == "forged-token" {
		t.Errorf("Hello with a forged token = %v %q, %v; want a new participant", forged, tok3, err)
	}
	for _, tc := range []struct {
		name, pname, group, code string
	}{
		{"unknown group", "", "nope", forum.EInvalidValue},
	} {
		_, _, err := h.Svc.Hello(ctx, s, "", tc.pname, tc.group)
		wantCode(t, "Hello with "+tc.name, err, tc.code)
	}
	total, groups, err := h.Svc.ParticipantCounts(ctx, s.ID)
	if err != nil || total != 2 || groups["leder"] != 1 || groups["medarb"] != 1 {
		t.Errorf("ParticipantCounts = %d %v, %v; want 2", total, groups, err)
	}

	h.Do(t, s.ID, forum.Command{Type: "end"})
	ended, _ := h.Svc.SessionByID(ctx, s.ID)
	_, _, err = h.Svc.Hello(ctx, ended, "", "", "")
	wantCode(t, "Hello, new participant in an ended session", err, forum.ESessionEnded)
	if back, _, err := h.Svc.Hello(ctx, ended, tok, "", ""); err != nil || back.ID != p.ID {
		t.Errorf("Hello, returning participant in an ended session = %v, %v", back, err)
	}
}

// votingSession makes a session with the first section's scale open and a choice, a rank
// and a words activity added and open. It returns the session and the activities' ids.
func votingSession(t *testing.T, h *Harness) (s *forum.Session, scale, choice, rank, words, comments string) {
	t.Helper()
	ctx := t.Context()
	s = h.Session(t)
	sec := h.firstSection()
	scale, comments = sec.ID+"-scale", sec.ID+"-comments"
	add := func(in forum.NewActivity) string {
		t.Helper()
		in.Section = sec.ID
		a, err := h.Svc.AddActivity(ctx, h.Owner, s.ID, in)
		noErr(t, "AddActivity "+in.Kind, err)
		return a.ID
	}
	choice = add(forum.NewActivity{Kind: forum.KindChoice, Prompt: "Hvad er vigtigst?", MaxChoices: 2,
		Options: []forum.Option{{ID: "tillid", Label: "Tillid"}, {ID: "dialog", Label: "Dialog"}, {ID: "mod", Label: "Mod"}}})
	rank = add(forum.NewActivity{Kind: forum.KindRank, Prompt: "Rangér", K: 2})
	words = add(forum.NewActivity{Kind: forum.KindWords, Prompt: "Ét ord"})
	for _, id := range []string{scale, choice, rank, words, comments} {
		h.Do(t, s.ID, forum.Command{Type: "open", Activity: id})
	}
	// These tests are about comments as the room sees them once shown: no approval step
	// (testSvcApproval covers it).
	yes := true
	_, err := h.Svc.UpdateSession(ctx, h.Owner, s.ID, forum.SessionPatch{AutoApprove: &yes})
	noErr(t, "UpdateSession auto_approve", err)
	s, _ = h.Svc.SessionByID(ctx, s.ID)
	return s, scale, choice, rank, words, comments
}

func testSvcVoteRules(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, scale, choice, rank, words, comments := votingSession(t, h)
	sec := h.firstSection()
	st1, st2, st3 := sec.Statements[0].ID, sec.Statements[1].ID, sec.Statements[2].ID
	p := h.Join(t, s, "", "leder")
	n := 0
	tests := []struct {
		name      string
		activity  string
		statement string
		value     string
		clientID  string
		code      string // "" for accepted
	}{
		{"scale 3", scale, st1, `3`, "", ""},
		{"scale 1", scale, st2, `1`, "", ""},
		{"scale 5", scale, st3, `5`, "", ""},
		{"scale 3.0 is 3", scale, st1, `3.0`, "", ""},
		{"scale 0", scale, st1, `0`, "", forum.EInvalidValue},
		{"scale 6", scale, st1, `6`, "", forum.EInvalidValue},
		{"scale 3.5", scale, st1, `3.5`, "", forum.EInvalidValue},
		{"scale \"3\"", scale, st1, `"3"`, "", forum.EInvalidValue},
		{"scale no value", scale, st1, ``, "", forum.EInvalidValue},
		{"scale unknown statement", scale, sec.ID + "-999", `3`, "", forum.EInvalidValue},
		{"scale no statement", scale, "", `3`, "", forum.EInvalidValue},
		{"choice one", choice, "", `["tillid"]`, "", ""},
		{"choice two", choice, "", `["tillid","mod"]`, "", ""},
		{"choice three of max two", choice, "", `["tillid","mod","dialog"]`, "", forum.EInvalidValue},
		{"choice none", choice, "", `[]`, "", forum.EInvalidValue},
		{"choice twice the same", choice, "", `["mod","mod"]`, "", forum.EInvalidValue},
		{"choice unknown option", choice, "", `["nope"]`, "", forum.EInvalidValue},
		{"choice not a list", choice, "", `"mod"`, "", forum.EInvalidValue},
		{"rank two", rank, "", fmt.Sprintf(`[%q,%q]`, st2, st1), "", ""},
		{"rank one", rank, "", fmt.Sprintf(`[%q]`, st3), "", ""},
		{"rank more than k", rank, "", fmt.Sprintf(`[%q,%q,%q]`, st1, st2, st3), "", forum.EInvalidValue},
		{"rank twice the same", rank, "", fmt.Sprintf(`[%q,%q]`, st1, st1), "", forum.EInvalidValue},
		{"rank unknown item", rank, "", `["s99-1"]`, "", forum.EInvalidValue},
		{"words one", words, "", `["Tillid"]`, "", ""},
		{"words three", words, "", `["tillid","mod","Ro!"]`, "", ""},
		{"words four", words, "", `["a","b","c","d"]`, "", forum.EInvalidValue},
		{"words empty word", words, "", `["  "]`, "", forum.EInvalidValue},
		{"words too long", words, "", `["` + strings.Repeat("x", forum.MaxWordRunes+1) + `"]`, "", forum.EInvalidValue},
		{"comments activity takes no votes", comments, "", `3`, "", forum.EInvalidValue},
		{"unknown activity", "no-such-activity", "", `3`, "", forum.EUnknownActivity},
		{"no id", scale, st1, `3`, "-", forum.EBadMessage},
		{"id too long", scale, st1, `3`, strings.Repeat("i", forum.MaxClientID+1), forum.EBadMessage},
	}
	for _, tc := range tests {
		n++
		id := tc.clientID
		switch id {
		case "":
			id = fmt.Sprintf("r%d", n)
		case "-":
			id = ""
		}
		_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: id, Activity: tc.activity, Statement: tc.statement, Value: json.RawMessage(tc.value)})
		wantCode(t, tc.name, err, tc.code)
	}
	// What was accepted is what the participant now has.
	mine, err := h.Svc.Mine(ctx, s.ID, p.ID)
	noErr(t, "Mine", err)
	got := map[string]string{}
	for _, v := range mine.Votes {
		got[v.Activity+"/"+v.Statement] = string(v.Value)
	}
	want := map[string]string{
		scale + "/" + st1: `3`, scale + "/" + st2: `1`, scale + "/" + st3: `5`,
		choice + "/": `["tillid","mod"]`, rank + "/": fmt.Sprintf(`[%q]`, st3), words + "/": `["tillid","mod","ro"]`,
	}
	if !sameJSON(got, want) {
		t.Errorf("Mine = %v\nwant %v", got, want)
	}
	v, err := h.Svc.View(ctx, h.Owner, s.ID)
	noErr(t, "View", err)
	for _, a := range v.Activities {
		if a.ID == words && (a.Tally.N != 1 || a.Tally.Words["tillid"] != 1 || a.Tally.Words["ro"] != 1) {
			t.Errorf("words results = %s", mustJSON(a.Tally))
		}
		if a.ID == rank && (a.Tally.N != 1 || a.Tally.Points[st3] != 2 || len(a.Tally.Points) != 1) {
			t.Errorf("rank results = %s", mustJSON(a.Tally))
		}
		if a.ID == choice && (a.Tally.N != 1 || a.Tally.Options["tillid"] != 1 || a.Tally.Options["mod"] != 1 || a.Tally.Options["dialog"] != 0) {
			t.Errorf("choice results = %s", mustJSON(a.Tally))
		}
	}
}

func testSvcVoteIdempotency(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, scale, _, _, _, _ := votingSession(t, h)
	sec := h.firstSection()
	st1, st2 := sec.Statements[0].ID, sec.Statements[1].ID
	p := h.Join(t, s, "", "leder")
	vote := func(id, st, value string) (int64, error) {
		return h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: id, Activity: scale, Statement: st, Value: json.RawMessage(value)})
	}
	counts := func(st string) (map[string]int64, int64) {
		t.Helper()
		v, err := h.Svc.View(ctx, h.Owner, s.ID)
		noErr(t, "View", err)
		for _, a := range v.Activities {
			if a.ID == scale {
				r := a.Tally.Statements[st]
				return Counts(r.Counts), r.N
			}
		}
		t.Fatalf("no activity %s in the view", scale)
		return nil, 0
	}

	v1, err := vote("m1", st1, "3")
	if err != nil || v1 <= 0 {
		t.Fatalf("Vote = %d, %v", v1, err)
	}
	for _, tc := range []struct{ name, value string }{
		{"the same message again", "3"},
		{"the same id with another value", "5"},
		{"the same id with an invalid value", "9"},
	} {
		if _, err := vote("m1", st1, tc.value); err != nil {
			t.Errorf("%s: %v, want acknowledged", tc.name, err)
		}
	}
	if c, n := counts(st1); n != 1 || c["3"] != 1 {
		t.Errorf("after repeats: counts %v n %d; want the first vote, once", c, n)
	}
	v2, err := vote("m2", st1, "5")
	if err != nil || v2 <= v1 {
		t.Errorf("replacing vote = %d, %v; want a version > %d", v2, err, v1)
	}
	if c, n := counts(st1); n != 1 || c["5"] != 1 || c["3"] != 0 {
		t.Errorf("after replacing: counts %v n %d; want only 5", c, n)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			if _, err := vote("m3", st2, "4"); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent copies: %v", err)
	}
	if c, n := counts(st2); n != 1 || c["4"] != 1 {
		t.Errorf("after 20 concurrent copies: counts %v n %d; want one vote", c, n)
	}

	h.Do(t, s.ID, forum.Command{Type: "close", Activity: scale})
	_, err = vote("m4", st1, "2")
	wantCode(t, "vote on a closed activity", err, forum.EActivityClosed)
	if _, err := vote("m2", st1, "5"); err != nil {
		t.Errorf("resending an accepted vote after close: %v, want acknowledged", err)
	}
	h.Do(t, s.ID, forum.Command{Type: "open", Activity: scale})
	h.Do(t, s.ID, forum.Command{Type: "end"})
	_, err = vote("m5", st1, "2")
	wantCode(t, "vote in an ended session", err, forum.ESessionEnded)
	if c, n := counts(st1); n != 1 || c["5"] != 1 {
		t.Errorf("at the end: counts %v n %d; want the replacing vote", c, n)
	}
}

func testSvcResults(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, scale, choice, _, _, _ := votingSession(t, h)
	sec := h.firstSection()
	st1, st2 := sec.Statements[0].ID, sec.Statements[1].ID
	values := []int{1, 2, 3, 4, 5, 5}
	for i, val := range values {
		p := h.Join(t, s, "", "")
		_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "m1", Activity: scale, Statement: st1, Value: json.RawMessage(fmt.Sprint(val))})
		noErr(t, "Vote", err)
		opts := `["tillid"]`
		if i%2 == 1 {
			opts = `["tillid","dialog"]`
		}
		_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "m2", Activity: choice, Value: json.RawMessage(opts)})
		noErr(t, "Vote", err)
	}
	view, err := h.Svc.View(ctx, h.Owner, s.ID)
	noErr(t, "View", err)
	if view.Participants.Count != int64(len(values)) || view.Epoch == "" || view.Version <= 0 {
		t.Errorf("view: %d participants, epoch %q, version %d", view.Participants.Count, view.Epoch, view.Version)
	}
	results := map[string]*forum.Results{}
	for _, a := range view.Activities {
		results[a.ID] = a.Tally
	}
	r := results[scale].Statements[st1]
	if want := map[string]int64{"1": 1, "2": 1, "3": 1, "4": 1, "5": 2}; r.N != 6 || !sameJSON(r.Counts, want) || r.Mean == nil || *r.Mean != 3.33 {
		t.Errorf("scale results for %s = %s; want counts %v, n 6, mean 3.33", st1, mustJSON(r), want)
	}
	if r := results[scale].Statements[st2]; r.N != 0 || r.Mean != nil || r.Counts["3"] != 0 {
		t.Errorf("scale results without votes = %s; want n 0, no mean", mustJSON(r))
	}
	if c := results[choice]; c.N != 6 || c.Options["tillid"] != 6 || c.Options["dialog"] != 3 || c.Options["mod"] != 0 {
		t.Errorf("choice results = %s", mustJSON(c))
	}

	// The participants' snapshot carries a tally only while results are shown.
	tallyShown := func() bool {
		t.Helper()
		cur, _ := h.Svc.SessionByID(ctx, s.ID)
		snap, err := h.Svc.Snapshot(ctx, cur)
		noErr(t, "Snapshot", err)
		for _, a := range snap.Activities {
			if a.ID == scale {
				return a.Tally != nil
			}
		}
		t.Fatalf("activity %s not in the snapshot", scale)
		return false
	}
	if tallyShown() {
		t.Errorf("snapshot shows results before show_results")
	}
	h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: scale})
	if !tallyShown() {
		t.Errorf("snapshot hides results after show_results")
	}
	h.Do(t, s.ID, forum.Command{Type: "hide_results", Activity: scale})
	if tallyShown() {
		t.Errorf("snapshot shows results after hide_results")
	}
}

func testSvcGroupAnonymity(t *testing.T, h *Harness) {
	ctx := t.Context()
	values := map[string]int{"leder": 5, "medarb": 3, "politiker": 1}
	tests := []struct {
		name     string
		answered map[string]int   // members who answer the statement, per group
		silent   map[string]int   // members who join and answer nothing
		want     map[string]int64 // group shown for the statement → its respondents
		members  map[string]int64 // group shown in the participant counts → members
	}{
		{"5 and 4: the 4 never alone, nor by subtraction", map[string]int{"leder": 5, "medarb": 4}, nil,
			map[string]int64{}, map[string]int64{}},
		{"5, 4 and 1: the small ones merged", map[string]int{"leder": 5, "medarb": 4, "politiker": 1}, nil,
			map[string]int64{"leder": 5, forum.OtherGroup: 5}, map[string]int64{"leder": 5, forum.OtherGroup: 5}},
		{"4 and 4: only the merged group", map[string]int{"leder": 4, "medarb": 4}, nil,
			map[string]int64{forum.OtherGroup: 8}, map[string]int64{forum.OtherGroup: 8}},
		{"5 and 5: both", map[string]int{"leder": 5, "medarb": 5}, nil,
			map[string]int64{"leder": 5, "medarb": 5}, map[string]int64{"leder": 5, "medarb": 5}},
		{"4 alone: nothing", map[string]int{"leder": 4}, nil, map[string]int64{}, map[string]int64{}},
		{"6 members, 4 answered: not shown", map[string]int{"leder": 4, "medarb": 5}, map[string]int{"leder": 2},
			map[string]int64{}, map[string]int64{"leder": 6, "medarb": 5}},
		{"6 members, 5 answered: shown", map[string]int{"leder": 5, "medarb": 5}, map[string]int{"leder": 1},
			map[string]int64{"leder": 5, "medarb": 5}, map[string]int64{"leder": 6, "medarb": 5}},
		{"a silent joiner adds nothing", map[string]int{"leder": 5, "medarb": 4}, map[string]int{"medarb": 1},
			map[string]int64{}, map[string]int64{"leder": 5, "medarb": 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, scale, _, _, _, _ := votingSession(t, h)
			st := h.firstSection().Statements[0].ID
			total, joined := 0, 0
			for _, g := range sortedKeys(tc.answered) {
				for range tc.answered[g] {
					p := h.Join(t, s, "", g)
					_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "m1", Activity: scale, Statement: st, Value: json.RawMessage(fmt.Sprint(values[g]))})
					noErr(t, "Vote", err)
					total++
					joined++
				}
			}
			for _, g := range sortedKeys(tc.silent) {
				for range tc.silent[g] {
					h.Join(t, s, "", g)
					joined++
				}
			}
			view, err := h.Svc.View(ctx, h.Owner, s.ID)
			noErr(t, "View", err)
			if !sameJSON(view.Participants.Groups, tc.members) || view.Participants.Count != int64(joined) {
				t.Errorf("participants = %d %v, want %d %v", view.Participants.Count, view.Participants.Groups, joined, tc.members)
			}
			// The same rule for the facilitator's view and the presenter.
			fromView := func() (forum.Results, []forum.GroupResults) {
				for _, av := range view.Activities {
					if av.ID == scale {
						return *av.Tally, av.Groups
					}
				}
				t.Fatalf("activity %s not in the view", scale)
				return forum.Results{}, nil
			}
			tot, per := fromView()
			h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: scale})
			cur, err := h.Svc.SessionByID(ctx, s.ID)
			noErr(t, "SessionByID", err)
			a, _ := cur.Activity(scale)
			_, presented, ok, err := h.Svc.ActivityResults(ctx, forum.ForPresenter, cur, a)
			noErr(t, "ActivityResults(presenter)", err)
			if !ok {
				t.Fatalf("the presenter does not see shown results")
			}
			for what, per := range map[string][]forum.GroupResults{"facilitator view": per, "presenter": presented} {
				if n := tot.Statements[st].N; n != int64(total) {
					t.Errorf("total n = %d, want %d (groups never change the totals)", n, total)
				}
				got := map[string]int64{}
				var shownSum int64
				for _, gr := range per {
					r, ok := gr.Results.Statements[st]
					if !ok {
						continue
					}
					got[gr.Group.ID] = r.N
					shownSum += r.N
					// The group's counts are its members' votes.
					want := map[string]int64{}
					for _, id := range gr.Group.Groups {
						want[fmt.Sprint(values[id])] += int64(tc.answered[id])
					}
					if !sameJSON(Counts(r.Counts), want) {
						t.Errorf("%s: group %s counts = %v, want %v", what, gr.Group.ID, r.Counts, want)
					}
				}
				if !sameJSON(got, tc.want) {
					t.Errorf("%s: groups with results = %v, want %v", what, got, tc.want)
				}
				// Nothing derivable: what the shown groups leave of the total is either
				// nothing, or at least the threshold of people.
				if rest := int64(total) - shownSum; len(got) > 0 && rest > 0 && rest < int64(cur.AnonymityThreshold) {
					t.Errorf("%s: total %d minus the shown groups leaves %d people", what, total, rest)
				}
			}
			_, mine, ok, err := h.Svc.ActivityResults(ctx, forum.ForParticipant, cur, a)
			noErr(t, "ActivityResults(participant)", err)
			if !ok || mine != nil {
				t.Errorf("a participant gets results per group: %v (ok %v)", mine, ok)
			}
		})
	}
}

func testSvcComments(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, scale, _, _, _, comments := votingSession(t, h)
	sec := h.firstSection()
	p1, p2, p3 := h.Join(t, s, "Anna", "leder"), h.Join(t, s, "", "medarb"), h.Join(t, s, "", "")
	add := func(p *forum.Participant, id, activity, statement, text string) (*forum.Comment, error) {
		return h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: id, Activity: activity, Statement: statement, Text: text})
	}
	c1, err := add(p1, "m1", comments, "", "  <script>alert(1)</script>  ")
	noErr(t, "AddComment", err)
	if c1 == nil || c1.Text != "<script>alert(1)</script>" || c1.Participant != p1.ID || c1.Group != "leder" {
		t.Fatalf("comment = %s", mustJSON(c1))
	}
	if again, err := add(p1, "m1", comments, "", "noget andet"); err != nil || again != nil {
		t.Errorf("repeated comment id = %v, %v; want acknowledged, nothing new", again, err)
	}
	c2, err := add(p2, "m1", comments, sec.Statements[0].ID, "Om det første udsagn")
	noErr(t, "AddComment about a statement", err)
	for _, tc := range []struct{ name, activity, statement, text, code string }{
		{"empty", comments, "", "   ", forum.EInvalidValue},
		{"too long", comments, "", strings.Repeat("æ", forum.MaxCommentRunes+1), forum.EInvalidValue},
		{"on a scale activity", scale, "", "Hej", forum.EInvalidValue},
		{"about another section's statement", comments, "s999-1", "Hej", forum.EInvalidValue},
		{"unknown activity", "nope", "", "Hej", forum.EUnknownActivity},
	} {
		_, err := add(p3, "x-"+tc.name, tc.activity, tc.statement, tc.text)
		wantCode(t, "comment "+tc.name, err, tc.code)
	}

	for _, tc := range []struct {
		name    string
		p       *forum.Participant
		id, cid string
		upvotes int64
	}{
		{"first", p2, "u1", c1.ID, 1},
		{"repeat", p2, "u1", c1.ID, 1},
		{"again with a new id", p2, "u2", c1.ID, 1},
		{"another participant", p3, "u1", c1.ID, 2},
	} {
		c, err := h.Svc.Upvote(ctx, s.ID, tc.p, tc.id, tc.cid)
		if err != nil || c.Upvotes != tc.upvotes {
			t.Errorf("upvote %s = %s, %v; want %d upvotes", tc.name, mustJSON(c), err, tc.upvotes)
		}
	}
	_, err = h.Svc.Upvote(ctx, s.ID, p2, "u3", "no-such-comment")
	wantCode(t, "upvote of an unknown comment", err, forum.EInvalidValue)

	mine, err := h.Svc.Mine(ctx, s.ID, p2.ID)
	noErr(t, "Mine", err)
	if len(mine.Comments) != 1 || mine.Comments[0].ID != c2.ID || !slices.Equal(mine.Upvoted, []string{c1.ID}) {
		t.Errorf("Mine(p2) = %s", mustJSON(mine))
	}

	// Moderation.
	_, err = h.Svc.Do(ctx, h.Other, s.ID, forum.Command{Type: "moderate", Comment: c2.ID, Action: "hide"})
	wantCode(t, "moderation by another facilitator", err, forum.ENotFound)
	_, err = h.Svc.Do(ctx, h.Owner, s.ID, forum.Command{Type: "moderate", Comment: c2.ID, Action: "delete"})
	wantCode(t, "moderation with an unknown action", err, forum.EBadRequest)
	_, err = h.Svc.Do(ctx, h.Owner, s.ID, forum.Command{Type: "moderate", Comment: "nope", Action: "hide"})
	wantCode(t, "moderation of an unknown comment", err, forum.ENotFound)
	c3, err := add(p3, "m9", comments, "", "Tredje")
	noErr(t, "AddComment", err)
	h.Do(t, s.ID, forum.Command{Type: "moderate", Comment: c1.ID, Action: "hide"})
	h.Do(t, s.ID, forum.Command{Type: "moderate", Comment: c3.ID, Action: "star"})

	view, err := h.Svc.View(ctx, h.Owner, s.ID)
	noErr(t, "View", err)
	for _, a := range view.Activities {
		if a.ID != comments {
			continue
		}
		var ids []string
		for _, c := range a.Tally.Comments {
			ids = append(ids, c.ID)
		}
		// Starred first, then by upvotes, then oldest; the facilitator sees hidden ones.
		if want := []string{c3.ID, c1.ID, c2.ID}; !slices.Equal(ids, want) || a.Tally.N != 2 {
			t.Errorf("facilitator's comments = %v n %d, want %v n 2", ids, a.Tally.N, want)
		}
	}
	h.Do(t, s.ID, forum.Command{Type: "show_results", Activity: comments})
	cur, _ := h.Svc.SessionByID(ctx, s.ID)
	snap, err := h.Svc.Snapshot(ctx, cur)
	noErr(t, "Snapshot", err)
	for _, a := range snap.Activities {
		if a.ID != comments {
			continue
		}
		var ids []string
		for _, c := range a.Tally.Comments {
			ids = append(ids, c.ID)
			if c.Participant != "" || c.Group != "" {
				t.Errorf("the snapshot names a comment's author: %s", mustJSON(c))
			}
		}
		if want := []string{c3.ID, c2.ID}; !slices.Equal(ids, want) {
			t.Errorf("participants' comments = %v, want %v (hidden left out)", ids, want)
		}
	}

	h.Do(t, s.ID, forum.Command{Type: "close", Activity: comments})
	_, err = add(p3, "m10", comments, "", "For sent")
	wantCode(t, "comment on a closed activity", err, forum.EActivityClosed)
	h.Do(t, s.ID, forum.Command{Type: "end"})
	_, err = add(p3, "m11", comments, "", "Efter slut")
	wantCode(t, "comment in an ended session", err, forum.ESessionEnded)
}

func testSvcCommands(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	events := make(chan forum.Event, 64)
	sub, cancel := context.WithCancel(ctx)
	defer cancel()
	noErr(t, "Subscribe", h.E.Subscribe(sub, s.ID, func(ev forum.Event) {
		select {
		case events <- ev:
		default:
		}
	}))
	sec := h.firstSection()
	var sec2 string
	for _, x := range h.Ch.Sections {
		if len(x.Statements) > 0 && x.ID != sec.ID {
			sec2 = x.ID
			break
		}
	}
	scale := sec.ID + "-scale"
	type check func(*forum.Session) string
	activity := func(state, results string) check {
		return func(s *forum.Session) string {
			a, _ := s.Activity(scale)
			if a.State != state || a.Results != results {
				return fmt.Sprintf("activity %s/%s, want %s/%s", a.State, a.Results, state, results)
			}
			return ""
		}
	}
	tests := []struct {
		name  string
		cmd   forum.Command
		actor *forum.User
		code  string
		check check
	}{
		{"open starts the session", forum.Command{Type: "open", Activity: scale}, nil, "", func(s *forum.Session) string {
			if s.State != forum.StateLive || s.CurrentSection != sec.ID {
				return fmt.Sprintf("state %s section %q, want live in %s", s.State, s.CurrentSection, sec.ID)
			}
			return activity(forum.ActivityOpen, forum.ResultsHidden)(s)
		}},
		{"goto", forum.Command{Type: "goto", Section: sec2}, nil, "", func(s *forum.Session) string {
			if s.CurrentSection != sec2 {
				return "section " + s.CurrentSection
			}
			return ""
		}},
		{"goto an unknown section", forum.Command{Type: "goto", Section: "s999"}, nil, forum.EBadRequest, nil},
		{"open an unknown activity", forum.Command{Type: "open", Activity: "nope"}, nil, forum.EUnknownActivity, nil},
		{"show results", forum.Command{Type: "show_results", Activity: scale}, nil, "", activity(forum.ActivityOpen, forum.ResultsShown)},
		{"hide results", forum.Command{Type: "hide_results", Activity: scale}, nil, "", activity(forum.ActivityOpen, forum.ResultsHidden)},
		{"close", forum.Command{Type: "close", Activity: scale}, nil, "", activity(forum.ActivityClosed, forum.ResultsHidden)},
		{"unknown command", forum.Command{Type: "dance"}, nil, forum.EBadMessage, nil},
		{"another facilitator", forum.Command{Type: "open", Activity: scale}, h.Other, forum.ENotFound, nil},
		{"admin", forum.Command{Type: "open", Activity: scale}, h.Admin, "", activity(forum.ActivityOpen, forum.ResultsHidden)},
		{"end", forum.Command{Type: "end"}, nil, "", func(s *forum.Session) string {
			if s.State != forum.StateEnded || s.EndedAt == nil || len(s.OpenActivities()) != 0 {
				return fmt.Sprintf("state %s ended %v open %v", s.State, s.EndedAt, s.OpenActivities())
			}
			return activity(forum.ActivityClosed, forum.ResultsHidden)(s)
		}},
		{"goto after the end", forum.Command{Type: "goto", Section: sec.ID}, nil, forum.ESessionEnded, nil},
		{"open after the end", forum.Command{Type: "open", Activity: scale}, nil, forum.ESessionEnded, nil},
		{"show results after the end", forum.Command{Type: "show_results", Activity: scale}, nil, "", activity(forum.ActivityClosed, forum.ResultsShown)},
	}
	_, last, _ := h.E.Version(ctx, s.ID)
	for _, tc := range tests {
		actor := tc.actor
		if actor == nil {
			actor = h.Owner
		}
		v, err := h.Svc.Do(ctx, actor, s.ID, tc.cmd)
		wantCode(t, tc.name, err, tc.code)
		if tc.code != "" {
			continue
		}
		if v <= last {
			t.Errorf("%s: version %d, want > %d", tc.name, v, last)
		}
		last = v
		select {
		case ev := <-events:
			if ev.Kind != forum.EventState || ev.Session != s.ID || ev.Version != v {
				t.Errorf("%s: event %+v, want state at version %d", tc.name, ev, v)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("%s: no state event", tc.name)
		}
		cur, err := h.Svc.SessionByID(ctx, s.ID)
		noErr(t, "SessionByID", err)
		if msg := tc.check(cur); msg != "" {
			t.Errorf("%s: %s", tc.name, msg)
		}
	}
}

func testSvcSweepExpired(t *testing.T, h *Harness) {
	ctx := t.Context()
	old := h.Session(t)
	h.Join(t, old, "", "leder")
	h.Clock.Advance(100 * 24 * time.Hour)
	young := h.Session(t)
	h.Clock.Advance(80*24*time.Hour + time.Minute) // old is 180 days and a minute old
	n, err := h.Svc.SweepExpired(ctx)
	if err != nil || n != 1 {
		t.Fatalf("SweepExpired = %d, %v; want 1", n, err)
	}
	_, err = h.Svc.SessionByID(ctx, old.ID)
	wantCode(t, "expired session", err, forum.ENotFound)
	if _, err := h.E.SessionIDByCode(ctx, old.Code); err == nil {
		t.Errorf("the expired session's code still resolves")
	}
	if total, _, _ := h.E.ParticipantCounts(ctx, old.ID); total != 0 {
		t.Errorf("the expired session's participants remain: %d", total)
	}
	if _, err := h.Svc.SessionByID(ctx, young.ID); err != nil {
		t.Errorf("the young session: %v", err)
	}
	if n, err := h.Svc.SweepExpired(ctx); err != nil || n != 0 {
		t.Errorf("second sweep = %d, %v; want 0", n, err)
	}
}

func testSvcDeleteSession(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, scale, _, _, _, comments := votingSession(t, h)
	p := h.Join(t, s, "", "leder")
	_, err := h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "m1", Activity: scale, Statement: h.firstSection().Statements[0].ID, Value: json.RawMessage("4")})
	noErr(t, "Vote", err)
	_, err = h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "m2", Activity: comments, Text: "Farvel"})
	noErr(t, "AddComment", err)
	events := make(chan forum.Event, 8)
	sub, cancel := context.WithCancel(ctx)
	defer cancel()
	noErr(t, "Subscribe", h.E.Subscribe(sub, s.ID, func(ev forum.Event) {
		select {
		case events <- ev:
		default:
		}
	}))

	wantCode(t, "delete by another facilitator", h.Svc.DeleteSession(ctx, h.Other, s.ID), forum.ENotFound)
	noErr(t, "DeleteSession", h.Svc.DeleteSession(ctx, h.Owner, s.ID))
	select {
	case ev := <-events:
		if ev.Kind != forum.EventDeleted {
			t.Errorf("event %+v, want deleted", ev)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("no deleted event")
	}
	_, err = h.Svc.View(ctx, h.Owner, s.ID)
	wantCode(t, "View of a deleted session", err, forum.ENotFound)
	_, err = h.Svc.JoinLookup(ctx, s.Code, "10.0.0.2")
	wantCode(t, "JoinLookup of a deleted session", err, forum.EUnknownCode)
	count := 0
	_ = h.Svc.ScanVotes(ctx, s.ID, func(forum.Vote) error { count++; return nil })
	_ = h.Svc.ScanComments(ctx, s.ID, func(forum.Comment) error { count++; return nil })
	_ = h.Svc.ScanParticipants(ctx, s.ID, func(forum.Participant) error { count++; return nil })
	if count != 0 {
		t.Errorf("%d records of the deleted session remain", count)
	}
	_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "m3", Activity: scale, Statement: h.firstSection().Statements[0].ID, Value: json.RawMessage("4")})
	if err == nil {
		t.Errorf("vote in a deleted session accepted")
	}
}
