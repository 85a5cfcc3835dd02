package redisstore

import (
	"context"
	"embed"

	"github.com/redis/go-redis/v9"
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
