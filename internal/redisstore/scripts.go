package redisstore

import (
	"context"
	"embed"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"pejl/internal/forum"
)

//go:embed lua/*.lua
var luaFS embed.FS

func script(name string) *redis.Script {
	src, err := luaFS.ReadFile("lua/" + name + ".lua")
	if err != nil {
		panic("redisstore: missing script " + name)
	}
	return redis.NewScript(string(src))
}

// The atomic steps; each file documents its keys, arguments and reply.
var (
	scrCreateSession      = script("create_session")
	scrSaveSession        = script("save_session")
	scrDeleteSession      = script("delete_session")
	scrApplyVotes         = script("apply_votes")
	scrAddParticipant     = script("add_participant")
	scrParticipantByToken = script("participant_by_token")
	scrAddComment         = script("add_comment")
	scrUpvote             = script("upvote")
	scrSetCommentFlags    = script("set_comment_flags")
	scrDelIfEqual         = script("del_if_equal")
	scrPresenceSet        = script("presence_set")
	scrPresenceGet        = script("presence_get")
	scrSaveCharter        = script("save_charter")
	scrCreateUser         = script("create_user")
	scrUpdateUser         = script("update_user")

	allScripts = []*redis.Script{scrCreateSession, scrSaveSession, scrDeleteSession, scrApplyVotes,
		scrAddParticipant, scrParticipantByToken, scrAddComment, scrUpvote, scrSetCommentFlags,
		scrDelIfEqual, scrPresenceSet, scrPresenceGet, scrSaveCharter, scrCreateUser, scrUpdateUser}
)

// run runs a script (EVALSHA, then EVAL if Redis lost its script cache) and maps errors.
func (s *Store) run(ctx context.Context, sc *redis.Script, keys []string, args ...any) (any, error) {
	v, err := sc.Run(ctx, s.rdb, keys, args...).Result()
	return v, mapErr(err)
}

// runDurable runs a script whose success Pejl acknowledges to a client (a vote batch, a
// comment, an upvote, a participant, a facilitator command). Without Options.WaitReplicas
// it is run. With it, the script and then WAIT go to the key's master in one pipeline, on
// one connection (WAIT counts the replicas that have every write of its own connection):
// if fewer replicas than asked confirm within Options.WaitTimeout, the write may still be
// on the master, but it is not acknowledged, ErrUnavailable is returned and the client
// resends it with the same id. Every such script is safe to repeat (see the package
// comment), so a resend of a write that did land changes nothing, and a resend of one the
// crash lost applies it again.
func (s *Store) runDurable(ctx context.Context, sc *redis.Script, keys []string, args ...any) (any, error) {
	if s.waitReplicas <= 0 {
		return s.run(ctx, sc, keys, args...)
	}
	node, err := s.masterFor(ctx, keys[0])
	if err != nil {
		return nil, mapErr(err)
	}
	var ev, wait *redis.Cmd
	pipe := func(eval func(redis.Pipeliner) *redis.Cmd) {
		_, _ = node.Pipelined(ctx, func(p redis.Pipeliner) error {
			ev = eval(p)
			wait = p.Do(ctx, "WAIT", s.waitReplicas, s.waitTimeout.Milliseconds())
			return nil
		})
	}
	pipe(func(p redis.Pipeliner) *redis.Cmd { return sc.EvalSha(ctx, p, keys, args...) })
	if redis.HasErrorPrefix(ev.Err(), "NOSCRIPT") {
		pipe(func(p redis.Pipeliner) *redis.Cmd { return sc.Eval(ctx, p, keys, args...) })
	}
	v, err := ev.Result()
	var n int64
	if err == nil {
		n, err = wait.Int64()
	}
	if err != nil {
		err = mapErr(err)
		if errors.Is(err, forum.ErrUnavailable) {
			s.reloadSlots() // the master may have changed: the client's resend goes to the new one
		}
		return nil, err
	}
	if n < int64(s.waitReplicas) {
		return nil, fmt.Errorf("%w (redis: WAIT: %d of %d replicas confirmed the write within %v)",
			forum.ErrUnavailable, n, s.waitReplicas, s.waitTimeout)
	}
	return v, nil
}

// masterFor returns the client of the master that holds key: the cluster's master for the
// key's slot, or the one client (a single node, or Sentinel's current master).
func (s *Store) masterFor(ctx context.Context, key string) (*redis.Client, error) {
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		return c.MasterForKey(ctx, key)
	case *redis.Client:
		return c, nil
	}
	return nil, fmt.Errorf("redisstore: no master for a %T", s.rdb)
}

// reloadSlots asks a cluster client to read the slot map again (in the background): a
// command sent to one node directly (runDurable) does not follow MOVED itself.
func (s *Store) reloadSlots() {
	if c, ok := s.rdb.(*redis.ClusterClient); ok {
		c.ReloadState(context.Background())
	}
}
