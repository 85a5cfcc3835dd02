package live

import (
	"context"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/live/liveclient"
)

// A survey opens and closes by time, with no write to the session: the room notices the
// window passing and sends the new state to the phones (lobby → live → ended), votes outside
// it are answered session_closed, and the facilitator gets the tallies of every activity.
func TestSurveyWindowByTime(t *testing.T) {
	in, _ := newEnv(t, Config{})
	now := time.Now()
	opens, closes := now.Add(1500*time.Millisecond), now.Add(4*time.Second)
	sess, err := in.svc.CreateSession(context.Background(), in.user, forum.NewSession{Title: "Survey", CharterID: charterID,
		Language: "da", Pace: forum.PaceSelf, OpensAt: &opens, ClosesAt: &closes})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t, 30*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	p, w := in.participant(ctx, sess, liveclient.HelloMsg{})
	if w.Session.State != "lobby" || len(w.Session.Activities) == 0 {
		t.Fatalf("welcome before opens_at: state %q, %d activities; want lobby with every activity", w.Session.State, len(w.Session.Activities))
	}
	if err := p.Vote(ctx, "v1", scaleAct, "s1-1", 3); errCode(err) != "session_closed" {
		t.Fatalf("vote before opens_at: %v, want session_closed", err)
	}
	waitFor(t, p, waitLong, func(s *liveclient.State) bool { return s.Session.State == "live" })
	if err := p.Vote(ctx, "v2", scaleAct, "s1-1", 4); err != nil {
		t.Fatalf("vote while open: %v", err)
	}
	// The facilitator sees it live, although no activity was opened one by one.
	waitFor(t, f, waitLong, func(m *liveclient.Tally) bool { return m.Activity == scaleAct && scaleCount(m.Results, "s1-1", 4) == 1 })
	waitFor(t, p, waitLong, func(s *liveclient.State) bool { return s.Session.State == "ended" })
	if err := p.Vote(ctx, "v3", scaleAct, "s1-1", 5); errCode(err) != "session_closed" {
		t.Fatalf("vote after closes_at: %v, want session_closed", err)
	}
}
