package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"pejl/internal/forum"
)

// CreateSession reserves the code (SET NX on the code key; the same session id again is
// fine), then stores the session head in one script (create_session), then adds it to the
// session indexes. The code and the head live in different slots, so this is three steps,
// each safe to repeat; if the head cannot be stored the code is released again. A crash
// between the steps at worst leaves a code pointing at no session (lookups find nothing).
func (s *Store) CreateSession(ctx context.Context, sess *forum.Session) error {
	sess.Rev = 1
	doc, err := json.Marshal(sess)
	if err != nil {
		return fmt.Errorf("redisstore: encode session: %w", err)
	}
	ok, err := s.rdb.SetNX(ctx, s.codeKey(sess.Code), sess.ID, 0).Result()
	if err != nil {
		return mapErr(err)
	}
	if !ok {
		holder, err := s.rdb.Get(ctx, s.codeKey(sess.Code)).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return mapErr(err)
		}
		if holder != sess.ID {
			return forum.ErrConflict
		}
	}
	k := s.sk(sess.ID)
	created := sess.CreatedAt.UnixMilli()
	args := []any{doc, sess.Code, newEpoch(), sess.Owner, created}
	for _, id := range sess.OpenActivities() {
		args = append(args, id)
	}
	if _, err := s.run(ctx, scrCreateSession, []string{k.meta(), k.open()}, args...); err != nil {
		if errors.Is(err, forum.ErrConflict) {
			// The id is taken by another session: release the code unless that session holds it.
			held, herr := s.rdb.HGet(ctx, k.meta(), "code").Result()
			if herr == nil && held != sess.Code {
				_, _ = s.run(ctx, scrDelIfEqual, []string{s.codeKey(sess.Code)}, sess.ID)
			}
		}
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, s.sessionsKey(), redis.Z{Score: float64(created), Member: sess.ID})
		p.ZAdd(ctx, s.ownerKey(sess.Owner), redis.Z{Score: float64(created), Member: sess.ID})
		return nil
	})
	return mapErr(err)
}

// Session returns the session document.
func (s *Store) Session(ctx context.Context, id string) (*forum.Session, error) {
	return readDoc[forum.Session](s.rdb.HGet(ctx, s.sk(id).meta(), "doc"), "session")
}

// SessionIDByCode returns the id of the session that holds the code.
func (s *Store) SessionIDByCode(ctx context.Context, code string) (string, error) {
	id, err := s.rdb.Get(ctx, s.codeKey(code)).Result()
	return id, mapErr(err)
}

// Sessions lists sessions owned by owner, or all when owner is "", newest first. Index
// entries whose session is gone are skipped (and removed).
func (s *Store) Sessions(ctx context.Context, owner string) ([]forum.Session, error) {
	idx := s.sessionsKey()
	if owner != "" {
		idx = s.ownerKey(owner)
	}
	ids, err := s.rdb.ZRevRange(ctx, idx, 0, -1).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]forum.Session, 0, len(ids))
	const page = 200
	for start := 0; start < len(ids); start += page {
		chunk := ids[start:min(start+page, len(ids))]
		cmds := make([]*redis.StringCmd, len(chunk))
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, id := range chunk {
				cmds[i] = p.HGet(ctx, s.sk(id).meta(), "doc")
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, mapErr(err)
		}
		var stale []any
		for i, c := range cmds {
			doc, err := c.Bytes()
			if errors.Is(err, redis.Nil) {
				stale = append(stale, chunk[i])
				continue
			}
			if err != nil {
				return nil, mapErr(err)
			}
			sess, err := decodeDoc[forum.Session](doc, "session")
			if err != nil {
				return nil, err
			}
			out = append(out, sess)
		}
		if len(stale) > 0 {
			_ = s.rdb.ZRem(ctx, idx, stale...).Err()
		}
	}
	return out, nil
}

// SaveSession replaces the document under compare-and-swap on Rev, rewrites the open set
// and bumps the version (save_session).
func (s *Store) SaveSession(ctx context.Context, sess *forum.Session) (int64, error) {
	want := sess.Rev
	next := *sess
	next.Rev = want + 1
	doc, err := json.Marshal(&next)
	if err != nil {
		return 0, fmt.Errorf("redisstore: encode session: %w", err)
	}
	k := s.sk(sess.ID)
	args := []any{want, doc}
	for _, id := range sess.OpenActivities() {
		args = append(args, id)
	}
	v, err := s.runDurable(ctx, scrSaveSession, []string{k.meta(), k.open()}, args...)
	if err != nil {
		return 0, err
	}
	sess.Rev = want + 1
	return toInt(v), nil
}

// DeleteSession removes the session in steps, each safe to repeat: the head (document and
// open set) goes first in one script (delete_session), so that every later write to the
// session is refused, leaving a tombstone with its code and owner; then the code and the
// index entries; then every other key, the tombstone last, the per-participant,
// per-activity and per-comment ones found through the session's registry set, in pages
// of UNLINK (Redis frees the memory in the background), so a session of any size is fine.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	k := s.sk(id)
	v, err := s.run(ctx, scrDeleteSession, []string{k.meta(), k.open(), k.tomb()})
	if err != nil {
		return err
	}
	var code, owner string
	if head, _ := v.([]any); len(head) == 2 {
		code, _ = head[0].(string)
		owner, _ = head[1].(string)
	}
	if code != "" {
		if _, err := s.run(ctx, scrDelIfEqual, []string{s.codeKey(code)}, id); err != nil {
			return err
		}
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZRem(ctx, s.sessionsKey(), id)
		if owner != "" {
			p.ZRem(ctx, s.ownerKey(owner), id)
		}
		return nil
	})
	if err != nil {
		return mapErr(err)
	}
	var cursor uint64
	for {
		names, next, err := s.rdb.SScan(ctx, k.registry(), cursor, "", 500).Result()
		if err != nil {
			return mapErr(err)
		}
		if len(names) > 0 {
			keys := make([]string, len(names))
			for i, n := range names {
				keys[i] = k.rel(n)
			}
			if err := s.rdb.Unlink(ctx, keys...).Err(); err != nil {
				return mapErr(err)
			}
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	if err := s.rdb.Unlink(ctx, append(k.fixed(), k.tomb())...).Err(); err != nil {
		return mapErr(err)
	}
	s.rewriteAOF(ctx)
	return nil
}

// rewriteAOF has every master that keeps an append-only file rewrite it (BGREWRITEAOF), so
// that a deleted session's keys leave the files on disk now rather than at Redis's next
// automatic rewrite. A rewrite already running began before the deletion, so the store asks
// again until Redis takes it (for at most about 2 s). Failures are logged, not returned: the
// session is deleted either way, and Redis rewrites on its own schedule. Masters without AOF
// are left alone, so that no file is written where persistence is off. RDB snapshots are the
// operator's (docs/operations.md).
func (s *Store) rewriteAOF(ctx context.Context) {
	one := func(ctx context.Context, c *redis.Client) error {
		info, err := c.Info(ctx, "persistence").Result()
		if err != nil || !strings.Contains(info, "aof_enabled:1") {
			return err
		}
		for try := 0; ; try++ {
			err := c.BgRewriteAOF(ctx).Err()
			if err == nil || !strings.Contains(err.Error(), "in progress") || try == 20 {
				return err
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	var err error
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		err = c.ForEachMaster(ctx, one)
	case *redis.Client:
		err = one(ctx, c)
	}
	if err != nil {
		s.log.Warn("redisstore: could not rewrite the AOF after a deletion", "err", err)
	}
}

// Version returns the session's epoch and version. If the session's data is lost (its
// meta hash is gone, e.g. after FLUSHALL), it returns forum.ErrNotFound: callers serving
// the session must read that as "data lost", never as zero counts.
func (s *Store) Version(ctx context.Context, id string) (string, int64, error) {
	vals, err := s.rdb.HMGet(ctx, s.sk(id).meta(), "epoch", "ver").Result()
	if err != nil {
		return "", 0, mapErr(err)
	}
	epoch, ok := vals[0].(string)
	if !ok || epoch == "" {
		return "", 0, forum.ErrNotFound
	}
	ver, _ := vals[1].(string)
	n, _ := strconv.ParseInt(ver, 10, 64)
	return epoch, n, nil
}

// toInt reads an integer script reply.
func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return i
	}
	return 0
}
