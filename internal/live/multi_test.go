package live

import (
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"pejl/internal/live/liveclient"
	"pejl/internal/redisstore/redistest"
)

// Two instances sharing one Redis serve one session.

func TestCrossInstanceVoteTallyAndGotoState(t *testing.T) {
	a, b, sess := newPair(t, Config{})
	ctx := ctxT(t, 30*time.Second)

	f, _ := b.facilitator(ctx, sess, liveclient.Options{})  // facilitator on B
	p, _ := a.participant(ctx, sess, liveclient.HelloMsg{}) // phone on A

	// goto/open on B → state on A.
	openScale(t, ctx, f)
	waitFor(t, p, waitLong, func(s *liveclient.State) bool {
		act := s.Session.Activity(scaleAct)
		return s.Session.CurrentSection != nil && *s.Session.CurrentSection == "s1" && act != nil && act.State == "open"
	})
	// vote on A → tally on B.
	if err := p.Vote(ctx, "x1", scaleAct, "s1-2", 4); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f, waitLong, func(m *liveclient.Tally) bool {
		return m.Activity == scaleAct && scaleCount(m.Results, "s1-2", 4) == 1
	})
	// presence on B counts the phone on A.
	waitFor(t, f, waitLong, func(m *liveclient.Presence) bool { return m.Count == 1 })
}

func TestDuplicateIDsCountedOnceAcrossInstances(t *testing.T) {
	a, b, sess := newPair(t, Config{})
	ctx := ctxT(t, 30*time.Second)
	f, _ := a.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)

	// One participant, five sockets (a phone reconnecting, tabs), over both instances.
	_, w := a.participant(ctx, sess, liveclient.HelloMsg{})
	var conns []*liveclient.Conn
	for i := range 5 {
		in := a
		if i%2 == 1 {
			in = b
		}
		c, _ := in.participant(ctx, sess, liveclient.HelloMsg{Participant: w.Participant})
		conns = append(conns, c)
	}
	// The same message id five times at once — even with different values.
	var wg sync.WaitGroup
	errs := make([]error, len(conns))
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.Vote(ctx, "dup-1", scaleAct, "s1-5", 1+i)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	m := waitFor(t, f, waitLong, func(m *liveclient.Tally) bool {
		return m.Activity == scaleAct && m.Results.Statements["s1-5"].N > 0
	})
	time.Sleep(500 * time.Millisecond) // any second count would show by now
	_, w2 := b.participant(ctx, sess, liveclient.HelloMsg{Participant: w.Participant})
	if len(w2.Mine.Votes) != 1 {
		t.Fatalf("mine after five sends: %+v", w2.Mine.Votes)
	}
	tally, err := a.eng.Tally(ctx, sess.ID, scaleAct)
	if err != nil {
		t.Fatal(err)
	}
	if tally["s/s1-5/n"] != 1 || m.Results.Statements["s1-5"].N != 1 {
		t.Fatalf("five sends of one id counted %d times (tally %v)", tally["s/s1-5/n"], tally)
	}
	// A new id replaces the vote: still one.
	if err := conns[0].Vote(ctx, "dup-2", scaleAct, "s1-5", 5); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f, waitLong, func(m *liveclient.Tally) bool {
		sr := m.Results.Statements["s1-5"]
		return sr.N == 1 && sr.Counts["5"] == 1
	})
}

// Redis lost the session's data (FLUSHALL, or a restart without persistence): the
// facilitator is told, and nobody is shown zero counts as if they were real.
func TestLostDataIsShownToTheFacilitator(t *testing.T) {
	a, b, sess := newPair(t, Config{BeaconEvery: 300 * time.Millisecond})
	ctx := ctxT(t, 30*time.Second)
	f, _ := b.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	p, _ := a.participant(ctx, sess, liveclient.HelloMsg{})
	if err := p.Vote(ctx, "l1", scaleAct, "s1-1", 3); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f, waitLong, func(m *liveclient.Tally) bool { return m.Results.Statements["s1-1"].N == 1 })

	opt, err := redis.ParseURL(redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()

	// A new epoch: the facilitator is alerted, everyone gets the state of the new epoch.
	if err := rdb.HSet(ctx, "pejl:{s:"+sess.ID+"}:meta", "epoch", "restored").Err(); err != nil {
		t.Fatal(err)
	}
	if al := waitFor[*liveclient.Alert](t, f, waitLong, nil); al.Code != "data_lost" || al.Epoch != "restored" {
		t.Fatalf("alert: %+v", al)
	}
	waitFor(t, p, waitLong, func(s *liveclient.State) bool { return s.Epoch == "restored" })
	waitFor(t, p, waitLong, func(b *liveclient.Beacon) bool { return b.Epoch == "restored" })

	// Drop every key of this session only (other tests may share the server).
	keys, err := rdb.Keys(ctx, "pejl:{s:"+sess.ID+"}:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys: %v %v", keys, err)
	}
	if err := rdb.Del(ctx, keys...).Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	alert := waitFor(t, f, waitLong, func(m *liveclient.Alert) bool { return true })
	t.Logf("noticed in %v: %+v", time.Since(start), alert)
	for {
		m, err := f.Next(ctx)
		if err != nil {
			break
		}
		if tm, ok := m.(*liveclient.Tally); ok {
			t.Fatalf("a tally after the data was lost: %+v", tm)
		}
	}
	if f.CloseCode() != CloseSessionGone || time.Since(start) > 5*time.Second {
		t.Fatalf("facilitator: close %d after %v", f.CloseCode(), time.Since(start))
	}
	if code, _ := p.WaitClosed(ctx); code != CloseSessionGone {
		t.Fatalf("participant: close %d", code)
	}
}
