package forumtest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"pejl/internal/forum"
)

func testComments(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	_, v0, _ := e.Version(ctx, s.ID)

	c1 := NewComment("p1", "Første <script>alert(1)</script>", time.Second)
	c1.Group = "g1"
	c1.Statement = "st1"
	dup, v1, err := e.AddComment(ctx, s.ID, "m1", c1)
	noErr(t, "AddComment", err)
	if dup || v1 <= v0 {
		t.Errorf("AddComment = dup %v, version %d; want a new comment at a version > %d", dup, v1, v0)
	}
	if _, v, _ := e.Version(ctx, s.ID); v != v1 {
		t.Errorf("Version = %d, want %d", v, v1)
	}

	// The same id again: nothing changes, whatever the comment says now.
	dup, _, err = e.AddComment(ctx, s.ID, "m1", c1)
	if err != nil || !dup {
		t.Errorf("AddComment repeated = dup %v, %v; want dup", dup, err)
	}
	other := NewComment("p1", "Anden tekst, samme id", 2*time.Second)
	dup, _, err = e.AddComment(ctx, s.ID, "m1", other)
	if err != nil || !dup {
		t.Errorf("AddComment with a used id = dup %v, %v; want dup", dup, err)
	}
	_, err = e.Comment(ctx, s.ID, other.ID)
	wantErr(t, "Comment of the duplicate", err, forum.ErrNotFound)
	if _, v, _ := e.Version(ctx, s.ID); v != v1 {
		t.Errorf("a duplicate moved the version to %d (was %d)", v, v1)
	}

	c2 := NewComment("p2", "Samme id, anden deltager", 3*time.Second)
	c3 := NewComment("p1", "Tredje", 4*time.Second)
	for _, tc := range []struct {
		id string
		c  forum.Comment
	}{{"m1", c2}, {"m2", c3}} {
		dup, _, err := e.AddComment(ctx, s.ID, tc.id, tc.c)
		if err != nil || dup {
			t.Fatalf("AddComment(%s) = dup %v, %v", tc.id, dup, err)
		}
	}

	got, err := e.Comment(ctx, s.ID, c1.ID)
	if err != nil || !sameJSON(got, c1) {
		t.Errorf("Comment = %s, %v\nwant %s", mustJSON(got), err, mustJSON(c1))
	}
	_, err = e.Comment(ctx, s.ID, "no-such-comment")
	wantErr(t, "Comment(unknown)", err, forum.ErrNotFound)
	_, err = e.Comment(ctx, "no-such-session", c1.ID)
	wantErr(t, "Comment in an unknown session", err, forum.ErrNotFound)

	mine, err := e.ParticipantComments(ctx, s.ID, "p1")
	noErr(t, "ParticipantComments", err)
	if want := []forum.Comment{c1, c3}; !sameJSON(mine, want) {
		t.Errorf("ParticipantComments(p1) = %s\nwant %s (creation order)", mustJSON(mine), mustJSON(want))
	}
	if none, err := e.ParticipantComments(ctx, s.ID, "nobody"); err != nil || len(none) != 0 {
		t.Errorf("ParticipantComments(nobody) = %v, %v", none, err)
	}

	all := scanComments(t, e, s.ID)
	if want := []forum.Comment{c1, c2, c3}; !sameJSON(all, want) {
		t.Errorf("ScanComments = %s\nwant %s (creation order)", mustJSON(all), mustJSON(want))
	}
	stop := errors.New("stop")
	calls := 0
	err = e.ScanComments(ctx, s.ID, func(forum.Comment) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ScanComments with fn failing: %v after %d calls, want fn's error after 1", err, calls)
	}
}

func scanComments(t *testing.T, e forum.Engine, sessionID string) []forum.Comment {
	t.Helper()
	var out []forum.Comment
	noErr(t, "ScanComments", e.ScanComments(t.Context(), sessionID, func(c forum.Comment) error {
		out = append(out, c)
		return nil
	}))
	return out
}

func testUpvotes(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	c1, c2 := NewComment("p1", "En", 0), NewComment("p1", "To", time.Second)
	for i, c := range []forum.Comment{c1, c2} {
		_, _, err := e.AddComment(ctx, s.ID, "m"+string(rune('1'+i)), c)
		noErr(t, "AddComment", err)
	}
	steps := []struct {
		name           string
		p, comment, id string
		changed        bool
		upvotes        int64
	}{
		{"first upvote", "p2", c1.ID, "u1", true, 1},
		{"the same message again", "p2", c1.ID, "u1", false, 1},
		{"a second upvote, new id", "p2", c1.ID, "u2", false, 1},
		{"another participant, same id", "p3", c1.ID, "u1", true, 2},
		{"own comment", "p1", c1.ID, "u1", true, 3},
		{"another comment", "p2", c2.ID, "u3", true, 1},
	}
	for _, st := range steps {
		c, changed, err := e.Upvote(ctx, s.ID, st.p, st.comment, st.id)
		if err != nil || changed != st.changed || c == nil || c.ID != st.comment || c.Upvotes != st.upvotes {
			t.Errorf("%s: Upvote = %s changed %v, %v; want changed %v with %d upvotes",
				st.name, mustJSON(c), changed, err, st.changed, st.upvotes)
		}
	}
	_, _, err := e.Upvote(ctx, s.ID, "p2", "no-such-comment", "u9")
	wantErr(t, "Upvote of an unknown comment", err, forum.ErrNotFound)
	if seen, _ := e.SeenClientID(ctx, s.ID, "p2", "u9"); seen {
		t.Errorf("the failed upvote's id was recorded")
	}

	got, err := e.Comment(ctx, s.ID, c1.ID)
	if err != nil || got.Upvotes != 3 {
		t.Errorf("Comment after upvotes = %s, %v; want 3 upvotes", mustJSON(got), err)
	}
	for _, tc := range []struct {
		p    string
		want []string
	}{
		{"p2", []string{c1.ID, c2.ID}}, {"p3", []string{c1.ID}}, {"p4", nil},
	} {
		up, err := e.Upvoted(ctx, s.ID, tc.p)
		noErr(t, "Upvoted", err)
		slices.Sort(up)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(up, want) {
			t.Errorf("Upvoted(%s) = %v, want %v", tc.p, up, want)
		}
	}
	if seen, err := e.SeenClientID(ctx, s.ID, "p3", "u1"); err != nil || !seen {
		t.Errorf("SeenClientID of an upvote's id = %v, %v; want true", seen, err)
	}
}

func testCommentFlags(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	s := CreateSession(t, e, "u1")
	c := NewComment("p1", "Flag mig", 0)
	_, _, err := e.AddComment(ctx, s.ID, "m1", c)
	noErr(t, "AddComment", err)
	yes, no := true, false
	steps := []struct {
		name            string
		hidden, starred *bool
		wantH, wantS    bool
	}{
		{"hide", &yes, nil, true, false},
		{"star, hidden stays", nil, &yes, true, true},
		{"show, starred stays", &no, nil, false, true},
		{"nothing", nil, nil, false, true},
		{"both", &yes, &no, true, false},
	}
	_, last, _ := e.Version(ctx, s.ID)
	for _, st := range steps {
		got, err := e.SetCommentFlags(ctx, s.ID, c.ID, st.hidden, st.starred)
		if err != nil || got == nil || got.Hidden != st.wantH || got.Starred != st.wantS || got.Text != c.Text {
			t.Errorf("%s: SetCommentFlags = %s, %v; want hidden %v starred %v", st.name, mustJSON(got), err, st.wantH, st.wantS)
			continue
		}
		stored, _ := e.Comment(ctx, s.ID, c.ID)
		if !sameJSON(stored, got) {
			t.Errorf("%s: Comment = %s, want %s", st.name, mustJSON(stored), mustJSON(got))
		}
		_, v, _ := e.Version(ctx, s.ID)
		if v <= last {
			t.Errorf("%s: version %d, want > %d", st.name, v, last)
		}
		last = v
	}
	if all := scanComments(t, e, s.ID); len(all) != 1 || !all[0].Hidden || all[0].Starred {
		t.Errorf("ScanComments after flags = %s", mustJSON(all))
	}
	_, err = e.SetCommentFlags(ctx, s.ID, "no-such-comment", &yes, nil)
	wantErr(t, "SetCommentFlags(unknown)", err, forum.ErrNotFound)
}
