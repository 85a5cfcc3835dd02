package live

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/live/liveclient"
	"pejl/internal/redisstore"
	"pejl/internal/redisstore/redistest"
)

// Two instances on a Redis Cluster of three masters, with sessions on every master: a
// phone votes on A and the facilitator on B sees it, before and after a master's replica
// takes over, and every acknowledged vote is counted once; with the engine acknowledging
// at once, and waiting for a replica (WaitReplicas 1, PEJL_REDIS_WAIT_REPLICAS).
func TestInstancesOnRedisCluster(t *testing.T) {
	for _, wait := range []int{0, 1} {
		t.Run(fmt.Sprintf("WaitReplicas=%d", wait), func(t *testing.T) { testInstancesOnRedisCluster(t, wait) })
	}
}

func testInstancesOnRedisCluster(t *testing.T, waitReplicas int) {
	leakCheck(t)
	cl := redistest.StartCluster(t, 3, 1)
	owner := &forum.User{ID: "u-" + forum.NewID(5), Email: "owner@example.dk", Role: forum.RoleFacilitator}
	open := func(name string) *instance {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		eng, err := redisstore.New(ctx, redisstore.Options{URL: cl.URL(), Cluster: true, Logger: quietLogger(), WaitReplicas: waitReplicas,
			WaitTimeout: 900 * time.Millisecond}) // a busy CI machine can keep a replica from answering sooner
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = eng.Close() })
		return newInstance(t, eng, owner, Config{}, name)
	}
	a, b := open("a"), open("b")
	ctx := ctxT(t, 60*time.Second)

	type seat struct {
		sess *forum.Session
		f, p *liveclient.Conn
	}
	var seats []seat
	// Sessions land on masters by the hash of their random ids: take at least 6, and more
	// until every master holds keys (6 miss one of three masters about one time in four).
	everyMaster := func() bool {
		for _, n := range cl.Keys(t) {
			if n == 0 {
				return false
			}
		}
		return true
	}
	for len(seats) < 6 || !everyMaster() {
		if len(seats) == 30 {
			t.Fatalf("a master holds no key with 30 sessions: %v", cl.Keys(t))
		}
		sess := a.newSession(nil)
		f, _ := b.facilitator(ctx, sess, liveclient.Options{})
		p, _ := a.participant(ctx, sess, liveclient.HelloMsg{})
		openScale(t, ctx, f)
		seats = append(seats, seat{sess, f, p})
	}
	vote := func(s seat, id, statement string, value int) {
		t.Helper()
		// A vote answered unavailable (a master changing hands) is sent again, as a phone
		// resends its outbox.
		for try := 0; ; try++ {
			err := s.p.Vote(ctx, id, scaleAct, statement, value)
			if err == nil {
				return
			}
			if errCode(err) != "unavailable" || try == 20 {
				t.Fatalf("vote %s: %v", id, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	seen := func(s seat, statement string, value int) {
		t.Helper()
		waitFor(t, s.f, waitLong, func(m *liveclient.Tally) bool {
			return m.Activity == scaleAct && scaleCount(m.Results, statement, value) == 1
		})
	}
	for i, s := range seats {
		vote(s, "before", "s1-1", 1+i%5)
		seen(s, "s1-1", 1+i%5)
	}
	cl.Failover(t, 0)
	for i, s := range seats {
		vote(s, "after", "s1-2", 1+i%5)
		seen(s, "s1-2", 1+i%5)
	}
	for _, s := range seats {
		tally, err := b.eng.Tally(ctx, s.sess.ID, scaleAct)
		if err != nil {
			t.Fatal(err)
		}
		if tally["s/s1-1/n"] != 1 || tally["s/s1-2/n"] != 1 {
			t.Errorf("session %s: tally %v, want one vote on s1-1 and one on s1-2", s.sess.ID, tally)
		}
	}
}
