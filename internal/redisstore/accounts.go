package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

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
		var prev forum.User
		if err := json.Unmarshal([]byte(old), &prev); err != nil {
			return fmt.Errorf("redisstore: decode user: %w", err)
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
	doc, err := s.rdb.Get(ctx, s.userKey(id)).Bytes()
	if err != nil {
		return nil, mapErr(err)
	}
	return decodeUser(doc)
}

func decodeUser(doc []byte) (*forum.User, error) {
	var u forum.User
	if err := json.Unmarshal(doc, &u); err != nil {
		return nil, fmt.Errorf("redisstore: decode user: %w", err)
	}
	return &u, nil
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
	out := []forum.User{}
	if len(ids) == 0 {
		return out, nil
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = s.userKey(id)
	}
	docs, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	for _, d := range docs {
		doc, ok := d.(string)
		if !ok {
			continue
		}
		u, err := decodeUser([]byte(doc))
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
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
	doc, err := s.rdb.Get(ctx, s.tokenKey(hash)).Bytes()
	if err != nil {
		return nil, mapErr(err)
	}
	var t forum.Token
	if err := json.Unmarshal(doc, &t); err != nil {
		return nil, fmt.Errorf("redisstore: decode token: %w", err)
	}
	return &t, nil
}

// Tokens lists the user's tokens, oldest first.
func (s *Store) Tokens(ctx context.Context, userID string) ([]forum.Token, error) {
	hashes, err := s.rdb.HVals(ctx, s.userTokensKey(userID)).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	out := []forum.Token{}
	if len(hashes) == 0 {
		return out, nil
	}
	keys := make([]string, len(hashes))
	for i, h := range hashes {
		keys[i] = s.tokenKey(h)
	}
	docs, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	for _, d := range docs {
		doc, ok := d.(string)
		if !ok {
			continue
		}
		var t forum.Token
		if err := json.Unmarshal([]byte(doc), &t); err != nil {
			return nil, fmt.Errorf("redisstore: decode token: %w", err)
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
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
	doc, err := s.rdb.Get(ctx, s.loginKey(hash)).Bytes()
	if err != nil {
		return nil, mapErr(err)
	}
	var l forum.Login
	if err := json.Unmarshal(doc, &l); err != nil {
		return nil, fmt.Errorf("redisstore: decode login: %w", err)
	}
	return &l, nil
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
	doc, err := s.rdb.HGet(ctx, s.chartersKey(), id).Bytes()
	if err != nil {
		return nil, mapErr(err)
	}
	var c forum.StoredCharter
	if err := json.Unmarshal(doc, &c); err != nil {
		return nil, fmt.Errorf("redisstore: decode charter: %w", err)
	}
	return &c, nil
}

// Charters lists every imported charter, oldest first.
func (s *Store) Charters(ctx context.Context) ([]forum.StoredCharter, error) {
	out := []forum.StoredCharter{}
	err := s.hscan(ctx, s.chartersKey(), func(_, doc string) error {
		var c forum.StoredCharter
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			return fmt.Errorf("redisstore: decode charter: %w", err)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
