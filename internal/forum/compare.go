package forum

import (
	"context"
	"slices"
	"strings"
	"time"
)

// MaxCompareSessions is the most sessions one comparison may name.
const MaxCompareSessions = 200

// Comparison is one charter's results across several sessions (workshops): per statement,
// the responses and mean of each session and of all of them pooled, and pooled per group.
type Comparison struct {
	Charter    ComparedCharter     `json:"charter"`
	Sessions   []ComparedSession   `json:"sessions"`
	Groups     []ComparedGroup     `json:"groups"`
	Statements []ComparedStatement `json:"statements"`
	// Sections are each section's results per session and their change from one session to
	// the next; Agreements the agreements of the sessions compared and how their follow-ups
	// answered (see compare_change.go).
	Sections   []ComparedSection   `json:"sections"`
	Agreements []ComparedAgreement `json:"agreements"`
	// Location is the time zone dates are read in (the service's).
	Location *time.Location `json:"-"`
}

// ComparedCharter names the charter compared.
type ComparedCharter struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Language string `json:"language"`
}

// ComparedSession is one session in a comparison.
type ComparedSession struct {
	ID                 string       `json:"id"`
	Title              string       `json:"title"`
	Code               string       `json:"code"`
	State              SessionState `json:"state"`
	Language           string       `json:"language"`
	CreatedAt          time.Time    `json:"created_at"`
	EndedAt            *time.Time   `json:"ended_at,omitempty"`
	Participants       int64        `json:"participants"`
	AnonymityThreshold int          `json:"anonymity_threshold"`
	// Pace, Follows: a self-paced session, and the session it follows up.
	Pace    string `json:"pace"`
	Follows string `json:"follows,omitempty"`
}

// ComparedGroup is a group pooled across sessions: every session's visible group with the
// same label (case and spaces aside), or every session's merged "other".
type ComparedGroup struct {
	// ID is "other" for the merged groups, else the label folded to lower case.
	ID    string `json:"id"`
	Label string `json:"label"`
	// Members counts the group's respondents (the most for one statement in a session),
	// summed over the sessions it is counted in.
	Members int64 `json:"members"`
	// Sessions are the ids of the sessions in which the group reached the threshold.
	Sessions []string `json:"sessions"`
}

// ComparedStatement is one statement's results in every session, pooled, and per group.
type ComparedStatement struct {
	ID           string                     `json:"id"`
	Section      string                     `json:"section"`
	SectionTitle string                     `json:"section_title"`
	Text         string                     `json:"text"`
	Sessions     map[string]StatementResult `json:"sessions"`
	Pooled       StatementResult            `json:"pooled"`
	Groups       map[string]StatementResult `json:"groups"`
	// Changes are the change from each session to the next, in the comparison's order.
	Changes []Change `json:"changes"`
	// Gaps are the gap (wanted − today) per session that rated the statement on a gap
	// rating, PooledGap all their own gaps together; Deltas the mean change of a round 2
	// per session (see compare_gap.go).
	Gaps      map[string]*float64 `json:"gaps,omitempty"`
	PooledGap *float64            `json:"pooled_gap,omitempty"`
	Deltas    map[string]*float64 `json:"deltas,omitempty"`
	// OtherScales are the statement's results on scales of other ranges or questions (see
	// ComparedScale).
	OtherScales []ComparedScale `json:"other_scales,omitempty"`
}

// Compare compares the actor's sessions on a charter: all of them when sessionIDs is empty,
// else the named ones in the order given. A named session the actor may not see is
// ENotFound; one on another charter is EBadRequest.
//
// Each session contributes, per statement, its first scale activity from 1 to 5 that
// covers the statement (the default activities of the charter are such). Pooled counts are
// the sums of the sessions' counts, and the pooled mean comes from the pooled counts. Per
// group, the anonymity rule is applied in each session first, statement by statement, with
// that session's threshold (GroupResultsOf); only the groups that pass it there contribute
// from that session, under their label, and the merged "other" groups pool as one. So a group
// that has 4 respondents in each of seven sessions never shows, although 28 people answered.
func (s *Service) Compare(ctx context.Context, actor *User, charterID string, sessionIDs []string) (*Comparison, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	ch, err := s.Charter(ctx, charterID)
	if err != nil {
		return nil, err
	}
	var sessions []*Session
	if len(sessionIDs) == 0 {
		all, err := s.Sessions(ctx, actor)
		if err != nil {
			return nil, err
		}
		for i := range all {
			if !all[i].Rehearsal && s.sameCharterFamily(ctx, all[i].CharterID, ch.ID) {
				sessions = append(sessions, &all[i])
			}
		}
		slices.SortStableFunc(sessions, func(a, b *Session) int { return a.CreatedAt.Compare(b.CreatedAt) })
	} else {
		if len(sessionIDs) > MaxCompareSessions {
			return nil, Errorf(EBadRequest, "Compare at most %d sessions at a time.", MaxCompareSessions)
		}
		seen := map[string]bool{}
		for _, id := range sessionIDs {
			id = strings.TrimSpace(id)
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			sess, err := s.Session(ctx, actor, id)
			if err != nil {
				return nil, err
			}
			if sess.Rehearsal {
				return nil, Errorf(EBadRequest, "The session %q (%s) is a rehearsal; rehearsals are left out of comparisons.", sess.ID, sess.Title)
			}
			if !s.sameCharterFamily(ctx, sess.CharterID, ch.ID) {
				return nil, Errorf(EBadRequest, "The session %q (%s) uses another charter; only sessions on the charter %q can be compared.", sess.ID, sess.Title, ch.ID)
			}
			sessions = append(sessions, sess)
		}
	}

	lang := ch.Language
	if _, ok := OtherLabel[lang]; !ok {
		lang = "da"
	}
	cmp := &Comparison{Location: s.cfg.Location,
		Charter:    ComparedCharter{ID: ch.ID, Title: ch.Title, Language: ch.Language},
		Sessions:   []ComparedSession{},
		Groups:     []ComparedGroup{},
		Statements: []ComparedStatement{},
		Sections:   []ComparedSection{},
		Agreements: []ComparedAgreement{},
	}
	type acc struct{ counts map[string]int64 }
	pooled := map[string]acc{}                 // statement → pooled counts
	groupCounts := map[string]map[string]acc{} // group key → statement → counts
	perSession := map[string]map[string]StatementResult{}
	perGroup := sessionGroups{} // statement → session → group key → result (groups that passed)
	groupIdx := map[string]int{}
	newAcc := func() acc { return acc{counts: map[string]int64{}} }

	for _, sess := range sessions {
		total, _, err := s.ParticipantCounts(ctx, sess.ID)
		if err != nil {
			return nil, err
		}
		cmp.Sessions = append(cmp.Sessions, ComparedSession{ID: sess.ID, Title: sess.Title, Code: sess.Code,
			State: sess.StateAt(s.now()), Language: sess.Language, CreatedAt: sess.CreatedAt, EndedAt: sess.EndedAt,
			Participants: total, AnonymityThreshold: sess.AnonymityThreshold,
			Pace: paceOf(sess), Follows: sess.Follows})
		keyOf := func(g GroupView) (key, label string) {
			key, label = OtherGroup, OtherLabel[lang]
			if g.ID != OtherGroup {
				label = strings.Join(strings.Fields(g.Label), " ")
				key = strings.ToLower(label)
				if key == OtherGroup {
					key = "group-" + key
				}
			}
			return key, label
		}
		members := map[string]int64{} // group key → its largest count of respondents in this session
		var keys []string
		done := map[string]bool{}
		for i := range sess.Activities {
			a := &sess.Activities[i]
			if a.Kind != KindScale || a.Min != 1 || a.Max != 5 {
				continue
			}
			tally, err := s.e.Tally(ctx, sess.ID, a.ID)
			if err != nil {
				return nil, engineErr(err)
			}
			res := ResultsFromTally(a, tally, "")
			gres := GroupResultsOf(sess, a, tally)
			for _, st := range a.Statements {
				if done[st] {
					continue
				}
				done[st] = true
				if perSession[st] == nil {
					perSession[st] = map[string]StatementResult{}
				}
				perSession[st][sess.ID] = res.Statements[st]
				p, ok := pooled[st]
				if !ok {
					p = newAcc()
					pooled[st] = p
				}
				addCounts(p.counts, res.Statements[st].Counts)
				for _, gr := range gres {
					sr, ok := gr.Results.Statements[st]
					if !ok {
						continue // the group did not pass the rule for this statement
					}
					key, label := keyOf(gr.Group)
					if _, ok := groupIdx[key]; !ok {
						groupIdx[key] = len(cmp.Groups)
						cmp.Groups = append(cmp.Groups, ComparedGroup{ID: key, Label: label, Sessions: []string{}})
						groupCounts[key] = map[string]acc{}
					}
					if _, ok := members[key]; !ok {
						keys = append(keys, key)
					}
					members[key] = max(members[key], sr.N)
					ga, ok := groupCounts[key][st]
					if !ok {
						ga = newAcc()
						groupCounts[key][st] = ga
					}
					addCounts(ga.counts, sr.Counts)
					perGroup.add(st, sess.ID, key, sr)
				}
			}
		}
		for _, key := range keys {
			j := groupIdx[key]
			cmp.Groups[j].Members += members[key]
			cmp.Groups[j].Sessions = append(cmp.Groups[j].Sessions, sess.ID)
		}
	}

	for _, sec := range ch.Sections {
		for _, st := range sec.Statements {
			cs := ComparedStatement{ID: st.ID, Section: sec.ID, SectionTitle: sec.Title, Text: st.Text,
				Sessions: map[string]StatementResult{}, Groups: map[string]StatementResult{}}
			for _, sess := range cmp.Sessions {
				r, ok := perSession[st.ID][sess.ID]
				if !ok {
					r = statFromCounts(nil)
				}
				cs.Sessions[sess.ID] = r
			}
			cs.Pooled = statFromCounts(pooled[st.ID].counts)
			for _, g := range cmp.Groups {
				cs.Groups[g.ID] = statFromCounts(groupCounts[g.ID][st.ID].counts)
			}
			cs.Changes = statementChanges(cmp.Sessions, cs.Sessions, perGroup[st.ID])
			cmp.Statements = append(cmp.Statements, cs)
		}
	}
	cmp.Sections = sectionChanges(ch, cmp, perGroup)
	if cmp.Agreements, err = s.agreementStatus(ctx, sessions); err != nil {
		return nil, err
	}
	if err := s.compareGapsAndDeltas(ctx, cmp, sessions); err != nil {
		return nil, err
	}
	if err := s.compareOtherScales(ctx, cmp, sessions); err != nil {
		return nil, err
	}
	return cmp, nil
}

func addCounts(dst, src map[string]int64) {
	for k, n := range src {
		dst[k] += n
	}
}

// statFromCounts makes a 1–5 statement result from counts per value.
func statFromCounts(counts map[string]int64) StatementResult {
	return scaleStat(func(v string) int64 { return counts[v] }, 1, 5, func(v string) string { return v }, "")
}
