package forumtest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"pejl/internal/forum"
)

// RunEngine runs the engine contract suite: every method of forum.Engine, held to its doc
// comment in forum/store.go. newEngine returns a fresh, empty engine for one subtest and
// arranges (t.Cleanup) for it to be closed.
func RunEngine(t *testing.T, newEngine func(t *testing.T) forum.Engine) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e forum.Engine)
	}{
		{"CreateSession", testCreateSession},
		{"SessionIsACopy", testSessionIsACopy},
		{"SaveSession", testSaveSession},
		{"OpenSet", testOpenSet},
		{"SelfPacedOpenSet", testSelfPacedOpenSet},
		{"Sessions", testSessions},
		{"DeleteSession", testDeleteSession},
		{"ApplyVotes", testApplyVotes},
		{"ApplyVotesGroups", testApplyVotesGroups},
		{"ClientIDAcrossKinds", testClientIDAcrossKinds},
		{"ConcurrentSameClientID", testConcurrentSameClientID},
		{"ConcurrentParticipants", testConcurrentParticipants},
		{"VoteReads", testVoteReads},
		{"VotesProperty", testVotesProperty},
		{"Participants", testParticipants},
		{"Comments", testComments},
		{"Upvotes", testUpvotes},
		{"CommentFlags", testCommentFlags},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"Logins", testLogins},
		{"Charters", testCharters},
		{"Limiter", testLimiter},
		{"SharedKey", testSharedKey},
		{"Presence", testPresence},
		{"Broker", testBroker},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEngine(t)) })
	}
}

// ---- sessions ----

func testCreateSession(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := NewSession("u1")
	s.Rev = 7
	noErr(t, "CreateSession", e.CreateSession(ctx, s))
	if s.Rev != 1 {
		t.Errorf("Rev after CreateSession = %d, want 1", s.Rev)
	}
	got, err := e.Session(ctx, s.ID)
	noErr(t, "Session", err)
	if !sameJSON(got, s) {
		t.Errorf("Session = %s\nwant %s", mustJSON(got), mustJSON(s))
	}
	id, err := e.SessionIDByCode(ctx, s.Code)
	if err != nil || id != s.ID {
		t.Errorf("SessionIDByCode = %q, %v; want %q", id, err, s.ID)
	}
	epoch, v0, err := e.Version(ctx, s.ID)
	noErr(t, "Version", err)
	if epoch == "" || v0 < 0 {
		t.Errorf("Version = %q, %d; want an epoch and a version ≥ 0", epoch, v0)
	}

	sameCode := NewSession("u1")
	sameCode.Code = s.Code
	wantErr(t, "CreateSession with a taken code", e.CreateSession(ctx, sameCode), forum.ErrConflict)
	_, err = e.Session(ctx, sameCode.ID)
	wantErr(t, "Session of the refused session", err, forum.ErrNotFound)

	sameID := NewSession("u1")
	sameID.ID = s.ID
	sameID.Title = "Impostor"
	wantErr(t, "CreateSession with a taken id", e.CreateSession(ctx, sameID), forum.ErrConflict)
	if _, err := e.SessionIDByCode(ctx, sameID.Code); !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("the refused session's code is reserved: %v", err)
	}
	if got, _ := e.Session(ctx, s.ID); got == nil || got.Title != s.Title {
		t.Errorf("the refused session replaced the first one: %+v", got)
	}

	s2 := CreateSession(t, e, "u1")
	epoch2, _, err := e.Version(ctx, s2.ID)
	noErr(t, "Version", err)
	if epoch2 == "" || epoch2 == epoch {
		t.Errorf("second session's epoch = %q, first %q; want a fresh one", epoch2, epoch)
	}

	_, err = e.Session(ctx, "no-such-session")
	wantErr(t, "Session(unknown)", err, forum.ErrNotFound)
	_, err = e.SessionIDByCode(ctx, "no-such-code")
	wantErr(t, "SessionIDByCode(unknown)", err, forum.ErrNotFound)
	_, _, err = e.Version(ctx, "no-such-session")
	wantErr(t, "Version(unknown)", err, forum.ErrNotFound)
}

func testSessionIsACopy(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	want := mustJSON(s)
	// The caller's document is the caller's: changing it after the call changes nothing.
	s.Title = "changed by the caller"
	s.Activities[0].State = forum.ActivityClosed
	s.Groups[0].Label = "changed"
	got, err := e.Session(ctx, s.ID)
	noErr(t, "Session", err)
	if mustJSON(got) != want {
		t.Fatalf("stored session changed with the caller's copy:\n%s\nwant %s", mustJSON(got), want)
	}
	// Neither is what Session returned.
	got.Title = "changed by a reader"
	got.Activities[0].State = forum.ActivityClosed
	got.Activities[0].Statements[0] = "changed"
	got.Groups[0].Label = "changed"
	again, err := e.Session(ctx, s.ID)
	noErr(t, "Session", err)
	if mustJSON(again) != want {
		t.Fatalf("stored session changed with a reader's copy:\n%s\nwant %s", mustJSON(again), want)
	}
	list, err := e.Sessions(ctx, "u1")
	noErr(t, "Sessions", err)
	list[0].Activities[0].State = forum.ActivityClosed
	again, _ = e.Session(ctx, s.ID)
	if mustJSON(again) != want {
		t.Fatalf("stored session changed with a copy from Sessions")
	}
	// The open set did not move either.
	res, err := e.ApplyVotes(ctx, s.ID, []forum.VoteOp{ScaleOp(s, "m1", "p1", "st1", 3)})
	noErr(t, "ApplyVotes", err)
	if res[0].Status != forum.VoteApplied {
		t.Errorf("vote on the still open activity: %s", statusName(res[0].Status))
	}
}

func testSaveSession(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	_, v0, err := e.Version(ctx, s.ID)
	noErr(t, "Version", err)

	cur, err := e.Session(ctx, s.ID)
	noErr(t, "Session", err)
	stale := *cur
	cur.Title = "Ny titel"
	v1, err := e.SaveSession(ctx, cur)
	noErr(t, "SaveSession", err)
	if cur.Rev != 2 {
		t.Errorf("Rev after SaveSession = %d, want 2", cur.Rev)
	}
	if v1 <= v0 {
		t.Errorf("SaveSession version = %d, want > %d", v1, v0)
	}
	got, _ := e.Session(ctx, s.ID)
	if !sameJSON(got, cur) {
		t.Errorf("after SaveSession, Session = %s\nwant %s", mustJSON(got), mustJSON(cur))
	}
	if _, v, _ := e.Version(ctx, s.ID); v != v1 {
		t.Errorf("Version = %d, want the version SaveSession returned, %d", v, v1)
	}

	stale.Title = "Forældet"
	_, err = e.SaveSession(ctx, &stale)
	wantErr(t, "SaveSession with a stale Rev", err, forum.ErrConflict)
	got, _ = e.Session(ctx, s.ID)
	if got.Title != "Ny titel" || got.Rev != 2 {
		t.Errorf("a refused save changed the session: %q rev %d", got.Title, got.Rev)
	}
	if _, v, _ := e.Version(ctx, s.ID); v != v1 {
		t.Errorf("a refused save moved the version to %d (was %d)", v, v1)
	}

	v2, err := e.SaveSession(ctx, cur)
	noErr(t, "SaveSession again", err)
	if cur.Rev != 3 || v2 <= v1 {
		t.Errorf("second save: rev %d version %d; want rev 3 and version > %d", cur.Rev, v2, v1)
	}

	missing := NewSession("u1")
	missing.Rev = 1
	if _, err := e.SaveSession(ctx, missing); !errors.Is(err, forum.ErrNotFound) && !errors.Is(err, forum.ErrConflict) {
		t.Errorf("SaveSession of a session never created: %v, want ErrNotFound or ErrConflict", err)
	}
	if _, err := e.Session(ctx, missing.ID); !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("SaveSession created a session: %v", err)
	}
}

// setState saves the session with activity's state set to state (retrying on conflict).
func setState(t TB, e forum.Engine, sessionID string, change func(*forum.Session)) int64 {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	ctx := context.Background()
	for range 10 {
		cur, err := e.Session(ctx, sessionID)
		noErr(t, "Session", err)
		change(cur)
		v, err := e.SaveSession(ctx, cur)
		if errors.Is(err, forum.ErrConflict) {
			continue
		}
		noErr(t, "SaveSession", err)
		return v
	}
	t.Fatalf("SaveSession kept conflicting")
	return 0
}

func activityState(id, state string) func(*forum.Session) {
	return func(s *forum.Session) {
		a, _ := s.Activity(id)
		a.State = state
	}
}

func testOpenSet(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	closedOp := forum.VoteOp{ClientID: "x1", Vote: MakeVote(s, "p1", "", ActClosed, "st1", 3, 0)}
	apply := func(op forum.VoteOp) forum.VoteStatus {
		t.Helper()
		res, err := e.ApplyVotes(ctx, s.ID, []forum.VoteOp{op})
		noErr(t, "ApplyVotes", err)
		return res[0].Status
	}

	if st := apply(closedOp); st != forum.VoteClosed {
		t.Fatalf("vote on a closed activity: %s, want closed", statusName(st))
	}
	if seen, err := e.SeenClientID(ctx, s.ID, "p1", "x1"); err != nil || seen {
		t.Errorf("SeenClientID after a closed vote = %v, %v; want false (not recorded)", seen, err)
	}
	if tally, _ := e.Tally(ctx, s.ID, ActClosed); len(Counts(tally)) != 0 || tally["_v"] != 0 {
		t.Errorf("a closed vote moved the tally: %v", tally)
	}
	if votes, _ := e.ParticipantVotes(ctx, s.ID, "p1"); len(votes) != 0 {
		t.Errorf("a closed vote was stored: %v", votes)
	}

	setState(t, e, s.ID, activityState(ActClosed, forum.ActivityOpen))
	if st := apply(closedOp); st != forum.VoteApplied {
		t.Fatalf("the same vote once the activity is open: %s, want applied", statusName(st))
	}

	setState(t, e, s.ID, activityState(ActClosed, forum.ActivityClosed))
	// A message accepted before is a duplicate even once the activity closed.
	if st := apply(closedOp); st != forum.VoteDuplicate {
		t.Errorf("resent vote after closing: %s, want duplicate", statusName(st))
	}
	if st := apply(forum.VoteOp{ClientID: "x2", Vote: closedOp.Vote}); st != forum.VoteClosed {
		t.Errorf("new vote after closing: %s, want closed", statusName(st))
	}
	if st := apply(ScaleOp(s, "x3", "p1", "st1", 4)); st != forum.VoteApplied {
		t.Errorf("vote on another, open activity: %s, want applied", statusName(st))
	}

	// An ended session takes no votes, whatever its activities say.
	setState(t, e, s.ID, func(s *forum.Session) { s.State = forum.StateEnded })
	if st := apply(ScaleOp(s, "x4", "p1", "st2", 4)); st != forum.VoteClosed {
		t.Errorf("vote in an ended session: %s, want closed", statusName(st))
	}
	tally, err := e.Tally(ctx, s.ID, ActScale)
	noErr(t, "Tally", err)
	if want := map[string]int64{"s/st1/4": 1, "s/st1/n": 1}; !sameJSON(Counts(tally), want) {
		t.Errorf("tally = %v, want %v", tally, want)
	}
}

func testSessions(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	a, b, c := NewSession("u1"), NewSession("u2"), NewSession("u1")
	a.CreatedAt, b.CreatedAt, c.CreatedAt = T0.Add(time.Hour), T0.Add(2*time.Hour), T0.Add(3*time.Hour)
	for _, s := range []*forum.Session{b, c, a} {
		noErr(t, "CreateSession", e.CreateSession(ctx, s))
	}
	ids := func(owner string) []string {
		t.Helper()
		list, err := e.Sessions(ctx, owner)
		noErr(t, "Sessions", err)
		var out []string
		for _, s := range list {
			out = append(out, s.ID)
		}
		return out
	}
	for _, tc := range []struct {
		owner string
		want  []string
	}{
		{"u1", []string{c.ID, a.ID}},
		{"u2", []string{b.ID}},
		{"", []string{c.ID, b.ID, a.ID}},
		{"nobody", nil},
	} {
		if got := ids(tc.owner); !slices.Equal(got, tc.want) {
			t.Errorf("Sessions(%q) = %v, want %v (newest first)", tc.owner, got, tc.want)
		}
	}
	list, _ := e.Sessions(ctx, "u2")
	if len(list) != 1 || !sameJSON(list[0], b) {
		t.Errorf("Sessions returns the whole document: %s\nwant %s", mustJSON(list), mustJSON(b))
	}
}

func testDeleteSession(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	keep := CreateSession(t, e, "u1")
	for _, sess := range []*forum.Session{s, keep} {
		noErr(t, "AddParticipant", e.AddParticipant(ctx, sess.ID, forum.Participant{ID: "p1", TokenHash: "h1", Group: "g1", JoinedAt: T0}))
		_, err := e.ApplyVotes(ctx, sess.ID, []forum.VoteOp{
			{ClientID: "m1", Vote: MakeVote(sess, "p1", "g1", ActScale, "st1", 4, 0)},
			{ClientID: "m2", Vote: MakeVote(sess, "p1", "g1", ActChoice, "", []string{"o1"}, 0)},
		})
		noErr(t, "ApplyVotes", err)
	}
	c := NewComment("p1", "Godt", 0)
	_, _, err := e.AddComment(ctx, s.ID, "m3", c)
	noErr(t, "AddComment", err)
	_, _, err = e.Upvote(ctx, s.ID, "p1", c.ID, "m4")
	noErr(t, "Upvote", err)

	noErr(t, "DeleteSession", e.DeleteSession(ctx, s.ID))

	_, err = e.Session(ctx, s.ID)
	wantErr(t, "Session after delete", err, forum.ErrNotFound)
	_, err = e.SessionIDByCode(ctx, s.Code)
	wantErr(t, "SessionIDByCode after delete", err, forum.ErrNotFound)
	_, _, err = e.Version(ctx, s.ID)
	wantErr(t, "Version after delete", err, forum.ErrNotFound)
	_, err = e.ParticipantByToken(ctx, s.ID, "h1")
	wantErr(t, "ParticipantByToken after delete", err, forum.ErrNotFound)
	_, err = e.Comment(ctx, s.ID, c.ID)
	wantErr(t, "Comment after delete", err, forum.ErrNotFound)
	checkSessionEmpty(t, e, s.ID)

	noErr(t, "DeleteSession twice", e.DeleteSession(ctx, s.ID))
	noErr(t, "DeleteSession of a session never created", e.DeleteSession(ctx, "no-such-session"))

	// A late vote does not bring the deleted session back.
	res, err := e.ApplyVotes(ctx, s.ID, []forum.VoteOp{ScaleOp(s, "m9", "p2", "st1", 2)})
	if err == nil && (len(res) != 1 || res[0].Status != forum.VoteClosed) {
		t.Errorf("vote in a deleted session: %v, want an error or closed", res)
	}
	checkSessionEmpty(t, e, s.ID)
	if list, _ := e.Sessions(ctx, ""); len(list) != 1 || list[0].ID != keep.ID {
		t.Errorf("Sessions after delete = %s, want only %s", mustJSON(list), keep.ID)
	}

	// The code is free again.
	again := NewSession("u1")
	again.Code = s.Code
	noErr(t, "CreateSession with the deleted session's code", e.CreateSession(ctx, again))

	// The other session is whole.
	if tally, _ := e.Tally(ctx, keep.ID, ActScale); !sameJSON(Counts(tally), map[string]int64{"s/st1/4": 1, "s/st1/n": 1, "g/g1/s/st1/4": 1, "g/g1/s/st1/n": 1}) {
		t.Errorf("the other session's tally = %v", tally)
	}
	if n, _, _ := e.ParticipantCounts(ctx, keep.ID); n != 1 {
		t.Errorf("the other session's participants = %d, want 1", n)
	}
}

// checkSessionEmpty checks that nothing of a session is left.
func checkSessionEmpty(t *testing.T, e forum.Engine, id string) {
	t.Helper()
	ctx := t.Context()
	n, groups, err := e.ParticipantCounts(ctx, id)
	notFoundOrEmpty(t, "ParticipantCounts", err)
	if n != 0 || len(Counts(groups)) != 0 {
		t.Errorf("ParticipantCounts = %d %v, want 0", n, groups)
	}
	count := 0
	err = e.ScanParticipants(ctx, id, func(forum.Participant) error { count++; return nil })
	notFoundOrEmpty(t, "ScanParticipants", err)
	err = e.ScanVotes(ctx, id, func(forum.Vote) error { count++; return nil })
	notFoundOrEmpty(t, "ScanVotes", err)
	err = e.ScanComments(ctx, id, func(forum.Comment) error { count++; return nil })
	notFoundOrEmpty(t, "ScanComments", err)
	if count != 0 {
		t.Errorf("scans found %d records", count)
	}
	for _, act := range []string{ActScale, ActChoice} {
		tally, err := e.Tally(ctx, id, act)
		notFoundOrEmpty(t, "Tally", err)
		if len(tally) != 0 && (len(Counts(tally)) != 0 || tally["_v"] != 0) {
			t.Errorf("Tally(%s) = %v, want empty", act, tally)
		}
	}
	votes, err := e.ParticipantVotes(ctx, id, "p1")
	notFoundOrEmpty(t, "ParticipantVotes", err)
	cs, err2 := e.ParticipantComments(ctx, id, "p1")
	notFoundOrEmpty(t, "ParticipantComments", err2)
	up, err3 := e.Upvoted(ctx, id, "p1")
	notFoundOrEmpty(t, "Upvoted", err3)
	if len(votes)+len(cs)+len(up) != 0 {
		t.Errorf("participant p1 still has %d votes, %d comments, %d upvotes", len(votes), len(cs), len(up))
	}
	for _, cid := range []string{"m1", "m2", "m3", "m4"} {
		seen, err := e.SeenClientID(ctx, id, "p1", cid)
		notFoundOrEmpty(t, "SeenClientID", err)
		if seen {
			t.Errorf("SeenClientID(p1, %s) = true after delete", cid)
		}
	}
}

func testPing(t *testing.T, e forum.Engine) {
	noErr(t, "Ping", e.Ping(t.Context()))
}

// ---- participants ----

func testParticipants(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	other := CreateSession(t, e, "u1")
	ps := []forum.Participant{
		{ID: "p1", TokenHash: "h1", Group: "g1", JoinedAt: T0},
		{ID: "p2", TokenHash: "h2", Group: "g1", JoinedAt: T0.Add(time.Second)},
		{ID: "p3", TokenHash: "h3", Group: "g2", JoinedAt: T0.Add(2 * time.Second)},
		{ID: "p4", TokenHash: "h4", JoinedAt: T0.Add(3 * time.Second)},
		{ID: "p5", TokenHash: "h5", Name: "Anna Ø", Group: "g2", JoinedAt: T0.Add(4 * time.Second)},
	}
	for _, p := range ps {
		noErr(t, "AddParticipant", e.AddParticipant(ctx, s.ID, p))
	}
	noErr(t, "AddParticipant in another session", e.AddParticipant(ctx, other.ID, forum.Participant{ID: "q1", TokenHash: "hq", Group: "g1", JoinedAt: T0}))
	// A retried add counts once.
	if err := e.AddParticipant(ctx, s.ID, ps[0]); err != nil && !errors.Is(err, forum.ErrConflict) {
		t.Errorf("AddParticipant repeated: %v", err)
	}

	total, groups, err := e.ParticipantCounts(ctx, s.ID)
	noErr(t, "ParticipantCounts", err)
	if want := map[string]int64{"g1": 2, "g2": 2}; total != 5 || !sameJSON(Counts(groups), want) {
		t.Errorf("ParticipantCounts = %d %v, want 5 %v", total, groups, want)
	}

	for _, p := range ps {
		got, err := e.ParticipantByToken(ctx, s.ID, p.TokenHash)
		if err != nil || !sameJSON(got, p) {
			t.Errorf("ParticipantByToken(%s) = %s, %v; want %s", p.TokenHash, mustJSON(got), err, mustJSON(p))
		}
	}
	_, err = e.ParticipantByToken(ctx, s.ID, "unknown")
	wantErr(t, "ParticipantByToken(unknown)", err, forum.ErrNotFound)
	_, err = e.ParticipantByToken(ctx, s.ID, "hq")
	wantErr(t, "ParticipantByToken of another session's participant", err, forum.ErrNotFound)

	var scanned []forum.Participant
	noErr(t, "ScanParticipants", e.ScanParticipants(ctx, s.ID, func(p forum.Participant) error {
		scanned = append(scanned, p)
		return nil
	}))
	slices.SortFunc(scanned, func(a, b forum.Participant) int { return strings.Compare(a.ID, b.ID) })
	if !sameJSON(scanned, ps) {
		t.Errorf("ScanParticipants = %s\nwant %s", mustJSON(scanned), mustJSON(ps))
	}
	stop := errors.New("stop")
	calls := 0
	err = e.ScanParticipants(ctx, s.ID, func(forum.Participant) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ScanParticipants with fn failing: %v after %d calls, want fn's error after 1", err, calls)
	}

	wantErr(t, "AddParticipant to an unknown session",
		e.AddParticipant(ctx, "no-such-session", forum.Participant{ID: "p9", TokenHash: "h9", JoinedAt: T0}), forum.ErrNotFound)
}
