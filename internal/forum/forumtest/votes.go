package forumtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"pejl/internal/forum"
)

// model is what ApplyVotes should do, kept by the tests: dedupe per participant and
// ClientID, the open set, replacement per activity and statement.
type model struct {
	open  map[string]bool
	seen  map[string]bool
	votes map[string]forum.Vote
	v     map[string]int64 // "_v" per activity
}

func newModel(s *forum.Session) *model {
	m := &model{open: map[string]bool{}, seen: map[string]bool{}, votes: map[string]forum.Vote{}, v: map[string]int64{}}
	for _, id := range s.OpenActivities() {
		m.open[id] = true
	}
	return m
}

func (m *model) apply(op forum.VoteOp) forum.VoteStatus {
	k := op.Vote.Participant + "\x00" + op.ClientID
	switch {
	case m.seen[k]:
		return forum.VoteDuplicate
	case !m.open[op.Vote.Activity]:
		return forum.VoteClosed
	}
	m.seen[k] = true
	m.votes[voteKey(op.Vote)] = op.Vote
	m.v[op.Vote.Activity]++
	return forum.VoteApplied
}

func (m *model) sorted() []forum.Vote {
	var out []forum.Vote
	for _, k := range sortedKeys(m.votes) {
		out = append(out, m.votes[k])
	}
	return out
}

// applyChecked applies batches to the engine and checks each result against the model:
// status, and the version (up by one step for an applied op, unchanged otherwise).
func applyChecked(t TB, e forum.Engine, sessionID string, m *model, batches [][]forum.VoteOp) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	ctx := context.Background()
	_, last, err := e.Version(ctx, sessionID)
	noErr(t, "Version", err)
	for bi, ops := range batches {
		res, err := e.ApplyVotes(ctx, sessionID, ops)
		noErr(t, "ApplyVotes", err)
		if len(res) != len(ops) {
			t.Fatalf("batch %d: %d results for %d ops", bi, len(res), len(ops))
		}
		for i, op := range ops {
			want := m.apply(op)
			if res[i].Status != want {
				t.Fatalf("batch %d op %d (%s by %s on %s/%s = %s): %s, want %s", bi, i, op.ClientID,
					op.Vote.Participant, op.Vote.Activity, op.Vote.Statement, op.Vote.Value,
					statusName(res[i].Status), statusName(want))
			}
			switch {
			case want == forum.VoteApplied && res[i].Version <= last:
				t.Fatalf("batch %d op %d: applied at version %d, want > %d", bi, i, res[i].Version, last)
			case want != forum.VoteApplied && res[i].Version != last:
				t.Fatalf("batch %d op %d: %s at version %d, want the unchanged %d", bi, i, statusName(want), res[i].Version, last)
			}
			last = res[i].Version
		}
	}
	if _, v, _ := e.Version(ctx, sessionID); v != last {
		t.Fatalf("Version = %d, want the last result's %d", v, last)
	}
}

// checkVotes compares the engine's votes and tallies with the model's.
func checkVotes(t TB, e forum.Engine, sessionID string, m *model, activities ...string) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	ctx := context.Background()
	want := m.sorted()
	got := allVotes(t, e, sessionID)
	if !sameJSON(got, want) {
		t.Fatalf("ScanVotes =\n%s\nwant\n%s", mustJSON(got), mustJSON(want))
	}
	for _, act := range activities {
		tally, err := e.Tally(ctx, sessionID, act)
		noErr(t, "Tally", err)
		if w := TallyOf(want, act); !sameJSON(Counts(tally), w) {
			t.Fatalf("Tally(%s) = %v, want %v (from the votes)", act, tally, w)
		}
		if tally["_v"] != m.v[act] {
			t.Fatalf("Tally(%s)[_v] = %d, want %d changes", act, tally["_v"], m.v[act])
		}
	}
}

func testApplyVotes(t *testing.T, e forum.Engine) {
	tmpl := NewSession("u1")
	sc := func(id, p, st string, v int) forum.VoteOp { return ScaleOp(tmpl, id, p, st, v) }
	ch := func(id, p string, opts ...string) forum.VoteOp {
		return forum.VoteOp{ClientID: id, Vote: MakeVote(tmpl, p, "", ActChoice, "", opts, 0)}
	}
	closed := forum.VoteOp{ClientID: "mc", Vote: MakeVote(tmpl, "p1", "", ActClosed, "st1", 3, 0)}
	tests := []struct {
		name    string
		batches [][]forum.VoteOp
		want    map[string]int64 // ActScale's tally without "_v"
		wantV   int64            // ActScale's "_v"
	}{
		{"one vote", [][]forum.VoteOp{{sc("m1", "p1", "st1", 3)}},
			map[string]int64{"s/st1/3": 1, "s/st1/n": 1}, 1},
		{"same id twice in a batch", [][]forum.VoteOp{{sc("m1", "p1", "st1", 3), sc("m1", "p1", "st1", 3)}},
			map[string]int64{"s/st1/3": 1, "s/st1/n": 1}, 1},
		{"same id later with another value", [][]forum.VoteOp{{sc("m1", "p1", "st1", 3)}, {sc("m1", "p1", "st1", 5)}},
			map[string]int64{"s/st1/3": 1, "s/st1/n": 1}, 1},
		{"same id on another statement", [][]forum.VoteOp{{sc("m1", "p1", "st1", 3)}, {sc("m1", "p1", "st2", 5)}},
			map[string]int64{"s/st1/3": 1, "s/st1/n": 1}, 1},
		{"new id replaces", [][]forum.VoteOp{{sc("m1", "p1", "st1", 2)}, {sc("m2", "p1", "st1", 4)}},
			map[string]int64{"s/st1/4": 1, "s/st1/n": 1}, 2},
		{"replace within a batch", [][]forum.VoteOp{{sc("m1", "p1", "st1", 2), sc("m2", "p1", "st1", 4), sc("m3", "p1", "st1", 4)}},
			map[string]int64{"s/st1/4": 1, "s/st1/n": 1}, 3},
		{"back and forth", [][]forum.VoteOp{{sc("m1", "p1", "st1", 1)}, {sc("m2", "p1", "st1", 5)}, {sc("m3", "p1", "st1", 1)}},
			map[string]int64{"s/st1/1": 1, "s/st1/n": 1}, 3},
		{"statements are separate votes", [][]forum.VoteOp{{sc("m1", "p1", "st1", 2), sc("m2", "p1", "st2", 5)}},
			map[string]int64{"s/st1/2": 1, "s/st1/n": 1, "s/st2/5": 1, "s/st2/n": 1}, 2},
		{"ids are per participant", [][]forum.VoteOp{{sc("m1", "p1", "st1", 2), sc("m1", "p2", "st1", 2)}},
			map[string]int64{"s/st1/2": 2, "s/st1/n": 2}, 2},
		{"closed op in the middle", [][]forum.VoteOp{{sc("m1", "p1", "st1", 2), closed, sc("m2", "p2", "st1", 1)}},
			map[string]int64{"s/st1/2": 1, "s/st1/1": 1, "s/st1/n": 2}, 2},
		{"activities are separate", [][]forum.VoteOp{{sc("m1", "p1", "st1", 2), ch("m2", "p1", "o1", "o3")}, {ch("m3", "p1", "o2")}},
			map[string]int64{"s/st1/2": 1, "s/st1/n": 1}, 1},
		{"empty batch", [][]forum.VoteOp{{}}, map[string]int64{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := CreateSession(t, e, "u1")
			m := newModel(s)
			applyChecked(t, e, s.ID, m, tc.batches)
			checkVotes(t, e, s.ID, m, ActScale, ActChoice, ActClosed)
			tally, _ := e.Tally(t.Context(), s.ID, ActScale)
			if !sameJSON(Counts(tally), tc.want) || tally["_v"] != tc.wantV {
				t.Errorf("Tally = %v, want %v with _v %d", tally, tc.want, tc.wantV)
			}
		})
	}
}

func testApplyVotesGroups(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	ops := []forum.VoteOp{
		{ClientID: "m1", Vote: MakeVote(s, "p1", "g1", ActScale, "st1", 4, 0)},
		{ClientID: "m1", Vote: MakeVote(s, "p2", "g2", ActScale, "st1", 2, 0)},
		{ClientID: "m2", Vote: MakeVote(s, "p2", "g2", ActScale, "st1", 5, 0)},
		{ClientID: "m1", Vote: MakeVote(s, "p3", "", ActScale, "st1", 4, 0)},
		{ClientID: "m9", Vote: MakeVote(s, "p1", "g1", ActChoice, "", []string{"o1", "o2"}, 0)},
	}
	_, err := e.ApplyVotes(ctx, s.ID, ops)
	noErr(t, "ApplyVotes", err)
	tally, err := e.Tally(ctx, s.ID, ActScale)
	noErr(t, "Tally", err)
	want := map[string]int64{
		"s/st1/4": 2, "s/st1/5": 1, "s/st1/n": 3,
		"g/g1/s/st1/4": 1, "g/g1/s/st1/n": 1,
		"g/g2/s/st1/5": 1, "g/g2/s/st1/n": 1,
	}
	if !sameJSON(Counts(tally), want) || tally["_v"] != 4 {
		t.Errorf("Tally = %v, want %v with _v 4", tally, want)
	}
	tally, _ = e.Tally(ctx, s.ID, ActChoice)
	want = map[string]int64{"n": 1, "o/o1": 1, "o/o2": 1, "g/g1/n": 1, "g/g1/o/o1": 1, "g/g1/o/o2": 1}
	if !sameJSON(Counts(tally), want) || tally["_v"] != 1 {
		t.Errorf("choice Tally = %v, want %v with _v 1", tally, want)
	}
}

func testClientIDAcrossKinds(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	vote := func(id, p string) forum.VoteStatus {
		t.Helper()
		res, err := e.ApplyVotes(ctx, s.ID, []forum.VoteOp{ScaleOp(s, id, p, "st1", 3)})
		noErr(t, "ApplyVotes", err)
		return res[0].Status
	}
	// A comment's id, then a vote with it.
	c1 := NewComment("p1", "Hej", 0)
	dup, _, err := e.AddComment(ctx, s.ID, "k1", c1)
	noErr(t, "AddComment", err)
	if dup {
		t.Fatalf("first comment reported as duplicate")
	}
	if st := vote("k1", "p1"); st != forum.VoteDuplicate {
		t.Errorf("vote with a comment's id: %s, want duplicate", statusName(st))
	}
	// An upvote's id, then a vote with it.
	if _, changed, err := e.Upvote(ctx, s.ID, "p2", c1.ID, "k2"); err != nil || !changed {
		t.Fatalf("Upvote = %v, %v", changed, err)
	}
	if st := vote("k2", "p2"); st != forum.VoteDuplicate {
		t.Errorf("vote with an upvote's id: %s, want duplicate", statusName(st))
	}
	// A vote's id, then a comment and an upvote with it.
	if st := vote("k3", "p3"); st != forum.VoteApplied {
		t.Fatalf("vote: %s", statusName(st))
	}
	dup, _, err = e.AddComment(ctx, s.ID, "k3", NewComment("p3", "Dublet", 0))
	if err != nil || !dup {
		t.Errorf("comment with a vote's id: dup %v, %v; want dup", dup, err)
	}
	if cs, _ := e.ParticipantComments(ctx, s.ID, "p3"); len(cs) != 0 {
		t.Errorf("the duplicate comment was stored: %v", cs)
	}
	if c, changed, err := e.Upvote(ctx, s.ID, "p3", c1.ID, "k3"); err != nil || changed || c == nil || c.Upvotes != 1 {
		t.Errorf("upvote with a vote's id: %+v changed %v, %v; want unchanged, 1 upvote", c, changed, err)
	}

	tally, _ := e.Tally(ctx, s.ID, ActScale)
	if want := map[string]int64{"s/st1/3": 1, "s/st1/n": 1}; !sameJSON(Counts(tally), want) {
		t.Errorf("Tally = %v, want %v", tally, want)
	}
	for _, tc := range []struct {
		p, id string
		want  bool
	}{
		{"p1", "k1", true}, {"p2", "k2", true}, {"p3", "k3", true},
		{"p2", "k1", false}, {"p1", "k2", false}, {"p1", "zz", false}, {"p9", "k1", false},
	} {
		seen, err := e.SeenClientID(ctx, s.ID, tc.p, tc.id)
		if err != nil || seen != tc.want {
			t.Errorf("SeenClientID(%s, %s) = %v, %v; want %v", tc.p, tc.id, seen, err, tc.want)
		}
	}
}

func testConcurrentSameClientID(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	const n = 50
	var wg sync.WaitGroup
	statuses := make([]forum.VoteStatus, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			// Same id, different values: whichever lands first stands.
			res, err := e.ApplyVotes(ctx, s.ID, []forum.VoteOp{ScaleOp(s, "same", "p1", "st1", 1+i%5)})
			errs[i] = err
			if err == nil {
				statuses[i] = res[0].Status
			}
		})
	}
	wg.Wait()
	applied := 0
	for i := range n {
		noErr(t, "ApplyVotes", errs[i])
		if statuses[i] == forum.VoteApplied {
			applied++
		} else if statuses[i] != forum.VoteDuplicate {
			t.Errorf("op %d: %s", i, statusName(statuses[i]))
		}
	}
	if applied != 1 {
		t.Errorf("%d of %d copies applied, want exactly 1", applied, n)
	}
	votes := allVotes(t, e, s.ID)
	tally, _ := e.Tally(ctx, s.ID, ActScale)
	if len(votes) != 1 || !sameJSON(Counts(tally), TallyOf(votes, ActScale)) || tally["_v"] != 1 || tally["s/st1/n"] != 1 {
		t.Errorf("votes %s, tally %v: want one vote counted once", mustJSON(votes), tally)
	}
}

func testConcurrentParticipants(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	const workers, batches, perBatch = 16, 6, 12
	var wg sync.WaitGroup
	finals := make([]map[string]forum.Vote, workers)
	versions := make([][]int64, workers)
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			final := map[string]forum.Vote{}
			for b := range batches {
				ops := make([]forum.VoteOp, perBatch)
				for i := range ops {
					p := fmt.Sprintf("w%d-p%d", w, rng.IntN(5)) // each worker owns its participants
					group := []string{"g1", "g2", ""}[w%3]
					st := []string{"st1", "st2", "st3"}[rng.IntN(3)]
					ops[i] = forum.VoteOp{ClientID: fmt.Sprintf("m%d-%d", b, i),
						Vote: MakeVote(s, p, group, ActScale, st, 1+rng.IntN(5), 0)}
				}
				res, err := e.ApplyVotes(ctx, s.ID, ops)
				if err != nil {
					errs[w] = err
					return
				}
				for i, r := range res {
					if r.Status != forum.VoteApplied {
						errs[w] = fmt.Errorf("op %d: %s, want applied", i, statusName(r.Status))
						return
					}
					final[voteKey(ops[i].Vote)] = ops[i].Vote
					versions[w] = append(versions[w], r.Version)
				}
			}
			finals[w] = final
		})
	}
	wg.Wait()
	var want []forum.Vote
	var all []int64
	for w := range workers {
		noErr(t, fmt.Sprintf("worker %d", w), errs[w])
		for _, v := range finals[w] {
			want = append(want, v)
		}
		all = append(all, versions[w]...)
	}
	slices.SortFunc(want, func(a, b forum.Vote) int { return strings.Compare(voteKey(a), voteKey(b)) })
	got := allVotes(t, e, s.ID)
	if !sameJSON(got, want) {
		t.Fatalf("ScanVotes has %d votes, want %d", len(got), len(want))
	}
	tally, _ := e.Tally(ctx, s.ID, ActScale)
	if w := TallyOf(want, ActScale); !sameJSON(Counts(tally), w) {
		t.Errorf("Tally = %v\nwant %v", tally, w)
	}
	if tally["_v"] != workers*batches*perBatch {
		t.Errorf("_v = %d, want %d", tally["_v"], workers*batches*perBatch)
	}
	// Each op bumped the version on its own: no two applied ops share a version.
	slices.Sort(all)
	if len(slices.Compact(all)) != workers*batches*perBatch {
		t.Errorf("applied ops share versions: %d distinct of %d", len(slices.Compact(all)), workers*batches*perBatch)
	}
}

func testVoteReads(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	m := newModel(s)
	applyChecked(t, e, s.ID, m, [][]forum.VoteOp{{
		ScaleOp(s, "m1", "p1", "st1", 3),
		ScaleOp(s, "m2", "p1", "st2", 4),
		ScaleOp(s, "m3", "p2", "st1", 5),
		{ClientID: "m4", Vote: MakeVote(s, "p1", "g1", ActChoice, "", []string{"o2"}, 0)},
		ScaleOp(s, "m5", "p1", "st1", 1),
	}})
	checkVotes(t, e, s.ID, m, ActScale, ActChoice)

	got, err := e.ParticipantVotes(ctx, s.ID, "p1")
	noErr(t, "ParticipantVotes", err)
	slices.SortFunc(got, func(a, b forum.Vote) int { return strings.Compare(voteKey(a), voteKey(b)) })
	var want []forum.Vote
	for _, v := range m.sorted() {
		if v.Participant == "p1" {
			want = append(want, v)
		}
	}
	if !sameJSON(got, want) {
		t.Errorf("ParticipantVotes(p1) = %s\nwant %s", mustJSON(got), mustJSON(want))
	}
	if got, err := e.ParticipantVotes(ctx, s.ID, "nobody"); err != nil || len(got) != 0 {
		t.Errorf("ParticipantVotes(nobody) = %v, %v; want none", got, err)
	}
	if tally, err := e.Tally(ctx, s.ID, "no-such-activity"); err != nil || len(tally) != 0 {
		t.Errorf("Tally(unknown activity) = %v, %v; want empty", tally, err)
	}
	// A returned tally is the caller's.
	tally, _ := e.Tally(ctx, s.ID, ActScale)
	tally["s/st1/5"] = 99
	if again, _ := e.Tally(ctx, s.ID, ActScale); again["s/st1/5"] != 1 {
		t.Errorf("changing a returned tally changed the engine's: %v", again)
	}

	stop := errors.New("stop")
	calls := 0
	err = e.ScanVotes(ctx, s.ID, func(forum.Vote) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ScanVotes with fn failing: %v after %d calls, want fn's error after 1", err, calls)
	}
}

// testVotesProperty: for random sequences of votes (participants, ids with repeats,
// statements, values, batch boundaries), the engine agrees with the model op by op, and
// the tally is what its current votes add up to.
func testVotesProperty(t *testing.T, e forum.Engine) {
	participants := []string{"p1", "p2", "p3", "p4"}
	groups := map[string]string{"p1": "g1", "p2": "g1", "p3": "g2"}
	rapid.Check(t, func(rt *rapid.T) {
		s := NewSession("u1")
		if err := e.CreateSession(context.Background(), s); err != nil {
			rt.Fatalf("CreateSession: %v", err)
		}
		n := rapid.IntRange(1, 40).Draw(rt, "votes")
		ops := make([]forum.VoteOp, n)
		for i := range ops {
			p := rapid.SampledFrom(participants).Draw(rt, "participant")
			id := fmt.Sprintf("m%d", rapid.IntRange(0, 12).Draw(rt, "id"))
			st := rapid.SampledFrom([]string{"st1", "st2", "st3"}).Draw(rt, "statement")
			val := rapid.IntRange(1, 5).Draw(rt, "value")
			ops[i] = forum.VoteOp{ClientID: id, Vote: MakeVote(s, p, groups[p], ActScale, st, val, 0)}
		}
		var batches [][]forum.VoteOp
		for rest := ops; len(rest) > 0; {
			k := rapid.IntRange(1, len(rest)).Draw(rt, "batch")
			batches = append(batches, rest[:k])
			rest = rest[k:]
		}
		m := newModel(s)
		applyChecked(rt, e, s.ID, m, batches)
		checkVotes(rt, e, s.ID, m, ActScale)
	})
}
