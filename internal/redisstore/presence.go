package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Allow takes one event for key under a limit of rate per period with the given burst,
// shared by every instance (redis_rate: GCRA in one Lua script).
func (s *Store) Allow(ctx context.Context, key string, rate int, period time.Duration, burst int) (bool, time.Duration, error) {
	res, err := s.limiter.Allow(ctx, s.rateKey(key), redis_rate.Limit{Rate: rate, Period: period, Burst: burst})
	if err != nil {
		return false, 0, mapErr(err)
	}
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, max(res.RetryAfter, 0), nil
}

// Peek reports whether Allow would allow one event for key now, without taking it (GCRA
// with a cost of zero).
func (s *Store) Peek(ctx context.Context, key string, rate int, period time.Duration, burst int) (bool, time.Duration, error) {
	limit := redis_rate.Limit{Rate: rate, Period: period, Burst: burst}
	res, err := s.limiter.AllowN(ctx, s.rateKey(key), limit, 0)
	if err != nil {
		return false, 0, mapErr(err)
	}
	if res.Remaining >= 1 {
		return true, 0, nil
	}
	return false, max(res.RetryAfter, period/time.Duration(max(rate, 1))), nil
}

// Refund gives back one event for key (GCRA with a cost of minus one).
func (s *Store) Refund(ctx context.Context, key string, rate int, period time.Duration, burst int) error {
	_, err := s.limiter.AllowN(ctx, s.rateKey(key), redis_rate.Limit{Rate: rate, Period: period, Burst: burst}, -1)
	return mapErr(err)
}

// SharedKey returns the random key stored under name, setting it first if there is none
// (SET NX GET: one step, so concurrent first calls on several instances agree).
func (s *Store) SharedKey(ctx context.Context, name string, ttl time.Duration) ([]byte, error) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	old, err := s.rdb.SetArgs(ctx, s.prefix+":key:"+name, b, redis.SetArgs{Mode: "NX", Get: true, TTL: ttl}).Bytes()
	if errors.Is(err, redis.Nil) {
		return b, nil
	}
	if err != nil {
		return nil, mapErr(err)
	}
	if len(old) != len(b) {
		return nil, fmt.Errorf("redisstore: shared key %q has %d bytes", name, len(old))
	}
	return old, nil
}

// presenceCounts is one instance's entry in a session's presence hash.
type presenceCounts struct {
	Total  int64            `json:"t"`
	Groups map[string]int64 `json:"g,omitempty"`
}

// SetPresence records this instance's counts for the session until ttl from now, on the
// Redis server's clock (presence_set).
func (s *Store) SetPresence(ctx context.Context, sessionID, instance string, total int64, groups map[string]int64, ttl time.Duration) error {
	doc, err := json.Marshal(presenceCounts{Total: total, Groups: groups})
	if err != nil {
		return fmt.Errorf("redisstore: encode presence: %w", err)
	}
	ms := max(ttl.Milliseconds(), 1)
	_, err = s.run(ctx, scrPresenceSet, []string{s.sk(sessionID).presence()}, instance, doc, ms)
	return err
}

// Presence adds up the counts of every instance whose entry has not expired (presence_get).
func (s *Store) Presence(ctx context.Context, sessionID string) (int64, map[string]int64, error) {
	v, err := s.run(ctx, scrPresenceGet, []string{s.sk(sessionID).presence()})
	if err != nil {
		return 0, nil, err
	}
	entries, _ := v.([]any)
	var total int64
	groups := map[string]int64{}
	for _, e := range entries {
		doc, _ := e.(string)
		c, err := decodeDoc[presenceCounts]([]byte(doc), "presence")
		if err != nil {
			return 0, nil, err
		}
		total += c.Total
		for g, n := range c.Groups {
			groups[g] += n
		}
	}
	return total, groups, nil
}
