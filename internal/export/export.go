// Package export writes a session's results as CSV, XLSX, PDF and JSON, and a charter's
// comparison across sessions as XLSX. Each format has its own file and writes to an
// io.Writer; the package knows nothing of HTTP.
//
// Exports are streamed: votes and comments come from forum.Service.ScanVotes and
// ScanComments one at a time and go to the writer. The default row exports (no pseudonyms)
// hold the shown rows once to put them in an order that links no two rows of one person
// (base.scanVotes); the rows are small (about 200 bytes each), so 10,000 participants'
// 400,000 answers take some 80 MB for the length of the export. Only small lookups
// (sections, statements, activities, group counts) are built first.
//
// Groups follow the anonymity rule of the session, item by item (see forum.GroupResultsOf):
// aggregates per group are given only for the groups that pass it for the people who
// answered. Row-level outputs (the votes and comments rows of CSV, XLSX and JSON) show a
// group only as forum.RowRule allows.
package export

import (
	"cmp"
	"context"
	"encoding/json"
	"hash/fnv"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // dates in reports are Danish time, also on hosts without a zoneinfo database

	"pejl/internal/charter"
	"pejl/internal/forum"
)

// CSVOptions tune the CSV exports.
type CSVOptions struct {
	// Semicolon separates fields with ";" instead of "," (what Danish Excel expects).
	Semicolon bool
	// Labels writes the form for people: headers in the session's language, titles and
	// labels instead of ids, times as "2006-01-02 15:04:05 -07:00". Without it the CSV has
	// the spec's machine form: its column names, ids as values, RFC 3339 times.
	Labels bool
	// Rows: pseudonyms and hidden comments, only when asked for (see forum.RowOptions).
	Rows forum.RowOptions
}

// Neutralise makes a cell safe to open in a spreadsheet: a value that begins with "=", "+",
// "-", "@", a tab or a carriage return gets a "'" in front, so that no spreadsheet reads it as
// a formula. Every text cell of every export goes through it.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// timeFormat is how machine-readable exports write instants: local time with its offset,
// milliseconds, RFC 3339. labelTimeFormat is the form for people.
const (
	timeFormat      = "2006-01-02T15:04:05.000Z07:00"
	labelTimeFormat = "2006-01-02 15:04:05 -07:00"
)

// actInfo is what an export needs to know about an activity.
type actInfo struct {
	a        *forum.Activity
	pos      int              // its place among the session's activities
	section  *charter.Section // nil if the charter lacks the section
	options  map[string]string
	secTitle string
	values   map[string]string // valueText's memory: raw value → text
}

// base is what every session export loads first: small lookups, never the votes.
type base struct {
	sess      *forum.Session
	ch        *charter.Charter
	lang      string
	t         map[string]string
	total     int64
	counts    map[string]int64
	visible   []forum.GroupView
	rows      *forum.RowRule
	acts      map[string]*actInfo
	stmts     map[string]charter.Statement
	generated time.Time
	loc       *time.Location // the zone times are written in (forum.Config.Location)
}

func load(ctx context.Context, svc *forum.Service, sess *forum.Session, opt forum.RowOptions) (*base, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch, err := svc.Charter(ctx, sess.CharterID)
	if err != nil {
		return nil, err
	}
	total, counts, err := svc.ParticipantCounts(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	if counts == nil {
		counts = map[string]int64{}
	}
	rows, err := svc.RowRuleOf(ctx, sess, opt)
	if err != nil {
		return nil, err
	}
	b := &base{sess: sess, ch: ch, lang: langOf(sess.Language), total: total, counts: counts,
		visible: forum.VisibleGroups(sess, total, counts), rows: rows,
		acts: map[string]*actInfo{}, stmts: map[string]charter.Statement{},
		generated: svc.Config().Now().UTC(), loc: svc.Config().Location}
	if b.loc == nil {
		b.loc = forum.DefaultLocation()
	}
	b.t = words[b.lang]
	for i := range ch.Sections {
		for _, st := range ch.Sections[i].Statements {
			b.stmts[st.ID] = st
		}
	}
	for i := range sess.Activities {
		a := &sess.Activities[i]
		ai := &actInfo{a: a, pos: i, options: map[string]string{}}
		if sec, ok := ch.SectionByID(a.Section); ok {
			ai.section, ai.secTitle = sec, sec.Title
		}
		for _, o := range a.Options {
			ai.options[o.ID] = o.Label
		}
		b.acts[a.ID] = ai
	}
	return b, nil
}

// shownRow is one row of the vote or comment exports as forum.RowRule lets it show: the
// participant's pseudonym (empty unless asked for), the group's id (for CSV and JSON) and
// label (for XLSX).
type shownRow struct {
	participant, gid, glabel string
}

func shown(r forum.Row) shownRow { return shownRow{r.Participant, r.Group.ID, r.Group.Label} }

// scanVotes calls fn with every vote row the exports show (forum.RowRule), its time as the
// row may show it (forum.Row.At). Without pseudonyms the rows come by activity and
// statement and, within an item, in an order of their own (a hash of the person and the
// item): in the order the engine keeps them, one person's answers would sit together and
// tie up again what the empty participant column leaves apart. To put them in that order
// the rows are held once, compactly (voteRows: 24 bytes a row, values and groups shared).
func (b *base) scanVotes(ctx context.Context, svc *forum.Service, fn func(v *forum.Vote, r shownRow) error) error {
	if b.rows.Pseudonyms() {
		return svc.ScanVotes(ctx, b.sess.ID, func(v forum.Vote) error {
			r, ok := b.rows.Vote(&v)
			if !ok {
				return nil
			}
			v.UpdatedAt = r.At
			return fn(&v, shown(r))
		})
	}
	vr := voteRows{items: map[[2]string]int32{}, values: map[string]int32{}, shown: map[shownRow]int32{}}
	n := 0
	err := svc.ScanVotes(ctx, b.sess.ID, func(v forum.Vote) error {
		r, ok := b.rows.Vote(&v)
		if !ok {
			return nil
		}
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		vr.add(b, &v, r)
		return nil
	})
	if err != nil {
		return err
	}
	return vr.each(fn)
}

// voteRows holds the default vote rows compactly: each row an item, a value and what it
// shows of its group (indexes into small shared tables), its minute and its order key.
type voteRows struct {
	rows []voteRow

	items     map[[2]string]int32 // activity, statement → index
	itemList  []voteItem
	values    map[string]int32
	valueList []json.RawMessage
	shown     map[shownRow]int32
	shownList []shownRow
}

type voteRow struct {
	key                uint64
	item, value, shown int32
	minute             int32 // forum.Row.At in minutes since 1970 (rows are kept to the minute)
}

type voteItem struct {
	activity, statement string
	pos                 int
}

func (vr *voteRows) add(b *base, v *forum.Vote, r forum.Row) {
	ik := [2]string{v.Activity, v.Statement}
	item, ok := vr.items[ik]
	if !ok {
		item = int32(len(vr.itemList))
		vr.items[ik] = item
		vr.itemList = append(vr.itemList, voteItem{v.Activity, v.Statement, b.position(v.Activity)})
	}
	value, ok := vr.values[string(v.Value)]
	if !ok {
		value = int32(len(vr.valueList))
		vr.values[string(v.Value)] = value
		vr.valueList = append(vr.valueList, v.Value)
	}
	sr := shown(r)
	si, ok := vr.shown[sr]
	if !ok {
		si = int32(len(vr.shownList))
		vr.shown[sr] = si
		vr.shownList = append(vr.shownList, sr)
	}
	vr.rows = append(vr.rows, voteRow{key: rowKey(v.Participant, v.Activity, v.Statement),
		item: item, value: value, shown: si, minute: int32(r.At.Unix() / 60)})
}

// each calls fn with the rows by item (the session's activity order, then statement) and
// by key within an item.
func (vr *voteRows) each(fn func(v *forum.Vote, r shownRow) error) error {
	rank := make([]int, len(vr.itemList))
	order := make([]int, len(vr.itemList))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int {
		a, b := vr.itemList[x], vr.itemList[y]
		return cmp.Or(cmp.Compare(a.pos, b.pos), cmp.Compare(a.activity, b.activity), cmp.Compare(a.statement, b.statement))
	})
	for r, i := range order {
		rank[i] = r
	}
	slices.SortFunc(vr.rows, func(x, y voteRow) int {
		return cmp.Or(cmp.Compare(rank[x.item], rank[y.item]), cmp.Compare(x.key, y.key))
	})
	var v forum.Vote
	for _, row := range vr.rows {
		it := vr.itemList[row.item]
		v = forum.Vote{Activity: it.activity, Statement: it.statement, Value: vr.valueList[row.value],
			UpdatedAt: time.Unix(int64(row.minute)*60, 0).UTC()}
		if err := fn(&v, vr.shownList[row.shown]); err != nil {
			return err
		}
	}
	return nil
}

// scanComments is scanVotes for the comment rows (hidden ones left out unless asked for):
// without pseudonyms by activity, then by the minute written, then in an order of their own.
func (b *base) scanComments(ctx context.Context, svc *forum.Service, fn func(c *forum.Comment, r shownRow) error) error {
	if b.rows.Pseudonyms() {
		return svc.ScanComments(ctx, b.sess.ID, func(c forum.Comment) error {
			r, ok := b.rows.Comment(&c)
			if !ok {
				return nil
			}
			c.CreatedAt = r.At
			return fn(&c, shown(r))
		})
	}
	type row struct {
		c   forum.Comment
		r   shownRow
		pos int
		key uint64
	}
	var all []row
	err := svc.ScanComments(ctx, b.sess.ID, func(c forum.Comment) error {
		r, ok := b.rows.Comment(&c)
		if !ok {
			return nil
		}
		c.CreatedAt = r.At
		all = append(all, row{c: c, r: shown(r), pos: b.position(c.Activity), key: rowKey(c.Participant, c.ID, "")})
		kept := &all[len(all)-1].c
		kept.Participant, kept.Group = "", ""
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(all, func(x, y row) int {
		return cmp.Or(cmp.Compare(x.pos, y.pos), cmp.Compare(x.c.Activity, y.c.Activity),
			x.c.CreatedAt.Compare(y.c.CreatedAt), cmp.Compare(x.key, y.key))
	})
	for i := range all {
		if err := fn(&all[i].c, all[i].r); err != nil {
			return err
		}
	}
	return nil
}

// position is an activity's place in the session (unknown ones last).
func (b *base) position(activity string) int {
	if ai := b.acts[activity]; ai != nil {
		return ai.pos
	}
	return len(b.acts)
}

// rowKey orders the rows of one item by a hash of who answered and what: a different
// order for every item, so that no position lines up across items.
func rowKey(participant, a, b string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(participant))
	h.Write([]byte{0})
	h.Write([]byte(a))
	h.Write([]byte{0})
	h.Write([]byte(b))
	// FNV alone keeps keys that differ only in their last bytes in nearly the same order;
	// a finaliser (SplitMix64's) spreads every bit over the whole key.
	x := h.Sum64()
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// itemLabel names an option or statement of a choice or rank activity for people.
func (b *base) itemLabel(ai *actInfo, id string) string {
	if l, ok := ai.options[id]; ok {
		return l
	}
	if st, ok := b.stmts[id]; ok {
		return st.Text
	}
	return id
}

// valueText renders a vote's value for people: the number of a scale, the labels of chosen
// options or ranked items in order, the words. Values repeat, so each activity remembers the
// texts of up to a few thousand of them.
func (b *base) valueText(ai *actInfo, raw json.RawMessage) string {
	if ai == nil {
		return b.renderValue(nil, raw)
	}
	if s, ok := ai.values[string(raw)]; ok {
		return s
	}
	s := b.renderValue(ai, raw)
	if ai.values == nil {
		ai.values = map[string]string{}
	}
	if len(ai.values) < 4096 {
		ai.values[string(raw)] = s
	}
	return s
}

func (b *base) renderValue(ai *actInfo, raw json.RawMessage) string {
	if string(raw) == "null" {
		return b.t["dont_know"]
	}
	if len(raw) > 0 && raw[0] == '{' { // a gap rating's axes, or a points activity's shares
		var m map[string]*int
		if json.Unmarshal(raw, &m) == nil && ai != nil {
			return b.objectText(ai, m)
		}
	}
	var items []string
	if err := json.Unmarshal(raw, &items); err != nil {
		return string(raw)
	}
	if ai != nil && len(ai.options) > 0 {
		for i, id := range items {
			if l, ok := ai.options[id]; ok {
				items[i] = l
			}
		}
	}
	return strings.Join(items, "; ")
}

// objectText renders an object value: a gap rating's "I dag 3 · Ønsket 5" (an axis left at
// ved ikke says so), or a points activity's "Tillid 60 · Mod 40" in the activity's order.
func (b *base) objectText(ai *actInfo, m map[string]*int) string {
	var parts []string
	num := func(v *int) string {
		if v == nil {
			return b.t["dont_know"]
		}
		return strconv.Itoa(*v)
	}
	if ai.a.Layout() == forum.LayoutGap {
		for _, x := range ai.a.Axes {
			parts = append(parts, b.t[x.ID]+" "+num(m[x.ID]))
		}
	} else {
		for _, id := range forum.Items(ai.a) {
			if v, ok := m[id]; ok {
				parts = append(parts, b.itemLabel(ai, id)+" "+num(v))
			}
		}
	}
	return strings.Join(parts, b.t["scale_legend_sep"])
}

// scaleRange is the span of values over every scale activity (1–5 for default sessions).
func scaleRange(sess *forum.Session) (lo, hi int) {
	lo, hi = 1, 5
	first := true
	for _, a := range sess.Activities {
		if a.Layout() != forum.LayoutScale {
			continue
		}
		if first {
			lo, hi, first = a.Min, a.Max, false
			continue
		}
		lo, hi = min(lo, a.Min), max(hi, a.Max)
	}
	return lo, hi
}

// activitiesInOrder returns the session's activities in the charter's order of sections, then in
// session order within a section.
func (b *base) activitiesInOrder() []*forum.Activity {
	pos := map[string]int{}
	for i, s := range b.ch.Sections {
		pos[s.ID] = i
	}
	out := make([]*forum.Activity, 0, len(b.sess.Activities))
	for i := range b.sess.Activities {
		out = append(out, &b.sess.Activities[i])
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, ok := pos[out[i].Section]
		if !ok {
			pi = len(pos)
		}
		pj, ok := pos[out[j].Section]
		if !ok {
			pj = len(pos)
		}
		return pi < pj
	})
	return out
}

// rankedItem is one option, ranked item or word of an activity with its count (or points).
type rankedItem struct {
	ID    string
	Label string
	N     int64
}

// rankedItems lists a LayoutItems activity's items for display (forum.ItemCounts), biggest
// first; equal ones keep the activity's order (words: alphabetical).
func (b *base) rankedItems(ai *actInfo, r forum.Results) []rankedItem {
	var items []rankedItem
	for _, it := range forum.ItemCounts(ai.a, r) {
		label := it.ID
		if len(ai.a.Options) > 0 || len(ai.a.Statements) > 0 { // words are their own labels
			label = b.itemLabel(ai, it.ID)
		}
		items = append(items, rankedItem{it.ID, label, it.N})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].N > items[j].N })
	return items
}

// fmtMean writes a mean with two decimals, with a decimal comma in Danish.
func fmtMean(lang string, m *float64) string {
	if m == nil {
		return "–"
	}
	s := strconv.FormatFloat(*m, 'f', 2, 64)
	if lang == "da" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func langOf(l string) string {
	if _, ok := words[l]; ok {
		return l
	}
	return "da"
}

// kindName names an activity kind for people.
func kindName(t map[string]string, kind string) string {
	if s, ok := t["kind_"+kind]; ok {
		return s
	}
	return kind
}

// words are the exports' words per language (see ../shared/i18n-da.md).
var words = map[string]map[string]string{
	"da": {
		"sheet_summary": "Oversigt", "sheet_votes": "Stemmer", "sheet_comments": "Kommentarer",
		"sheet_activities": "Andre aktiviteter", "sheet_comparison": "Sammenligning", "sheet_sessions": "Forløb",
		"session": "Forløb", "session_id": "Forløb-id", "section_id": "Afsnit-id", "section": "Afsnit",
		"activity_id": "Aktivitet-id", "activity": "Aktivitet", "kind": "Type", "statement_id": "Udsagn-id",
		"statement": "Udsagn", "participant": "Deltager", "group": "Gruppe", "value": "Svar",
		"updated_at": "Tidspunkt", "comment_id": "Kommentar-id", "comment": "Kommentar",
		"upvotes": "Enig (+1)", "hidden": "Skjult", "starred": "Fremhævet", "created_at": "Oprettet",
		"mean": "Gennemsnit", "mean_short": "Gns.", "responses": "svar", "participants": "deltagere",
		"participants_title": "Deltagere", "charter": "Ledelsesgrundlag", "date": "Dato", "all": "Alle",
		"threshold": "Mindste gruppestørrelse for resultater", "scale": "Skala", "item": "Svarmulighed",
		"count": "Antal", "points": "Point", "prompt": "Spørgsmål", "comments": "Kommentarer",
		"overview": "Overblik over alle udsagn", "report": "Rapport", "generated": "Rapporten er dannet",
		"page": "Side", "of": "af", "pooled": "Samlet", "groups": "Grupper", "code": "Kode",
		"state": "Status", "no_answers": "Ingen svar", "withheld": "%d svar – resultaterne vises fra %d svar", "no_comments": "Ingen kommentarer.",
		"more_comments": "%d kommentarer mere står i Excel-filen.", "share_note": "Feltets farve viser andelen af svar; tallet er andelen i procent.",
		"group_note":   "Resultater for grupper vises kun for grupper med mindst %d deltagere; mindre grupper er lagt sammen i \"Øvrige\" eller udeladt. Totalerne er altid med alle.",
		"groups_title": "Grupper med resultater",
		"kind_scale":   "Skala", "kind_choice": "Valg", "kind_rank": "Rangering", "kind_words": "Ord", "kind_comments": "Kommentarer",
		"top_comments": "Kommentarer", "rank_note": "Point: 1. plads giver %d point, 2. plads %d og så videre ned til 1 point for sidste valgte plads.", "rank_note1": "Point: hver, der vælger et punkt, giver det 1 point.", "rank_note2": "Point: 1. plads giver 2 point, 2. plads 1 point.",
		"yes": "ja", "no": "nej", "contents": "Indhold",
		"no_groups":        "Ingen grupper med mindst %d deltagere.",
		"sessions_count":   "Forløb i sammenligningen",
		"pooled_note":      "\"Samlet\" regner alle forløbs svar sammen. Grupper tæller kun med fra de forløb, hvor gruppen selv nåede mindste gruppestørrelse.",
		"upvotes_short":    "enige",
		"mean_note":        "Gns. = Gennemsnit på skalaen fra %d til %d.",
		"scale_legend_sep": " · ",
		"kind_gap":         "I dag / Ønsket", "kind_points": "Point",
		"today": "I dag", "wanted": "Ønsket", "gap": "Gab", "gap_counts": "Egne gab (personer)",
		"gap_axes":     "I dag: %s · Ønsket: %s (%d–%d). Gab = ønsket − i dag, for hver person; gennemsnittet af de egne gab.",
		"gap_note":     "Udsagnene står efter gabet, det største først. \"Egne gab\" viser, hvor mange der havde hvert gab: et lille gennemsnit kan dække over et delt rum.",
		"gap_skipped":  "Ved ikke: %d (i dag), %d (ønsket).",
		"gap_shift":    "(gabet)",
		"skipped_note": "Ved ikke: %d (ikke med i svar og gennemsnit).",
		"shift_note":   "Fra runde 1 – %s: %d %% op, %d %% ned, %d %% uændret; gns. ændring %s (%d svarede begge gange).",
		"round":        "Runde", "delta": "Ændring", "dont_know": "Ved ikke", "sheet_gap": "Gab i dag og ønsket", "sheet_other_scales": "Andre skalaer",
	},
	"en": {
		"sheet_summary": "Summary", "sheet_votes": "Votes", "sheet_comments": "Comments",
		"sheet_activities": "Other activities", "sheet_comparison": "Comparison", "sheet_sessions": "Sessions",
		"session": "Session", "session_id": "Session id", "section_id": "Section id", "section": "Section",
		"activity_id": "Activity id", "activity": "Activity", "kind": "Kind", "statement_id": "Statement id",
		"statement": "Statement", "participant": "Participant", "group": "Group", "value": "Answer",
		"updated_at": "Time", "comment_id": "Comment id", "comment": "Comment",
		"upvotes": "Agree (+1)", "hidden": "Hidden", "starred": "Starred", "created_at": "Created",
		"mean": "Mean", "mean_short": "Mean", "responses": "responses", "participants": "participants",
		"participants_title": "Participants", "charter": "Charter", "date": "Date", "all": "All",
		"threshold": "Minimum group size for results", "scale": "Scale", "item": "Option",
		"count": "Count", "points": "Points", "prompt": "Question", "comments": "Comments",
		"overview": "Overview of all statements", "report": "Report", "generated": "Report generated",
		"page": "Page", "of": "of", "pooled": "Pooled", "groups": "Groups", "code": "Code",
		"state": "State", "no_answers": "No answers", "withheld": "%d responses – results are shown from %d responses", "no_comments": "No comments.",
		"more_comments": "%d more comments are in the Excel file.", "share_note": "A cell's shade shows the share of answers; the number is the share in per cent.",
		"group_note":   "Results by group are shown only for groups with at least %d participants; smaller groups are merged into \"Other\" or left out. Totals always include everyone.",
		"groups_title": "Groups with results",
		"kind_scale":   "Scale", "kind_choice": "Choice", "kind_rank": "Ranking", "kind_words": "Words", "kind_comments": "Comments",
		"top_comments": "Comments", "rank_note": "Points: first place gives %d points, second place %d and so on down to 1 point for the last place chosen.", "rank_note1": "Points: each person who picks an item gives it 1 point.", "rank_note2": "Points: first place gives 2 points, second place 1 point.",
		"yes": "yes", "no": "no", "contents": "Contents",
		"no_groups":        "No group has at least %d participants.",
		"sessions_count":   "Sessions compared",
		"pooled_note":      "\"Pooled\" counts every session's answers together. A group counts only from the sessions in which it reached the minimum group size itself.",
		"upvotes_short":    "agree",
		"mean_note":        "Mean on the scale from %d to %d.",
		"scale_legend_sep": " · ",
		"kind_gap":         "Today / Wanted", "kind_points": "Points",
		"today": "Today", "wanted": "Wanted", "gap": "Gap", "gap_counts": "Own gaps (people)",
		"gap_axes":     "Today: %s · Wanted: %s (%d–%d). Gap = wanted − today, per person; the mean of the own gaps.",
		"gap_note":     "Statements are sorted by gap, the largest first. \"Own gaps\" shows how many people had each gap: a small mean can hide a split room.",
		"gap_skipped":  "Don't know: %d (today), %d (wanted).",
		"gap_shift":    "(the gap)",
		"skipped_note": "Don't know: %d (not in the responses or the mean).",
		"shift_note":   "From round 1 – %s: %d %% up, %d %% down, %d %% the same; mean change %s (%d answered both times).",
		"round":        "Round", "delta": "Change", "dont_know": "Don't know", "sheet_gap": "Gaps today and wanted", "sheet_other_scales": "Other scales",
	},
}

var monthsDA = []string{"januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
	"september", "oktober", "november", "december"}

// fmtDate writes a date for people in the language, in the zone loc.
func fmtDate(lang string, t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = forum.DefaultLocation()
	}
	t = t.In(loc)
	if lang == "da" {
		return strconv.Itoa(t.Day()) + ". " + monthsDA[t.Month()-1] + " " + strconv.Itoa(t.Year())
	}
	return t.Format("2 January 2006")
}
