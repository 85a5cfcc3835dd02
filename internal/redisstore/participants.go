package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"pejl/internal/forum"
)

// scanPage is how many entries one HSCAN/SSCAN/LRANGE step asks for.
const scanPage = 1000

// AddParticipant stores a participant and counts it in its group (add_participant). A
// repeat of the same participant id changes nothing. ErrNotFound without the session.
func (s *Store) AddParticipant(ctx context.Context, sessionID string, p forum.Participant) error {
	doc, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("redisstore: encode participant: %w", err)
	}
	k := s.sk(sessionID)
	_, err = s.runDurable(ctx, scrAddParticipant, []string{k.meta(), k.parts(), k.tokens(), k.groups()},
		p.ID, doc, p.TokenHash, p.Group)
	return err
}

// ParticipantByToken finds a participant by the hash of its resume token.
func (s *Store) ParticipantByToken(ctx context.Context, sessionID, tokenHash string) (*forum.Participant, error) {
	k := s.sk(sessionID)
	v, err := s.run(ctx, scrParticipantByToken, []string{k.tokens(), k.parts()}, tokenHash)
	if err != nil {
		return nil, err
	}
	doc, ok := v.(string)
	if !ok {
		return nil, forum.ErrNotFound
	}
	p, err := decodeDoc[forum.Participant]([]byte(doc), "participant")
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// ParticipantCounts returns the number of participants in all and per group id.
func (s *Store) ParticipantCounts(ctx context.Context, sessionID string) (int64, map[string]int64, error) {
	k := s.sk(sessionID)
	var total *redis.IntCmd
	var groups *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		total = p.HLen(ctx, k.parts())
		groups = p.HGetAll(ctx, k.groups())
		return nil
	})
	if err != nil {
		return 0, nil, mapErr(err)
	}
	out := make(map[string]int64, len(groups.Val()))
	for g, n := range groups.Val() {
		c, _ := strconv.ParseInt(n, 10, 64)
		if c != 0 {
			out[g] = c
		}
	}
	return total.Val(), out, nil
}

// ScanParticipants calls fn for every participant, reading the participants hash in pages
// (HSCAN), each participant once.
func (s *Store) ScanParticipants(ctx context.Context, sessionID string, fn func(forum.Participant) error) error {
	return s.hscan(ctx, s.sk(sessionID).parts(), func(_, doc string) error {
		p, err := decodeDoc[forum.Participant]([]byte(doc), "participant")
		if err != nil {
			return err
		}
		return fn(p)
	})
}

// hscan walks a hash in pages with HSCAN and calls fn once per field (HSCAN may return a
// field twice while the hash is resized; the repeats are dropped), stopping at fn's error.
func (s *Store) hscan(ctx context.Context, key string, fn func(field, value string) error) error {
	seen := map[string]struct{}{}
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, key, cursor, "", scanPage).Result()
		if err != nil {
			return mapErr(err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if _, dup := seen[kv[i]]; dup {
				continue
			}
			seen[kv[i]] = struct{}{}
			if err := fn(kv[i], kv[i+1]); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}
