package forum

import (
	"context"
	"slices"
	"time"

	"pejl/internal/charter"
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
	// ForPresenter is the projector. It shows what the facilitator puts on the stage (any
	// activity, any section), but never more than the room may see of it: figures only
	// from the session's ResultsFrom answers, group splits only as the anonymity rule lets
	// them through, comments without who wrote them and never a hidden one.
	ForPresenter
	// ForFacilitator is the console: every activity with its results at all times, every
	// comment (hidden ones included), and group figures and labels only as the anonymity
	// rule lets them through.
	ForFacilitator
	// ForExport is a file that leaves the console (CSV, XLSX, PDF, JSON): what the
	// facilitator sees, except that an item's figures wait for the session's ResultsFrom
	// answers, as they do for the room.
	ForExport
)

// room reports whether the audience shows what it sees to the whole room: no authors, no
// hidden comments.
func (a Audience) room() bool { return a == ForParticipant || a == ForPresenter }

// staged reports whether the audience sees only the current section's activities, and their
// results only while shown (the phones); the presenter follows the stage instead.
func (a Audience) staged() bool { return a == ForParticipant }

// waits reports whether the audience sees an item's figures only once enough have answered.
func (a Audience) waits() bool { return a != ForFacilitator }

// SeesActivity reports whether the audience's view lists the activity at all: the phones
// see the activities of the current section only (and, once the session has ended, every
// activity whose results are shown); the presenter and the facilitator every
// activity (the presenter shows what the facilitator puts on the stage).
//
// In a self-paced session the phones see every activity: people go through the sections in
// their own order.
func SeesActivity(aud Audience, sess *Session, a *Activity) bool {
	if !aud.staged() || (a != nil && sess.SelfPaced()) {
		return a != nil
	}
	if a != nil && sess.State == StateEnded && a.Results == ResultsShown {
		return true // the end screen: every result the room was shown, from every section
	}
	return a != nil && sess.CurrentSection != "" && a.Section == sess.CurrentSection
}

// SeesResults reports whether the audience may see an activity's results (tally or
// comments of others): the phones only while they are shown and the activity's section is
// the current one; the presenter and the facilitator always (what the presenter gets of
// them is still the room's share: see TallyFor and CommentAs).
//
// In a self-paced session the room (phones and presenter) sees results only once the
// facilitator published them; the facilitator and the exports always.
func SeesResults(aud Audience, sess *Session, a *Activity) bool {
	if sess.SelfPaced() && aud.room() {
		return a != nil && sess.Published
	}
	if !aud.staged() {
		return a != nil
	}
	return SeesActivity(aud, sess, a) && a.Results == ResultsShown
}

// TallyFor returns what the audience sees of an activity's tally: its totals, and for the
// presenter and the facilitator the results of the groups that pass the anonymity rule item
// by item (GroupResultsOf); ok is false when the audience may not see the tally now. The
// room sees an item's figures only once the session's ResultsFrom have answered it
// (Withhold); the facilitator always sees them. Participants never get results per group.
func TallyFor(aud Audience, sess *Session, a *Activity, tally map[string]int64) (total Results, per []GroupResults, ok bool) {
	if a == nil || a.Kind == KindComments || !SeesResults(aud, sess, a) {
		return Results{}, nil, false
	}
	total = ResultsFromTally(a, tally, "")
	CleanWords(sess, a, &total)
	HideSmallShifts(sess, &total)
	if !aud.waits() {
		return total, GroupResultsOf(sess, a, tally), true
	}
	withheld := Withhold(sess, a, &total)
	if aud == ForParticipant {
		return total, nil, true
	}
	for _, g := range GroupResultsOf(sess, a, tally) {
		if a.PerStatement() {
			for st := range g.Results.Statements {
				if withheld[st] {
					delete(g.Results.Statements, st)
				}
			}
			if len(g.Results.Statements) == 0 {
				continue
			}
		} else if withheld[""] {
			continue
		}
		per = append(per, g)
	}
	return total, per, true
}

// Withhold applies "totals that others see wait for k answers" to an activity's total
// results: every item (a statement of a scale, or the activity) answered by some but fewer than the
// session's ResultsFrom keeps only its number of answers, and the results say how many they
// wait for. It returns the items withheld (statement ids, or "" for the activity).
func Withhold(sess *Session, a *Activity, r *Results) map[string]bool {
	k := sess.ResultsFrom()
	out := map[string]bool{}
	switch {
	case a.PerStatement():
		for st, sr := range r.Statements {
			if sr.N > 0 && sr.N < k {
				w := StatementResult{Counts: map[string]int64{}, N: sr.N, Withheld: true}
				if sr.IsGap() {
					w.Counts, w.GapCounts = nil, map[string]int64{}
				}
				r.Statements[st] = w
				out[st] = true
			}
		}
	case a.Kind != KindComments:
		if r.N > 0 && r.N < k {
			r.Options, r.Points, r.Words = emptyIfSet(r.Options), emptyIfSet(r.Points), emptyIfSet(r.Words)
			out[""] = true
		}
	}
	if len(out) > 0 {
		r.Withheld, r.MinResponses = true, k
	}
	return out
}

func emptyIfSet(m map[string]int64) map[string]int64 {
	if m == nil {
		return nil
	}
	return map[string]int64{}
}

// ItemRespondents counts, from an activity's tally, who answered each of its items: each
// statement of a scale (keyed by the statement id), or the activity as a whole (key "").
func ItemRespondents(sess *Session, a *Activity, tally map[string]int64) map[string]*Respondents {
	out := map[string]*Respondents{}
	k := kindOf(a.Kind)
	count := func(prefix, item string) int64 {
		return k.respondents(a, func(f string) int64 { return tally[prefix+f] }, item)
	}
	for _, it := range ResultItems(a) {
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
	per := a.PerStatement()
	for _, it := range ResultItems(a) {
		r := resp[it]
		for _, g := range VisibleGroups(sess, r.Total, r.Groups) {
			res := ResultsFromTally(a, GroupTally(tally, g), "")
			CleanWords(sess, a, &res)
			gr := byID[g.ID]
			if gr == nil {
				gr = &GroupResults{Group: g, Results: res}
				if per {
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
			if per {
				HideSmallShifts(sess, &res)
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
	return !c.Hidden && !c.Pending && a != nil && a.ID == c.Activity && SeesResults(aud, sess, a)
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

// RowOptions are what a facilitator may ask of the row exports beyond what they give by
// default: no person, and no hidden comment.
type RowOptions struct {
	// Pseudonyms gives each row the participant's pseudonym, which links one person's
	// answers and comments across items (?raw=pseudonym). A risk: with enough rows, a
	// person can be recognised by their pattern of answers.
	Pseudonyms bool
	// Hidden includes hidden comments, each marked hidden (?include=hidden).
	Hidden bool
}

// RowRule decides the row outputs (the vote and comment rows of the exports): which rows
// appear, and what each shows of who wrote it. By default no row carries anything that
// links two answers of one person (the participant column is empty), hidden comments are
// left out, and the vote rows of an item answered by fewer than ResultsFrom are left out
// (they would be its figures). A row's group is the one the anonymity rule lets through for
// the row's population: the people who answered its item (a statement of a scale, or the
// activity), or who commented on its activity. So a row's group label never singles out
// fewer than the threshold of people.
type RowRule struct {
	sess  *Session
	opt   RowOptions
	items map[string]rowItem // activity id + "\x00" + statement (or "comments")
}

type rowItem struct {
	groups map[string]GroupView // RowGroups of the item's people
	n      int64                // how many answered it
}

// Row is what one vote or comment row shows of who wrote it, and when.
type Row struct {
	Participant string    // the pseudonym, only with RowOptions.Pseudonyms
	Group       GroupView // zero when no group may be shown
	// At is when the vote was last changed or the comment written: to the minute by
	// default (exact times of answers given one after another could tie them to one
	// person), exact with RowOptions.Pseudonyms.
	At time.Time
}

// Pseudonyms reports whether the rows carry participants' pseudonyms (and so may come in
// the order the engine keeps them: by person).
func (rr *RowRule) Pseudonyms() bool { return rr.opt.Pseudonyms }

// RowRuleOf reads what the row rule needs: every activity's tally and who commented.
func (s *Service) RowRuleOf(ctx context.Context, sess *Session, opt RowOptions) (*RowRule, error) {
	rr := &RowRule{sess: sess, opt: opt, items: map[string]rowItem{}}
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
			rr.items[a.ID+"\x00"+it] = rowItem{groups: RowGroups(sess, r.Total, r.Groups), n: r.Total}
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
		rr.items[id+"\x00comments"] = rowItem{groups: CommentRows(sess, r), n: r.Total}
	}
	return rr, nil
}

// Vote returns what a vote row shows; ok is false when the row is left out (its item has
// fewer than ResultsFrom answers, or the participant took the answer back).
func (rr *RowRule) Vote(v *Vote) (row Row, ok bool) {
	if v.Retracted() {
		return Row{}, false
	}
	key := v.Activity + "\x00"
	if a, found := rr.sess.Activity(v.Activity); found {
		key += VoteStatement(a, v.Statement)
	}
	it := rr.items[key]
	if it.n < rr.sess.ResultsFrom() {
		return Row{}, false
	}
	return rr.row(it, v.Participant, v.Group, v.UpdatedAt), true
}

// Comment returns what a comment row shows; ok is false when the row is left out (a hidden
// comment, unless RowOptions.Hidden).
func (rr *RowRule) Comment(c *Comment) (row Row, ok bool) {
	if c.Hidden && !rr.opt.Hidden {
		return Row{}, false
	}
	return rr.row(rr.items[c.Activity+"\x00comments"], c.Participant, c.Group, c.CreatedAt), true
}

func (rr *RowRule) row(it rowItem, participant, group string, at time.Time) Row {
	r := Row{At: at.Truncate(time.Minute)}
	if rr.opt.Pseudonyms {
		r.Participant, r.At = participant, at
	}
	if group != "" {
		r.Group = it.groups[group]
	}
	return r
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

// NotesFor returns the presenter notes the audience may read, by section id: the
// facilitator's console gets them (the session's own, else the charter's); no one else ever
// does — not the phones, not the presenter screen, not an export.
func NotesFor(aud Audience, sess *Session, ch *charter.Charter) map[string]string {
	if aud != ForFacilitator || ch == nil {
		return nil
	}
	out := map[string]string{}
	for _, sec := range ch.Sections {
		text := sec.Notes
		if own, ok := sess.Notes[sec.ID]; ok {
			text = own
		}
		if text != "" {
			out[sec.ID] = text
		}
	}
	return out
}

// WordsFor returns, for the facilitator only, the words taken off each word cloud and the
// session's blocked words (to show and edit them); nil for every other audience.
func WordsFor(aud Audience, sess *Session) (hidden map[string][]string, blocked []string) {
	if aud != ForFacilitator {
		return nil, nil
	}
	return sess.HiddenWords, sess.Blocked()
}
