package redisstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"pejl/internal/forum"
	"pejl/internal/forum/forumtest"
	"pejl/internal/redisstore/redistest"
)

// BenchmarkApplyVotes sends batches of 256 votes to one session from parallel callers (as
// several sessions' or instances' batchers would) and reports votes/s. Each op is a new
// vote or a replacement (participants vote again on the same statements), in groups.
func BenchmarkApplyVotes(b *testing.B) {
	s, _ := newStore(b, redistest.URL(b))
	sess := forumtest.CreateSession(b, s, "u1")
	const batch = 256
	const participants = 10000
	// Build the votes once; the ops only differ by participant, statement and value.
	votes := make([]forum.Vote, 0, participants)
	for i := range participants {
		g := []string{"g1", "g2", ""}[i%3]
		st := []string{"st1", "st2", "st3"}[i%3]
		votes = append(votes, forumtest.MakeVote(sess, fmt.Sprintf("p%d", i), g, forumtest.ActScale, st, 1+i%5, 0))
	}
	var seq atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		ops := make([]forum.VoteOp, batch)
		for pb.Next() {
			n := seq.Add(1)
			for i := range ops {
				k := int(n)*batch + i
				ops[i] = forum.VoteOp{ClientID: fmt.Sprintf("m%d", k), Vote: votes[k%participants]}
			}
			res, err := s.ApplyVotes(ctx, sess.ID, ops)
			if err != nil {
				b.Error(err)
				return
			}
			if res[0].Status != forum.VoteApplied {
				b.Errorf("status %d", res[0].Status)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "votes/s")
}
