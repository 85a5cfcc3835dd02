package forum

import (
	"context"
	"errors"

	"pejl/internal/charter"
)

// Change is how an item (a statement, or a section's statements together) moved from one
// session to the next in a comparison ("før / efter").
//
// The anonymity rule holds for every difference: a change is given only between two figures
// that the comparison shows on their own — the whole room's (as every session's own figures
// are, to the facilitator), a group's only when the group passed the rule for the item in
// both sessions (GroupResultsOf). The merged "other" groups never get a change, since they
// may hold different groups in the two sessions: subtracting them could single out a small
// group. So no change can be subtracted from shown figures to learn more than they show.
type Change struct {
	From  string `json:"from"`
	To    string `json:"to"`
	FromN int64  `json:"from_n"`
	ToN   int64  `json:"to_n"`
	// Mean is the change of the mean (to minus from), rounded to two decimals; null when
	// either side has no answers.
	Mean *float64 `json:"mean"`
	// Groups is the change of each group's mean (by the comparison's group key), only for
	// groups that passed the rule in both sessions.
	Groups map[string]float64 `json:"groups"`
}

// ComparedSection is a section's statements together, per session, and their changes.
type ComparedSection struct {
	ID       string                     `json:"id"`
	Title    string                     `json:"title"`
	Sessions map[string]StatementResult `json:"sessions"`
	Changes  []Change                   `json:"changes"`
}

// ComparedAgreement is an agreement of a session compared, with what its follow-ups
// answered ("Er aftalen gennemført?").
type ComparedAgreement struct {
	Agreement
	// Session is the session where it was agreed (a follow-up's copy names its origin).
	Session   string              `json:"session"`
	FollowUps []AgreementFollowUp `json:"follow_ups"`
}

// AgreementFollowUp is a follow-up session's answers about one agreement.
type AgreementFollowUp struct {
	Session  string           `json:"session"`
	Activity string           `json:"activity"`
	N        int64            `json:"n"`
	Options  map[string]int64 `json:"options"`
	Withheld bool             `json:"withheld,omitempty"`
	// Status is the most given answer (an option id of FollowUpOptions; ties go to the
	// earlier option), "" when none or withheld.
	Status string `json:"status"`
}

// sessionGroups holds per-session results of the groups that passed the rule: statement →
// session → group key → result.
type sessionGroups map[string]map[string]map[string]StatementResult

func (g sessionGroups) add(st, session, key string, r StatementResult) {
	if key == OtherGroup {
		return
	}
	if g[st] == nil {
		g[st] = map[string]map[string]StatementResult{}
	}
	if g[st][session] == nil {
		g[st][session] = map[string]StatementResult{}
	}
	g[st][session][key] = r
}

// change makes the Change between two results under the rule above (groups: the results of
// the groups that passed in both sessions).
func change(from, to ComparedSession, a, b StatementResult, groups map[string][2]StatementResult) Change {
	c := Change{From: from.ID, To: to.ID, FromN: a.N, ToN: b.N, Groups: map[string]float64{}}
	if a.Mean != nil && b.Mean != nil {
		d := Round2(*b.Mean - *a.Mean)
		c.Mean = &d
	}
	for key, ab := range groups {
		if ab[0].Mean != nil && ab[1].Mean != nil {
			c.Groups[key] = Round2(*ab[1].Mean - *ab[0].Mean)
		}
	}
	return c
}

// statementChanges are a statement's changes between consecutive sessions.
func statementChanges(sessions []ComparedSession, per map[string]StatementResult, groups map[string]map[string]StatementResult) []Change {
	out := []Change{}
	for i := 1; i < len(sessions); i++ {
		from, to := sessions[i-1], sessions[i]
		both := map[string][2]StatementResult{}
		for key, a := range groups[from.ID] {
			if b, ok := groups[to.ID][key]; ok {
				both[key] = [2]StatementResult{a, b}
			}
		}
		out = append(out, change(from, to, per[from.ID], per[to.ID], both))
	}
	return out
}

// sectionChanges adds up each section's statements per session (and, per group, the
// statements the group passed for in that session) and gives their changes.
func sectionChanges(ch *charter.Charter, cmp *Comparison, groups sessionGroups) []ComparedSection {
	byID := map[string]*ComparedStatement{}
	for i := range cmp.Statements {
		byID[cmp.Statements[i].ID] = &cmp.Statements[i]
	}
	out := []ComparedSection{}
	for _, sec := range ch.Sections {
		if len(sec.Statements) == 0 || sec.Unrated {
			continue
		}
		cs := ComparedSection{ID: sec.ID, Title: sec.Title, Sessions: map[string]StatementResult{}, Changes: []Change{}}
		group := map[string]map[string]map[string]int64{} // session → group key → counts
		for _, sess := range cmp.Sessions {
			counts := map[string]int64{}
			group[sess.ID] = map[string]map[string]int64{}
			for _, st := range sec.Statements {
				if c := byID[st.ID]; c != nil {
					addCounts(counts, c.Sessions[sess.ID].Counts)
				}
				for key, r := range groups[st.ID][sess.ID] {
					if group[sess.ID][key] == nil {
						group[sess.ID][key] = map[string]int64{}
					}
					addCounts(group[sess.ID][key], r.Counts)
				}
			}
			cs.Sessions[sess.ID] = statFromCounts(counts)
		}
		for i := 1; i < len(cmp.Sessions); i++ {
			from, to := cmp.Sessions[i-1], cmp.Sessions[i]
			both := map[string][2]StatementResult{}
			for key, a := range group[from.ID] {
				if b, ok := group[to.ID][key]; ok {
					both[key] = [2]StatementResult{statFromCounts(a), statFromCounts(b)}
				}
			}
			cs.Changes = append(cs.Changes, change(from, to, cs.Sessions[from.ID], cs.Sessions[to.ID], both))
		}
		out = append(out, cs)
	}
	return out
}

// agreementStatus lists the agreements of the sessions compared, each once (a follow-up's
// copies count as the agreement of the session it came from), with what every follow-up
// among the sessions answered about it, withheld below the follow-up's ResultsFrom.
func (s *Service) agreementStatus(ctx context.Context, sessions []*Session) ([]ComparedAgreement, error) {
	out := []ComparedAgreement{}
	index := map[string]int{} // origin session + agreement id → position in out
	for _, sess := range sessions {
		origin, err := s.originOf(ctx, sess)
		if err != nil {
			return nil, err
		}
		for _, ag := range sess.Agreements {
			key := origin + "\x00" + ag.ID
			if _, ok := index[key]; !ok {
				index[key] = len(out)
				out = append(out, ComparedAgreement{Agreement: ag, Session: origin, FollowUps: []AgreementFollowUp{}})
			}
		}
		if sess.Follows == "" {
			continue
		}
		for i := range sess.Activities {
			a := &sess.Activities[i]
			j, ok := index[origin+"\x00"+a.Agreement]
			if a.Agreement == "" || a.Kind != KindChoice || !ok {
				continue
			}
			tally, err := s.e.Tally(ctx, sess.ID, a.ID)
			if err != nil {
				return nil, engineErr(err)
			}
			r := ResultsFromTally(a, tally, "")
			fu := AgreementFollowUp{Session: sess.ID, Activity: a.ID, N: r.N, Options: r.Options}
			if Withhold(sess, a, &r); r.Withheld {
				fu.Withheld, fu.Options = true, map[string]int64{}
			} else {
				var best int64
				for _, o := range a.Options {
					if n := r.Options[o.ID]; n > best {
						best, fu.Status = n, o.ID
					}
				}
			}
			if fu.Options == nil {
				fu.Options = map[string]int64{}
			}
			out[j].FollowUps = append(out[j].FollowUps, fu)
		}
	}
	return out, nil
}

// originOf is the session a chain of follow-ups starts from (the session itself when it
// follows none, or when an earlier one is gone).
func (s *Service) originOf(ctx context.Context, sess *Session) (string, error) {
	id, next := sess.ID, sess.Follows
	for range 20 {
		if next == "" {
			break
		}
		parent, err := s.e.Session(ctx, next)
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return "", engineErr(err)
		}
		id, next = parent.ID, parent.Follows
	}
	return id, nil
}
