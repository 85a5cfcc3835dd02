// Package redisstore is Pejl's Redis engine: it implements forum.Engine on Redis 7 (single
// node, Sentinel or Cluster), for production and for more than one instance.
//
// # Key schema
//
// Every key of one session carries the hash tag {s:<id>}, so that each Lua script touches
// one slot and Redis Cluster works (P is Options.Prefix, "pejl" by default):
//
//	P:{s:<id>}:meta        hash: doc (session JSON), rev, ver (version), epoch, code, owner, created
//	P:{s:<id>}:open        set of activity ids that accept votes
//	P:{s:<id>}:parts       hash participant id → participant JSON
//	P:{s:<id>}:tokens      hash resume-token hash → participant id
//	P:{s:<id>}:groups      hash group id → participant count
//	P:{s:<id>}:votes       hash participant NUL activity NUL statement → "<contribution line>\n<vote JSON>"
//	P:{s:<id>}:pv:<pid>    set of the participant's vote fields
//	P:{s:<id>}:t:<aid>     hash: the activity's tally fields, and "_v"
//	P:{s:<id>}:comments    hash comment id → comment JSON (the immutable part)
//	P:{s:<id>}:cup         hash comment id → upvotes
//	P:{s:<id>}:cflags      hash comment id → flags (1 hidden, 2 starred)
//	P:{s:<id>}:corder      list of comment ids in creation order
//	P:{s:<id>}:pc:<pid>    list of the participant's comment ids
//	P:{s:<id>}:upv:<cid>   set of participants who upvoted the comment
//	P:{s:<id>}:upme:<pid>  set of comments the participant upvoted
//	P:{s:<id>}:seen        set of participant NUL client id: message ids accepted (dedupe)
//	P:{s:<id>}:presence    hash instance → "<expiry ms>|<counts JSON>"
//	P:{s:<id>}:keys        set naming the per-participant/activity/comment keys above (for deletion)
//	P:{s:<id>}:tomb        hash: code, owner of a session being deleted, until the delete is done
//	P:{s:<id>}:events      pub/sub channel of the session's forum.Event JSON
//
// Global keys live under a few fixed hash tags: P:{g}:code:<code> → session id,
// P:{g}:sessions (zset of ids by creation time), P:{g}:owner:<user id> (zset, same);
// P:{a}:… for users, emails, tokens and logins (logins expire with PXAT); P:{c}:charters.
// The limiter's keys are redis_rate's: "rate:P:rl:<key>".
//
// # Atomic steps
//
// Every atomic step is one Lua script (lua/*.lua, embedded, each file documenting its keys,
// arguments and reply), run with EVALSHA and a fallback to EVAL. A batch of votes is one
// run of apply_votes: one round trip, each op with the outcome it would have alone. Every
// script is safe to repeat, because go-redis retries a command whose reply was lost:
// votes, comments and upvotes are deduplicated by client id, the others check what is
// stored before they write. Creating and deleting a session touch global keys too, so
// they are a few steps, each safe to repeat (see CreateSession and DeleteSession). The
// scripts need Redis 7 (SMISMEMBER, SET … PXAT).
//
// # Durability
//
// A call returns once Redis has the write in memory; how soon it is on disk is Redis's
// appendfsync setting (always: before the reply; everysec: within a second). Replication
// is asynchronous: a master that crashes can take its last writes with it, and its
// replica, promoted, never had them. With Options.WaitReplicas, a write that is
// acknowledged to a client returns only once that many replicas confirmed it (WAIT, on the
// same connection, see runDurable); otherwise it returns ErrUnavailable and the client
// resends it with the same id.
//
// # Data loss
//
// Redis keeps what its persistence settings keep: run it with appendonly yes. If a
// session's data is lost anyway (FLUSHALL, a replica promoted without it), its meta hash
// is gone and Version returns forum.ErrNotFound: the epoch cannot be read, so callers must
// treat ErrNotFound from Version on a session they were serving as "data lost" and never
// show zero counts as real. A new session with a new epoch is the only way back.
package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"pejl/internal/forum"
)

var _ forum.Engine = (*Store)(nil)

// Options configure a Store.
type Options struct {
	// URL of Redis: redis://[user:password@]host:port[/db] or rediss:// for TLS (see
	// go-redis ParseURL). For Sentinel give the sentinels' address and
	// ?master_name=<name>[&addr=<another sentinel>…]; for Cluster give one node and
	// ?addr=<another node>…, or set Cluster. Required.
	URL string
	// MasterName selects Sentinel (failover) mode; the URL names the sentinels. Default "".
	MasterName string
	// Cluster selects Redis Cluster mode; the URL names one or more nodes. Default false.
	Cluster bool
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Prefix of every key; default "pejl".
	Prefix string
	// Instance names this process (the Redis client name, and in logs); default the host name.
	Instance string
	// PoolSize is the number of connections per Redis node; default max(20, 10×GOMAXPROCS).
	PoolSize int
	// SubscribeTimeout bounds how long Subscribe waits for Redis to confirm; default 3s.
	SubscribeTimeout time.Duration
	// WaitReplicas, when above 0, makes every write that is acknowledged to a client (vote
	// batches, comments, upvotes, new participants, facilitator commands) wait until that
	// many replicas of its master have it (WAIT); if they do not confirm within
	// WaitTimeout, the call returns ErrUnavailable and the client resends. With it, a
	// master that crashes and whose replica takes over loses no acknowledged write (as
	// long as that replica is one that confirmed). Default 0: off (replication is
	// asynchronous, a crashed master can lose its last acknowledged writes).
	WaitReplicas int
	// WaitTimeout bounds each wait for replicas; default 500ms. It must be below the read
	// timeout (1 s unless the URL's read_timeout says otherwise).
	WaitTimeout time.Duration
}

// Store is the Redis engine. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	log     *slog.Logger
	prefix  string
	limiter *redis_rate.Limiter
	broker  *broker

	waitReplicas int           // Options.WaitReplicas
	waitTimeout  time.Duration // Options.WaitTimeout
}

// New connects to Redis, loads the scripts and starts the event subscriber. It fails if
// Redis does not answer within the context's time (or 5 s).
func New(ctx context.Context, opts Options) (*Store, error) {
	if opts.URL == "" {
		return nil, errors.New("redisstore: no URL")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Prefix == "" {
		opts.Prefix = "pejl"
	}
	if opts.Instance == "" {
		opts.Instance = hostname()
	}
	if opts.PoolSize <= 0 {
		opts.PoolSize = max(20, 10*runtime.GOMAXPROCS(0))
	}
	if opts.SubscribeTimeout <= 0 {
		opts.SubscribeTimeout = 3 * time.Second
	}
	if opts.WaitReplicas < 0 {
		return nil, fmt.Errorf("redisstore: WaitReplicas %d is negative", opts.WaitReplicas)
	}
	if opts.WaitTimeout <= 0 {
		opts.WaitTimeout = 500 * time.Millisecond
	}
	rdb, err := newClient(opts)
	if err != nil {
		return nil, err
	}
	if read := readTimeout(rdb); opts.WaitReplicas > 0 && read > 0 && opts.WaitTimeout >= read {
		_ = rdb.Close()
		return nil, fmt.Errorf("redisstore: the wait for replicas (%v) must be shorter than the read timeout (%v; read_timeout in the URL)", opts.WaitTimeout, read)
	}
	s := &Store{
		rdb:          rdb,
		log:          opts.Logger.With("engine", "redis"),
		prefix:       opts.Prefix,
		limiter:      redis_rate.NewLimiter(rdb),
		waitReplicas: opts.WaitReplicas,
		waitTimeout:  opts.WaitTimeout,
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redisstore: connect: %w", mapErr(err))
	}
	for _, sc := range allScripts {
		if err := sc.Load(ctx, rdb).Err(); err != nil {
			_ = rdb.Close()
			return nil, fmt.Errorf("redisstore: load scripts: %w", mapErr(err))
		}
	}
	s.broker = newBroker(rdb, s.log, opts.SubscribeTimeout)
	return s, nil
}

// newClient builds the go-redis client with Pejl's settings: short timeouts, at most two
// retries with small backoff, one dial attempt each (a retry dials again).
func newClient(opts Options) (redis.UniversalClient, error) {
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("redisstore: URL: %w", err)
	}
	q := u.Query()
	master := opts.MasterName
	if master == "" {
		master = q.Get("master_name")
	}
	cluster := opts.Cluster || (master == "" && len(q["addr"]) > 0)
	clientName := "pejl:" + strings.Map(func(r rune) rune {
		if r <= ' ' || r > '~' {
			return '-'
		}
		return r
	}, opts.Instance)
	switch {
	case master != "":
		if !q.Has("master_name") {
			q.Set("master_name", master)
			u.RawQuery = q.Encode()
		}
		o, err := redis.ParseFailoverURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redisstore: URL: %w", err)
		}
		tune(q, opts, clientName, knobs{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout,
			&o.MinRetryBackoff, &o.MaxRetryBackoff, &o.MaxRetries, &o.PoolSize, &o.DialerRetries,
			&o.ContextTimeoutEnabled, &o.ClientName})
		return redis.NewFailoverClient(o), nil
	case cluster:
		o, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redisstore: URL: %w", err)
		}
		tune(q, opts, clientName, knobs{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout,
			&o.MinRetryBackoff, &o.MaxRetryBackoff, &o.MaxRetries, &o.PoolSize, &o.DialerRetries,
			&o.ContextTimeoutEnabled, &o.ClientName})
		return redis.NewClusterClient(o), nil
	default:
		o, err := redis.ParseURL(u.String())
		if err != nil {
			return nil, fmt.Errorf("redisstore: URL: %w", err)
		}
		tune(q, opts, clientName, knobs{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout,
			&o.MinRetryBackoff, &o.MaxRetryBackoff, &o.MaxRetries, &o.PoolSize, &o.DialerRetries,
			&o.ContextTimeoutEnabled, &o.ClientName})
		return redis.NewClient(o), nil
	}
}

// readTimeout is the client's read timeout (0 if the client type is unknown).
func readTimeout(rdb redis.UniversalClient) time.Duration {
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.Options().ReadTimeout
	case *redis.Client:
		return c.Options().ReadTimeout
	}
	return 0
}

// knobs points at the settings Pejl chooses, in whichever go-redis options type.
type knobs struct {
	dial, read, write, pool, minBackoff, maxBackoff *time.Duration
	retries, poolSize, dialerRetries                *int
	contextTimeout                                  *bool
	clientName                                      *string
}

// tune sets Pejl's values, except those the URL's query sets itself: dial 2s, read and
// write 1s, pool wait 1s, 2 retries with 8–64ms backoff, one dial attempt per try; and
// always the client name and that a context's deadline bounds each command.
func tune(q url.Values, opts Options, clientName string, k knobs) {
	*k.contextTimeout = true
	*k.clientName = clientName
	set := func(name string, f func()) {
		if !q.Has(name) {
			f()
		}
	}
	set("dial_timeout", func() { *k.dial = 2 * time.Second })
	set("read_timeout", func() { *k.read = time.Second })
	set("write_timeout", func() { *k.write = time.Second })
	set("pool_timeout", func() { *k.pool = time.Second })
	set("min_retry_backoff", func() { *k.minBackoff = 8 * time.Millisecond })
	set("max_retry_backoff", func() { *k.maxBackoff = 64 * time.Millisecond })
	set("max_retries", func() { *k.retries = 2 })
	set("pool_size", func() { *k.poolSize = opts.PoolSize })
	set("dialer_retries", func() { *k.dialerRetries = 1 })
}

// Ping sends PING with a one-second limit.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return mapErr(s.rdb.Ping(ctx).Err())
}

// Close stops the event subscriber, ending every subscription, and closes the connections.
// Every write has been acknowledged by Redis when its call returned, so nothing is pending.
func (s *Store) Close() error {
	s.broker.close()
	return mapErr(s.rdb.Close())
}

// ---- errors ----

// mapErr turns a go-redis error into the engine contract's: redis.Nil → ErrNotFound, a
// script's NOTFOUND/CONFLICT → ErrNotFound/ErrConflict, network trouble, timeouts, a
// redirect and a Redis that is loading, read-only or down → ErrUnavailable (wrapped, with the cause as
// text). No go-redis type escapes.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, redis.Nil) {
		return forum.ErrNotFound
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		switch {
		case strings.HasPrefix(msg, "NOTFOUND"):
			return forum.ErrNotFound
		case strings.HasPrefix(msg, "CONFLICT"):
			return forum.ErrConflict
		case strings.HasPrefix(msg, "LOADING"), strings.HasPrefix(msg, "READONLY"),
			strings.HasPrefix(msg, "MASTERDOWN"), strings.HasPrefix(msg, "CLUSTERDOWN"),
			strings.HasPrefix(msg, "TRYAGAIN"), strings.HasPrefix(msg, "BUSY"),
			strings.HasPrefix(msg, "OOM"),
			// A node written to directly (runDurable) that no longer holds the slot.
			strings.HasPrefix(msg, "MOVED"), strings.HasPrefix(msg, "ASK"):
			return fmt.Errorf("%w (redis: %s)", forum.ErrUnavailable, msg)
		}
		return fmt.Errorf("redisstore: %s", msg)
	}
	// Anything else is the connection: refused, reset, timed out, closed, pool exhausted,
	// or the caller's context.
	return fmt.Errorf("%w (redis: %s)", forum.ErrUnavailable, err.Error())
}

// ---- helpers ----

func newEpoch() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "pejl-" + newEpoch()[:6]
	}
	return h
}
