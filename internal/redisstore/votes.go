package redisstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"pejl/internal/forum"
)

// ApplyVotes applies the ops in order with one run of apply_votes (one round trip): each
// op behaves exactly as if it were alone (dedupe, open check, replace, move the tally,
// bump the version), and Redis runs the whole batch as one step, so no other command
// comes between two ops of a batch. A failure returns an error and no results: the caller
// answers unavailable and the client resends with the same ids, which is safe because
// apply_votes deduplicates by client id (an op that did land comes back as VoteDuplicate,
// which callers acknowledge like VoteApplied).
func (s *Store) ApplyVotes(ctx context.Context, sessionID string, ops []forum.VoteOp) ([]forum.VoteResult, error) {
	if len(ops) == 0 {
		return []forum.VoteResult{}, nil
	}
	k := s.sk(sessionID)
	keys := []string{k.meta(), k.open(), k.seen(), k.votes(), k.registry()}
	index := map[string]int{} // registry name → 1-based index in keys
	keyOf := func(name string) int {
		if i, ok := index[name]; ok {
			return i
		}
		keys = append(keys, k.rel(name))
		index[name] = len(keys)
		return len(keys)
	}
	args := make([]any, 0, len(ops)*17)
	for _, op := range ops {
		v := op.Vote
		doc, err := encodeVote(v)
		if err != nil {
			return nil, err
		}
		pv, t := pvName(v.Participant), tName(v.Activity)
		args = append(args, seenMember(v.Participant, op.ClientID), v.Activity,
			voteField(v.Participant, v.Activity, v.Statement), doc, keyOf(pv), keyOf(t), pv, t, len(v.Contrib))
		for _, d := range v.Contrib {
			args = append(args, d.Field, d.N)
		}
	}
	r, err := s.runDurable(ctx, scrApplyVotes, keys, args...)
	if err != nil {
		return nil, err
	}
	flat, _ := r.([]any)
	if len(flat) != 2*len(ops) {
		return nil, fmt.Errorf("redisstore: apply_votes answered %d values for %d ops", len(flat), len(ops))
	}
	out := make([]forum.VoteResult, len(ops))
	for i := range out {
		out[i] = forum.VoteResult{Status: forum.VoteStatus(toInt(flat[2*i])), Version: toInt(flat[2*i+1])}
	}
	return out, nil
}

// Tally returns an activity's tally fields (empty map when none); "_v" counts changes.
func (s *Store) Tally(ctx context.Context, sessionID, activityID string) (map[string]int64, error) {
	m, err := s.rdb.HGetAll(ctx, s.sk(sessionID).rel(tName(activityID))).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	out := make(map[string]int64, len(m))
	for f, n := range m {
		c, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("redisstore: tally field %q is %q", f, n)
		}
		out[f] = c
	}
	return out, nil
}

// ParticipantVotes returns the participant's current votes.
func (s *Store) ParticipantVotes(ctx context.Context, sessionID, participantID string) ([]forum.Vote, error) {
	k := s.sk(sessionID)
	fields, err := s.rdb.SMembers(ctx, k.rel(pvName(participantID))).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	if len(fields) == 0 {
		return []forum.Vote{}, nil
	}
	docs, err := s.rdb.HMGet(ctx, k.votes(), fields...).Result()
	if err != nil {
		return nil, mapErr(err)
	}
	return decodeFound(docs, decodeVote)
}

// ScanVotes calls fn for every current vote, reading the votes hash in pages (HSCAN).
func (s *Store) ScanVotes(ctx context.Context, sessionID string, fn func(forum.Vote) error) error {
	return s.hscan(ctx, s.sk(sessionID).votes(), func(_, doc string) error {
		v, err := decodeVote(doc)
		if err != nil {
			return err
		}
		return fn(v)
	})
}

// SeenClientID reports whether the participant's message id was accepted before.
func (s *Store) SeenClientID(ctx context.Context, sessionID, participantID, clientID string) (bool, error) {
	ok, err := s.rdb.SIsMember(ctx, s.sk(sessionID).seen(), seenMember(participantID, clientID)).Result()
	return ok, mapErr(err)
}

// encodeVote makes a vote's stored form: its contribution in a form Lua reads without a
// JSON decoder, "<len>:<field>=<amount>;" per delta, then a newline and the vote's JSON.
func encodeVote(v forum.Vote) ([]byte, error) {
	doc, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("redisstore: encode vote: %w", err)
	}
	var b []byte
	for _, d := range v.Contrib {
		b = strconv.AppendInt(b, int64(len(d.Field)), 10)
		b = append(b, ':')
		b = append(b, d.Field...)
		b = append(b, '=')
		b = strconv.AppendInt(b, d.N, 10)
		b = append(b, ';')
	}
	b = append(b, '\n')
	return append(b, doc...), nil
}

// decodeVote reads a stored vote (the JSON after the contribution line).
func decodeVote(s string) (forum.Vote, error) {
	var v forum.Vote
	i := strings.IndexByte(s, '\n')
	if i < 0 {
		return v, fmt.Errorf("redisstore: stored vote without a contribution line")
	}
	if err := json.Unmarshal([]byte(s[i+1:]), &v); err != nil {
		return v, fmt.Errorf("redisstore: decode vote: %w", err)
	}
	return v, nil
}
