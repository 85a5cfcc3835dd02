package live

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/live/liveclient"
)

// A comment waits for approval: until the facilitator approves it, no participant but its
// author, and not the presenter screen, gets it — not in a push, a state or a welcome — on
// either engine and across two instances. After approval everyone does.
func TestCommentsWaitForApproval(t *testing.T) {
	t.Run("memstore", func(t *testing.T) {
		in, sess := newEnv(t, Config{})
		testApproval(t, in, in, sess)
	})
	t.Run("redis, two instances", func(t *testing.T) {
		a, b, sess := newPair(t, Config{})
		testApproval(t, a, b, sess)
	})
}

// watcher records every message a socket gets, and those that hold secret.
type watcher struct {
	mu     sync.Mutex
	secret string
	leaks  []string
	got    []liveclient.Message
}

func (w *watcher) handle(m liveclient.Message) {
	b, _ := json.Marshal(m)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.got = append(w.got, m)
	if strings.Contains(string(b), w.secret) {
		w.leaks = append(w.leaks, string(b))
	}
}

// wait waits until the socket got a message that ok accepts.
func (w *watcher) wait(t *testing.T, what string, ok func(liveclient.Message) bool) {
	t.Helper()
	for end := time.Now().Add(waitLong); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		w.mu.Lock()
		found := slices.ContainsFunc(w.got, ok)
		w.mu.Unlock()
		if found {
			return
		}
	}
	t.Fatalf("waiting for %s: timed out", what)
}

func (w *watcher) check(t *testing.T, who string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.leaks) > 0 {
		t.Errorf("%s got a comment before it was approved: %s", who, w.leaks)
	}
}

func presenter(t *testing.T, ctx context.Context, in *instance, sess *forum.Session, h func(liveclient.Message)) (*liveclient.Conn, *liveclient.Welcome) {
	t.Helper()
	c, err := liveclient.Dial(ctx, in.wsURL("/api/v1/sessions/"+sess.ID+"/live"),
		liveclient.Options{Header: http.Header{"Origin": {allowed}, "Authorization": {"Bearer owner"}}, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	w, err := c.Hello(ctx, liveclient.HelloMsg{View: "presenter"})
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

func testApproval(t *testing.T, a, b *instance, sess *forum.Session) {
	ctx := ctxT(t, 30*time.Second)
	const secret = "Kollega X er problemet"
	f, _ := b.facilitator(ctx, sess, liveclient.Options{})
	command(t, ctx, f, "goto", map[string]any{"section": "s1"})
	command(t, ctx, f, "open", map[string]any{"activity": commentsAct})
	command(t, ctx, f, "show_results", map[string]any{"activity": commentsAct})

	// The room on both instances: two phones and a presenter screen.
	var ws []*watcher
	for _, in := range []*instance{a, b} {
		w := &watcher{secret: secret}
		ws = append(ws, w)
		p, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{Handler: w.handle})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Close() })
		if _, err := p.Hello(ctx, liveclient.HelloMsg{}); err != nil {
			t.Fatal(err)
		}
	}
	pw := &watcher{secret: secret}
	presenter(t, ctx, a, sess, pw.handle)

	author, _ := a.participant(ctx, sess, liveclient.HelloMsg{})
	id, err := author.Comment(ctx, "c1", commentsAct, "", secret)
	if err != nil {
		t.Fatal(err)
	}
	// The author sees it waiting; the facilitator (other instance) gets it to approve.
	waitFor(t, author, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id && m.Comment.Mine && m.Comment.Pending })
	waitFor(t, f, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id && m.Comment.Pending })

	// A second comment, approved: once the room has it, it would have had the first.
	id2, err := author.Comment(ctx, "c2", commentsAct, "", "Mere dialog, tak")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, f, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id2 })
	command(t, ctx, f, "moderate", map[string]any{"comment": id2, "action": "show"})
	for _, w := range ws {
		w.wait(t, "the approved comment", func(m liveclient.Message) bool {
			c, ok := m.(*liveclient.CommentMsg)
			return ok && c.Comment.ID == id2 && c.Comment.Text == "Mere dialog, tak"
		})
	}
	// A state (the facilitator moves on and back) carries the room's comments: still not it.
	command(t, ctx, f, "hide_results", map[string]any{"activity": commentsAct})
	command(t, ctx, f, "show_results", map[string]any{"activity": commentsAct})
	for _, w := range ws {
		w.wait(t, "a state with the approved comment", func(m liveclient.Message) bool {
			s, ok := m.(*liveclient.State)
			act := (*liveclient.Activity)(nil)
			if ok {
				act = s.Session.Activity(commentsAct)
			}
			return act != nil && act.Tally != nil && len(act.Tally.Comments) == 1 && act.Results == "shown"
		})
	}
	// Late joiners' welcomes: a phone on each instance, a presenter on the other one.
	for _, in := range []*instance{a, b} {
		_, w := in.participant(ctx, sess, liveclient.HelloMsg{})
		if b, _ := json.Marshal(w); strings.Contains(string(b), secret) {
			t.Errorf("a phone's welcome holds the waiting comment: %s", b)
		}
	}
	_, pwel := presenter(t, ctx, b, sess, nil)
	if b, _ := json.Marshal(pwel); strings.Contains(string(b), secret) {
		t.Errorf("the presenter's welcome holds the waiting comment: %s", b)
	} else if !strings.Contains(string(b), "Mere dialog, tak") {
		t.Errorf("the presenter's welcome lacks the approved comment: %s", b)
	}
	for i, w := range ws {
		w.check(t, []string{"a phone on A", "a phone on B"}[i])
	}
	pw.check(t, "the presenter screen")

	// Approved at last: the room gets it.
	command(t, ctx, f, "moderate", map[string]any{"comment": id, "action": "star"})
	for _, w := range ws {
		w.wait(t, "the comment once approved", func(m liveclient.Message) bool {
			c, ok := m.(*liveclient.CommentMsg)
			return ok && c.Comment.ID == id && c.Comment.Text == secret && c.Comment.Starred
		})
	}
}
