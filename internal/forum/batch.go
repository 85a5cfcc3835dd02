package forum

import (
	"context"
	"sync"
	"time"
)

// The vote batcher: group commit. Votes of one session that arrive within BatchWindow of
// each other go to the engine in one ApplyVotes call — one Redis round trip, one fsync —
// and each caller is answered once the batch is durable.
//
// Callers queue votes under the batcher's mutex into the batch being gathered and wait on
// that batch's done channel: one wake-up answers every vote of a batch, and queueing a
// vote costs a lock, not a channel hand-off. The batcher writes a batch when its first
// vote has waited BatchWindow, or at once when it holds maxBatch votes; under load the
// previous write's round trip is the gathering time, so batches grow instead of waiting.
//
// Ownership: the Service owns every batcher. A session's batcher is started by the first
// vote and ends when it has had nothing to do for batcherIdle (the next vote starts a new
// one), or when the Service closes, after answering every vote handed to it.

const (
	maxBatch      = 512
	maxQueued     = 4 * maxBatch            // votes waiting per session; past it, callers wait
	engineTimeout = 1200 * time.Millisecond // a vote answers unavailable well within 1.5 s
)

// batcherIdle is how long a batcher waits for a vote before it ends, so that a server does
// not keep a goroutine and a queue for every session it ever served (Service.batchIdle,
// which tests shorten).
const batcherIdle = time.Minute

// voteBatch is the votes of one ApplyVotes call, with their answers.
type voteBatch struct {
	ops   []VoteOp
	first time.Time // when the first vote was queued
	res   []VoteResult
	err   error
	done  chan struct{} // closed once res or err is set
}

type batcher struct {
	mu     sync.Mutex
	cur    *voteBatch   // the batch being gathered, or nil
	sealed []*voteBatch // batches that reached maxBatch, oldest first
	queued int          // votes in cur and sealed
	// idle: the batcher's goroutine waits with nothing queued; the next vote wakes it.
	idle bool
	// closed: the batcher ended (idle, or the Service closed); callers go back to the
	// Service for another.
	closed bool

	// space, while the queue is full, is closed once it has room again (every waiting
	// caller wakes).
	space chan struct{}

	wake chan struct{} // 1-buffered: a batch is ready, or one began while the batcher was idle
	done chan struct{} // closed when the batcher's goroutine ends
}

// batcherFor returns the session's batcher, starting one if needed; nil once the Service
// is closed.
func (s *Service) batcherFor(sessionID string) *batcher {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	select {
	case <-s.stop:
		return nil
	default:
	}
	b := s.batchers[sessionID]
	if b == nil {
		b = &batcher{wake: make(chan struct{}, 1), done: make(chan struct{})}
		s.batchers[sessionID] = b
		s.wg.Add(1)
		go s.runBatcher(sessionID, b)
	}
	return b
}

// retireBatcher ends an idle batcher: false if a vote came meanwhile.
func (s *Service) retireBatcher(sessionID string, b *batcher) bool {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.queued > 0 {
		return false
	}
	b.closed = true
	delete(s.batchers, sessionID)
	return true
}

// pendingOp is an op handed to a batcher, not yet answered.
type pendingOp struct {
	bt *voteBatch
	i  int
}

// enqueue hands one op to the session's batcher without waiting for its result. Ops
// enqueued one after another are applied in that order.
func (s *Service) enqueue(ctx context.Context, sessionID string, op VoteOp) (pendingOp, error) {
	for {
		b := s.batcherFor(sessionID)
		if b == nil {
			return pendingOp{}, ErrUnavailable
		}
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			continue // it ended after we found it; the Service has another, or is closed
		}
		if b.queued >= maxQueued {
			if b.space == nil {
				b.space = make(chan struct{})
			}
			space := b.space
			b.mu.Unlock()
			select {
			case <-space:
				continue
			case <-ctx.Done():
				return pendingOp{}, ErrUnavailable
			case <-b.done:
				continue
			}
		}
		bt := b.cur
		if bt == nil {
			bt = &voteBatch{ops: make([]VoteOp, 0, 16), first: time.Now(), done: make(chan struct{})}
			b.cur = bt
		}
		i := len(bt.ops)
		bt.ops = append(bt.ops, op)
		b.queued++
		wake := b.idle
		if len(bt.ops) >= maxBatch {
			b.sealed = append(b.sealed, bt)
			b.cur = nil
			wake = true
		}
		b.idle = b.idle && !wake
		b.mu.Unlock()
		if wake {
			select {
			case b.wake <- struct{}{}:
			default:
			}
		}
		return pendingOp{bt: bt, i: i}, nil
	}
}

// submit hands one op to the session's batcher and waits for its result.
func (s *Service) submit(ctx context.Context, sessionID string, op VoteOp) (VoteResult, error) {
	p, err := s.enqueue(ctx, sessionID, op)
	if err != nil {
		return VoteResult{}, err
	}
	return p.wait(ctx)
}

// wait returns an enqueued op's result. Every op a batcher took is answered: it writes
// what it holds before it ends, and each write is bounded by engineTimeout.
func (p pendingOp) wait(ctx context.Context) (VoteResult, error) {
	select {
	case <-p.bt.done:
	default:
		select {
		case <-p.bt.done:
		case <-ctx.Done():
			// The vote may still be applied; the client resends with the same id.
			return VoteResult{}, ErrUnavailable
		}
	}
	if p.bt.err != nil {
		return VoteResult{}, p.bt.err
	}
	return p.bt.res[p.i], nil
}

// next takes the batch to write now; otherwise it reports how long until the batch being
// gathered is due (0: nothing is queued, and the batcher is marked idle).
func (b *batcher) next(window time.Duration) (*voteBatch, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var bt *voteBatch
	switch {
	case len(b.sealed) > 0:
		bt = b.sealed[0]
		b.sealed[0] = nil
		b.sealed = b.sealed[1:]
	case b.cur != nil:
		if wait := window - time.Since(b.cur.first); wait > 0 {
			return nil, wait
		}
		bt, b.cur = b.cur, nil
	default:
		b.idle = true
		return nil, 0
	}
	b.queued -= len(bt.ops)
	b.roomLocked()
	return bt, 0
}

// drain takes every batch still queued and marks the batcher closed (the Service closes).
func (b *batcher) drain() []*voteBatch {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.sealed
	if b.cur != nil {
		out = append(out, b.cur)
	}
	b.sealed, b.cur, b.queued, b.closed = nil, nil, 0, true
	b.roomLocked()
	return out
}

// roomLocked wakes the callers waiting for room, if there is room.
func (b *batcher) roomLocked() {
	if b.space != nil && b.queued < maxQueued {
		close(b.space)
		b.space = nil
	}
}

func (s *Service) runBatcher(sessionID string, b *batcher) {
	defer s.wg.Done()
	defer close(b.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	idle := time.NewTimer(s.batchIdle)
	defer idle.Stop()
	for {
		bt, wait := b.next(s.cfg.BatchWindow)
		if bt != nil {
			s.flush(sessionID, bt)
			continue
		}
		if wait > 0 {
			// Gathering: the batch is due after wait, or at once when it fills up.
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-b.wake:
				timer.Stop()
			case <-s.stop:
				timer.Stop()
			}
			if !s.stopped() {
				continue
			}
		} else if !s.stopped() {
			idle.Reset(s.batchIdle)
			select {
			case <-b.wake:
				idle.Stop()
				continue
			case <-idle.C:
				if s.retireBatcher(sessionID, b) {
					return
				}
				continue
			case <-s.stop:
				idle.Stop()
			}
		}
		// The Service closes: answer whatever is queued, then stop.
		for _, bt := range b.drain() {
			s.flush(sessionID, bt)
		}
		return
	}
}

func (s *Service) stopped() bool {
	select {
	case <-s.stop:
		return true
	default:
		return false
	}
}

// flush writes one batch and answers its votes.
func (s *Service) flush(sessionID string, bt *voteBatch) {
	ctx, cancel := context.WithTimeout(context.Background(), engineTimeout)
	res, err := s.e.ApplyVotes(ctx, sessionID, bt.ops)
	cancel()
	if err == nil && len(res) != len(bt.ops) {
		err = Errorf(EInternal, "engine answered %d results for %d votes", len(res), len(bt.ops))
	}
	if err != nil {
		s.log.Warn("vote batch failed", "session", sessionID, "votes", len(bt.ops), "err", err)
		err = engineErr(err)
	}
	bt.res, bt.err = res, err
	close(bt.done)
}
