package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"pejl/internal/forum"
	"pejl/internal/forum/forumtest"
	"pejl/internal/redisstore"
	"pejl/internal/redisstore/redistest"
)

// workflow uses every kind of session data: participants in groups, votes on two
// activities (with replacements), comments, upvotes, flags, presence. It returns the
// session.
func workflow(t *testing.T, e forum.Engine, participants int) *forum.Session {
	t.Helper()
	ctx := context.Background()
	s := forumtest.CreateSession(t, e, "u1")
	var ops []forum.VoteOp
	for i := range participants {
		p := fmt.Sprintf("p%d", i)
		g := []string{"g1", "g2", ""}[i%3]
		if err := e.AddParticipant(ctx, s.ID, forum.Participant{ID: p, TokenHash: "h" + p, Group: g, JoinedAt: forumtest.T0}); err != nil {
			t.Fatalf("AddParticipant: %v", err)
		}
		ops = append(ops,
			forum.VoteOp{ClientID: "v1", Vote: forumtest.MakeVote(s, p, g, forumtest.ActScale, "st1", 1+i%5, 0)},
			forum.VoteOp{ClientID: "v2", Vote: forumtest.MakeVote(s, p, g, forumtest.ActScale, "st1", 1+(i+1)%5, 0)},
			forum.VoteOp{ClientID: "v3", Vote: forumtest.MakeVote(s, p, g, forumtest.ActChoice, "", []string{"o1"}, 0)},
		)
	}
	for len(ops) > 0 {
		n := min(len(ops), 512)
		if _, err := e.ApplyVotes(ctx, s.ID, ops[:n]); err != nil {
			t.Fatalf("ApplyVotes: %v", err)
		}
		ops = ops[n:]
	}
	c := forumtest.NewComment("p0", "Godt", 0)
	if _, _, err := e.AddComment(ctx, s.ID, "c1", c); err != nil {
		t.Fatalf("AddComment: %v", err)
	}
	if _, _, err := e.Upvote(ctx, s.ID, "p1", c.ID, "u1"); err != nil {
		t.Fatalf("Upvote: %v", err)
	}
	yes := true
	if _, err := e.SetCommentFlags(ctx, s.ID, c.ID, nil, &yes); err != nil {
		t.Fatalf("SetCommentFlags: %v", err)
	}
	if err := e.SetPresence(ctx, s.ID, "i1", 3, map[string]int64{"g1": 3}, time.Minute); err != nil {
		t.Fatalf("SetPresence: %v", err)
	}
	return s
}

// keys lists every key under prefix.
func keys(t *testing.T, c *redis.Client, pattern string) []string {
	t.Helper()
	var out []string
	iter := c.Scan(context.Background(), 0, pattern, 1000).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// hashTag returns the part of key that Redis Cluster hashes: the first {…} if not empty.
func hashTag(key string) string {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			return key[i+1 : i+1+j]
		}
	}
	return key
}

func TestSessionKeysShareOneSlot(t *testing.T) {
	url := redistest.URL(t)
	s, prefix := newStore(t, url)
	sess := workflow(t, s, 12)
	raw := rawClient(t, url)
	all := keys(t, raw, prefix+":*")
	tags := map[string]int{}
	for _, k := range all {
		tags[hashTag(k)]++
	}
	want := "s:" + sess.ID
	if tags[want] < 10 {
		t.Fatalf("only %d keys carry the tag {%s}: %v", tags[want], want, all)
	}
	for tag := range tags {
		switch tag {
		case want, "g", "a", "c":
		default:
			t.Errorf("key outside the known hash tags: tag %q (keys %v)", tag, all)
		}
	}
	for _, k := range all {
		if strings.Contains(k, sess.ID) && hashTag(k) != want {
			t.Errorf("key %q names the session but hashes on %q", k, hashTag(k))
		}
	}
}

// TestEngineCluster runs the whole contract suite against a Redis Cluster of three
// masters (each with a replica) on loopback: sessions land on every master, a script
// touching keys of two slots would fail with CROSSSLOT, and a failover of a master (its
// replica promoted) loses no acknowledged vote.
func TestEngineCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3, 1)
	ctx := context.Background()
	newClusterEngine := func(t *testing.T) forum.Engine {
		e, err := redisstore.New(ctx, redisstore.Options{URL: cl.URL(), Cluster: true, Prefix: "t" + forum.NewID(5)})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		t.Cleanup(func() { _ = e.Close() })
		return e
	}
	forumtest.RunEngine(t, newClusterEngine)
	t.Run("Workflow", func(t *testing.T) {
		e := newClusterEngine(t)
		s := workflow(t, e, 10)
		if err := e.DeleteSession(ctx, s.ID); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
	})
	t.Run("SpreadAndFailover", func(t *testing.T) {
		e := newClusterEngine(t)
		// Sessions hash to slots at random: a dozen land on every master.
		var sessions []*forum.Session
		for range 12 {
			sessions = append(sessions, forumtest.CreateSession(t, e, "u1"))
		}
		for i, n := range cl.Keys(t) {
			if n == 0 {
				t.Fatalf("master %d holds no key after 12 sessions: %v", i, cl.Keys(t))
			}
		}
		// Votes in batches on every session; halfway, master 0's replica takes over. A
		// batch that fails is sent again (as a client resends); every acknowledged
		// (participant, statement) must be counted once in the end.
		const rounds = 40
		acked := map[string]map[string]bool{} // session → participant/statement
		for _, s := range sessions {
			acked[s.ID] = map[string]bool{}
		}
		failed := 0
		for r := range rounds {
			if r == rounds/2 {
				cl.Failover(t, 0)
			}
			for _, s := range sessions {
				var ops []forum.VoteOp
				for k := range 5 {
					p, st := fmt.Sprintf("p%d-%d", r, k), []string{"st1", "st2", "st3"}[k%3]
					ops = append(ops, forum.VoteOp{ClientID: fmt.Sprintf("m%d-%d", r, k),
						Vote: forumtest.MakeVote(s, p, "", forumtest.ActScale, st, 1+k%5, 0)})
				}
				for try := 0; ; try++ {
					cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					_, err := e.ApplyVotes(cctx, s.ID, ops)
					cancel()
					if err == nil {
						break
					}
					failed++
					if try == 50 {
						t.Fatalf("ApplyVotes on %s still fails after the failover: %v", s.ID, err)
					}
					time.Sleep(100 * time.Millisecond)
				}
				for _, op := range ops {
					acked[s.ID][op.Vote.Participant+"/"+op.Vote.Statement] = true
				}
			}
		}
		for _, s := range sessions {
			tally, err := e.Tally(ctx, s.ID, forumtest.ActScale)
			if err != nil {
				t.Fatal(err)
			}
			n := tally["s/st1/n"] + tally["s/st2/n"] + tally["s/st3/n"]
			if n != int64(len(acked[s.ID])) {
				t.Errorf("session %s counts %d votes, %d were acknowledged", s.ID, n, len(acked[s.ID]))
			}
		}
		t.Logf("%d batches were refused around the failover and sent again", failed)
	})
}

func TestDeleteSessionLeavesNothing(t *testing.T) {
	url := redistest.URL(t)
	s, prefix := newStore(t, url)
	raw := rawClient(t, url)
	keep := workflow(t, s, 5)
	const n = 10000
	sess := workflow(t, s, n)
	ctx := context.Background()
	if got := keys(t, raw, prefix+":{s:"+sess.ID+"}:*"); len(got) < n {
		t.Fatalf("only %d keys before the delete", len(got))
	}
	within(t, 5*time.Second, "DeleteSession of a 10,000-participant session", func() {
		if err := s.DeleteSession(ctx, sess.ID); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
	})
	if left := keys(t, raw, prefix+":{s:"+sess.ID+"}:*"); len(left) != 0 {
		t.Errorf("%d keys of the session are left, e.g. %v", len(left), left[:min(5, len(left))])
	}
	for _, k := range keys(t, raw, prefix+":*") {
		if strings.Contains(k, sess.ID) || strings.Contains(k, sess.Code) {
			t.Errorf("key %q is left", k)
		}
	}
	for _, idx := range []string{prefix + ":{g}:sessions", prefix + ":{g}:owner:u1"} {
		if _, err := raw.ZScore(ctx, idx, sess.ID).Result(); !errors.Is(err, redis.Nil) {
			t.Errorf("%s still lists the session: %v", idx, err)
		}
	}
	if got := keys(t, raw, prefix+":{s:"+keep.ID+"}:*"); len(got) == 0 {
		t.Errorf("the other session's keys went too")
	}
}

func TestApplyVotesRetriedBatch(t *testing.T) {
	s, _ := newStore(t, redistest.URL(t))
	ctx := context.Background()
	sess := forumtest.CreateSession(t, s, "u1")
	var ops []forum.VoteOp
	for i := range 50 {
		p := fmt.Sprintf("p%d", i%7)
		ops = append(ops, forum.VoteOp{ClientID: fmt.Sprintf("m%d", i),
			Vote: forumtest.MakeVote(sess, p, "g1", forumtest.ActScale, []string{"st1", "st2"}[i%2], 1+i%5, 0)})
	}
	first, err := s.ApplyVotes(ctx, sess.ID, ops)
	if err != nil {
		t.Fatal(err)
	}
	tally1, _ := s.Tally(ctx, sess.ID, forumtest.ActScale)
	_, v1, _ := s.Version(ctx, sess.ID)
	// The reply was "lost": the client sends the same batch again.
	second, err := s.ApplyVotes(ctx, sess.ID, ops)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ops {
		if first[i].Status != forum.VoteApplied || second[i].Status != forum.VoteDuplicate {
			t.Fatalf("op %d: first %v, second %v; want applied then duplicate", i, first[i].Status, second[i].Status)
		}
		if second[i].Version != v1 {
			t.Errorf("op %d repeated at version %d, want the unchanged %d", i, second[i].Version, v1)
		}
	}
	tally2, _ := s.Tally(ctx, sess.ID, forumtest.ActScale)
	if fmt.Sprint(tally1) != fmt.Sprint(tally2) {
		t.Errorf("tally moved on the repeat:\n%v\n%v", tally1, tally2)
	}
	if _, v2, _ := s.Version(ctx, sess.ID); v2 != v1 {
		t.Errorf("version moved on the repeat: %d → %d", v1, v2)
	}
}

func TestRedisRestartWithAOF(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	s, _ := newStore(t, srv.URL())
	ctx := context.Background()
	sess := workflow(t, s, 20)
	tally, _ := s.Tally(ctx, sess.ID, forumtest.ActScale)
	epoch, version, _ := s.Version(ctx, sess.ID)

	events := make(chan forum.Event, 16)
	subCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := s.Subscribe(subCtx, sess.ID, func(ev forum.Event) { events <- ev }); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	srv.Restart()

	// The same Store recovers: reads, script runs (the script cache is empty now), events.
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("Ping does not recover after the restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e2, v2, err := s.Version(ctx, sess.ID)
	if err != nil || e2 != epoch || v2 != version {
		t.Fatalf("after restart Version = %q %d %v, want %q %d", e2, v2, err, epoch, version)
	}
	if got, _ := s.Tally(ctx, sess.ID, forumtest.ActScale); fmt.Sprint(got) != fmt.Sprint(tally) {
		t.Errorf("tally after restart = %v, want %v", got, tally)
	}
	res, err := s.ApplyVotes(ctx, sess.ID, []forum.VoteOp{
		forumtest.ScaleOp(sess, "v1", "p0", "st1", 5), // resent from an outbox: already there
		forumtest.ScaleOp(sess, "after", "p0", "st2", 5),
	})
	if err != nil {
		t.Fatalf("ApplyVotes after restart: %v", err)
	}
	if res[0].Status != forum.VoteDuplicate || res[1].Status != forum.VoteApplied {
		t.Errorf("after restart: %+v, want duplicate then applied", res)
	}
	// Events flow again once the subscriber has reconnected.
	deadline = time.Now().Add(10 * time.Second)
	for got := false; !got; {
		ev := forum.Event{Kind: forum.EventState, Session: sess.ID, Version: 99}
		if err := s.Publish(ctx, ev); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		select {
		case <-events:
			got = true
		case <-time.After(200 * time.Millisecond):
		}
		if !got && time.Now().After(deadline) {
			t.Fatal("no event after the restart")
		}
	}
}

func TestRedisUnreachable(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	s, _ := newStore(t, srv.URL())
	ctx := context.Background()
	sess := forumtest.CreateSession(t, s, "u1")
	srv.Kill()

	var err error
	within(t, 1500*time.Millisecond, "ApplyVotes with Redis down", func() {
		_, err = s.ApplyVotes(ctx, sess.ID, []forum.VoteOp{forumtest.ScaleOp(sess, "m1", "p1", "st1", 3)})
	})
	if !errors.Is(err, forum.ErrUnavailable) {
		t.Errorf("ApplyVotes with Redis down: %v, want ErrUnavailable", err)
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		t.Errorf("a go-redis error leaked: %T", rerr)
	}
	within(t, 1500*time.Millisecond, "Ping with Redis down", func() { err = s.Ping(ctx) })
	if !errors.Is(err, forum.ErrUnavailable) {
		t.Errorf("Ping with Redis down: %v, want ErrUnavailable", err)
	}
	within(t, 1500*time.Millisecond, "Version with Redis down", func() { _, _, err = s.Version(ctx, sess.ID) })
	if !errors.Is(err, forum.ErrUnavailable) {
		t.Errorf("Version with Redis down: %v, want ErrUnavailable", err)
	}
	within(t, 4*time.Second, "Subscribe with Redis down", func() {
		err = s.Subscribe(ctx, sess.ID, func(forum.Event) {})
	})
	if !errors.Is(err, forum.ErrUnavailable) {
		t.Errorf("Subscribe with Redis down: %v, want ErrUnavailable", err)
	}

	// Back: the client resends its outbox; counted once.
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("Ping does not recover")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range 2 {
		res, err := s.ApplyVotes(ctx, sess.ID, []forum.VoteOp{forumtest.ScaleOp(sess, "m1", "p1", "st1", 3)})
		if err != nil {
			t.Fatalf("ApplyVotes after recovery: %v", err)
		}
		_ = res
	}
	if tally, _ := s.Tally(ctx, sess.ID, forumtest.ActScale); tally["s/st1/n"] != 1 {
		t.Errorf("tally after resends = %v, want one vote", tally)
	}
}

func TestRedisHung(t *testing.T) {
	// A Redis that accepts connections but answers nothing: calls end within the caller's
	// deadline (the Service's vote batcher gives 1.2 s), Ping within its own second.
	srv := redistest.Start(t, redistest.Options{})
	s, _ := newStore(t, srv.URL())
	sess := forumtest.CreateSession(t, s, "u1")
	ctx := context.Background()
	srv.Pause()
	defer srv.Resume()
	var err error
	within(t, 1500*time.Millisecond, "ApplyVotes with Redis hung", func() {
		cctx, cancel := context.WithTimeout(ctx, 1200*time.Millisecond)
		defer cancel()
		_, err = s.ApplyVotes(cctx, sess.ID, []forum.VoteOp{forumtest.ScaleOp(sess, "m1", "p1", "st1", 3)})
	})
	if !errors.Is(err, forum.ErrUnavailable) {
		t.Errorf("ApplyVotes with Redis hung: %v, want ErrUnavailable", err)
	}
	within(t, 1500*time.Millisecond, "Ping with Redis hung", func() { err = s.Ping(ctx) })
	if !errors.Is(err, forum.ErrUnavailable) {
		t.Errorf("Ping with Redis hung: %v, want ErrUnavailable", err)
	}
	// Without a deadline of the caller's, the client's own timeouts end the call.
	within(t, 4*time.Second, "Version with Redis hung, no deadline", func() { _, _, err = s.Version(ctx, sess.ID) })
	if !errors.Is(err, forum.ErrUnavailable) {
		t.Errorf("Version with Redis hung: %v, want ErrUnavailable", err)
	}
	srv.Resume()
	deadline := time.Now().Add(10 * time.Second)
	for s.Ping(ctx) != nil {
		if time.Now().After(deadline) {
			t.Fatal("Ping does not recover after the pause")
		}
		time.Sleep(50 * time.Millisecond)
	}
	res, err := s.ApplyVotes(ctx, sess.ID, []forum.VoteOp{forumtest.ScaleOp(sess, "m1", "p1", "st1", 3)})
	if err != nil {
		t.Fatalf("ApplyVotes after the pause: %v", err)
	}
	if tally, _ := s.Tally(ctx, sess.ID, forumtest.ActScale); tally["s/st1/n"] != 1 {
		t.Errorf("after the resend: %+v, tally %v; want the vote counted once", res, tally)
	}
}

// TestOddTallyFields: tally fields with the characters the stored contribution uses as
// separators, and any Unicode, are taken back exactly when a vote is replaced.
func TestOddTallyFields(t *testing.T) {
	s, _ := newStore(t, redistest.URL(t))
	ctx := context.Background()
	sess := forumtest.CreateSession(t, s, "u1")
	odd := []string{"w/a:b;c=d", "w/\n;\n", "w/æøå 12:3=4;", "w/\"quoted\"", "w/", "w/12:x=1;", "w/<&>"}
	vote := func(id string, fields []string) {
		t.Helper()
		v := forumtest.MakeVote(sess, "p1", "", forumtest.ActScale, "st1", 3, 0)
		v.Contrib = nil
		for _, f := range fields {
			v.Contrib = append(v.Contrib, forum.Delta{Field: f, N: 2})
		}
		res, err := s.ApplyVotes(ctx, sess.ID, []forum.VoteOp{{ClientID: id, Vote: v}})
		if err != nil || res[0].Status != forum.VoteApplied {
			t.Fatalf("ApplyVotes: %v %v", res, err)
		}
	}
	vote("m1", odd)
	tally, _ := s.Tally(ctx, sess.ID, forumtest.ActScale)
	for _, f := range odd {
		if tally[f] != 2 {
			t.Errorf("tally[%q] = %d, want 2", f, tally[f])
		}
	}
	vote("m2", []string{"w/other"})
	tally, _ = s.Tally(ctx, sess.ID, forumtest.ActScale)
	if c := forumtest.Counts(tally); len(c) != 1 || c["w/other"] != 2 {
		t.Errorf("after replacing: %v, want only w/other", c)
	}
	votes, err := s.ParticipantVotes(ctx, sess.ID, "p1")
	if err != nil || len(votes) != 1 || votes[0].Contrib[0].Field != "w/other" {
		t.Errorf("ParticipantVotes = %+v, %v", votes, err)
	}
}

// TestTwoInstances: two Stores on one Redis, as two instances: events, presence and votes
// meet.
func TestTwoInstances(t *testing.T) {
	url := redistest.URL(t)
	a, prefix := newStore(t, url)
	b, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: prefix, Instance: "b"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	sess := forumtest.CreateSession(t, a, "u1")
	got := make(chan forum.Event, 4)
	if err := b.Subscribe(ctx, sess.ID, func(ev forum.Event) { got <- ev }); err != nil {
		t.Fatal(err)
	}
	ev := forum.Event{Kind: forum.EventState, Session: sess.ID, Version: 3}
	if err := a.Publish(ctx, ev); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e != ev {
			t.Errorf("got %+v, want %+v", e, ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event across instances")
	}
	// The same vote through both instances at once: counted once.
	op := forumtest.ScaleOp(sess, "same", "p1", "st1", 4)
	done := make(chan []forum.VoteResult, 2)
	for _, e := range []*redisstore.Store{a, b} {
		go func() {
			res, _ := e.ApplyVotes(ctx, sess.ID, []forum.VoteOp{op})
			done <- res
		}()
	}
	applied := 0
	for range 2 {
		if res := <-done; len(res) == 1 && res[0].Status == forum.VoteApplied {
			applied++
		}
	}
	if tally, _ := b.Tally(ctx, sess.ID, forumtest.ActScale); applied != 1 || tally["s/st1/n"] != 1 {
		t.Errorf("applied %d times, tally %v; want once", applied, tally)
	}
}

// TestUnsubscribe: when a session's last local subscriber leaves, the shared connection
// unsubscribes its channel.
func TestUnsubscribe(t *testing.T) {
	url := redistest.URL(t)
	s, prefix := newStore(t, url)
	raw := rawClient(t, url)
	ctx := context.Background()
	channel := prefix + ":{s:x1}:events"
	count := func() int64 {
		m, err := raw.PubSubNumSub(ctx, channel).Result()
		if err != nil {
			t.Fatal(err)
		}
		return m[channel]
	}
	c1, cancel1 := context.WithCancel(ctx)
	c2, cancel2 := context.WithCancel(ctx)
	for _, c := range []context.Context{c1, c2} {
		if err := s.Subscribe(c, "x1", func(forum.Event) {}); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("two local subscribers: %d subscriptions in Redis, want 1 (shared)", n)
	}
	cancel1()
	time.Sleep(100 * time.Millisecond)
	if n := count(); n != 1 {
		t.Errorf("one subscriber left: %d subscriptions, want 1", n)
	}
	cancel2()
	deadline := time.Now().Add(2 * time.Second)
	for count() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the channel is still subscribed after the last subscriber left")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUnsubscribeForgetsLostConfirmations: a subscription PING whose answer was lost (the
// connection broke meanwhile) is not waited for after the channel's last subscriber left,
// so the broker does not keep ended subscriptions' callbacks for ever.
func TestUnsubscribeForgetsLostConfirmations(t *testing.T) {
	s, _ := newStore(t, redistest.URL(t))
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Subscribe(ctx, "x2", func(forum.Event) {}); err != nil {
		t.Fatal(err)
	}
	redisstore.LoseConfirmation(s, "x2")
	cancel()
	deadline := time.Now().Add(2 * time.Second)
	for {
		topics, pending := redisstore.BrokerHolds(s)
		if topics == 0 && pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the last subscriber left the broker holds %d channels and waits for %d confirmations", topics, pending)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFlushAllLosesTheEpoch(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	s, _ := newStore(t, srv.URL())
	ctx := context.Background()
	sess := workflow(t, s, 3)
	if _, _, err := s.Version(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if err := rawClient(t, srv.URL()).FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Version(ctx, sess.ID); !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("Version after FLUSHALL: %v, want ErrNotFound", err)
	}
	// Votes are refused (the open set is gone), never counted into a fresh tally.
	res, err := s.ApplyVotes(ctx, sess.ID, []forum.VoteOp{forumtest.ScaleOp(sess, "late", "p1", "st1", 3)})
	if err != nil || res[0].Status != forum.VoteClosed {
		t.Errorf("vote after FLUSHALL: %+v %v, want closed", res, err)
	}
	if err := s.AddParticipant(ctx, sess.ID, forum.Participant{ID: "px", TokenHash: "hx"}); !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("AddParticipant after FLUSHALL: %v, want ErrNotFound", err)
	}
}

func TestNewFailsWithoutRedis(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	url := srv.URL()
	srv.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := redisstore.New(ctx, redisstore.Options{URL: url})
	if !errors.Is(err, forum.ErrUnavailable) {
		t.Errorf("New without Redis: %v, want ErrUnavailable", err)
	}
	if _, err := redisstore.New(ctx, redisstore.Options{URL: "http://nope"}); err == nil {
		t.Errorf("New with a bad URL: no error")
	}
}

// TestCloseStopsEverything: after Close, the Store leaves no goroutine behind, and a
// subscriber whose context is still alive gets nothing more.
func TestCloseStopsEverything(t *testing.T) {
	url := redistest.URL(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: "t" + forum.NewID(5)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.Subscribe(ctx, "x", func(forum.Event) {}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Subscribe(ctx, "y", func(forum.Event) {}); !errors.Is(err, forum.ErrUnavailable) {
		t.Errorf("Subscribe after Close: %v, want ErrUnavailable", err)
	}
}

// TestSilentEventConnection: when the event connection stops answering (Redis paused),
// the receiver replaces it; once Redis answers again, events flow on the new one.
func TestSilentEventConnection(t *testing.T) {
	defer redisstore.SetQuiet(100 * time.Millisecond)()
	srv := redistest.Start(t, redistest.Options{})
	s, _ := newStore(t, srv.URL())
	ctx := context.Background()
	got := make(chan forum.Event, 16)
	if err := s.Subscribe(ctx, "x", func(ev forum.Event) { got <- ev }); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	time.Sleep(time.Second) // several quiet periods: the connection is replaced
	srv.Resume()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_ = s.Publish(ctx, forum.Event{Kind: forum.EventState, Session: "x", Version: 1})
		select {
		case <-got:
			return
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no event after the pause")
		}
	}
}
