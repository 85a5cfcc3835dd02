package memstore

import (
	"context"
	"crypto/rand"
	"sync"
	"time"

	"pejl/internal/forum"
)

// Rate limits, presence and the broker live only in memory: a restart forgets them, as
// the contract allows (limits start afresh, instances set presence again, delivery is at
// most once).

// ---- broker ----

// subQueue bounds the events waiting for one subscriber; past it events are dropped
// (clients converge by version).
const subQueue = 256

type subscriber struct {
	ch chan forum.Event
}

type broker struct {
	mu     sync.Mutex
	subs   map[string]map[*subscriber]struct{}
	closed bool
	quit   chan struct{}
	wg     sync.WaitGroup
}

func (b *broker) init() {
	b.subs = map[string]map[*subscriber]struct{}{}
	b.quit = make(chan struct{})
}

// Publish implements forum.Broker. It never blocks: each subscriber has its own queue and
// goroutine, and an event for a full queue is dropped.
func (s *Store) Publish(ctx context.Context, ev forum.Event) error {
	b := &s.broker
	b.mu.Lock()
	defer b.mu.Unlock()
	for sub := range b.subs[ev.Session] {
		select {
		case sub.ch <- ev:
		default:
			s.log.Debug("memstore: subscriber queue full, event dropped", "session", ev.Session, "kind", ev.Kind)
		}
	}
	return nil
}

// Subscribe implements forum.Broker: fn runs on the subscription's own goroutine, one
// event at a time, until ctx ends or the store closes.
func (s *Store) Subscribe(ctx context.Context, sessionID string, fn func(forum.Event)) error {
	b := &s.broker
	sub := &subscriber{ch: make(chan forum.Event, subQueue)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return errClosed
	}
	if b.subs[sessionID] == nil {
		b.subs[sessionID] = map[*subscriber]struct{}{}
	}
	b.subs[sessionID][sub] = struct{}{}
	b.wg.Add(1)
	b.mu.Unlock()
	go func() {
		defer b.wg.Done()
		defer b.remove(sessionID, sub)
		for {
			select {
			case <-ctx.Done():
				return
			case <-b.quit:
				return
			case ev := <-sub.ch:
				if ctx.Err() != nil {
					return
				}
				fn(ev)
			}
		}
	}()
	return nil
}

func (b *broker) remove(sessionID string, sub *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.subs[sessionID], sub)
	if len(b.subs[sessionID]) == 0 {
		delete(b.subs, sessionID)
	}
}

// close ends every subscription and waits for their goroutines.
func (b *broker) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	close(b.quit)
	b.mu.Unlock()
	b.wg.Wait()
}

// ---- shared keys ----

// sharedKeys are the keys of SharedKey, in memory only.
type sharedKeys struct {
	mu   sync.Mutex
	keys map[string]sharedKey
}

type sharedKey struct {
	key     []byte
	expires time.Time
}

// SharedKey implements forum.Limiter.
func (s *Store) SharedKey(ctx context.Context, name string, ttl time.Duration) ([]byte, error) {
	now := s.now()
	k := &s.shared
	k.mu.Lock()
	defer k.mu.Unlock()
	if e, ok := k.keys[name]; ok && e.expires.After(now) {
		return e.key, nil
	}
	if k.keys == nil {
		k.keys = map[string]sharedKey{}
	}
	for n, e := range k.keys {
		if !e.expires.After(now) {
			delete(k.keys, n)
		}
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	k.keys[name] = sharedKey{key: b, expires: now.Add(ttl)}
	return b, nil
}

// ---- limiter ----

// limiter is GCRA: per key, the theoretical arrival time of the next event.
type limiter struct {
	mu    sync.Mutex
	tat   map[string]time.Time
	calls int
}

func (l *limiter) init() { l.tat = map[string]time.Time{} }

// Allow implements forum.Limiter.
func (s *Store) Allow(ctx context.Context, key string, rate int, period time.Duration, burst int) (bool, time.Duration, error) {
	ok, retry := s.limiter.gcra(s.now(), key, rate, period, burst, true)
	return ok, retry, nil
}

// Peek reports whether Allow would allow one event for key now, without taking it.
func (s *Store) Peek(ctx context.Context, key string, rate int, period time.Duration, burst int) (bool, time.Duration, error) {
	ok, retry := s.limiter.gcra(s.now(), key, rate, period, burst, false)
	return ok, retry, nil
}

// Refund implements forum.Limiter.
func (s *Store) Refund(ctx context.Context, key string, rate int, period time.Duration, burst int) error {
	if rate <= 0 {
		return nil
	}
	now := s.now()
	l := &s.limiter
	l.mu.Lock()
	defer l.mu.Unlock()
	if tat, ok := l.tat[key]; ok && tat.After(now) {
		tat = tat.Add(-period / time.Duration(rate))
		if tat.After(now) {
			l.tat[key] = tat
		} else {
			delete(l.tat, key)
		}
	}
	return nil
}

// gcra decides whether one event for key is allowed at now under rate events per period
// with the given burst, and when it is not, how long until one is; take records the
// event when it is allowed (Allow), otherwise nothing changes (Peek).
func (l *limiter) gcra(now time.Time, key string, rate int, period time.Duration, burst int, take bool) (bool, time.Duration) {
	if rate <= 0 || burst <= 0 || period <= 0 {
		return false, max(period, time.Second)
	}
	emission := period / time.Duration(rate)
	l.mu.Lock()
	defer l.mu.Unlock()
	if take {
		if l.calls++; l.calls%4096 == 0 {
			for k, t := range l.tat {
				if !t.After(now) {
					delete(l.tat, k)
				}
			}
		}
	}
	tat := l.tat[key]
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(emission)
	allowAt := next.Add(-emission * time.Duration(burst))
	if now.Before(allowAt) {
		return false, allowAt.Sub(now)
	}
	if take {
		l.tat[key] = next
	}
	return true, 0
}

// ---- presence ----

type presenceEntry struct {
	total   int64
	groups  map[string]int64
	expires time.Time
}

type presence struct {
	mu        sync.Mutex
	sessions  map[string]map[string]presenceEntry // session → instance → counts
	lastSweep time.Time
}

func (p *presence) init() { p.sessions = map[string]map[string]presenceEntry{} }

// SetPresence implements forum.Presence.
func (s *Store) SetPresence(ctx context.Context, sessionID, instance string, total int64, groups map[string]int64, ttl time.Duration) error {
	now := s.now()
	p := &s.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Sub(p.lastSweep) > time.Minute {
		p.lastSweep = now
		for sid, m := range p.sessions {
			for inst, e := range m {
				if !e.expires.After(now) {
					delete(m, inst)
				}
			}
			if len(m) == 0 {
				delete(p.sessions, sid)
			}
		}
	}
	m := p.sessions[sessionID]
	if m == nil {
		m = map[string]presenceEntry{}
		p.sessions[sessionID] = m
	}
	g := make(map[string]int64, len(groups))
	for k, n := range groups {
		g[k] = n
	}
	m[instance] = presenceEntry{total: total, groups: g, expires: now.Add(ttl)}
	return nil
}

// Presence implements forum.Presence.
func (s *Store) Presence(ctx context.Context, sessionID string) (int64, map[string]int64, error) {
	now := s.now()
	p := &s.presence
	p.mu.Lock()
	defer p.mu.Unlock()
	var total int64
	groups := map[string]int64{}
	for inst, e := range p.sessions[sessionID] {
		if !e.expires.After(now) {
			delete(p.sessions[sessionID], inst)
			continue
		}
		total += e.total
		for g, n := range e.groups {
			groups[g] += n
		}
	}
	return total, groups, nil
}
