package forum

import (
	"context"
	"strconv"
)

// The gap and the rounds in a comparison across workshops. Per statement and session:
// the gap of the session's gap rating that covers the statement (its round 2 when it had
// one: where the room ended), and the delta of the session's round 2 of a scale (the mean
// change over the people who answered both rounds, given only from the session's
// threshold). Pooled, the gap comes from every session's own gaps together.

// ComparedScale is one statement's results on a scale of another range than 1–5 (0–10,
// 1–7), or with another question, across the sessions that have it: such scales are never
// pooled with the 1–5 scale, only with scales of the same question and range.
type ComparedScale struct {
	Prompt   string                     `json:"prompt"`
	Min      int                        `json:"min"`
	Max      int                        `json:"max"`
	Sessions map[string]StatementResult `json:"sessions"`
	Pooled   StatementResult            `json:"pooled"`
}

// compareOtherScales fills each statement's OtherScales: per question and range, the first
// such scale of each session that covers the statement (round 1), and the pooled counts.
func (s *Service) compareOtherScales(ctx context.Context, cmp *Comparison, sessions []*Session) error {
	type key struct {
		st, prompt string
		lo, hi     int
	}
	byKey := map[key]*ComparedScale{}
	pooled := map[key]map[string]int64{}
	var order []key
	for _, sess := range sessions {
		for i := range sess.Activities {
			a := &sess.Activities[i]
			if a.Layout() != LayoutScale || (a.Min == 1 && a.Max == 5) || a.Round == 2 {
				continue
			}
			tally, err := s.e.Tally(ctx, sess.ID, a.ID)
			if err != nil {
				return engineErr(err)
			}
			res := ResultsFromTally(a, tally, "")
			Withhold(sess, a, &res)
			for _, st := range a.Statements {
				k := key{st, a.Prompt, a.Min, a.Max}
				cs := byKey[k]
				if cs == nil {
					cs = &ComparedScale{Prompt: a.Prompt, Min: a.Min, Max: a.Max, Sessions: map[string]StatementResult{}}
					byKey[k], pooled[k] = cs, map[string]int64{}
					order = append(order, k)
				}
				if _, done := cs.Sessions[sess.ID]; done {
					continue
				}
				sr := res.Statements[st]
				cs.Sessions[sess.ID] = sr
				if !sr.Withheld {
					addCounts(pooled[k], sr.Counts)
				}
			}
		}
	}
	idx := map[string]int{}
	for i := range cmp.Statements {
		idx[cmp.Statements[i].ID] = i
	}
	for _, k := range order {
		cs := byKey[k]
		cs.Pooled = scaleStat(func(v string) int64 { return pooled[k][v] }, k.lo, k.hi, func(v string) string { return v }, "")
		if i, ok := idx[k.st]; ok {
			cmp.Statements[i].OtherScales = append(cmp.Statements[i].OtherScales, *cs)
		}
	}
	return nil
}

// compareGapsAndDeltas fills the comparison's Gaps, PooledGap and Deltas.
func (s *Service) compareGapsAndDeltas(ctx context.Context, cmp *Comparison, sessions []*Session) error {
	gaps := map[string]map[string]*float64{}   // statement → session → gap
	deltas := map[string]map[string]*float64{} // statement → session → delta
	pooled := map[string]map[string]int64{}    // statement → own gap → people
	for _, sess := range sessions {
		doneGap := map[string]bool{}
		doneDelta := map[string]bool{}
		// Later rounds first, so that a round 2 stands for its round 1.
		for i := len(sess.Activities) - 1; i >= 0; i-- {
			a := &sess.Activities[i]
			isGap, isRound := a.Layout() == LayoutGap, a.Layout() == LayoutScale && a.Round == 2
			if !isGap && !isRound {
				continue
			}
			tally, err := s.e.Tally(ctx, sess.ID, a.ID)
			if err != nil {
				return engineErr(err)
			}
			res := ResultsFromTally(a, tally, "")
			HideSmallShifts(sess, &res)
			Withhold(sess, a, &res)
			for _, st := range a.Statements {
				sr := res.Statements[st]
				switch {
				case isGap && !doneGap[st] && sr.N > 0 && !sr.Withheld:
					doneGap[st] = true
					put(gaps, st, sess.ID, sr.Gap)
					if pooled[st] == nil {
						pooled[st] = map[string]int64{}
					}
					addCounts(pooled[st], sr.GapCounts)
				case isRound && !doneDelta[st] && sr.Shift != nil:
					doneDelta[st] = true
					d := sr.Shift.MeanChange
					put(deltas, st, sess.ID, &d)
				}
			}
		}
	}
	for i := range cmp.Statements {
		cs := &cmp.Statements[i]
		cs.Gaps, cs.Deltas = gaps[cs.ID], deltas[cs.ID]
		cs.PooledGap = meanOfCounts(pooled[cs.ID])
	}
	return nil
}

func put(m map[string]map[string]*float64, st, sess string, v *float64) {
	if v == nil {
		return
	}
	if m[st] == nil {
		m[st] = map[string]*float64{}
	}
	m[st][sess] = v
}

// meanOfCounts is the mean of values given as counts per value ("-2" → 3 people, …).
func meanOfCounts(counts map[string]int64) *float64 {
	var n, sum int64
	for k, c := range counts {
		v, err := strconv.Atoi(k)
		if err != nil {
			continue
		}
		n += c
		sum += c * int64(v)
	}
	if n == 0 {
		return nil
	}
	m := Round2(float64(sum) / float64(n))
	return &m
}
