package memstore

import (
	"cmp"
	"context"
	"slices"

	"pejl/internal/forum"
)

// CreateUser implements forum.AccountStore.
func (s *Store) CreateUser(ctx context.Context, u forum.User) error {
	return s.write(ctx, &record{T: recCreateUser, User: &u}, func(st *state) (bool, error) {
		if _, ok := st.users[u.ID]; ok && st.emails[foldEmail(u.Email)] == u.ID {
			return false, nil // a repeat
		}
		return true, st.createUser(u)
	})
}

// UpdateUser implements forum.AccountStore: ErrNotFound for an unknown id, ErrConflict
// for an email another user has.
func (s *Store) UpdateUser(ctx context.Context, u forum.User) error {
	return s.write(ctx, &record{T: recUpdateUser, User: &u}, func(st *state) (bool, error) {
		return true, st.updateUser(u)
	})
}

// User implements forum.AccountStore.
func (s *Store) User(ctx context.Context, id string) (*forum.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.st.users[id]
	if !ok {
		return nil, forum.ErrNotFound
	}
	return &u, nil
}

// UserByEmail implements forum.AccountStore (the email is case-folded).
func (s *Store) UserByEmail(ctx context.Context, email string) (*forum.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.st.emails[foldEmail(email)]
	if !ok {
		return nil, forum.ErrNotFound
	}
	u := s.st.users[id]
	return &u, nil
}

// Users implements forum.AccountStore, ordered by email.
func (s *Store) Users(ctx context.Context) ([]forum.User, error) {
	s.mu.RLock()
	out := make([]forum.User, 0, len(s.st.users))
	for _, u := range s.st.users {
		out = append(out, u)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b forum.User) int { return cmp.Compare(a.Email, b.Email) })
	return out, nil
}

// CreateToken implements forum.AccountStore.
func (s *Store) CreateToken(ctx context.Context, t forum.Token) error {
	return s.write(ctx, &record{T: recCreateToken, Token: &t}, func(st *state) (bool, error) {
		if old, ok := st.tokens[t.ID]; ok && old == t {
			return false, nil // a repeat
		}
		return true, st.createToken(t)
	})
}

// TokenByHash implements forum.AccountStore.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*forum.Token, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.st.byHash[hash]
	if !ok {
		return nil, forum.ErrNotFound
	}
	t := s.st.tokens[id]
	return &t, nil
}

// Tokens implements forum.AccountStore, oldest first.
func (s *Store) Tokens(ctx context.Context, userID string) ([]forum.Token, error) {
	s.mu.RLock()
	out := []forum.Token{}
	for _, t := range s.st.tokens {
		if t.UserID == userID {
			out = append(out, t)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b forum.Token) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// DeleteToken implements forum.AccountStore: ErrNotFound unless the user has the token.
func (s *Store) DeleteToken(ctx context.Context, userID, tokenID string) error {
	return s.write(ctx, &record{T: recDeleteToken, UserID: userID, TokenID: tokenID}, func(st *state) (bool, error) {
		return true, st.deleteToken(userID, tokenID)
	})
}

// CreateLogin implements forum.AccountStore.
func (s *Store) CreateLogin(ctx context.Context, l forum.Login) error {
	return s.write(ctx, &record{T: recCreateLogin, Login: &l}, func(st *state) (bool, error) {
		st.logins[l.Hash] = l
		return true, nil
	})
}

// LoginByHash implements forum.AccountStore; an expired login is ErrNotFound (and is
// left out of the next snapshot).
func (s *Store) LoginByHash(ctx context.Context, hash string) (*forum.Login, error) {
	s.mu.RLock()
	l, ok := s.st.logins[hash]
	s.mu.RUnlock()
	if !ok || !l.ExpiresAt.After(s.now()) {
		return nil, forum.ErrNotFound
	}
	return &l, nil
}

// DeleteLogin implements forum.AccountStore; deleting a missing login is not an error.
func (s *Store) DeleteLogin(ctx context.Context, hash string) error {
	return s.write(ctx, &record{T: recDeleteLogin, Hash: hash}, func(st *state) (bool, error) {
		_, ok := st.logins[hash]
		delete(st.logins, hash)
		return ok, nil
	})
}

// ---- charters ----

// SaveCharter implements forum.CharterStore.
func (s *Store) SaveCharter(ctx context.Context, c forum.StoredCharter) error {
	return s.write(ctx, &record{T: recCharter, Charter: &c}, func(st *state) (bool, error) {
		return st.saveCharter(c)
	})
}

// Charter implements forum.CharterStore.
func (s *Store) Charter(ctx context.Context, id string) (*forum.StoredCharter, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.st.charters[id]
	if !ok {
		return nil, forum.ErrNotFound
	}
	return &c, nil
}

// Charters implements forum.CharterStore, ordered by id.
func (s *Store) Charters(ctx context.Context) ([]forum.StoredCharter, error) {
	s.mu.RLock()
	out := make([]forum.StoredCharter, 0, len(s.st.charters))
	for _, c := range s.st.charters {
		out = append(out, c)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b forum.StoredCharter) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}
