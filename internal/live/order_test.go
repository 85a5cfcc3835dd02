package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"pejl/internal/forum"
	"pejl/internal/live/liveclient"
)

// Messages of one socket take effect in the order sent (DESIGN rule 8), whatever the
// pooled workers do: a socket that sends 1,000 alternating votes on one statement as fast
// as it can ends with the last one stored, every ack's version is above the one before,
// and an outbox resent after a reconnect (an old and a new answer) keeps the new one.
func TestMessagesTakeEffectInOrder(t *testing.T) {
	for _, kind := range []struct {
		name string
		kind engineKind
	}{{"memstore", memEngine}, {"redis", redisEngine}} {
		t.Run(kind.name, func(t *testing.T) {
			leakCheck(t)
			eng := openEngine(t, kind.kind, t.TempDir())
			t.Cleanup(func() { _ = eng.Close() })
			owner := &forum.User{ID: "u-" + forum.NewID(5), Email: "owner@example.dk", Role: forum.RoleFacilitator}
			// No rate limit: the client sends as fast as the socket takes it.
			in := newInstance(t, eng, owner, Config{Rate: rate.Inf, Burst: 1}, "a")
			sess := in.newSession(nil)
			ctx := ctxT(t, 60*time.Second)
			fac := newRecorder()
			f, _ := in.facilitator(ctx, sess, liveclient.Options{Handler: fac.handle})
			openScale(t, ctx, f)
			// Facilitator commands too: sent back to back, they take effect in order.
			sendAll(t, f, []outMsg{
				{ID: "c1", Type: "close", Activity: scaleAct},
				{ID: "c2", Type: "open", Activity: scaleAct},
			})
			fac.wait(t, ctx, f, "c1", "c2")
			fac.checkAcksInOrder(t, []string{"c1", "c2"}, true)

			const n = 1000
			rec := newRecorder()
			p, w := dialRecorded(t, ctx, in, sess, "", rec)
			burst := make([]outMsg, n)
			for i := range burst {
				burst[i] = voteMsg(fmt.Sprintf("a%d", i), "s1-1", 1+i%2)
			}
			sendAll(t, p, burst)
			rec.wait(t, ctx, p, ids(burst)...)
			rec.checkAcksInOrder(t, ids(burst), true)
			checkStored(t, in, sess, "s1-1", burst[n-1].Value)

			// A burst cut off by a reconnect: the socket closes before its answers come;
			// the new socket resends everything unanswered, in order, then one new vote.
			rec = newRecorder()
			p, _ = dialRecorded(t, ctx, in, sess, w.Participant, rec)
			cut := make([]outMsg, 300)
			for i := range cut {
				cut[i] = voteMsg(fmt.Sprintf("b%d", i), "s1-2", 1+i%2)
			}
			// The outbox of a phone: an old and a new answer to s1-3.
			cut = append(cut, voteMsg("old", "s1-3", 2), voteMsg("new", "s1-3", 4))
			sendAll(t, p, cut)
			_ = p.Close()
			outbox := rec.unanswered(cut)
			rec = newRecorder()
			p, _ = dialRecorded(t, ctx, in, sess, w.Participant, rec)
			resend := append(outbox, voteMsg("b-last", "s1-2", 5))
			sendAll(t, p, resend)
			rec.wait(t, ctx, p, ids(resend)...)
			rec.checkAcksInOrder(t, ids(resend), false)
			checkStored(t, in, sess, "s1-2", 5)
			checkStored(t, in, sess, "s1-3", 4)

			// The same outbox sent again on a third socket changes nothing.
			rec = newRecorder()
			p, _ = dialRecorded(t, ctx, in, sess, w.Participant, rec)
			again := []outMsg{voteMsg("old", "s1-3", 2), voteMsg("new", "s1-3", 4)}
			sendAll(t, p, again)
			rec.wait(t, ctx, p, ids(again)...)
			checkStored(t, in, sess, "s1-3", 4)

			// Exactly once: one vote per statement in the tally, with the stored value.
			tally, err := in.eng.Tally(ctx, sess.ID, scaleAct)
			if err != nil {
				t.Fatal(err)
			}
			for st, v := range map[string]int{"s1-1": burst[n-1].Value, "s1-2": 5, "s1-3": 4} {
				if tally["s/"+st+"/n"] != 1 || tally[fmt.Sprintf("s/%s/%d", st, v)] != 1 {
					t.Errorf("tally of %s: %v, want one vote of %d", st, tally, v)
				}
			}
		})
	}
}

type outMsg struct {
	Type      string `json:"type"`
	ID        string `json:"id"`
	Activity  string `json:"activity,omitempty"`
	Statement string `json:"statement,omitempty"`
	Value     int    `json:"value,omitempty"`
}

func voteMsg(id, statement string, value int) outMsg {
	return outMsg{Type: "vote", ID: id, Activity: scaleAct, Statement: statement, Value: value}
}

func ids(ms []outMsg) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// recorder keeps the acks and errors of a socket in the order they arrive.
type recorder struct {
	mu      sync.Mutex
	changed chan struct{}
	order   []string
	version map[string]int64
	errs    map[string]string
}

func newRecorder() *recorder {
	return &recorder{changed: make(chan struct{}, 1), version: map[string]int64{}, errs: map[string]string{}}
}

func (r *recorder) handle(m liveclient.Message) {
	r.mu.Lock()
	switch m := m.(type) {
	case *liveclient.Ack:
		r.order = append(r.order, m.ID)
		r.version[m.ID] = m.Version
	case *liveclient.ErrorMsg:
		if m.ID != "" {
			r.order = append(r.order, m.ID)
			r.errs[m.ID] = m.Code
		}
	}
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) answered(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.version[id]
	_, bad := r.errs[id]
	return ok || bad
}

// wait returns once every id is answered; an error answer fails the test.
func (r *recorder) wait(t *testing.T, ctx context.Context, c *liveclient.Conn, want ...string) {
	t.Helper()
	for {
		missing := ""
		for _, id := range want {
			if !r.answered(id) {
				missing = id
				break
			}
		}
		if missing == "" {
			break
		}
		select {
		case <-r.changed:
		case <-c.Done():
			t.Fatalf("socket closed before %s was answered: %v", missing, c.Err())
		case <-ctx.Done():
			t.Fatalf("no answer to %s", missing)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range want {
		if code, bad := r.errs[id]; bad {
			t.Fatalf("%s answered %s", id, code)
		}
	}
}

// checkAcksInOrder: the answers came in the order sent, and no ack's version is below
// the one before; strict: above it (when every message changed something, so each bumped
// the version; a repeated id is acknowledged at the version of the time).
func (r *recorder) checkAcksInOrder(t *testing.T, sent []string, strict bool) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	pos := map[string]int{}
	for i, id := range sent {
		pos[id] = i
	}
	last, lastV := -1, int64(0)
	for _, id := range r.order {
		i, ok := pos[id]
		if !ok {
			continue
		}
		if i < last {
			t.Fatalf("%s (sent #%d) answered after #%d", id, i, last)
		}
		if v := r.version[id]; v != 0 {
			if v < lastV || strict && v == lastV {
				t.Fatalf("%s (sent #%d) acknowledged at version %d after %d of an earlier message", id, i, v, lastV)
			}
			lastV = v
		}
		last = i
	}
}

func (r *recorder) unanswered(sent []outMsg) []outMsg {
	var out []outMsg
	for _, m := range sent {
		if !r.answered(m.ID) {
			out = append(out, m)
		}
	}
	return out
}

func dialRecorded(t *testing.T, ctx context.Context, in *instance, sess *forum.Session, token string, rec *recorder) (*liveclient.Conn, *liveclient.Welcome) {
	t.Helper()
	c, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{Handler: rec.handle})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	w, err := c.Hello(ctx, liveclient.HelloMsg{Participant: token})
	if err != nil {
		t.Fatalf("hello: %v", err)
	}
	return c, w
}

// sendAll writes the messages back to back without waiting for answers.
func sendAll(t *testing.T, c *liveclient.Conn, ms []outMsg) {
	t.Helper()
	for _, m := range ms {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.SendRaw(b); err != nil {
			t.Fatalf("send %s: %v", m.ID, err)
		}
	}
}

// checkStored: the session's only participant has want stored on the statement.
func checkStored(t *testing.T, in *instance, sess *forum.Session, statement string, want int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	found := false
	err := in.svc.ScanVotes(ctx, sess.ID, func(v forum.Vote) error {
		if v.Activity == scaleAct && v.Statement == statement {
			found = true
			if string(v.Value) != fmt.Sprint(want) {
				return fmt.Errorf("%s stored %s, want %d (the last one sent)", statement, v.Value, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no vote stored on %s", statement)
	}
}
