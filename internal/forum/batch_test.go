package forum

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// votesEngine is the part of an engine the batcher uses: ApplyVotes applies every op and
// counts the calls. (The package's own tests cannot import memstore, which imports forum.)
type votesEngine struct {
	Engine // nil: any other method panics
	calls  atomic.Int64
	ver    atomic.Int64
	delay  time.Duration // each call takes this long
}

func (e *votesEngine) ApplyVotes(_ context.Context, _ string, ops []VoteOp) ([]VoteResult, error) {
	e.calls.Add(1)
	time.Sleep(e.delay)
	out := make([]VoteResult, len(ops))
	for i := range ops {
		out[i] = VoteResult{Status: VoteApplied, Version: e.ver.Add(1)}
	}
	return out, nil
}

func batchService(t *testing.T, idle time.Duration) (*Service, *votesEngine) {
	t.Helper()
	e := &votesEngine{}
	s := NewService(e, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	s.batchIdle = idle
	t.Cleanup(s.Close)
	return s, e
}

func (s *Service) runningBatchers() int {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	return len(s.batchers)
}

func voteOp(id string) VoteOp {
	return VoteOp{ClientID: id, Vote: Vote{Participant: "p", Activity: "a"}}
}

// A session's batcher ends once it has been idle, and the next vote starts another: a
// server does not keep a goroutine and a 2048-vote queue for every session it ever served.
func TestBatcherEndsWhenIdle(t *testing.T) {
	s, _ := batchService(t, 20*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := range 3 {
		for _, sid := range []string{"s1", "s2"} {
			if _, err := s.submit(ctx, sid, voteOp(fmt.Sprint("v", i))); err != nil {
				t.Fatalf("vote %d in %s: %v", i, sid, err)
			}
		}
		deadline := time.Now().Add(3 * time.Second)
		for s.runningBatchers() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d batchers still running long after the last vote", i, s.runningBatchers())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// More callers than the queue holds, on a slow engine: every vote is answered, in
// batches no larger than maxBatch, and the callers that waited for room all get in.
func TestBatcherFullQueueAnswersAll(t *testing.T) {
	s, e := batchService(t, time.Minute)
	e.delay = 20 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const callers = 3 * maxQueued
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range callers {
		wg.Go(func() {
			if _, err := s.submit(ctx, "s1", voteOp(fmt.Sprint("v", i))); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d of %d votes were not answered", n, callers)
	}
	if min := int64(callers / maxBatch); e.calls.Load() < min {
		t.Fatalf("%d engine calls for %d votes: batches larger than %d", e.calls.Load(), callers, maxBatch)
	}
}

// Votes that race with a batcher ending for idleness are all answered.
func TestBatcherIdleRace(t *testing.T) {
	s, e := batchService(t, time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				time.Sleep(time.Duration((g+i)%4) * time.Millisecond)
				if _, err := s.submit(ctx, "s1", voteOp(fmt.Sprint(g, "-", i))); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Fatalf("%d of 320 votes were not answered (%d engine calls)", n, e.calls.Load())
	}
}

// After Close a vote is refused at once and never reaches the engine, whether its session
// had a batcher or not.
func TestVotesAfterCloseAreRefused(t *testing.T) {
	s, e := batchService(t, time.Minute)
	ctx := context.Background()
	if _, err := s.submit(ctx, "s1", voteOp("before")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := e.calls.Load()
	for i := range 20 {
		for _, sid := range []string{"s1", fmt.Sprint("new", i)} {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			start := time.Now()
			_, err := s.submit(ctx, sid, voteOp(fmt.Sprint("after", i)))
			cancel()
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("vote %d in %s after Close: err %v, want ErrUnavailable", i, sid, err)
			}
			if d := time.Since(start); d > time.Second {
				t.Fatalf("vote %d in %s after Close took %v to be refused", i, sid, d)
			}
		}
	}
	if n := e.calls.Load() - before; n != 0 {
		t.Fatalf("the engine got %d vote batches after Close", n)
	}
}
