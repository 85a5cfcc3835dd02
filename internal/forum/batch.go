package forum

import (
	"context"
	"time"
)

// The vote batcher: group commit. Votes of one session that arrive within BatchWindow of
// each other go to the engine in one ApplyVotes call — one Redis round trip, one fsync —
// and each caller is answered once the batch is durable.

const (
	maxBatch      = 512
	engineTimeout = 1200 * time.Millisecond // a vote answers unavailable well within 1.5 s
)

type voteReply struct {
	res VoteResult
	err error
}

type voteReq struct {
	op    VoteOp
	reply chan voteReply
}

type batcher struct {
	ch chan voteReq
}

func (s *Service) batcherFor(sessionID string) *batcher {
	s.batchMu.Lock()
	defer s.batchMu.Unlock()
	b := s.batchers[sessionID]
	if b == nil {
		b = &batcher{ch: make(chan voteReq, 4*maxBatch)}
		s.batchers[sessionID] = b
		s.wg.Add(1)
		go s.runBatcher(sessionID, b)
	}
	return b
}

// submit hands one op to the session's batcher and waits for its result.
func (s *Service) submit(ctx context.Context, sessionID string, op VoteOp) (VoteResult, error) {
	req := voteReq{op: op, reply: make(chan voteReply, 1)}
	b := s.batcherFor(sessionID)
	select {
	case b.ch <- req:
	case <-ctx.Done():
		return VoteResult{}, ErrUnavailable
	case <-s.stop:
		return VoteResult{}, ErrUnavailable
	}
	select {
	case r := <-req.reply:
		return r.res, r.err
	case <-ctx.Done():
		// The vote may still be applied; the client resends with the same id.
		return VoteResult{}, ErrUnavailable
	}
}

func (s *Service) runBatcher(sessionID string, b *batcher) {
	defer s.wg.Done()
	batch := make([]voteReq, 0, maxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var first voteReq
		select {
		case first = <-b.ch:
		case <-s.stop:
			// Flush whatever is queued, then stop.
			for {
				select {
				case r := <-b.ch:
					s.flush(sessionID, []voteReq{r})
				default:
					return
				}
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
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		s.flush(sessionID, batch)
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
