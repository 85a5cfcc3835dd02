package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"pejl/internal/forum"
)

// Publish sends ev as JSON on the session's channel (one PUBLISH). Delivery is at most once.
func (s *Store) Publish(ctx context.Context, ev forum.Event) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("redisstore: encode event: %w", err)
	}
	return mapErr(s.rdb.Publish(ctx, s.sk(ev.Session).events(), b).Err())
}

// Subscribe delivers the session's events to fn until ctx ends. It returns once Redis has
// confirmed the subscription, or ErrUnavailable if it has not within SubscribeTimeout (or
// ctx ended first). fn runs on the Store's one receiving goroutine and must not block.
func (s *Store) Subscribe(ctx context.Context, sessionID string, fn func(forum.Event)) error {
	return s.broker.subscribe(ctx, s.sk(sessionID).events(), fn)
}

// broker shares one pub/sub connection among every local subscriber. It subscribes a
// channel when its first local subscriber arrives and unsubscribes it when the last one
// leaves. A subscription counts as confirmed when a PING sent after the SUBSCRIBE on the
// same connection is answered (Redis answers in order). One goroutine receives: it
// dispatches messages, pings when the connection is quiet, and replaces the connection if
// pings go unanswered; go-redis itself reconnects and subscribes again after a broken
// connection. Events published while disconnected are lost (clients converge by version).
type broker struct {
	rdb     redis.UniversalClient
	log     *slog.Logger
	timeout time.Duration // how long subscribe waits for confirmation
	quiet   time.Duration

	mu      sync.Mutex
	ps      *redis.PubSub
	topics  map[string]*topic
	pending map[string][]*topic // ping payload → topics it confirms
	nextID  uint64
	closed  bool

	stop chan struct{}
	done chan struct{}
}

type topic struct {
	subs  map[uint64]func(forum.Event)
	ready chan struct{} // closed once the subscription is confirmed
	ok    bool          // ready is closed
}

// quiet is how long the receiver waits for traffic before it pings; after three quiet
// periods without any answer it replaces the connection. (A variable for tests.)
var quiet = 2 * time.Second

func newBroker(rdb redis.UniversalClient, log *slog.Logger, timeout time.Duration) *broker {
	b := &broker{
		rdb: rdb, log: log, timeout: timeout, quiet: quiet,
		topics:  map[string]*topic{},
		pending: map[string][]*topic{},
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	b.ps = rdb.Subscribe(context.Background())
	go b.receive()
	return b
}

func (b *broker) subscribe(ctx context.Context, channel string, fn func(forum.Event)) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return fmt.Errorf("%w (redisstore: closed)", forum.ErrUnavailable)
	}
	t := b.topics[channel]
	if t == nil {
		t = &topic{subs: map[uint64]func(forum.Event){}, ready: make(chan struct{})}
		b.topics[channel] = t
	}
	b.nextID++
	id := b.nextID
	t.subs[id] = fn
	if !t.ok {
		b.requestLocked(ctx, channel, t)
	}
	b.mu.Unlock()

	limit := time.NewTimer(b.timeout)
	defer limit.Stop()
	again := time.NewTicker(500 * time.Millisecond)
	defer again.Stop()
	for {
		select {
		case <-t.ready:
			context.AfterFunc(ctx, func() { b.unsubscribe(channel, id) })
			return nil
		case <-again.C:
			// The SUBSCRIBE or the PING may have been lost with a connection; ask again.
			b.mu.Lock()
			if !t.ok && b.topics[channel] == t {
				b.requestLocked(ctx, channel, t)
			}
			b.mu.Unlock()
		case <-limit.C:
			b.unsubscribe(channel, id)
			return fmt.Errorf("%w (redisstore: subscription not confirmed within %s)", forum.ErrUnavailable, b.timeout)
		case <-ctx.Done():
			b.unsubscribe(channel, id)
			return fmt.Errorf("%w (redisstore: subscribe: %v)", forum.ErrUnavailable, ctx.Err())
		case <-b.stop:
			return fmt.Errorf("%w (redisstore: closed)", forum.ErrUnavailable)
		}
	}
}

// requestLocked sends SUBSCRIBE and then a PING whose answer confirms it. b.mu is held,
// which keeps (un)subscribe commands in the order of the map's changes.
func (b *broker) requestLocked(ctx context.Context, channel string, t *topic) {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := b.ps.Subscribe(wctx, channel); err != nil {
		b.log.Debug("subscribe failed", "channel", channel, "err", err)
		return
	}
	token := "c" + strconv.FormatUint(rand.Uint64(), 36)
	b.pending[token] = append(b.pending[token], t)
	if err := b.ps.Ping(wctx, token); err != nil {
		delete(b.pending, token)
		b.log.Debug("subscribe ping failed", "channel", channel, "err", err)
	}
}

func (b *broker) unsubscribe(channel string, id uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topics[channel]
	if t == nil {
		return
	}
	delete(t.subs, id)
	if len(t.subs) > 0 || b.closed {
		return
	}
	delete(b.topics, channel)
	// Confirmations still pending for the topic (their PING or its answer was lost with a
	// connection) will never come: forget them, and with them the topic's subscribers.
	for token, ts := range b.pending {
		ts = slices.DeleteFunc(ts, func(x *topic) bool { return x == t })
		if len(ts) == 0 {
			delete(b.pending, token)
		} else {
			b.pending[token] = ts
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = b.ps.Unsubscribe(ctx, channel)
}

func (b *broker) receive() {
	defer close(b.done)
	ctx := context.Background()
	silent, fails := 0, 0
	for {
		select {
		case <-b.stop:
			return
		default:
		}
		b.mu.Lock()
		ps := b.ps
		b.mu.Unlock()
		msg, err := ps.ReceiveTimeout(ctx, b.quiet)
		if err != nil {
			select {
			case <-b.stop:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				silent++
				if silent >= 3 {
					b.log.Warn("event connection silent; reconnecting")
					b.replace()
					silent = 0
					continue
				}
				pctx, cancel := context.WithTimeout(ctx, time.Second)
				_ = ps.Ping(pctx, "hc")
				cancel()
				continue
			}
			// A broken connection: go-redis reconnects and subscribes again on the next
			// receive. Back off meanwhile (full jitter, up to 1 s).
			fails++
			if fails == 1 {
				b.log.Warn("event connection lost", "err", err)
			}
			d := time.Duration(rand.Int64N(int64(min(time.Second, 50*time.Millisecond<<min(fails, 5)))))
			select {
			case <-b.stop:
				return
			case <-time.After(d):
			}
			continue
		}
		if fails > 0 {
			b.log.Info("event connection back")
		}
		silent, fails = 0, 0
		switch m := msg.(type) {
		case *redis.Message:
			b.dispatch(m)
		case *redis.Pong:
			b.confirm(m.Payload)
		}
	}
}

func (b *broker) confirm(token string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range b.pending[token] {
		if !t.ok {
			t.ok = true
			close(t.ready)
		}
	}
	delete(b.pending, token)
}

func (b *broker) dispatch(m *redis.Message) {
	var ev forum.Event
	if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
		b.log.Warn("undecodable event", "channel", m.Channel, "err", err)
		return
	}
	b.mu.Lock()
	t := b.topics[m.Channel]
	var fns []func(forum.Event)
	if t != nil {
		fns = make([]func(forum.Event), 0, len(t.subs))
		for _, fn := range t.subs {
			fns = append(fns, fn)
		}
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}

// replace swaps the pub/sub connection for a new one subscribed to every current channel.
func (b *broker) replace() {
	b.mu.Lock()
	old := b.ps
	channels := make([]string, 0, len(b.topics))
	for ch := range b.topics {
		channels = append(channels, ch)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	b.ps = b.rdb.Subscribe(ctx, channels...)
	cancel()
	clear(b.pending)
	b.mu.Unlock()
	_ = old.Close()
}

func (b *broker) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	close(b.stop)
	ps := b.ps
	b.topics = map[string]*topic{}
	b.mu.Unlock()
	_ = ps.Close()
	<-b.done
}
