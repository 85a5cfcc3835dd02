package memstore

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/forum/forumtest"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestGroupCommit: concurrent callers share fsyncs, and a caller returns only after the
// writer committed its batch.
func TestGroupCommit(t *testing.T) {
	const delay = 100 * time.Millisecond
	s, err := Open(t.TempDir(), Options{Logger: quietLogger(), SyncDelay: delay})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sess := forumtest.CreateSession(t, s, "u1")
	before := s.j.commits.Load()
	const callers = 64
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	start := time.Now()
	for i := range callers {
		wg.Go(func() {
			op := forumtest.ScaleOp(sess, "m1", fmt.Sprintf("p%d", i), "st1", 1+i%5)
			res, err := s.ApplyVotes(context.Background(), sess.ID, []forum.VoteOp{op})
			switch {
			case err != nil:
			case res[0].Status != forum.VoteApplied:
				err = fmt.Errorf("status %d", res[0].Status)
			case s.j.commits.Load() == before:
				err = fmt.Errorf("ApplyVotes returned before any commit")
			case time.Since(start) < delay:
				err = fmt.Errorf("ApplyVotes returned after %v, before the writer's delay of %v", time.Since(start), delay)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	commits := s.j.commits.Load() - before
	t.Logf("%d callers, %d fsyncs", callers, commits)
	if commits >= callers/4 {
		t.Errorf("%d fsyncs for %d concurrent callers: no group commit", commits, callers)
	}
}
