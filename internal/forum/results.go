package forum

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strconv"
	"strings"
)

// StatementResult is one statement's distribution on a scale.
type StatementResult struct {
	Counts map[string]int64 `json:"counts"`
	N      int64            `json:"n"`
	Mean   *float64         `json:"mean"`
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
}

// MarshalJSON writes the spec's results object for the kind.
func (r Results) MarshalJSON() ([]byte, error) {
	switch r.Kind {
	case KindScale:
		return json.Marshal(struct {
			Statements map[string]StatementResult `json:"statements"`
		}{r.Statements})
	case KindChoice:
		return json.Marshal(struct {
			Options map[string]int64 `json:"options"`
			N       int64            `json:"n"`
		}{r.Options, r.N})
	case KindRank:
		return json.Marshal(struct {
			Points map[string]int64 `json:"points"`
			N      int64            `json:"n"`
		}{r.Points, r.N})
	case KindWords:
		return json.Marshal(struct {
			Words map[string]int64 `json:"words"`
			N     int64            `json:"n"`
		}{r.Words, r.N})
	case KindComments:
		cs := r.Comments
		if cs == nil {
			cs = []Comment{}
		}
		return json.Marshal(struct {
			Comments []Comment `json:"comments"`
			N        int64     `json:"n"`
		}{cs, r.N})
	}
	return []byte("{}"), nil
}

// Round2 rounds to two decimals, as means are shown.
func Round2(f float64) float64 { return math.Round(f*100) / 100 }

// ResultsFromTally turns an activity's tally fields into its results. prefix selects a
// group's fields ("g/<id>/") or the totals (""). Comments activities get their results
// from the comment list instead (see CommentResults).
func ResultsFromTally(a *Activity, tally map[string]int64, prefix string) Results {
	r := Results{Kind: a.Kind}
	get := func(f string) int64 { return tally[prefix+f] }
	switch a.Kind {
	case KindScale:
		r.Statements = make(map[string]StatementResult, len(a.Statements))
		for _, st := range a.Statements {
			sr := StatementResult{Counts: map[string]int64{}}
			var sum int64
			for v := a.Min; v <= a.Max; v++ {
				c := get("s/" + st + "/" + strconv.Itoa(v))
				sr.Counts[strconv.Itoa(v)] = c
				sr.N += c
				sum += c * int64(v)
			}
			if sr.N > 0 {
				m := Round2(float64(sum) / float64(sr.N))
				sr.Mean = &m
			}
			r.Statements[st] = sr
		}
	case KindChoice:
		r.Options = map[string]int64{}
		for _, o := range a.Options {
			r.Options[o.ID] = get("o/" + o.ID)
		}
		r.N = get("n")
	case KindRank:
		r.Points = map[string]int64{}
		items := a.Statements
		if len(a.Options) > 0 {
			items = optionIDs(a)
		}
		for _, id := range items {
			if p := get("p/" + id); p != 0 {
				r.Points[id] = p
			}
		}
		r.N = get("n")
	case KindWords:
		r.Words = map[string]int64{}
		wp := prefix + "w/"
		for f, c := range tally {
			if c > 0 && strings.HasPrefix(f, wp) {
				r.Words[f[len(wp):]] = c
			}
		}
		r.N = get("n")
	}
	return r
}

// CommentResults are a comments activity's results: its comments, hidden ones included
// only when withHidden, ordered starred first, then by upvotes, then oldest first.
func CommentResults(all []Comment, activityID string, withHidden bool) Results {
	r := Results{Kind: KindComments, Comments: []Comment{}}
	for _, c := range all {
		if c.Activity != activityID || (c.Hidden && !withHidden) {
			continue
		}
		r.Comments = append(r.Comments, c)
		if !c.Hidden {
			r.N++
		}
	}
	SortComments(r.Comments)
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

// VisibleGroups applies the anonymity rule: groups with at least threshold participants
// stand alone; the smaller ones are merged into "other", which is shown only if it too
// reaches the threshold. Totals are never affected.
func VisibleGroups(sess *Session, counts map[string]int64) []GroupView {
	thr := int64(max(sess.AnonymityThreshold, 1))
	var out []GroupView
	other := GroupView{ID: OtherGroup, Label: OtherLabel[sess.Language], Groups: []string{}}
	if other.Label == "" {
		other.Label = OtherLabel["da"]
	}
	for _, g := range sess.Groups {
		n := counts[g.ID]
		if n >= thr {
			out = append(out, GroupView{ID: g.ID, Label: g.Label, Members: n, Groups: []string{g.ID}})
		} else if n > 0 {
			other.Members += n
			other.Groups = append(other.Groups, g.ID)
		}
	}
	if other.Members >= thr {
		out = append(out, other)
	}
	return out
}

// MaskGroup returns the id of the visible group view that holds group: the group itself
// when it is large enough, "other" when it was merged, "" when it may not be shown at all.
func MaskGroup(views []GroupView, group string) string {
	if group == "" {
		return ""
	}
	for _, v := range views {
		for _, id := range v.Groups {
			if id == group {
				return v.ID
			}
		}
	}
	return ""
}

// MaskComments replaces each comment's group by its visible group view (see MaskGroup).
func MaskComments(views []GroupView, cs []Comment) {
	for i := range cs {
		cs[i].Group = MaskGroup(views, cs[i].Group)
	}
}

// FacilitatorComments returns every comment of the session, hidden ones included, in
// creation order, with groups masked by the anonymity rule.
func (s *Service) FacilitatorComments(ctx context.Context, sess *Session) ([]Comment, error) {
	views, err := s.VisibleGroupsOf(ctx, sess)
	if err != nil {
		return nil, err
	}
	out := []Comment{}
	err = s.e.ScanComments(ctx, sess.ID, func(c Comment) error {
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, engineErr(err)
	}
	MaskComments(views, out)
	return out, nil
}

// VisibleGroupsOf applies the anonymity rule to the session's current participant counts.
func (s *Service) VisibleGroupsOf(ctx context.Context, sess *Session) ([]GroupView, error) {
	if len(sess.Groups) == 0 {
		return nil, nil
	}
	_, counts, err := s.e.ParticipantCounts(ctx, sess.ID)
	if err != nil {
		return nil, engineErr(err)
	}
	return VisibleGroups(sess, counts), nil
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

// ActivityResults returns an activity's total results and, for groups that pass the
// anonymity rule, its results per group.
func (s *Service) ActivityResults(ctx context.Context, sess *Session, a *Activity, groups []GroupView) (Results, []GroupResults, error) {
	if a.Kind == KindComments {
		var all []Comment
		err := s.e.ScanComments(ctx, sess.ID, func(c Comment) error {
			if c.Activity == a.ID {
				all = append(all, c)
			}
			return nil
		})
		if err != nil {
			return Results{}, nil, engineErr(err)
		}
		MaskComments(groups, all)
		return CommentResults(all, a.ID, true), nil, nil
	}
	tally, err := s.e.Tally(ctx, sess.ID, a.ID)
	if err != nil {
		return Results{}, nil, engineErr(err)
	}
	total := ResultsFromTally(a, tally, "")
	var per []GroupResults
	for _, g := range groups {
		per = append(per, GroupResults{Group: g, Results: ResultsFromTally(a, GroupTally(tally, g), "")})
	}
	return total, per, nil
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
