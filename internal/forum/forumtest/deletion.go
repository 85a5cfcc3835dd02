package forumtest

import (
	"encoding/json"
	"errors"
	"os/exec"
	"testing"
	"time"

	"pejl/internal/forum"
)

// RunDeletion checks that deleting means deleted on disk: a session's comment texts (and the
// name a participant gave) are found nowhere under dataDir, with grep -a over every file,
// once the session is deleted, and once another session is removed by the retention sweep.
// addr, when not "", is a client address that guessed a wrong code meanwhile: it must not be
// found either (limiter keys hold a keyed hash of the address, or live in memory only).
// Before each deletion the test checks that grep does find the text, so that it can fail.
func RunDeletion(t *testing.T, e forum.Engine, dataDir, addr string) {
	h := NewHarness(t, e)
	ctx := t.Context()
	seed := func(secret string) *forum.Session {
		t.Helper()
		s, scale, _, _, _, comments := votingSession(t, h)
		p, _, err := h.Svc.Hello(ctx, s, "", "Navn-"+secret, "leder")
		noErr(t, "Hello", err)
		_, err = h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "c1", Activity: comments, Text: "Kommentar " + secret})
		noErr(t, "AddComment", err)
		a, _ := s.Activity(scale)
		_, err = h.Svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: "v1", Activity: scale,
			Statement: a.Statements[0], Value: json.RawMessage(`2`)})
		noErr(t, "Vote", err)
		if addr != "" {
			_, err = h.Svc.JoinLookup(ctx, "00000000", addr)
			wantCode(t, "JoinLookup with a wrong code", err, forum.EUnknownCode)
		}
		waitFor(t, "the comment on disk", func() bool { return found(t, dataDir, secret) })
		return s
	}
	gone := func(what, secret string) {
		t.Helper()
		waitFor(t, what+": the comment and the name gone from "+dataDir, func() bool { return !found(t, dataDir, secret) })
		if addr != "" && found(t, dataDir, addr) {
			t.Errorf("%s: the client address %s is written under %s", what, addr, dataDir)
		}
	}

	secret := "hemmelig-" + forum.NewID(6)
	s := seed(secret)
	noErr(t, "DeleteSession", h.Svc.DeleteSession(ctx, h.Owner, s.ID))
	gone("after DeleteSession", secret)

	secret = "udloebet-" + forum.NewID(6)
	seed(secret)
	h.Clock.Advance(h.Svc.Config().Retention + time.Hour)
	n, err := h.Svc.SweepExpired(ctx)
	noErr(t, "SweepExpired", err)
	if n < 1 {
		t.Fatalf("SweepExpired removed %d sessions", n)
	}
	gone("after the retention sweep", secret)
}

// found reports whether grep -a finds s in any file under dir.
func found(t *testing.T, dir, s string) bool {
	t.Helper()
	var err error
	// grep says 2 when a file goes while it reads the tree (a journal or AOF being
	// rewritten): read again.
	for range 5 {
		err = exec.Command("grep", "-r", "-a", "-q", "-F", s, dir).Run()
		var ee *exec.ExitError
		switch {
		case err == nil:
			return true
		case errors.As(err, &ee) && ee.ExitCode() == 1:
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("grep -r -a %s: %v", dir, err)
	return false
}

// waitFor polls cond for up to 15 s (an engine may finish writing in the background, as
// Redis rewrites its AOF).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 15 s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
