package forum_test

import (
	"context"
	"testing"
	"time"

	"pejl/internal/forum"
)

func TestStageFollowsCommandsAndPresent(t *testing.T) {
	svc, admin := bootstrap(t)
	ctx := context.Background()
	s, err := svc.CreateSession(ctx, admin, forum.NewSession{Title: "T", CharterID: "allerod-ledelsesgrundlag"})
	if err != nil {
		t.Fatal(err)
	}
	stage := func() forum.Stage {
		t.Helper()
		sess, err := svc.SessionByID(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := svc.Snapshot(ctx, sess)
		if err != nil {
			t.Fatal(err)
		}
		return snap.Stage
	}
	do := func(cmd forum.Command) error {
		_, err := svc.Do(ctx, admin, s.ID, cmd)
		return err
	}
	if st := stage(); st.Kind != forum.StageLobby {
		t.Fatalf("new session: stage %+v, want lobby", st)
	}
	steps := []struct {
		cmd  forum.Command
		want forum.Stage
	}{
		{forum.Command{Type: "goto", Section: "s2"}, forum.Stage{Kind: "section", Section: "s2"}},
		{forum.Command{Type: "open", Activity: "s2-scale"}, forum.Stage{Kind: "question", Section: "s2", Activity: "s2-scale"}},
		{forum.Command{Type: "show_results", Activity: "s2-scale"}, forum.Stage{Kind: "results", Section: "s2", Activity: "s2-scale"}},
		{forum.Command{Type: "present", Stage: "results", Activity: "s2-scale", Page: 2}, forum.Stage{Kind: "results", Section: "s2", Activity: "s2-scale", Page: 2}},
		// Showing comments does not put the wall up; present does.
		{forum.Command{Type: "show_results", Activity: "s2-comments"}, forum.Stage{Kind: "results", Section: "s2", Activity: "s2-scale", Page: 2}},
		{forum.Command{Type: "present", Stage: "comments", Activity: "s2-comments"}, forum.Stage{Kind: "comments", Section: "s2", Activity: "s2-comments"}},
		{forum.Command{Type: "hide_results", Activity: "s2-comments"}, forum.Stage{Kind: "section", Section: "s2"}},
		{forum.Command{Type: "present", Stage: "lobby"}, forum.Stage{Kind: "lobby"}},
		{forum.Command{Type: "present", Stage: "section", Section: "s4"}, forum.Stage{Kind: "section", Section: "s4"}},
		{forum.Command{Type: "end"}, forum.Stage{Kind: "end"}},
		// After the end, results may still be put up.
		{forum.Command{Type: "present", Stage: "results", Activity: "s2-scale"}, forum.Stage{Kind: "results", Section: "s2", Activity: "s2-scale"}},
	}
	for _, step := range steps {
		if err := do(step.cmd); err != nil {
			t.Fatalf("%+v: %v", step.cmd, err)
		}
		if got := stage(); got != step.want {
			t.Fatalf("after %+v: stage %+v, want %+v", step.cmd, got, step.want)
		}
	}
	for _, bad := range []forum.Command{
		{Type: "present", Stage: "dance"},
		{Type: "present", Stage: "results", Activity: "nope"},
		{Type: "present", Stage: "comments", Activity: "s2-scale"},
		{Type: "present", Stage: "section", Section: "s99"},
		{Type: "present", Stage: "results", Activity: "s2-scale", Page: -1},
	} {
		if err := do(bad); code(err) != forum.EInvalidValue && code(err) != forum.EUnknownActivity {
			t.Fatalf("%+v: err %v, want invalid_value or unknown_activity", bad, err)
		}
	}
}

func TestTimerClosesActivityAtZero(t *testing.T) {
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	svc, admin := bootstrap(t, func() time.Time { return now })
	ctx := context.Background()
	s, err := svc.CreateSession(ctx, admin, forum.NewSession{Title: "T", CharterID: "allerod-ledelsesgrundlag"})
	if err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []forum.Command{{Type: "open", Activity: "s2-scale"}, {Type: "timer", Activity: "s2-scale", Seconds: 60, Close: true}} {
		if _, err := svc.Do(ctx, admin, s.ID, cmd); err != nil {
			t.Fatal(err)
		}
	}
	sess, _ := svc.SessionByID(ctx, s.ID)
	if sess.Timer == nil || !sess.Timer.EndsAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("timer %+v, want ending at %v", sess.Timer, now.Add(time.Minute))
	}
	if svc.TimerDue(sess) {
		t.Fatal("timer due before its deadline")
	}
	now = now.Add(59 * time.Second)
	if err := svc.ExpireTimer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	sess, _ = svc.SessionByID(ctx, s.ID)
	if a, _ := sess.Activity("s2-scale"); a.State != forum.ActivityOpen {
		t.Fatal("activity closed a second early")
	}
	now = now.Add(time.Second)
	if !svc.TimerDue(sess) {
		t.Fatal("timer not due at its deadline")
	}
	if err := svc.ExpireTimer(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	sess, _ = svc.SessionByID(ctx, s.ID)
	if a, _ := sess.Activity("s2-scale"); a.State != forum.ActivityClosed {
		t.Fatal("activity still open after its timer ran out")
	}
	// A discussion timer cannot close anything; 0 stops a timer.
	if _, err := svc.Do(ctx, admin, s.ID, forum.Command{Type: "timer", Seconds: 480, Close: true}); code(err) != forum.EInvalidValue {
		t.Fatalf("discussion timer with close: %v", err)
	}
	if _, err := svc.Do(ctx, admin, s.ID, forum.Command{Type: "timer", Seconds: 480}); err != nil {
		t.Fatal(err)
	}
	sess, _ = svc.SessionByID(ctx, s.ID)
	if sess.Timer == nil || sess.Timer.Activity != "" || sess.Timer.Seconds != 480 {
		t.Fatalf("discussion timer %+v", sess.Timer)
	}
	if _, err := svc.Do(ctx, admin, s.ID, forum.Command{Type: "timer", Seconds: 0}); err != nil {
		t.Fatal(err)
	}
	sess, _ = svc.SessionByID(ctx, s.ID)
	if sess.Timer != nil {
		t.Fatalf("timer %+v after stopping it", sess.Timer)
	}
}
