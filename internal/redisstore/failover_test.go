package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/forum/forumtest"
	"pejl/internal/redisstore"
	"pejl/internal/redisstore/redistest"
)

// TestCrashedMasterLosesNoAckedVote: vote batches go to sessions on master 0 of a cluster;
// its replica is made to fall behind (stopped, its link cut), more batches go in, master 0
// is killed with SIGKILL and the cluster promotes the replica by itself. Batches that were
// not acknowledged are sent again with the same ids until they are.
//
// Without WaitReplicas the crash loses votes that were acknowledged: the subtest
// WithoutWait asserts that it does (so the scenario keeps showing the hazard; it then
// fails the check WithWait makes, e.g. "session … counts 10 votes, 60 were
// acknowledged"). With WaitReplicas 1 every acknowledged vote is in the tallies exactly
// once, and a batch whose WAIT timed out but that did land comes back as duplicates when
// resent, counted once.
func TestCrashedMasterLosesNoAckedVote(t *testing.T) {
	t.Run("WithoutWait", func(t *testing.T) {
		acked, counted := crashDuringVotes(t, 0)
		if counted >= acked {
			t.Fatalf("without WAIT the crash lost no acknowledged vote (%d acknowledged, %d counted): the replica did not fall behind", acked, counted)
		}
		t.Logf("without WAIT: %d votes acknowledged, %d counted after the crash", acked, counted)
	})
	t.Run("WithWait", func(t *testing.T) {
		acked, counted := crashDuringVotes(t, 1)
		if counted != acked {
			t.Fatalf("with WAIT: %d votes acknowledged, %d counted after the crash", acked, counted)
		}
		t.Logf("with WAIT: %d votes acknowledged, %d counted after the crash", acked, counted)
	})
}

// crashDuringVotes runs the crash scenario with the given WaitReplicas and returns how many
// distinct votes were acknowledged and how many the tallies count in the end.
func crashDuringVotes(t *testing.T, waitReplicas int) (acked, counted int) {
	cl := redistest.StartCluster(t, 3, 1)
	ctx := context.Background()
	prefix := "t" + forum.NewID(5)
	e, err := redisstore.New(ctx, redisstore.Options{URL: cl.URL(), Cluster: true, Prefix: prefix,
		WaitReplicas: waitReplicas, WaitTimeout: testWaitTimeout})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })

	// Two sessions whose keys live on master 0 (a plain client there sees only its own slots).
	m0 := rawClient(t, cl.Masters[0].URL())
	var sessions []*forum.Session
	for len(sessions) < 2 {
		s := forumtest.CreateSession(t, e, "u1")
		if n, err := m0.Exists(ctx, prefix+":{s:"+s.ID+"}:meta").Result(); err == nil && n == 1 {
			sessions = append(sessions, s)
		}
	}

	votes := map[string]map[string]bool{} // session → participant/statement acknowledged
	for _, s := range sessions {
		votes[s.ID] = map[string]bool{}
	}
	batch := func(s *forum.Session, round int) []forum.VoteOp {
		var ops []forum.VoteOp
		for k := range 5 {
			p, st := fmt.Sprintf("p%d-%d", round, k), []string{"st1", "st2", "st3"}[k%3]
			ops = append(ops, forum.VoteOp{ClientID: fmt.Sprintf("m%d-%d", round, k),
				Vote: forumtest.MakeVote(s, p, "", forumtest.ActScale, st, 1+k%5, 0)})
		}
		return ops
	}
	apply := func(s *forum.Session, ops []forum.VoteOp) ([]forum.VoteResult, error) {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		res, err := e.ApplyVotes(cctx, s.ID, ops)
		if err == nil {
			for _, op := range ops {
				votes[s.ID][op.Vote.Participant+"/"+op.Vote.Statement] = true
			}
		} else if !errors.Is(err, forum.ErrUnavailable) {
			t.Fatalf("ApplyVotes failed with %v, want ErrUnavailable", err)
		}
		return res, err
	}
	// resend sends a batch again (same ids) until it is acknowledged, as a client does.
	resend := func(s *forum.Session, ops []forum.VoteOp) []forum.VoteResult {
		for try := 0; ; try++ {
			res, err := apply(s, ops)
			if err == nil {
				return res
			}
			if try == 100 {
				t.Fatalf("ApplyVotes on %s still fails: %v", s.ID, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	round := 0
	for ; round < 5; round++ {
		for _, s := range sessions {
			resend(s, batch(s, round))
		}
	}

	if waitReplicas > 0 {
		// A replica that is only slow: WAIT times out, so the batch is not acknowledged,
		// but the master applied it. Once the replica is back, the resend is acknowledged
		// as duplicates and counted once.
		s, ops := sessions[0], batch(sessions[0], round)
		round++
		cl.Replicas[0].Pause()
		_, err := apply(s, ops)
		cl.Replicas[0].Resume()
		if err == nil {
			t.Fatalf("ApplyVotes acknowledged while the only replica was stopped")
		}
		for i, r := range resend(s, ops) {
			if r.Status != forum.VoteDuplicate {
				t.Errorf("op %d resent after a WAIT timeout: status %v, want duplicate (the first attempt landed)", i, r.Status)
			}
		}
	}

	// The replica falls behind: batches now reach master 0 only. Without WAIT they are
	// acknowledged; with it they are refused.
	cl.HoldReplica(t, 0)
	var pending [][]forum.VoteOp
	var pendingSess []*forum.Session
	for range 5 {
		for _, s := range sessions {
			ops := batch(s, round)
			if _, err := apply(s, ops); err != nil {
				pending, pendingSess = append(pending, ops), append(pendingSess, s)
			}
		}
		round++
	}
	if waitReplicas > 0 && len(pending) != 5*len(sessions) {
		t.Errorf("%d batches were acknowledged while the replica was held", 5*len(sessions)-len(pending))
	}

	// Master 0 crashes; its replica takes over; the refused batches are sent again.
	cl.Crash(t, 0)
	for i, ops := range pending {
		resend(pendingSess[i], ops)
	}
	for _, s := range sessions {
		resend(s, batch(s, round))
	}

	for _, s := range sessions {
		tally, err := e.Tally(ctx, s.ID, forumtest.ActScale)
		if err != nil {
			t.Fatal(err)
		}
		n := int(tally["s/st1/n"] + tally["s/st2/n"] + tally["s/st3/n"])
		if n > len(votes[s.ID]) {
			t.Errorf("session %s counts %d votes, only %d were acknowledged (counted twice)", s.ID, n, len(votes[s.ID]))
		}
		acked += len(votes[s.ID])
		counted += n
	}
	return acked, counted
}

// newWaitStore connects a Store with WaitReplicas 1 to url (see newStore).
// testWaitTimeout is how long the tests let a replica take to confirm a write: just below the
// 1 s read timeout, since a busy machine (a CI run's parallel packages) can keep an online
// replica from answering WAIT within 200 ms.
const testWaitTimeout = 900 * time.Millisecond

func newWaitStore(t testing.TB, url string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: "t" + forum.NewID(5),
		Instance: "test", WaitReplicas: 1, WaitTimeout: testWaitTimeout})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestEngineWaitReplicas runs the contract suite with WaitReplicas 1 on a master with one
// replica (every acknowledged write goes through the WAIT pipeline), then checks the
// fallback when Redis lost its script cache and a comment refused while the replica is
// stopped.
func TestEngineWaitReplicas(t *testing.T) {
	master, replica := redistest.StartReplicated(t, redistest.Options{})
	forumtest.RunEngine(t, func(t *testing.T) forum.Engine { return newWaitStore(t, master.URL()) })
	ctx := context.Background()

	t.Run("ScriptCacheLost", func(t *testing.T) {
		s := newWaitStore(t, master.URL())
		sess := forumtest.CreateSession(t, s, "u1")
		if err := rawClient(t, master.URL()).ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		res, err := s.ApplyVotes(ctx, sess.ID, []forum.VoteOp{{ClientID: "m1",
			Vote: forumtest.MakeVote(sess, "p1", "", forumtest.ActScale, "st1", 3, 0)}})
		if err != nil || res[0].Status != forum.VoteApplied {
			t.Fatalf("ApplyVotes after SCRIPT FLUSH: %v %v", res, err)
		}
		if tally, _ := s.Tally(ctx, sess.ID, forumtest.ActScale); tally["s/st1/n"] != 1 {
			t.Errorf("tally %v", tally)
		}
	})

	t.Run("TimeoutAboveReadTimeout", func(t *testing.T) {
		s, err := redisstore.New(ctx, redisstore.Options{URL: master.URL(), WaitReplicas: 1, WaitTimeout: 2 * time.Second})
		if err == nil {
			_ = s.Close()
			t.Fatal("New accepted a 2 s wait for replicas with a 1 s read timeout")
		}
	})

	t.Run("CommentWhileReplicaStopped", func(t *testing.T) {
		s := newWaitStore(t, master.URL())
		sess := forumtest.CreateSession(t, s, "u1")
		c := forumtest.NewComment("p1", "Godt", 0)
		replica.Pause()
		_, _, err := s.AddComment(ctx, sess.ID, "c1", c)
		replica.Resume()
		if !errors.Is(err, forum.ErrUnavailable) {
			t.Fatalf("AddComment with the replica stopped: %v, want ErrUnavailable", err)
		}
		for try := 0; ; try++ {
			dup, _, err := s.AddComment(ctx, sess.ID, "c1", c)
			if err == nil {
				if !dup {
					t.Errorf("the resent comment was not a duplicate: the first attempt should have landed")
				}
				break
			}
			if try == 50 {
				t.Fatalf("AddComment after the replica came back: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if cs, err := s.ParticipantComments(ctx, sess.ID, "p1"); err != nil || len(cs) != 1 {
			t.Errorf("ParticipantComments = %d comments, %v; want 1", len(cs), err)
		}
	})
}

// BenchmarkApplyVotesWait measures what WAIT costs a vote batch: batches of 256 votes one
// after the other (one caller, as one session's batcher sends them) to a master with one
// replica on loopback, with WaitReplicas 0 and 1; it reports the median time per batch too.
func BenchmarkApplyVotesWait(b *testing.B) {
	master, _ := redistest.StartReplicated(b, redistest.Options{})
	for _, wait := range []int{0, 1} {
		b.Run(fmt.Sprintf("replicas=%d", wait), func(b *testing.B) {
			s, err := redisstore.New(context.Background(), redisstore.Options{URL: master.URL(),
				Prefix: "t" + forum.NewID(5), WaitReplicas: wait})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			sess := forumtest.CreateSession(b, s, "u1")
			ctx := context.Background()
			ops := make([]forum.VoteOp, 256)
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for n := range b.N {
				b.StopTimer()
				for i := range ops {
					k := n*len(ops) + i
					ops[i] = forum.VoteOp{ClientID: fmt.Sprintf("m%d", k),
						Vote: forumtest.MakeVote(sess, fmt.Sprintf("p%d", k%10000), "", forumtest.ActScale, "st1", 1+k%5, 0)}
				}
				b.StartTimer()
				start := time.Now()
				if _, err := s.ApplyVotes(ctx, sess.ID, ops); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			// The median resists the noise of a busy machine better than the mean.
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms/batch")
		})
	}
}
