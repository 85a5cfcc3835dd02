package forum

import (
	"context"
	"time"
)

// The vote batcher: group commit. Votes of one session that arrive within BatchWindow of
// each other go to the engine in one ApplyVotes call — one Redis round trip, one fsync —
// and each caller is answered once the batch is durable.
//
// Ownership: the Service owns every batcher. A session's batcher is started by the first
// vote and ends when it has had nothing to do for batcherIdle (the next vote starts a new
// one), or when the Service closes, after answering every vote handed to it.

const (
	maxBatch      = 512
	engineTimeout = 1200 * time.Millisecond // a vote answers unavailable well within 1.5 s
)

// batcherIdle is how long a batcher waits for a vote before it ends, so that a server does
// not keep a goroutine and a queue for every session it ever served (Service.batchIdle,
// which tests shorten).
const batcherIdle = time.Minute

type voteReply struct {
	res VoteResult
	err error
}

type voteReq struct {
	op    VoteOp
	reply chan voteReply // buffered: the batcher never waits for a caller
}

type batcher struct {
	ch   chan voteReq
	done chan struct{} // closed when the batcher's goroutine ends
	// users counts the callers between acquireBatcher and their send; a batcher with users
	// or queued votes does not end for idleness. Under Service.batchMu.
	users int
}

// acquireBatcher returns the session's batcher, starting one if needed, and counts the
// caller as a user until releaseBatcher. It returns nil once the Service is closed.
func (s *Service) acquireBatcher(sessionID string) *batcher {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	select {
	case <-s.stop:
		return nil
	default:
	}
	b := s.batchers[sessionID]
	if b == nil {
		b = &batcher{ch: make(chan voteReq, 4*maxBatch), done: make(chan struct{})}
		s.batchers[sessionID] = b
		s.wg.Add(1)
		go s.runBatcher(sessionID, b)
	}
	b.users++
	return b
}

func (s *Service) releaseBatcher(b *batcher) {
	s.batchMu.Lock()
	b.users--
	s.batchMu.Unlock()
}

// retireBatcher removes an idle batcher from the map; false if a vote is on its way.
func (s *Service) retireBatcher(sessionID string, b *batcher) bool {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	if b.users > 0 || len(b.ch) > 0 {
		return false
	}
	delete(s.batchers, sessionID)
	return true
}

// pendingOp is an op handed to a batcher, not yet answered.
type pendingOp struct {
	b     *batcher
	reply chan voteReply
}

// enqueue hands one op to the session's batcher without waiting for its result. Ops
// enqueued one after another are applied in that order.
func (s *Service) enqueue(ctx context.Context, sessionID string, op VoteOp) (pendingOp, error) {
	b := s.acquireBatcher(sessionID)
	if b == nil {
		return pendingOp{}, ErrUnavailable
	}
	defer s.releaseBatcher(b)
	req := voteReq{op: op, reply: make(chan voteReply, 1)}
	select {
	case b.ch <- req:
		return pendingOp{b: b, reply: req.reply}, nil
	case <-ctx.Done():
		return pendingOp{}, ErrUnavailable
	case <-b.done: // the Service closed
		return pendingOp{}, ErrUnavailable
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

// wait returns an enqueued op's result.
func (p pendingOp) wait(ctx context.Context) (VoteResult, error) {
	select {
	case r := <-p.reply:
		return r.res, r.err
	case <-ctx.Done():
		// The vote may still be applied; the client resends with the same id.
		return VoteResult{}, ErrUnavailable
	case <-p.b.done:
		// The batcher answers before it ends; a vote it did not take (queued as the
		// Service closed) was not applied.
		select {
		case r := <-p.reply:
			return r.res, r.err
		default:
			return VoteResult{}, ErrUnavailable
		}
	}
}

func (s *Service) runBatcher(sessionID string, b *batcher) {
	defer s.wg.Done()
	defer close(b.done)
	batch := make([]voteReq, 0, maxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	idle := time.NewTimer(s.batchIdle)
	defer idle.Stop()
	for {
		var first voteReq
		select {
		case first = <-b.ch:
		case <-idle.C:
			if s.retireBatcher(sessionID, b) {
				return
			}
			idle.Reset(s.batchIdle)
			continue
		case <-s.stop:
			// Answer whatever is queued, in batches, then stop.
			for {
				batch = batch[:0]
			drain:
				for len(batch) < maxBatch {
					select {
					case r := <-b.ch:
						batch = append(batch, r)
					default:
						break drain
					}
				}
				if len(batch) == 0 {
					return
				}
				s.flush(sessionID, batch)
			}
		}
		batch = append(batch[:0], first)
		timer.Reset(s.cfg.BatchWindow)
	gather:
		for len(batch) < maxBatch {
			select {
			case r := <-b.ch:
				batch = append(batch, r)
			case <-timer.C:
				break gather
			}
		}
		timer.Stop()
		s.flush(sessionID, batch)
		idle.Reset(s.batchIdle)
	}
}

func (s *Service) flush(sessionID string, batch []voteReq) {
	ops := make([]VoteOp, len(batch))
	for i, r := range batch {
		ops[i] = r.op
	}
	ctx, cancel := context.WithTimeout(context.Background(), engineTimeout)
	res, err := s.e.ApplyVotes(ctx, sessionID, ops)
	cancel()
	if err == nil && len(res) != len(ops) {
		err = Errorf(EInternal, "engine answered %d results for %d votes", len(res), len(ops))
	}
	if err != nil {
		s.log.Warn("vote batch failed", "session", sessionID, "votes", len(ops), "err", err)
		err = engineErr(err)
	}
	for i, r := range batch {
		if err != nil {
			r.reply <- voteReply{err: err}
			continue
		}
		r.reply <- voteReply{res: res[i]}
	}
}
