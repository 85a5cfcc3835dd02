package live

import (
	"sync"
	"testing"
	"time"

	"pejl/internal/live/liveclient"
)

// TestRoomPushesOnlyWhatTheRoomMaySee watches a bystander's socket while another
// participant votes and comments: nothing of an activity whose results are hidden, or whose
// section is no longer the current one, may reach it — neither a tally nor a comment. The
// facilitator's socket receives each of them; it is the sign that the room has handled them.
func TestRoomPushesOnlyWhatTheRoomMaySee(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 30*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	command(t, ctx, f, "open", map[string]any{"activity": commentsAct})

	var mu sync.Mutex
	var got []liveclient.Message
	watcher, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{Handler: func(m liveclient.Message) {
		switch m.(type) {
		case *liveclient.Tally, *liveclient.CommentMsg:
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	if _, err := watcher.Hello(ctx, liveclient.HelloMsg{}); err != nil {
		t.Fatal(err)
	}
	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})
	nothing := func(when string) {
		t.Helper()
		time.Sleep(700 * time.Millisecond) // longer than the participants' tally interval
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 0 {
			t.Fatalf("%s: a bystander received %d messages, the first %#v", when, len(got), got[0])
		}
	}

	// Results hidden: the facilitator gets the tally and the comment, the bystander nothing.
	if err := p.Vote(ctx, "v1", scaleAct, "s1-1", 4); err != nil {
		t.Fatal(err)
	}
	id, err := p.Comment(ctx, "c1", commentsAct, "", "Skjult indtil videre")
	if err != nil {
		t.Fatal(err)
	}
	facilitatorGets(t, f, "s1-1", 4, id)
	nothing("results hidden")

	// Shown: the bystander gets them (the control that the watch works).
	command(t, ctx, f, "show_results", map[string]any{"activity": scaleAct})
	command(t, ctx, f, "show_results", map[string]any{"activity": commentsAct})
	if err := p.Vote(ctx, "v2", scaleAct, "s1-2", 2); err != nil {
		t.Fatal(err)
	}
	id2, err := p.Comment(ctx, "c2", commentsAct, "", "Nu kan alle se den")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(waitLong); ; time.Sleep(20 * time.Millisecond) {
		tally, cm := false, false
		mu.Lock()
		for _, m := range got {
			switch m := m.(type) {
			case *liveclient.Tally:
				tally = tally || scaleCount(m.Results, "s1-2", 2) == 1
			case *liveclient.CommentMsg:
				cm = cm || m.Comment.ID == id2
			}
		}
		mu.Unlock()
		if tally && cm {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("results shown: the bystander got tally %v, comment %v", tally, cm)
		}
	}

	// Another section current: the activities of s1 stay open and shown, yet nothing of
	// them reaches the room.
	command(t, ctx, f, "goto", map[string]any{"section": otherSection})
	waitFor(t, p, waitLong, func(s *liveclient.State) bool {
		return s.Session.CurrentSection != nil && *s.Session.CurrentSection == otherSection
	})
	time.Sleep(600 * time.Millisecond) // let a tally already on its way arrive
	mu.Lock()
	got = nil
	mu.Unlock()
	if err := p.Vote(ctx, "v3", scaleAct, "s1-3", 5); err != nil {
		t.Fatal(err)
	}
	id3, err := p.Comment(ctx, "c3", commentsAct, "", "Fra et andet afsnit")
	if err != nil {
		t.Fatal(err)
	}
	facilitatorGets(t, f, "s1-3", 5, id3)
	nothing("another section current")
}

// facilitatorGets waits until the facilitator has the scale's tally with a vote of value on
// statement, and the comment, in whichever order they come.
func facilitatorGets(t *testing.T, f *liveclient.Conn, statement string, value int, comment string) {
	t.Helper()
	tally, cm := false, false
	waitFor(t, f, waitLong, func(m liveclient.Message) bool {
		switch m := m.(type) {
		case *liveclient.Tally:
			tally = tally || (m.Activity == scaleAct && scaleCount(m.Results, statement, value) == 1)
		case *liveclient.CommentMsg:
			cm = cm || m.Comment.ID == comment
		}
		return tally && cm
	})
}
