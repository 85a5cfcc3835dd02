package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"pejl/internal/forum"
)

// Accounts live under the hash tag {a}, so that the scripts that keep a user and its email
// reservation together touch one slot.

func foldEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// CreateUser stores a user and reserves its case-folded email (create_user); ErrConflict
// if the email is taken.
func (s *Store) CreateUser(ctx context.Context, u forum.User) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("redisstore: encode user: %w", err)
	}
	_, err = s.run(ctx, scrCreateUser, []string{s.userKey(u.ID), s.emailKey(foldEmail(u.Email)), s.usersKey()}, u.ID, doc)
	return err
}

// UpdateUser replaces a user record, moving the email reservation if the email changed
// (update_user, under compare-and-swap against the record read first).
func (s *Store) UpdateUser(ctx context.Context, u forum.User) error {
	doc, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("redisstore: encode user: %w", err)
	}
	for range 10 {
		old, err := s.rdb.Get(ctx, s.userKey(u.ID)).Result()
		if err != nil {
			return mapErr(err)
		}
		prev, err := decodeDoc[forum.User]([]byte(old), "user")
		if err != nil {
			return err
		}
		v, err := s.run(ctx, scrUpdateUser,
			[]string{s.userKey(u.ID), s.emailKey(foldEmail(prev.Email)), s.emailKey(foldEmail(u.Email))},
			u.ID, old, doc)
		if err != nil {
			return err
		}
		if toInt(v) == 1 {
			return nil
		}
	}
	return forum.ErrConflict
}

// User returns a user by id.
func (s *Store) User(ctx context.Context, id string) (*forum.User, error) {
	return readDoc[forum.User](s.rdb.Get(ctx, s.userKey(id)), "user")
}

// UserByEmail returns a user by (case-folded) email.
func (s *Store) UserByEmail(ctx context.Context, email string) (*forum.User, error) {
	id, err := s.rdb.Get(ctx, s.emailKey(foldEmail(email))).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	return s.User(ctx, id)
}

// Users lists every user, oldest first.
func (s *Store) Users(ctx context.Context) ([]forum.User, error) {
	ids, err := s.rdb.SMembers(ctx, s.usersKey()).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.userKey(id)
	}
	out, err := readDocs[forum.User](ctx, s.rdb, keys, "user")
	if err != nil {
		return nil, err
	}
	oldestFirst(out, func(u forum.User) (time.Time, string) { return u.CreatedAt, u.ID })
	return out, nil
}

// CreateToken stores an API token (by its hash) and lists it under its user.
func (s *Store) CreateToken(ctx context.Context, t forum.Token) error {
	doc, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("redisstore: encode token: %w", err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, s.tokenKey(t.Hash), doc, 0)
		p.HSet(ctx, s.userTokensKey(t.UserID), t.ID, t.Hash)
		return nil
	})
	return mapErr(err)
}

// TokenByHash returns the token with that hash.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*forum.Token, error) {
	return readDoc[forum.Token](s.rdb.Get(ctx, s.tokenKey(hash)), "token")
}

// Tokens lists the user's tokens, oldest first.
func (s *Store) Tokens(ctx context.Context, userID string) ([]forum.Token, error) {
	hashes, err := s.rdb.HVals(ctx, s.userTokensKey(userID)).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	keys := make([]string, len(hashes))
	for i, h := range hashes {
		keys[i] = s.tokenKey(h)
	}
	out, err := readDocs[forum.Token](ctx, s.rdb, keys, "token")
	if err != nil {
		return nil, err
	}
	oldestFirst(out, func(t forum.Token) (time.Time, string) { return t.CreatedAt, t.ID })
	return out, nil
}

// DeleteToken revokes one of the user's tokens; ErrNotFound if the user has no such token.
func (s *Store) DeleteToken(ctx context.Context, userID, tokenID string) error {
	hash, err := s.rdb.HGet(ctx, s.userTokensKey(userID), tokenID).Result()
	if err != nil {
		return mapErr(err)
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.tokenKey(hash))
		p.HDel(ctx, s.userTokensKey(userID), tokenID)
		return nil
	})
	return mapErr(err)
}

// CreateLogin stores a login that Redis removes by itself at ExpiresAt (SET … PXAT).
func (s *Store) CreateLogin(ctx context.Context, l forum.Login) error {
	doc, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("redisstore: encode login: %w", err)
	}
	at := l.ExpiresAt.UnixMilli()
	if at <= 0 {
		at = 1
	}
	return mapErr(s.rdb.Do(ctx, "SET", s.loginKey(l.Hash), doc, "PXAT", at).Err())
}

// LoginByHash returns an unexpired login.
func (s *Store) LoginByHash(ctx context.Context, hash string) (*forum.Login, error) {
	return readDoc[forum.Login](s.rdb.Get(ctx, s.loginKey(hash)), "login")
}

// DeleteLogin ends a login; a missing one is not an error.
func (s *Store) DeleteLogin(ctx context.Context, hash string) error {
	return mapErr(s.rdb.Del(ctx, s.loginKey(hash)).Err())
}

// SaveCharter stores a charter; the same id and source again is a no-op, another source
// is ErrConflict (save_charter).
func (s *Store) SaveCharter(ctx context.Context, c forum.StoredCharter) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("redisstore: encode charter: %w", err)
	}
	_, err = s.run(ctx, scrSaveCharter, []string{s.chartersKey()}, c.ID, doc, c.Source)
	return err
}

// Charter returns an imported charter.
func (s *Store) Charter(ctx context.Context, id string) (*forum.StoredCharter, error) {
	return readDoc[forum.StoredCharter](s.rdb.HGet(ctx, s.chartersKey(), id), "charter")
}

// Charters lists every imported charter, oldest first.
func (s *Store) Charters(ctx context.Context) ([]forum.StoredCharter, error) {
	out := []forum.StoredCharter{}
	err := s.hscan(ctx, s.chartersKey(), func(_, doc string) error {
		c, err := decodeDoc[forum.StoredCharter]([]byte(doc), "charter")
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	oldestFirst(out, func(c forum.StoredCharter) (time.Time, string) { return c.CreatedAt, c.ID })
	return out, nil
}
