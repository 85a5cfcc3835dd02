package live

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/live/liveclient"
)

// TestRoomPushesOnlyWhatTheRoomMaySee watches a bystander's socket while another
// participant votes and comments: nothing of an activity whose results are hidden, or whose
// section is no longer the current one, may reach it — neither a tally nor a comment. The
// facilitator's socket receives each of them; it is the sign that the room has handled them.
func TestRoomPushesOnlyWhatTheRoomMaySee(t *testing.T) {
	in, sess := newEnv(t, Config{})
	in.autoApprove(sess)
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
				tally = tally || m.Results.Statements["s1-2"].N == 1 // withheld until 5 answer
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

// TestPushesCountRespondents: six leaders of whom four rate a statement and five employees.
// The facilitator's tally pushes show no group for it (the employees' figures would give the
// leaders' by subtraction) until a fifth leader answers; participants see the statement's
// figures only from five answers, and meanwhile only how many answered.
func TestPushesCountRespondents(t *testing.T) {
	in, _ := newEnv(t, Config{})
	ctx := ctxT(t, 30*time.Second)
	sess := in.newSession([]forum.Group{{ID: "leder", Label: "Leder"}, {ID: "medarb", Label: "Medarbejder"}})
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	command(t, ctx, f, "show_results", map[string]any{"activity": scaleAct})
	join := func(group string) *liveclient.Conn {
		c, _ := in.participant(ctx, sess, liveclient.HelloMsg{Group: group})
		return c
	}
	var leaders []*liveclient.Conn
	for range 6 {
		leaders = append(leaders, join("leder"))
	}
	watcher := join("")
	n := 0
	vote := func(c *liveclient.Conn, st string, v int) {
		t.Helper()
		n++
		if err := c.Vote(ctx, fmt.Sprint("v", n), scaleAct, st, v); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range leaders[:3] {
		vote(c, "s1-1", 5)
	}
	w := waitFor(t, watcher, waitLong, func(m *liveclient.Tally) bool { return m.Results.Statements["s1-1"].N == 3 })
	if sr := w.Results.Statements["s1-1"]; !sr.Withheld || len(sr.Counts) != 0 || sr.Mean != nil || w.Results.MinResponses != 5 {
		t.Fatalf("3 answers: the participants' tally %+v", w.Results)
	}
	vote(leaders[3], "s1-1", 5)
	for range 5 {
		vote(join("medarb"), "s1-1", 2)
	}
	ft := waitFor(t, f, waitLong, func(m *liveclient.Tally) bool { return m.Results.Statements["s1-1"].N == 9 })
	if len(ft.Groups) != 0 {
		t.Fatalf("4 of 6 leaders answered: the facilitator's tally has groups %+v", ft.Groups)
	}
	w = waitFor(t, watcher, waitLong, func(m *liveclient.Tally) bool { return m.Results.Statements["s1-1"].N == 9 })
	if sr := w.Results.Statements["s1-1"]; sr.Withheld || sr.Counts["5"] != 4 || sr.Counts["2"] != 5 || len(w.Groups) != 0 {
		t.Fatalf("9 answers: the participants' tally %+v", w)
	}
	vote(leaders[4], "s1-1", 5)
	ft = waitFor(t, f, waitLong, func(m *liveclient.Tally) bool { return m.Results.Statements["s1-1"].N == 10 })
	got := map[string]int64{}
	for _, g := range ft.Groups {
		got[g.Group.ID] = g.Results.Statements["s1-1"].N
	}
	if len(got) != 2 || got["leder"] != 5 || got["medarb"] != 5 {
		t.Fatalf("5 of 6 leaders answered: the facilitator's tally has groups %v", got)
	}
}

// TestPresenterGetsTheRoomsShare: a facilitator socket that says it is the presenter gets
// tallies without figures until five have answered, no group split that fails the rule,
// and comments without authors, hidden ones taken away; the facilitator's own socket beside
// it gets everything.
func TestPresenterGetsTheRoomsShare(t *testing.T) {
	in, _ := newEnv(t, Config{})
	ctx := ctxT(t, 30*time.Second)
	sess := in.newSession([]forum.Group{{ID: "leder", Label: "Leder"}, {ID: "medarb", Label: "Medarbejder"}})
	in.autoApprove(sess) // approval is TestCommentsWaitForApproval's
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	command(t, ctx, f, "open", map[string]any{"activity": commentsAct})
	pres, _ := in.facilitatorAs(ctx, sess, liveclient.Options{}, liveclient.HelloMsg{View: "presenter"})
	var ps []*liveclient.Conn
	for range 3 {
		p, _ := in.participant(ctx, sess, liveclient.HelloMsg{Group: "leder"})
		ps = append(ps, p)
	}
	for i, p := range ps {
		if err := p.Vote(ctx, fmt.Sprint("v", i), scaleAct, "s1-1", 5); err != nil {
			t.Fatal(err)
		}
	}
	ft := waitFor(t, f, waitLong, func(m *liveclient.Tally) bool { return m.Results.Statements["s1-1"].N == 3 })
	if ft.Results.Statements["s1-1"].Counts["5"] != 3 {
		t.Fatalf("the facilitator's tally: %+v", ft.Results)
	}
	pt := waitFor(t, pres, waitLong, func(m *liveclient.Tally) bool { return m.Results.Statements["s1-1"].N == 3 })
	if sr := pt.Results.Statements["s1-1"]; !sr.Withheld || len(sr.Counts) != 0 || len(pt.Groups) != 0 {
		t.Fatalf("3 answers: the presenter's tally %+v", pt)
	}
	for i := range 2 {
		p, _ := in.participant(ctx, sess, liveclient.HelloMsg{Group: "medarb"})
		if err := p.Vote(ctx, fmt.Sprint("w", i), scaleAct, "s1-1", 1); err != nil {
			t.Fatal(err)
		}
	}
	pt = waitFor(t, pres, waitLong, func(m *liveclient.Tally) bool { return m.Results.Statements["s1-1"].N == 5 })
	if sr := pt.Results.Statements["s1-1"]; sr.Withheld || sr.Counts["5"] != 3 {
		t.Fatalf("5 answers: the presenter's tally %+v", pt)
	}
	for _, g := range pt.Groups { // 3 leaders and 2 employees show only merged, as Øvrige
		if g.Group.ID != forum.OtherGroup {
			t.Fatalf("5 answers, groups of 3 and 2: the presenter shows group %s", g.Group.ID)
		}
	}

	id, err := ps[0].Comment(ctx, "c1", commentsAct, "", "Til storskærmen")
	if err != nil {
		t.Fatal(err)
	}
	pc := waitFor(t, pres, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id })
	if pc.Comment.Participant != "" || pc.Comment.Group != "" || pc.Comment.Text == "" {
		t.Fatalf("the presenter's comment: %+v", pc.Comment)
	}
	command(t, ctx, f, "moderate", map[string]any{"comment": id, "action": "hide"})
	pc = waitFor(t, pres, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id && m.Comment.Hidden })
	if pc.Comment.Text != "" {
		t.Fatalf("the presenter keeps a hidden comment's text: %+v", pc.Comment)
	}
	// A presenter that comes now gets the same share in its welcome.
	_, w := in.facilitatorAs(ctx, sess, liveclient.Options{}, liveclient.HelloMsg{View: "presenter"})
	for _, c := range w.Comments {
		if c.Hidden || c.Participant != "" {
			t.Fatalf("the presenter's welcome has %+v", c)
		}
	}
	for _, a := range w.Activities {
		if a.ID == scaleAct && (a.Tally == nil || a.Tally.Statements["s1-1"].N != 5 || a.Tally.Statements["s1-1"].Counts["5"] != 3) {
			t.Fatalf("the presenter's welcome: %+v", a)
		}
	}
}

// TestPresenterWallComesInOrder: the presenter screen is given its comment wall as ids in
// the order it shows them — starred first, then by upvotes, then oldest first, waiting and
// hidden comments left out — in its welcome and again after every change, so that the
// screen neither filters nor sorts.
func TestPresenterWallComesInOrder(t *testing.T) {
	in, _ := newEnv(t, Config{})
	ctx := ctxT(t, 60*time.Second)
	sess := in.newSession(nil)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	command(t, ctx, f, "open", map[string]any{"activity": commentsAct})
	command(t, ctx, f, "show_results", map[string]any{"activity": commentsAct})
	var ps []*liveclient.Conn
	for range 3 {
		p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})
		ps = append(ps, p)
	}
	var ids []string
	for i, text := range []string{"Første", "Anden", "Tredje", "Venter"} {
		id, err := ps[i%3].Comment(ctx, fmt.Sprint("c", i), commentsAct, "", text)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, id := range ids[:3] {
		command(t, ctx, f, "moderate", map[string]any{"comment": id, "action": "show"})
	}
	pres, w := in.facilitatorAs(ctx, sess, liveclient.Options{}, liveclient.HelloMsg{View: "presenter"})
	if got := w.Walls[commentsAct]; !slices.Equal(got, ids[:3]) {
		t.Fatalf("the presenter's welcome wall: %v, want the three approved oldest first %v", got, ids[:3])
	}
	wall := func(want ...string) {
		t.Helper()
		waitFor(t, pres, waitLong, func(m *liveclient.Wall) bool {
			return m.Activity == commentsAct && slices.Equal(m.Comments, want)
		})
	}
	// Two upvotes lift the third, one the second; a star puts the first on top.
	for i, p := range ps[:2] {
		if err := p.Upvote(ctx, fmt.Sprint("u", i), ids[2]); err != nil {
			t.Fatal(err)
		}
	}
	wall(ids[2], ids[0], ids[1])
	if err := ps[0].Upvote(ctx, "u3", ids[1]); err != nil {
		t.Fatal(err)
	}
	wall(ids[2], ids[1], ids[0])
	command(t, ctx, f, "moderate", map[string]any{"comment": ids[0], "action": "star"})
	wall(ids[0], ids[2], ids[1])
	command(t, ctx, f, "moderate", map[string]any{"comment": ids[2], "action": "hide"})
	wall(ids[0], ids[1])
	// The waiting comment is approved last: it joins at the end.
	command(t, ctx, f, "moderate", map[string]any{"comment": ids[3], "action": "show"})
	wall(ids[0], ids[1], ids[3])
}
