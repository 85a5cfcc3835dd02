package memstore

import (
	"cmp"
	"context"
	"slices"

	"pejl/internal/forum"
)

// scanChunk is how many records a scan copies under the lock at a time; fn runs without it.
const scanChunk = 256

// CreateSession implements forum.SessionStore.
func (s *Store) CreateSession(ctx context.Context, sess *forum.Session) error {
	rec := &record{T: recCreateSession, Session: sess, Epoch: newEpoch()}
	err := s.write(ctx, rec, func(st *state) (bool, error) {
		return true, st.createSession(sess, rec.Epoch)
	})
	if err == nil {
		sess.Rev = 1
	}
	return err
}

// Session implements forum.SessionStore.
func (s *Store) Session(ctx context.Context, id string) (*forum.Session, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ss := s.st.sessions[id]
	if ss == nil {
		return nil, forum.ErrNotFound
	}
	return cloneSession(ss.doc), nil
}

// SessionIDByCode implements forum.SessionStore.
func (s *Store) SessionIDByCode(ctx context.Context, code string) (string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.st.codes[code]
	if !ok {
		return "", forum.ErrNotFound
	}
	return id, nil
}

// Sessions implements forum.SessionStore: newest first.
func (s *Store) Sessions(ctx context.Context, owner string) ([]forum.Session, error) {
	s.mu.RLock()
	var out []forum.Session
	for _, ss := range s.st.sessions {
		if owner == "" || ss.doc.Owner == owner {
			out = append(out, *cloneSession(ss.doc))
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b forum.Session) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	return out, nil
}

// SaveSession implements forum.SessionStore.
func (s *Store) SaveSession(ctx context.Context, sess *forum.Session) (int64, error) {
	var version int64
	err := s.write(ctx, &record{T: recSaveSession, Session: sess}, func(st *state) (bool, error) {
		_, v, err := st.saveSession(sess)
		version = v
		return err == nil, err
	})
	if err != nil {
		return 0, err
	}
	sess.Rev++
	return version, nil
}

// DeleteSession implements forum.SessionStore.
// Deleting means deleted: once the deletion is durable, the store compacts at once, so that
// the session's records (comment texts, answers) leave the journal files on disk before
// DeleteSession returns, not only when the journal next grows past CompactBytes.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	deleted := false
	err := s.write(ctx, &record{T: recDeleteSession, S: id}, func(st *state) (bool, error) {
		deleted = st.deleteSession(id)
		return deleted, nil
	})
	if err != nil || !deleted {
		return err
	}
	return s.compact()
}

// Version implements forum.SessionStore.
func (s *Store) Version(ctx context.Context, id string) (string, int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ss := s.st.sessions[id]
	if ss == nil {
		return "", 0, forum.ErrNotFound
	}
	return ss.epoch, ss.version, nil
}

// ---- participants ----

// AddParticipant implements forum.ParticipantStore. Adding the same participant again
// changes nothing; ErrNotFound for an unknown session.
func (s *Store) AddParticipant(ctx context.Context, sessionID string, p forum.Participant) error {
	return s.write(ctx, &record{T: recParticipant, S: sessionID, Participant: &p}, func(st *state) (bool, error) {
		return st.addParticipant(sessionID, p)
	})
}

// ParticipantByToken implements forum.ParticipantStore.
func (s *Store) ParticipantByToken(ctx context.Context, sessionID, tokenHash string) (*forum.Participant, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ss := s.st.sessions[sessionID]
	if ss == nil {
		return nil, forum.ErrNotFound
	}
	id, ok := ss.tokens[tokenHash]
	if !ok {
		return nil, forum.ErrNotFound
	}
	p := *ss.members[id].p
	return &p, nil
}

// ParticipantCounts implements forum.ParticipantStore (0 for an unknown session).
func (s *Store) ParticipantCounts(ctx context.Context, sessionID string) (int64, map[string]int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	groups := map[string]int64{}
	ss := s.st.sessions[sessionID]
	if ss == nil {
		return 0, groups, nil
	}
	for g, n := range ss.groups {
		groups[g] = n
	}
	return ss.total, groups, nil
}

// ScanParticipants implements forum.ParticipantStore.
func (s *Store) ScanParticipants(ctx context.Context, sessionID string, fn func(forum.Participant) error) error {
	return scanMembers(s, ctx, sessionID, func(m *member, out []forum.Participant) []forum.Participant {
		if m.p != nil {
			out = append(out, *m.p)
		}
		return out
	}, fn)
}

// scanMembers copies, chunk by chunk under the read lock, what pick takes from each member
// of the session, and calls fn on it without the lock. It stops if the session goes.
func scanMembers[T any](s *Store, ctx context.Context, sessionID string, pick func(*member, []T) []T, fn func(T) error) error {
	s.mu.RLock()
	ss := s.st.sessions[sessionID]
	if ss == nil {
		s.mu.RUnlock()
		return nil
	}
	ids := make([]string, 0, len(ss.members))
	for id := range ss.members {
		ids = append(ids, id)
	}
	s.mu.RUnlock()
	var buf []T
	for i := 0; i < len(ids); i += scanChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf = buf[:0]
		s.mu.RLock()
		if s.st.sessions[sessionID] != ss {
			s.mu.RUnlock()
			return nil
		}
		for _, id := range ids[i:min(i+scanChunk, len(ids))] {
			if m := ss.members[id]; m != nil {
				buf = pick(m, buf)
			}
		}
		s.mu.RUnlock()
		for _, x := range buf {
			if err := fn(x); err != nil {
				return err
			}
		}
	}
	return nil
}
