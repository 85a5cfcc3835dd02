package live

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/live/liveclient"
)

// lostReply is an engine that stores a batch of votes and then answers as if the storage
// had failed: the reply was lost after the write, as when Redis stops between the two.
type lostReply struct {
	forum.Engine
	lose atomic.Bool
}

func (e *lostReply) ApplyVotes(ctx context.Context, sessionID string, ops []forum.VoteOp) ([]forum.VoteResult, error) {
	res, err := e.Engine.ApplyVotes(ctx, sessionID, ops)
	if err == nil && e.lose.CompareAndSwap(true, false) {
		return nil, forum.ErrUnavailable
	}
	return res, err
}

// Finding 6: "unavailable" does not mean "not stored". The vote answered unavailable was
// stored; resent with the same id it is acknowledged and counted once, and the id is not
// free for other content. docs/api.md says exactly that, and no longer that an errored id
// may be used again.
func TestUnavailableMeansMaybeStored(t *testing.T) {
	leakCheck(t)
	mem := openEngine(t, memEngine, t.TempDir())
	t.Cleanup(func() { _ = mem.Close() })
	eng := &lostReply{Engine: mem}
	owner := &forum.User{ID: "u-" + forum.NewID(5), Email: "owner@example.dk", Role: forum.RoleFacilitator}
	in := newInstance(t, eng, owner, Config{}, "a")
	sess := in.newSession(nil)
	ctx := ctxT(t, 30*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})

	eng.lose.Store(true)
	if err := p.Vote(ctx, "v1", scaleAct, "s1-3", 5); errCode(err) != "unavailable" {
		t.Fatalf("vote whose reply was lost: %v, want unavailable", err)
	}
	if err := p.Vote(ctx, "v1", scaleAct, "s1-3", 5); err != nil {
		t.Fatalf("the same vote resent with its id: %v", err)
	}
	if err := p.Vote(ctx, "v1", scaleAct, "s1-3", 1); err != nil {
		t.Fatalf("the id again with another value: %v (acknowledged, changes nothing)", err)
	}
	waitFor(t, f, waitLong, func(m *liveclient.Tally) bool {
		return m.Activity == scaleAct && scaleCount(m.Results, "s1-3", 5) == 1 && m.Results.Statements["s1-3"].N == 1
	})

	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	api := string(doc)
	if strings.Contains(api, "answered with an `error` was not accepted and may be used again") {
		t.Error("docs/api.md still says an id answered with an error may be used again")
	}
	if !strings.Contains(api, "**resends it unchanged with the same id**") {
		t.Error("docs/api.md does not say that a message answered unavailable is resent unchanged with the same id")
	}
}
