package forum

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"pejl/internal/charter"
)

// What an activity kind is, said once. Each kind is one file (kind_<name>.go) with a value
// that implements kindDef, listed in the kinds table below. Every rule that depends on the
// kind — how an activity is built and validated, how a vote becomes tally increments, how
// results are read from the tally and withheld, whether a participant votes per statement —
// asks the kind through the functions of this file. Engines know nothing of kinds: a vote
// is its value and its tally increments (Vote.Contrib), keyed by activity and statement.

// kindDef is one activity kind.
type kindDef interface {
	// build fills the kind's fields of a new activity from the request (b.in).
	build(b *kindBuild, a *Activity) error
	// perStatement reports whether a participant has one vote per statement (votes,
	// results and the anonymity rule then go statement by statement).
	perStatement() bool
	// ranged reports whether the activity has a min–max range, written even when min is 0.
	ranged() bool
	// value checks a vote's value (raw is not empty) and returns it in normal form and the
	// tally increments it makes (at least one).
	value(a *Activity, statement string, raw json.RawMessage) (json.RawMessage, []Delta, error)
	// results reads the kind's results from tally fields (get reads a field of the chosen
	// prefix; fields lists every field of the tally with that prefix cut off).
	results(a *Activity, get func(string) int64, fields map[string]int64, r *Results)
	// respondents counts who answered item (a statement, or "" for the activity) from the
	// tally fields get reads.
	respondents(a *Activity, get func(string) int64, item string) int64
	// marshal writes the kind's results object (w: the withheld fields to add).
	marshal(r Results, w withheldJSON) ([]byte, error)
	// layout is how screens and exports lay the results out (one of the Layout names).
	layout() string
	// itemCounts lists the results per item of a counted kind (see ItemCounts).
	itemCounts(a *Activity, r Results) []ItemCount
}

// Layouts: how screens and exports lay out an activity's results. They switch on these,
// never on the kind, and read the results through kind-neutral functions (ResultItems,
// ItemCounts, the Statements of Results).
const (
	// LayoutScale: per statement, a distribution over a range, its mean and "ved ikke".
	LayoutScale = "scale"
	// LayoutGap: per statement, two scales (today, wanted), the gap and its distribution.
	LayoutGap = "gap"
	// LayoutItems: a count or points per item, biggest first (ItemCounts).
	LayoutItems = "items"
	// LayoutComments: a list of comments.
	LayoutComments = "comments"
)

// Layout says how the activity's results are laid out.
func (a *Activity) Layout() string { return kindOf(a.Kind).layout() }

// ItemCount is one option, item or word of a counted kind's results with its count (a
// choice's or words' voters) or points (a ranking's or points activity's).
type ItemCount struct {
	ID string
	N  int64
}

// ItemCounts lists the results of a LayoutItems activity per item: every option or item in
// the activity's order, words in order of the word; nil for the other layouts.
func ItemCounts(a *Activity, r Results) []ItemCount { return kindOf(a.Kind).itemCounts(a, r) }

// perStatementKind is the shared part of the kinds rated statement by statement.
type perStatementKind struct{}

func (perStatementKind) perStatement() bool                        { return true }
func (perStatementKind) itemCounts(*Activity, Results) []ItemCount { return nil }

// kinds is the table of activity kinds, in the order the interface lists them.
var kinds = map[string]kindDef{
	KindScale:    scaleKind{},
	KindGap:      gapKind{},
	KindChoice:   choiceKind{},
	KindRank:     rankKind{},
	KindPoints:   pointsKind{},
	KindWords:    wordsKind{},
	KindComments: commentsKind{},
}

// KindNames lists the activity kinds.
var KindNames = []string{KindScale, KindGap, KindChoice, KindRank, KindPoints, KindWords, KindComments}

// kindOf returns the activity's kind; an unknown kind behaves as one that takes nothing.
func kindOf(name string) kindDef {
	if k, ok := kinds[name]; ok {
		return k
	}
	return noKind{}
}

// PerStatement reports whether the activity's votes and results go statement by statement
// (scale, gap).
func (a *Activity) PerStatement() bool { return kindOf(a.Kind).perStatement() }

// Ranged reports whether the activity has a min–max range of its own (scale).
func (a *Activity) Ranged() bool { return kindOf(a.Kind).ranged() }

// ResultItems lists the items an activity's results and anonymity rule go by: its
// statements for a per-statement kind, else the activity as a whole ("").
func ResultItems(a *Activity) []string {
	if a.PerStatement() {
		return a.Statements
	}
	return []string{""}
}

// Items lists the ids a choice, rank or points activity's votes choose from: its options,
// or else its statements.
func Items(a *Activity) []string {
	if len(a.Options) > 0 {
		return optionIDs(a)
	}
	return a.Statements
}

// VoteStatement is the statement a vote is keyed by: the one named for a per-statement
// kind, none for the others.
func VoteStatement(a *Activity, statement string) string {
	if a.PerStatement() {
		return statement
	}
	return ""
}

// kindBuild is what building an activity of a kind needs: the charter, the session and
// the request.
type kindBuild struct {
	c       *charter.Charter
	sess    *Session
	section *charter.Section
	in      NewActivity
}

// statements checks a list of statement ids of the charter.
func (b *kindBuild) statements(ids []string) ([]string, error) {
	seen := map[string]bool{}
	for _, id := range ids {
		if _, _, ok := b.c.Statement(id); !ok {
			return nil, invalid("statements", "There is no statement %q in this charter.", id)
		}
		if seen[id] {
			return nil, invalid("statements", "Statement %q is named twice.", id)
		}
		seen[id] = true
	}
	return ids, nil
}

// sectionStatements lists the ids of the section's statements.
func (b *kindBuild) sectionStatements() []string {
	ids := make([]string, len(b.section.Statements))
	for i, st := range b.section.Statements {
		ids[i] = st.ID
	}
	return ids
}

// statementsOrSection: the statements asked for, else the section's (at least one).
func (b *kindBuild) statementsOrSection() ([]string, error) {
	ids := b.in.Statements
	if len(ids) == 0 {
		ids = b.sectionStatements()
	}
	if len(ids) == 0 {
		return nil, invalid("statements", "This section has no statements to rate.")
	}
	return b.statements(ids)
}

// items reads the items of a choice-like kind: options, statements, or a scope.
func (b *kindBuild) items(a *Activity) (err error) {
	switch {
	case len(b.in.Options) > 0:
		a.Options, err = b.options(2)
	case len(b.in.Statements) > 0:
		a.Statements, err = b.statements(b.in.Statements)
	case b.in.Scope == "charter":
		for _, sec := range b.c.Sections {
			for _, st := range sec.Statements {
				a.Statements = append(a.Statements, st.ID)
			}
		}
	case b.in.Scope == "" || b.in.Scope == "section":
		a.Statements = b.sectionStatements()
	default:
		err = invalid("scope", "scope must be \"section\" or \"charter\".")
	}
	return err
}

// options checks the request's options (at least least of them).
func (b *kindBuild) options(least int) ([]Option, error) {
	in := b.in.Options
	if len(in) < least || len(in) > MaxOptions {
		return nil, invalid("options", "Give between %d and %d options.", least, MaxOptions)
	}
	opts := make([]Option, len(in))
	seen := map[string]bool{}
	for i, o := range in {
		o.Label = strings.TrimSpace(o.Label)
		if o.Label == "" || utf8.RuneCountInString(o.Label) > 200 {
			return nil, invalid("options", "Option %d needs a label of 1–200 characters.", i+1)
		}
		if o.ID == "" {
			o.ID = fmt.Sprintf("o%d", i+1)
		}
		if !groupIDRe.MatchString(o.ID) || seen[o.ID] {
			return nil, invalid("options", "Option id %q must be unique and use only a–z, 0–9, - and _.", o.ID)
		}
		seen[o.ID] = true
		opts[i] = o
	}
	return opts, nil
}

// noKind is an unknown kind: it takes no votes and has no results.
type noKind struct{}

func (noKind) build(*kindBuild, *Activity) error {
	return invalid("kind", "The kind must be one of %s.", strings.Join(KindNames, ", "))
}
func (noKind) perStatement() bool { return false }
func (noKind) ranged() bool       { return false }
func (noKind) value(*Activity, string, json.RawMessage) (json.RawMessage, []Delta, error) {
	return nil, nil, badValue("This activity takes no votes.")
}
func (noKind) results(*Activity, func(string) int64, map[string]int64, *Results) {}
func (noKind) respondents(*Activity, func(string) int64, string) int64           { return 0 }
func (noKind) marshal(Results, withheldJSON) ([]byte, error)                     { return []byte("{}"), nil }
func (noKind) layout() string                                                    { return LayoutItems }
func (noKind) itemCounts(*Activity, Results) []ItemCount                         { return nil }

// countedKind is the shared part of the kinds counted per voter: "n" is the number of
// voters and the activity is one item.
type countedKind struct{}

func (countedKind) perStatement() bool { return false }
func (countedKind) ranged() bool       { return false }
func (countedKind) layout() string     { return LayoutItems }
func (countedKind) respondents(_ *Activity, get func(string) int64, _ string) int64 {
	return get("n")
}

// countsOf lists ids with their numbers in m.
func countsOf(ids []string, m map[string]int64) []ItemCount {
	out := make([]ItemCount, len(ids))
	for i, id := range ids {
		out[i] = ItemCount{id, m[id]}
	}
	return out
}
