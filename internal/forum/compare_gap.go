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
