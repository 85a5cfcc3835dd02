package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"

	"pejl/internal/forum"
)

// A comment is stored in three parts: its immutable JSON in the comments hash, its upvote
// count in cup and its flags in cflags, so that scripts never rewrite JSON.

const (
	flagHidden  = 1
	flagStarred = 2
	flagPending = 4
)

func flagsOf(c forum.Comment) int64 {
	var f int64
	if c.Hidden {
		f |= flagHidden
	}
	if c.Starred {
		f |= flagStarred
	}
	if c.Pending {
		f |= flagPending
	}
	return f
}

// assemble decodes a comment's JSON and sets its mutable parts.
func assemble(doc string, upvotes, flags int64) (*forum.Comment, error) {
	c, err := decodeDoc[forum.Comment]([]byte(doc), "comment")
	if err != nil {
		return nil, err
	}
	c.Upvotes = upvotes
	c.Hidden = flags&flagHidden != 0
	c.Starred = flags&flagStarred != 0
	c.Pending = flags&flagPending != 0
	return &c, nil
}

// AddComment stores c unless the participant already used clientID (add_comment).
func (s *Store) AddComment(ctx context.Context, sessionID, clientID string, c forum.Comment) (bool, int64, error) {
	doc, err := json.Marshal(c)
	if err != nil {
		return false, 0, fmt.Errorf("redisstore: encode comment: %w", err)
	}
	k := s.sk(sessionID)
	pc := pcName(c.Participant)
	v, err := s.runDurable(ctx, scrAddComment,
		[]string{k.meta(), k.seen(), k.comments(), k.corder(), k.rel(pc), k.registry(), k.cup(), k.cflags()},
		seenMember(c.Participant, clientID), c.ID, doc, pc, c.Upvotes, flagsOf(c))
	if err != nil {
		return false, 0, err
	}
	r, _ := v.([]any)
	if len(r) != 2 {
		return false, 0, fmt.Errorf("redisstore: add_comment answered %v", v)
	}
	return toInt(r[0]) == 1, toInt(r[1]), nil
}

// Upvote records the participant's upvote of a comment, once per participant (upvote).
func (s *Store) Upvote(ctx context.Context, sessionID, participantID, commentID, clientID string) (*forum.Comment, bool, error) {
	k := s.sk(sessionID)
	upv, upme := upvName(commentID), upmeName(participantID)
	v, err := s.runDurable(ctx, scrUpvote,
		[]string{k.meta(), k.seen(), k.comments(), k.cup(), k.cflags(), k.rel(upv), k.rel(upme), k.registry()},
		seenMember(participantID, clientID), commentID, participantID, upv, upme)
	if err != nil {
		return nil, false, err
	}
	r, _ := v.([]any)
	if len(r) != 4 {
		return nil, false, fmt.Errorf("redisstore: upvote answered %v", v)
	}
	doc, _ := r[1].(string)
	c, err := assemble(doc, toInt(r[2]), toInt(r[3]))
	if err != nil {
		return nil, false, err
	}
	return c, toInt(r[0]) == 1, nil
}

// Upvoted returns the ids of the comments the participant upvoted.
func (s *Store) Upvoted(ctx context.Context, sessionID, participantID string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, s.sk(sessionID).rel(upmeName(participantID))).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// SetCommentFlags sets hidden and/or starred and bumps the version (set_comment_flags).
func (s *Store) SetCommentFlags(ctx context.Context, sessionID, commentID string, hidden, starred *bool) (*forum.Comment, error) {
	arg := func(b *bool) string {
		switch {
		case b == nil:
			return ""
		case *b:
			return "1"
		}
		return "0"
	}
	k := s.sk(sessionID)
	v, err := s.runDurable(ctx, scrSetCommentFlags, []string{k.meta(), k.comments(), k.cup(), k.cflags()},
		commentID, arg(hidden), arg(starred))
	if err != nil {
		return nil, err
	}
	r, _ := v.([]any)
	if len(r) != 4 {
		return nil, fmt.Errorf("redisstore: set_comment_flags answered %v", v)
	}
	doc, _ := r[0].(string)
	return assemble(doc, toInt(r[1]), toInt(r[2]))
}

// Comment returns one comment.
func (s *Store) Comment(ctx context.Context, sessionID, commentID string) (*forum.Comment, error) {
	cs, err := s.comments(ctx, s.sk(sessionID), []string{commentID})
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, forum.ErrNotFound
	}
	return &cs[0], nil
}

// ParticipantComments returns the participant's comments in creation order.
func (s *Store) ParticipantComments(ctx context.Context, sessionID, participantID string) ([]forum.Comment, error) {
	k := s.sk(sessionID)
	ids, err := s.rdb.LRange(ctx, k.rel(pcName(participantID)), 0, -1).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	out, err := s.comments(ctx, k, ids)
	if out == nil && err == nil {
		out = []forum.Comment{}
	}
	return out, err
}

// ScanComments calls fn for every comment in creation order, reading the order list and
// the comments in pages.
func (s *Store) ScanComments(ctx context.Context, sessionID string, fn func(forum.Comment) error) error {
	k := s.sk(sessionID)
	for start := int64(0); ; start += scanPage {
		ids, err := s.rdb.LRange(ctx, k.corder(), start, start+scanPage-1).Result()
		if err != nil {
			return mapErr(err)
		}
		cs, err := s.comments(ctx, k, ids)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(ids) < scanPage {
			return nil
		}
	}
}

// comments loads the named comments (skipping missing ones) in one round trip.
func (s *Store) comments(ctx context.Context, k sessionKeys, ids []string) ([]forum.Comment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var docs, ups, flags *redis.SliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		docs = p.HMGet(ctx, k.comments(), ids...)
		ups = p.HMGet(ctx, k.cup(), ids...)
		flags = p.HMGet(ctx, k.cflags(), ids...)
		return nil
	})
	if err != nil {
		return nil, mapErr(err)
	}
	out := make([]forum.Comment, 0, len(ids))
	num := func(v any) int64 {
		s, _ := v.(string)
		n, _ := strconv.ParseInt(s, 10, 64)
		return n
	}
	for i, d := range docs.Val() {
		doc, ok := d.(string)
		if !ok {
			continue
		}
		c, err := assemble(doc, num(ups.Val()[i]), num(flags.Val()[i]))
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, nil
}
