package forum

import (
	"context"
	"slices"
	"strconv"
)

// What each audience sees of a session is decided here, once (DESIGN rule 13). Every edge
// asks these pure functions: the participant snapshot and the live room's pushes, the REST
// views, the exports, the presenter. None of them decides for itself whether a tally or a
// comment may go to a socket, nor in which order comments are listed.
//
// A new rule about what an audience sees (a comment status such as pending or approved, a
// minimum number of answers before a total is shown) goes into these functions, and every
// view follows.

// Audience is who looks at a session.
type Audience int

// Audiences.
const (
	// ForParticipant is a phone in the room. It sees the activities of the current
	// section; an activity's results only while the facilitator shows them; other
	// people's comments without who wrote them, and only while shown; its own comments
	// always.
	ForParticipant Audience = iota
	// ForPresenter is the projector: what the room sees, never more.
	ForPresenter
	// ForFacilitator is the console: every activity with its results at all times, every
	// comment (hidden ones included), and group figures and labels only as the anonymity
	// rule lets them through.
	ForFacilitator
)

// room reports whether the audience sees only what the whole room may see.
func (a Audience) room() bool { return a != ForFacilitator }

// SeesActivity reports whether the audience's view lists the activity at all: the room
// sees the activities of the current section only.
func SeesActivity(aud Audience, sess *Session, a *Activity) bool {
	if !aud.room() {
		return true
	}
	return a != nil && sess.CurrentSection != "" && a.Section == sess.CurrentSection
}

// SeesResults reports whether the audience may see an activity's results (tally or
// comments of others): the room only while they are shown and the activity's section is
// the current one.
func SeesResults(aud Audience, sess *Session, a *Activity) bool {
	if !aud.room() {
		return true
	}
	return SeesActivity(aud, sess, a) && a.Results == ResultsShown
}

// TallyFor returns what the audience sees of an activity's tally: its totals, and for the
// presenter and the facilitator the results of the groups that pass the anonymity rule item
// by item (GroupResultsOf); ok is false when the audience may not see the tally now.
// Participants never get results per group.
func TallyFor(aud Audience, sess *Session, a *Activity, tally map[string]int64) (total Results, per []GroupResults, ok bool) {
	if a == nil || a.Kind == KindComments || !SeesResults(aud, sess, a) {
		return Results{}, nil, false
	}
	total = ResultsFromTally(a, tally, "")
	if aud == ForParticipant {
		return total, nil, true
	}
	return total, GroupResultsOf(sess, a, tally), true
}

// ItemRespondents counts, from an activity's tally, who answered each of its items: each
// statement of a scale (keyed by the statement id), or the activity as a whole (key "").
func ItemRespondents(sess *Session, a *Activity, tally map[string]int64) map[string]*Respondents {
	out := map[string]*Respondents{}
	count := func(prefix, field string) int64 {
		if a.Kind != KindScale {
			return tally[prefix+"n"]
		}
		var n int64
		for v := a.Min; v <= a.Max; v++ {
			n += tally[prefix+"s/"+field+"/"+strconv.Itoa(v)]
		}
		return n
	}
	items := []string{""}
	if a.Kind == KindScale {
		items = a.Statements
	}
	for _, it := range items {
		r := &Respondents{Total: count("", it), Groups: map[string]int64{}}
		for _, g := range sess.Groups {
			if n := count("g/"+g.ID+"/", it); n > 0 {
				r.Groups[g.ID] = n
			}
		}
		out[it] = r
	}
	return out
}

// GroupResultsOf returns an activity's results per group, item by item under the anonymity
// rule: a group's figures for a statement (or for the whole of a choice, ranking or words
// activity) are given only when VisibleGroups lets the group through for the people who
// answered that item. So a group counts only its members who answered; silent members add
// nothing. A scale group's results hold only the statements it passes for. Members of a
// view is the largest number of its respondents over the items it is shown for.
func GroupResultsOf(sess *Session, a *Activity, tally map[string]int64) []GroupResults {
	if len(sess.Groups) == 0 || a.Kind == KindComments {
		return nil
	}
	resp := ItemRespondents(sess, a, tally)
	byID := map[string]*GroupResults{}
	var order []string
	items := []string{""}
	if a.Kind == KindScale {
		items = a.Statements
	}
	for _, it := range items {
		r := resp[it]
		for _, g := range VisibleGroups(sess, r.Total, r.Groups) {
			res := ResultsFromTally(a, GroupTally(tally, g), "")
			gr := byID[g.ID]
			if gr == nil {
				gr = &GroupResults{Group: g, Results: res}
				if a.Kind == KindScale {
					gr.Results.Statements = map[string]StatementResult{}
				}
				byID[g.ID] = gr
				order = append(order, g.ID)
			} else if g.Members > gr.Group.Members {
				gr.Group.Members = g.Members
			}
			for _, id := range g.Groups {
				if !slices.Contains(gr.Group.Groups, id) {
					gr.Group.Groups = append(gr.Group.Groups, id)
				}
			}
			if a.Kind == KindScale {
				gr.Results.Statements[it] = res.Statements[it]
			}
		}
	}
	rank := map[string]int{OtherGroup: len(sess.Groups)}
	for i, g := range sess.Groups {
		rank[g.ID] = i
	}
	slices.SortStableFunc(order, func(x, y string) int { return rank[x] - rank[y] })
	out := make([]GroupResults, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out
}

// SeesComment reports whether the audience sees comment c of activity a. viewer is the
// participant id of the phone that asks ("" for any other audience): a participant always
// sees their own comments, hidden or not.
func SeesComment(aud Audience, sess *Session, a *Activity, c *Comment, viewer string) bool {
	if c == nil {
		return false
	}
	if !aud.room() {
		return true
	}
	if aud == ForParticipant && viewer != "" && c.Participant == viewer {
		return true
	}
	return !c.Hidden && a != nil && a.ID == c.Activity && SeesResults(aud, sess, a)
}

// CommentAs returns comment c as the audience sees it: the room without who wrote it; the
// facilitator with the participant's pseudonym and the group label the row rule allows
// (rows: CommentRows of the comment's activity).
func CommentAs(aud Audience, c Comment, rows map[string]GroupView) Comment {
	if aud.room() {
		return c.Public()
	}
	c.Group = RowGroup(rows, c.Group)
	return c
}

// CommentsFor returns the comments of activity a that the audience sees, shaped for it
// (CommentAs) and in the order every view lists them (SortComments). all must hold every
// comment of the activity (the row rule counts who wrote them); comments of other
// activities in it are skipped. viewer: see SeesComment.
func CommentsFor(aud Audience, sess *Session, a *Activity, all []Comment, viewer string) []Comment {
	out := []Comment{}
	if a == nil {
		return out
	}
	var rows map[string]GroupView
	if !aud.room() {
		rows = CommentRows(sess, CommentRespondents(all)[a.ID])
	}
	for i := range all {
		c := &all[i]
		if c.Activity != a.ID || !SeesComment(aud, sess, a, c, viewer) {
			continue
		}
		out = append(out, CommentAs(aud, *c, rows))
	}
	SortComments(out)
	return out
}

// CommentResultsFor are what the audience sees of a comments activity: its comments as
// CommentsFor gives them, N counting those not hidden.
func CommentResultsFor(aud Audience, sess *Session, a *Activity, all []Comment, viewer string) Results {
	r := Results{Kind: KindComments, Comments: CommentsFor(aud, sess, a, all, viewer)}
	for _, c := range r.Comments {
		if !c.Hidden {
			r.N++
		}
	}
	return r
}

// RowRule is the row rule for a session's row outputs (the vote and comment rows of the
// exports): which group each row may show. A vote row's population is the people who
// answered its item (a statement of a scale, or the activity); a comment row's is the
// people who commented on its activity. Each is VisibleGroups over that population, so a
// row's group label never singles out fewer than the threshold of people.
type RowRule struct {
	sess  *Session
	items map[string]map[string]GroupView // activity id + "\x00" + statement → RowGroups
}

// RowRuleOf reads what the row rule needs: every activity's tally and who commented.
func (s *Service) RowRuleOf(ctx context.Context, sess *Session) (*RowRule, error) {
	rr := &RowRule{sess: sess, items: map[string]map[string]GroupView{}}
	var comments []Comment
	for i := range sess.Activities {
		a := &sess.Activities[i]
		if a.Kind == KindComments {
			continue
		}
		tally, err := s.e.Tally(ctx, sess.ID, a.ID)
		if err != nil {
			return nil, engineErr(err)
		}
		for it, r := range ItemRespondents(sess, a, tally) {
			rr.items[a.ID+"\x00"+it] = RowGroups(sess, r.Total, r.Groups)
		}
	}
	err := s.e.ScanComments(ctx, sess.ID, func(c Comment) error {
		comments = append(comments, Comment{Activity: c.Activity, Participant: c.Participant, Group: c.Group})
		return nil
	})
	if err != nil {
		return nil, engineErr(err)
	}
	for id, r := range CommentRespondents(comments) {
		rr.items[id+"\x00comments"] = CommentRows(sess, r)
	}
	return rr, nil
}

// Vote returns the group view a vote row shows; ok is false when it shows no group.
func (rr *RowRule) Vote(v *Vote) (GroupView, bool) {
	key := v.Activity + "\x00"
	if a, ok := rr.sess.Activity(v.Activity); ok && a.Kind == KindScale {
		key += v.Statement
	}
	return rr.lookup(key, v.Group)
}

// Comment returns the group view a comment row shows; ok is false when it shows no group.
func (rr *RowRule) Comment(c *Comment) (GroupView, bool) {
	return rr.lookup(c.Activity+"\x00comments", c.Group)
}

func (rr *RowRule) lookup(key, group string) (GroupView, bool) {
	if group == "" {
		return GroupView{}, false
	}
	g, ok := rr.items[key][group]
	return g, ok
}

// UpsertComment returns list — comments of activity a as CommentsFor gave them to the
// audience — with comment c as it is now: put in or replaced when the audience sees it,
// taken out when it does not, and the list in order again. rows: as for CommentAs.
func UpsertComment(aud Audience, sess *Session, a *Activity, list []Comment, c Comment, rows map[string]GroupView, viewer string) []Comment {
	out := make([]Comment, 0, len(list)+1)
	for _, x := range list {
		if x.ID != c.ID {
			out = append(out, x)
		}
	}
	if a != nil && c.Activity == a.ID && SeesComment(aud, sess, a, &c, viewer) {
		out = append(out, CommentAs(aud, c, rows))
	}
	SortComments(out)
	return out
}

// RetractsComment reports whether the audience must be told to take a comment away (its id
// only, no text): it was hidden in an activity whose results the audience sees, so a screen
// may be showing it.
func RetractsComment(aud Audience, sess *Session, a *Activity, c *Comment) bool {
	return aud.room() && c != nil && c.Hidden && a != nil && a.ID == c.Activity && SeesResults(aud, sess, a)
}
