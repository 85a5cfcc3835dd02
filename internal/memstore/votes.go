package memstore

import (
	"context"
	"slices"

	"pejl/internal/forum"
)

// ApplyVotes implements forum.VoteStore: the ops in order, each atomic, the batch one
// journal record (if any op applied) and one fsync shared with every batch gathered
// meanwhile. ErrNotFound for an unknown session.
func (s *Store) ApplyVotes(ctx context.Context, sessionID string, ops []forum.VoteOp) ([]forum.VoteResult, error) {
	results := make([]forum.VoteResult, len(ops))
	err := s.write(ctx, &record{T: recVotes, S: sessionID, Ops: ops}, func(st *state) (bool, error) {
		ss := st.sessions[sessionID]
		if ss == nil {
			return false, forum.ErrNotFound
		}
		changed := false
		for i := range ops {
			status := ss.applyVote(&ops[i])
			results[i] = forum.VoteResult{Status: status, Version: ss.version}
			changed = changed || status == forum.VoteApplied
		}
		return changed, nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// Tally implements forum.VoteStore.
func (s *Store) Tally(ctx context.Context, sessionID, activityID string) (map[string]int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := map[string]int64{}
	if ss := s.st.sessions[sessionID]; ss != nil {
		for f, n := range ss.tallies[activityID] {
			out[f] = n
		}
	}
	return out, nil
}

// ParticipantVotes implements forum.VoteStore.
func (s *Store) ParticipantVotes(ctx context.Context, sessionID, participantID string) ([]forum.Vote, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ss := s.st.sessions[sessionID]
	if ss == nil || ss.members[participantID] == nil {
		return []forum.Vote{}, nil
	}
	out := make([]forum.Vote, 0, len(ss.members[participantID].votes))
	for _, v := range ss.members[participantID].votes {
		out = append(out, cloneVote(v))
	}
	return out, nil
}

// ScanVotes implements forum.VoteStore.
func (s *Store) ScanVotes(ctx context.Context, sessionID string, fn func(forum.Vote) error) error {
	return scanMembers(s, ctx, sessionID, func(m *member, out []forum.Vote) []forum.Vote {
		for _, v := range m.votes {
			out = append(out, cloneVote(v))
		}
		return out
	}, fn)
}

// SeenClientID implements forum.VoteStore. A true answer is durable: the caller
// acknowledges the message on it.
func (s *Store) SeenClientID(ctx context.Context, sessionID, participantID, clientID string) (bool, error) {
	s.mu.RLock()
	ss := s.st.sessions[sessionID]
	seen := ss != nil && ss.seen(participantID, clientID)
	s.mu.RUnlock()
	if !seen {
		return false, nil
	}
	if err := s.durable(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// ---- comments ----

// AddComment implements forum.CommentStore. ErrNotFound for an unknown session.
func (s *Store) AddComment(ctx context.Context, sessionID, clientID string, c forum.Comment) (bool, int64, error) {
	var dup bool
	var version int64
	err := s.write(ctx, &record{T: recComment, S: sessionID, ClientID: clientID, Comment: &c}, func(st *state) (bool, error) {
		var err error
		dup, version, err = st.addComment(sessionID, clientID, c)
		return err == nil && !dup, err
	})
	if err != nil {
		return false, 0, err
	}
	return dup, version, nil
}

// Upvote implements forum.CommentStore. A counted upvote bumps the session version.
func (s *Store) Upvote(ctx context.Context, sessionID, participantID, commentID, clientID string) (*forum.Comment, bool, error) {
	var c forum.Comment
	var changed bool
	rec := &record{T: recUpvote, S: sessionID, PID: participantID, CommentID: commentID, ClientID: clientID}
	err := s.write(ctx, rec, func(st *state) (bool, error) {
		var recorded bool
		var err error
		c, changed, recorded, err = st.upvote(sessionID, participantID, commentID, clientID)
		return recorded, err
	})
	if err != nil {
		return nil, false, err
	}
	return &c, changed, nil
}

// Upvoted implements forum.CommentStore.
func (s *Store) Upvoted(ctx context.Context, sessionID, participantID string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []string{}
	if ss := s.st.sessions[sessionID]; ss != nil && ss.members[participantID] != nil {
		for id := range ss.members[participantID].upvoted {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

// SetCommentFlags implements forum.CommentStore.
func (s *Store) SetCommentFlags(ctx context.Context, sessionID, commentID string, hidden, starred *bool) (*forum.Comment, error) {
	var c forum.Comment
	rec := &record{T: recFlags, S: sessionID, CommentID: commentID, Hidden: hidden, Starred: starred}
	err := s.write(ctx, rec, func(st *state) (bool, error) {
		var err error
		c, err = st.setCommentFlags(sessionID, commentID, hidden, starred)
		return err == nil, err
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// ParticipantComments implements forum.CommentStore.
func (s *Store) ParticipantComments(ctx context.Context, sessionID, participantID string) ([]forum.Comment, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []forum.Comment{}
	if ss := s.st.sessions[sessionID]; ss != nil && ss.members[participantID] != nil {
		for _, id := range ss.members[participantID].comments {
			out = append(out, ss.comments[ss.commentIdx[id]])
		}
	}
	return out, nil
}

// Comment implements forum.CommentStore.
func (s *Store) Comment(ctx context.Context, sessionID, commentID string) (*forum.Comment, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ss := s.st.sessions[sessionID]
	if ss == nil {
		return nil, forum.ErrNotFound
	}
	i, ok := ss.commentIdx[commentID]
	if !ok {
		return nil, forum.ErrNotFound
	}
	c := ss.comments[i]
	return &c, nil
}

// ScanComments implements forum.CommentStore: creation order.
func (s *Store) ScanComments(ctx context.Context, sessionID string, fn func(forum.Comment) error) error {
	var buf []forum.Comment
	for i := 0; ; i += scanChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.mu.RLock()
		ss := s.st.sessions[sessionID]
		if ss == nil || i >= len(ss.comments) {
			s.mu.RUnlock()
			return nil
		}
		buf = append(buf[:0], ss.comments[i:min(i+scanChunk, len(ss.comments))]...)
		s.mu.RUnlock()
		for _, c := range buf {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
}
