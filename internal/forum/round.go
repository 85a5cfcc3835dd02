package forum

import (
	"context"
	"encoding/json"
	"slices"
)

// Rounds: "Ny runde" keeps an activity's results as round 1 and opens round 2 as a derived
// activity (<activity>-r2, Round 2, RoundOf the first), so tallies, idempotency and exports
// stay per activity. A round-2 vote on a statement the same participant answered in round
// 1 adds the shift fields to its tally increments: "sh/<statement>/up", "down" or "same"
// (compared with round 1) and "sh/<statement>/sum" (the change). The engines keep them
// like any other field and take them back when the vote is replaced, so the shift is
// counted only over people who answered both rounds, and per group like every field.

// RoundSuffix ends the id of a round-2 activity.
const RoundSuffix = "-r2"

// Shift is how one statement's answers moved from round 1 to round 2, over the people who
// answered both: the shares who moved up, down or stayed, and the change of their mean.
type Shift struct {
	Up         float64 `json:"up"`
	Down       float64 `json:"down"`
	Same       float64 `json:"same"`
	MeanChange float64 `json:"mean_change"`
	NBoth      int64   `json:"n_both"`
}

// shifter is a per-statement kind whose answers can move between rounds: shiftValue
// gives the number a vote's move is measured on (ok false when there is none: ved ikke).
type shifter interface {
	shiftValue(raw json.RawMessage) (v int, ok bool)
}

// Roundable reports whether the activity can get a second round.
func Roundable(a *Activity) bool {
	switch a.Kind {
	case KindScale, KindGap, KindChoice, KindRank, KindPoints:
		return a.RoundOf == ""
	}
	return false
}

// shiftOf reads a statement's shift fields; nil when nobody answered both rounds.
func shiftOf(get func(string) int64, st string) *Shift {
	f := "sh/" + st + "/"
	up, down, same := get(f+"up"), get(f+"down"), get(f+"same")
	n := up + down + same
	if n <= 0 {
		return nil
	}
	share := func(c int64) float64 { return Round2(float64(c) / float64(n)) }
	return &Shift{Up: share(up), Down: share(down), Same: share(same),
		MeanChange: Round2(float64(get(f+"sum")) / float64(n)), NBoth: n}
}

// HideSmallShifts leaves out every shift that fewer than the anonymity threshold make: with
// fewer people behind it, one person's move could be read from it.
func HideSmallShifts(sess *Session, r *Results) {
	thr := int64(max(sess.AnonymityThreshold, 1))
	for st, sr := range r.Statements {
		if sr.Shift != nil && sr.Shift.NBoth < thr {
			sr.Shift = nil
			r.Statements[st] = sr
		}
	}
}

// shiftDeltas are the shift fields of a round-2 vote (value in normal form) on statement
// st by participant pid: none unless the kind measures shifts and the participant gave a
// value to the same statement in round 1.
func (s *Service) shiftDeltas(ctx context.Context, sessionID, pid string, a *Activity, st string, value json.RawMessage) ([]Delta, error) {
	k, ok := kindOf(a.Kind).(shifter)
	if !ok {
		return nil, nil
	}
	now, ok := k.shiftValue(value)
	if !ok {
		return nil, nil
	}
	votes, err := s.e.ParticipantVotes(ctx, sessionID, pid)
	if err != nil {
		return nil, engineErr(err)
	}
	for i := range votes {
		v := &votes[i]
		if v.Activity != a.RoundOf || v.Statement != st || v.Retracted() {
			continue
		}
		before, ok := k.shiftValue(v.Value)
		if !ok {
			return nil, nil
		}
		dir := "same"
		if now > before {
			dir = "up"
		} else if now < before {
			dir = "down"
		}
		f := "sh/" + st + "/"
		return []Delta{{Field: f + dir, N: 1}, {Field: f + "sum", N: int64(now - before)}}, nil
	}
	return nil, nil
}

// startRound closes activity id and opens its round 2 right after it, on the stage.
func startRound(sess *Session, id string) error {
	i := slices.IndexFunc(sess.Activities, func(a Activity) bool { return a.ID == id })
	if i < 0 {
		return Errorf(EUnknownActivity, "There is no activity %q in this session.", id)
	}
	a := sess.Activities[i]
	if !Roundable(&a) {
		return Errorf(EBadRequest, "A new round can be started from a scale, gap rating, choice, ranking or points activity, once.")
	}
	if _, ok := sess.Activity(id + RoundSuffix); ok {
		return Errorf(EBadRequest, "Round 2 of %q has started already.", id)
	}
	if len(sess.Activities) >= MaxActivities {
		return Errorf(EBadRequest, "A session may have at most %d activities.", MaxActivities)
	}
	sess.Activities[i].State = ActivityClosed
	r2 := a
	r2.ID, r2.Round, r2.RoundOf = id+RoundSuffix, 2, id
	r2.State, r2.Results = ActivityOpen, ResultsHidden
	r2.Statements = slices.Clone(a.Statements)
	r2.Options = slices.Clone(a.Options)
	r2.Labels = slices.Clone(a.Labels)
	r2.Axes = slices.Clone(a.Axes)
	sess.Activities = slices.Insert(sess.Activities, i+1, r2)
	sess.State = StateLive
	sess.CurrentSection = a.Section
	sess.Stage = &Stage{Kind: StageQuestion, Section: a.Section, Activity: r2.ID}
	return nil
}

// RoundOf returns the round an activity's answers belong to: 2 for a round 2, 1 for an
// activity that has a round 2, 0 for one without rounds.
func (s *Session) RoundOf(a *Activity) int {
	if a.Round > 0 {
		return a.Round
	}
	if _, ok := s.Activity(a.ID + RoundSuffix); ok {
		return 1
	}
	return 0
}
