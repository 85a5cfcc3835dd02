package forum

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strings"
)

// StatementResult is one statement's results: for a scale its distribution; for a gap
// rating the distributions of both axes, the mean own gap and its distribution.
type StatementResult struct {
	Counts map[string]int64 `json:"counts"`
	N      int64            `json:"n"`
	Mean   *float64         `json:"mean"`
	// Skipped counts the "ved ikke" answers, which are in neither N nor the mean.
	Skipped int64 `json:"skipped"`
	// Withheld: fewer than the session's ResultsFrom have answered, so only N is given
	// (counts empty, mean null). Set only in what the room and the exports see.
	Withheld bool `json:"withheld,omitempty"`
	// Gap rating: each axis as a scale's result, the mean of the own gaps (wanted −
	// today, of those who gave both) and how many had each own gap. N counts the answers.
	Today     *StatementResult `json:"-"`
	Wanted    *StatementResult `json:"-"`
	Gap       *float64         `json:"-"`
	GapCounts map[string]int64 `json:"-"`
	// Shift from round 1, in a round 2 (see Shift).
	Shift *Shift `json:"-"`
}

// IsGap reports whether the result is a gap rating's.
func (sr StatementResult) IsGap() bool { return sr.GapCounts != nil }

// MarshalJSON writes a scale's or a gap rating's statement result.
func (sr StatementResult) MarshalJSON() ([]byte, error) {
	if sr.IsGap() {
		return json.Marshal(struct {
			Today     *StatementResult `json:"today"`
			Wanted    *StatementResult `json:"wanted"`
			Gap       *float64         `json:"gap"`
			GapCounts map[string]int64 `json:"gap_counts"`
			N         int64            `json:"n"`
			Withheld  bool             `json:"withheld,omitempty"`
			Shift     *Shift           `json:"shift,omitempty"`
		}{sr.Today, sr.Wanted, sr.Gap, sr.GapCounts, sr.N, sr.Withheld, sr.Shift})
	}
	type plain StatementResult
	return json.Marshal(struct {
		plain
		Shift *Shift `json:"shift,omitempty"`
	}{plain(sr), sr.Shift})
}

// Results are an activity's results, shaped by its kind (see the spec's table).
type Results struct {
	Kind       string
	Statements map[string]StatementResult
	Options    map[string]int64
	Points     map[string]int64
	Words      map[string]int64
	Comments   []Comment
	N          int64
	// Withheld: fewer than MinResponses have answered (for a scale: some statement is
	// withheld), so the figures are left out and only n is given. Set only in what the room
	// and the exports see; MinResponses is then the number the results wait for.
	Withheld     bool
	MinResponses int64
}

// withheldJSON is added to a kind's results object when results wait for answers.
type withheldJSON struct {
	Withheld     bool  `json:"withheld,omitempty"`
	MinResponses int64 `json:"min_responses,omitempty"`
}

// MarshalJSON writes the spec's results object for the kind.
func (r Results) MarshalJSON() ([]byte, error) {
	return kindOf(r.Kind).marshal(r, withheldJSON{r.Withheld, r.MinResponses})
}

// Round2 rounds to two decimals, as means are shown.
func Round2(f float64) float64 { return math.Round(f*100) / 100 }

// ResultsFromTally turns an activity's tally fields into its results. prefix selects a
// group's fields ("g/<id>/") or the totals (""). Comments activities get their results
// from the comment list instead (see CommentResultsFor).
func ResultsFromTally(a *Activity, tally map[string]int64, prefix string) Results {
	r := Results{Kind: a.Kind}
	get := func(f string) int64 { return tally[prefix+f] }
	fields := tally
	if prefix != "" {
		fields = map[string]int64{}
		for f, n := range tally {
			if rest, ok := strings.CutPrefix(f, prefix); ok {
				fields[rest] = n
			}
		}
	}
	kindOf(a.Kind).results(a, get, fields, &r)
	return r
}

// SortComments orders comments starred first, then by upvotes, then oldest first.
func SortComments(cs []Comment) {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].Starred != cs[j].Starred {
			return cs[i].Starred
		}
		if cs[i].Upvotes != cs[j].Upvotes {
			return cs[i].Upvotes > cs[j].Upvotes
		}
		return cs[i].CreatedAt.Before(cs[j].CreatedAt)
	})
}

// Public returns the comment as other participants and the presenter see it: without who
// wrote it.
func (c Comment) Public() Comment {
	c.Participant = ""
	c.Group = ""
	return c
}

// OtherGroup is the id of the merged group of every group below the anonymity threshold.
const OtherGroup = "other"

// OtherLabel is the merged group's label per language.
var OtherLabel = map[string]string{"da": "Øvrige", "en": "Other"}

// GroupView is one group's results that may be shown.
type GroupView struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Members counts the group's participants (all of the merged groups for "other").
	Members int64 `json:"members"`
	// Members of these groups are counted in this view (one id, or several for "other").
	Groups []string `json:"groups"`
}

// VisibleGroups applies the anonymity rule to a population of total people (the
// respondents of one item, the participants, the connected phones), counts giving how many
// of them belong to each group. A group with at least the session's threshold stands
// alone; the smaller ones are merged into "other", shown only if it too reaches the
// threshold. Then secondary suppression, as statistical offices do it: whatever is not
// shown can be read as the total minus the groups shown, so when that remainder holds
// members of a suppressed group and is smaller than the threshold, the smallest shown
// group is suppressed too. No group's figures can then be derived from what is shown.
// Totals are never affected.
func VisibleGroups(sess *Session, total int64, counts map[string]int64) []GroupView {
	thr := int64(max(sess.AnonymityThreshold, 1))
	var out []GroupView
	other := GroupView{ID: OtherGroup, Label: OtherLabel[sess.Language], Groups: []string{}}
	if other.Label == "" {
		other.Label = OtherLabel["da"]
	}
	var grouped, suppressed int64
	for _, g := range sess.Groups {
		n := counts[g.ID]
		grouped += n
		if n >= thr {
			out = append(out, GroupView{ID: g.ID, Label: g.Label, Members: n, Groups: []string{g.ID}})
		} else if n > 0 {
			other.Members += n
			other.Groups = append(other.Groups, g.ID)
		}
	}
	if other.Members >= thr {
		out = append(out, other)
	} else {
		suppressed = other.Members
	}
	rest := suppressed + max(total-grouped, 0)
	if suppressed == 0 || rest >= thr || len(out) == 0 {
		return out
	}
	smallest := 0
	for i, g := range out {
		if g.Members < out[smallest].Members || (g.Members == out[smallest].Members && g.ID == OtherGroup) {
			smallest = i
		}
	}
	return append(out[:smallest], out[smallest+1:]...)
}

// RowGroups is VisibleGroups as a lookup for rows (a vote, a comment): the group view each
// group id shows as. A group id absent from the map shows as no group. Every value a
// row's group can take — a group, "other", or none — then stands for at least the
// threshold of people whenever a small group hides behind it.
func RowGroups(sess *Session, total int64, counts map[string]int64) map[string]GroupView {
	out := map[string]GroupView{}
	for _, g := range VisibleGroups(sess, total, counts) {
		for _, id := range g.Groups {
			out[id] = g
		}
	}
	return out
}

// RowGroup returns the id of the group view a row of group shows (see RowGroups): the
// group itself, "other", or "" when it may not be shown.
func RowGroup(rows map[string]GroupView, group string) string {
	if group == "" {
		return ""
	}
	return rows[group].ID
}

// Respondents counts the people behind a set of rows: in all, and per group id.
type Respondents struct {
	Total  int64
	Groups map[string]int64
}

// Add counts one person of group (may be "").
func (r *Respondents) Add(group string) {
	r.Total++
	if group != "" {
		if r.Groups == nil {
			r.Groups = map[string]int64{}
		}
		r.Groups[group]++
	}
}

// CommentRespondents counts, per comments activity, the people who wrote its comments
// (each once, hidden comments included): the population for the row rule of comment labels.
func CommentRespondents(all []Comment) map[string]*Respondents {
	out := map[string]*Respondents{}
	seen := map[[2]string]bool{}
	for _, c := range all {
		k := [2]string{c.Activity, c.Participant}
		if seen[k] {
			continue
		}
		seen[k] = true
		r := out[c.Activity]
		if r == nil {
			r = &Respondents{}
			out[c.Activity] = r
		}
		r.Add(c.Group)
	}
	return out
}

// CommentRows is the row rule for the comments of one activity: RowGroups over the people
// who commented on it.
func CommentRows(sess *Session, r *Respondents) map[string]GroupView {
	if r == nil {
		return map[string]GroupView{}
	}
	return RowGroups(sess, r.Total, r.Groups)
}

// FacilitatorComments returns every comment of the session, hidden ones included, in
// creation order, as the facilitator sees them (CommentAs: group labels by the row rule).
func (s *Service) FacilitatorComments(ctx context.Context, sess *Session) ([]Comment, error) {
	out := []Comment{}
	err := s.e.ScanComments(ctx, sess.ID, func(c Comment) error {
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, engineErr(err)
	}
	resp := CommentRespondents(out)
	rows := map[string]map[string]GroupView{}
	for i := range out {
		id := out[i].Activity
		if rows[id] == nil {
			rows[id] = CommentRows(sess, resp[id])
		}
		out[i] = CommentAs(ForFacilitator, out[i], rows[id])
	}
	return out, nil
}

// CommentsOf returns every comment of the session the audience sees: for the facilitator
// all of them (FacilitatorComments); for the presenter those the room may see now.
func (s *Service) CommentsOf(ctx context.Context, sess *Session, aud Audience) ([]Comment, error) {
	if aud == ForFacilitator {
		return s.FacilitatorComments(ctx, sess)
	}
	var all []Comment
	err := s.e.ScanComments(ctx, sess.ID, func(c Comment) error {
		all = append(all, c)
		return nil
	})
	if err != nil {
		return nil, engineErr(err)
	}
	out := []Comment{}
	for i := range sess.Activities {
		if a := &sess.Activities[i]; a.Kind == KindComments {
			out = append(out, CommentsFor(aud, sess, a, all, "")...)
		}
	}
	return out, nil
}

// ParticipantGroups applies the anonymity rule to the session's participants (who joined,
// in all and per group).
func (s *Service) ParticipantGroups(ctx context.Context, sess *Session) ([]GroupView, error) {
	if len(sess.Groups) == 0 {
		return nil, nil
	}
	total, counts, err := s.e.ParticipantCounts(ctx, sess.ID)
	if err != nil {
		return nil, engineErr(err)
	}
	return VisibleGroups(sess, total, counts), nil
}

// GroupTally sums the tally fields of the view's groups, without prefix, so that
// ResultsFromTally(a, GroupTally(...), "") gives the view's results.
func GroupTally(tally map[string]int64, g GroupView) map[string]int64 {
	out := map[string]int64{}
	for _, id := range g.Groups {
		p := "g/" + id + "/"
		for f, n := range tally {
			if strings.HasPrefix(f, p) {
				out[f[len(p):]] += n
			}
		}
	}
	return out
}

// GroupResults is one visible group's results for an activity.
type GroupResults struct {
	Group   GroupView `json:"group"`
	Results Results   `json:"results"`
}

// ActivityResults reads an activity's results as the audience sees them (see TallyFor and
// CommentResultsFor); ok is false when the audience may not see them now.
func (s *Service) ActivityResults(ctx context.Context, aud Audience, sess *Session, a *Activity) (total Results, per []GroupResults, ok bool, err error) {
	if !SeesResults(aud, sess, a) {
		return Results{}, nil, false, nil
	}
	if a.Kind == KindComments {
		var all []Comment
		err := s.e.ScanComments(ctx, sess.ID, func(c Comment) error {
			if c.Activity == a.ID {
				all = append(all, c)
			}
			return nil
		})
		if err != nil {
			return Results{}, nil, false, engineErr(err)
		}
		return CommentResultsFor(aud, sess, a, all, ""), nil, true, nil
	}
	tally, err := s.e.Tally(ctx, sess.ID, a.ID)
	if err != nil {
		return Results{}, nil, false, engineErr(err)
	}
	total, per, ok = TallyFor(aud, sess, a, tally)
	return total, per, ok, nil
}

// ScanVotes streams every current vote of a session (for exports).
func (s *Service) ScanVotes(ctx context.Context, sessionID string, fn func(Vote) error) error {
	var cbErr error
	err := s.e.ScanVotes(ctx, sessionID, func(v Vote) error { cbErr = fn(v); return cbErr })
	return scanErr(err, cbErr)
}

// ScanComments streams every comment of a session in creation order (for exports).
func (s *Service) ScanComments(ctx context.Context, sessionID string, fn func(Comment) error) error {
	var cbErr error
	err := s.e.ScanComments(ctx, sessionID, func(c Comment) error { cbErr = fn(c); return cbErr })
	return scanErr(err, cbErr)
}

// ScanParticipants streams every participant of a session (for exports).
func (s *Service) ScanParticipants(ctx context.Context, sessionID string, fn func(Participant) error) error {
	var cbErr error
	err := s.e.ScanParticipants(ctx, sessionID, func(p Participant) error { cbErr = fn(p); return cbErr })
	return scanErr(err, cbErr)
}

// scanErr passes the caller's own callback error through as it is and maps engine errors.
func scanErr(err, cbErr error) error {
	if err == nil || (cbErr != nil && errors.Is(err, cbErr)) {
		return err
	}
	return engineErr(err)
}

// ParticipantCounts returns the number of participants in all and per group id.
func (s *Service) ParticipantCounts(ctx context.Context, sessionID string) (int64, map[string]int64, error) {
	t, g, err := s.e.ParticipantCounts(ctx, sessionID)
	return t, g, engineErr(err)
}
