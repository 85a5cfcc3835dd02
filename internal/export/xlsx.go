package export

import (
	"archive/zip"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"pejl/internal/forum"
)

// maxSheetRows is Excel's row limit; a longer votes or comments sheet continues on another.
const maxSheetRows = 1_048_576

// xlsxStyles are the workbook's cell styles.
type xlsxStyles struct {
	title, header, section, mean, date, wrap, bold int
}

func newStyles(f *excelize.File) (xlsxStyles, error) {
	var st xlsxStyles
	meanFmt, dateFmt := "0.00", "yyyy-mm-dd hh:mm:ss"
	defs := []struct {
		dst *int
		s   *excelize.Style
	}{
		{&st.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}},
		{&st.header, &excelize.Style{Font: &excelize.Font{Bold: true},
			Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCE6F0"}},
			Border:    []excelize.Border{{Type: "bottom", Color: "7F7F7F", Style: 1}},
			Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&st.section, &excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}}},
		{&st.mean, &excelize.Style{CustomNumFmt: &meanFmt, Alignment: &excelize.Alignment{Vertical: "top"}}},
		{&st.date, &excelize.Style{CustomNumFmt: &dateFmt}},
		{&st.wrap, &excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}}},
		{&st.bold, &excelize.Style{Font: &excelize.Font{Bold: true}}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(d.s)
		if err != nil {
			return st, err
		}
		*d.dst = id
	}
	return st, nil
}

// sheet streams rows into one worksheet, continuing on a new sheet ("Stemmer 2", …) when
// Excel's row limit is reached.
type sheet struct {
	f      *excelize.File
	name   string
	part   int
	sw     *excelize.StreamWriter
	row    int
	header []any
	widths []float64
	panes  bool
}

func newSheet(f *excelize.File, name string, first bool, widths []float64, header []any) (*sheet, error) {
	s := &sheet{f: f, name: name, header: header, widths: widths, panes: header != nil}
	return s, s.open(first)
}

func (s *sheet) open(first bool) error {
	name := s.name
	if s.part > 1 {
		name = fmt.Sprintf("%s %d", s.name, s.part)
	}
	if first {
		if err := s.f.SetSheetName("Sheet1", name); err != nil {
			return err
		}
	} else if _, err := s.f.NewSheet(name); err != nil {
		return err
	}
	sw, err := s.f.NewStreamWriter(name)
	if err != nil {
		return err
	}
	s.sw, s.row = sw, 0
	for i, w := range s.widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if s.panes {
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
	}
	if s.header != nil {
		return s.add(append([]any(nil), s.header...)...)
	}
	return nil
}

// add writes one row. Strings are neutralised; numbers, booleans and times stay typed.
func (s *sheet) add(cells ...any) error {
	if s.row >= maxSheetRows {
		if err := s.sw.Flush(); err != nil {
			return err
		}
		if s.part == 0 {
			s.part = 1
		}
		s.part++
		if err := s.open(false); err != nil {
			return err
		}
	}
	for i, c := range cells {
		switch v := c.(type) {
		case string:
			cells[i] = Neutralise(v)
		case excelize.Cell:
			if str, ok := v.Value.(string); ok {
				v.Value = Neutralise(str)
				cells[i] = v
			}
		}
	}
	s.row++
	return s.sw.SetRow("A"+strconv.Itoa(s.row), cells)
}

func (s *sheet) blank() { s.row++ }

func (s *sheet) flush() error { return s.sw.Flush() }

func styled(style int, v any) excelize.Cell { return excelize.Cell{StyleID: style, Value: v} }

func headerCells(style int, names ...string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = styled(style, n)
	}
	return out
}

// XLSX writes results.xlsx: a summary sheet in the charter's structure (section → statement →
// responses, mean, distribution, then the same per visible group), the other activities'
// results, the votes (one row each) and the comments (the comments.csv columns). Headers are
// in the session's language; numbers are numbers; every text cell is neutralised. The small
// sheets go through excelize's StreamWriter; the votes and comments sheets, which grow with
// the session, are written by sheetXML while the zip streams to w.
func XLSX(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt forum.RowOptions) error {
	b, err := load(ctx, svc, sess, opt)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	f.SetAppProps(&excelize.AppProperties{Application: "Pejl"})
	_ = f.SetDocProps(&excelize.DocProperties{Title: sess.Title, Creator: "Pejl", Language: b.lang})
	t := b.t
	if err := b.summarySheet(ctx, svc, f, st); err != nil {
		return err
	}
	if err := b.gapSheet(ctx, svc, f, st); err != nil {
		return err
	}
	if err := b.activitiesSheet(ctx, svc, f, st); err != nil {
		return err
	}
	if err := b.agreementSheets(f, st); err != nil {
		return err
	}
	// The votes and comments sheets exist in the workbook now; their XML is written while
	// the zip is, straight from the engine's scans.
	own := map[string]func(io.Writer) error{}
	parts, err := b.votesParts(ctx, svc)
	if err != nil {
		return err
	}
	if err := addRowSheets(f, own, t["sheet_votes"], parts, func(w io.Writer, part int) error {
		return b.writeVotes(ctx, svc, w, st, part, parts)
	}); err != nil {
		return err
	}
	var ncomments int64
	if err := svc.ScanComments(ctx, b.sess.ID, func(forum.Comment) error { ncomments++; return nil }); err != nil {
		return err
	}
	cparts := partsFor(ncomments)
	if err := addRowSheets(f, own, t["sheet_comments"], cparts, func(w io.Writer, part int) error {
		return b.writeComments(ctx, svc, w, st, part, cparts)
	}); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return writeStreaming(f, w, own)
}

// partsFor is how many sheets n rows need, with room for rows added while the export runs.
func partsFor(n int64) int {
	n += n/20 + 1000
	return int((n + maxSheetRows - 2) / (maxSheetRows - 1))
}

// addRowSheets adds the sheets "name", "name 2", … and registers write as the source of
// their XML.
func addRowSheets(f *excelize.File, own map[string]func(io.Writer) error, name string, parts int, write func(w io.Writer, part int) error) error {
	for part := range parts {
		n := name
		if part > 0 {
			n = fmt.Sprintf("%s %d", name, part+1)
		}
		if _, err := f.NewSheet(n); err != nil {
			return err
		}
		path, err := sheetPath(f, n)
		if err != nil {
			return err
		}
		own[path] = func(w io.Writer) error { return write(w, part) }
	}
	return nil
}

// rowFilter picks the rows of one part of a sheet split over parts sheets: keep says
// whether the i-th row (0-based, scan order) belongs here; full reports that the last part
// has no more room.
type rowFilter struct {
	first, last int64
	lastPart    bool
}

func newRowFilter(part, parts int) rowFilter {
	return rowFilter{first: int64(part) * (maxSheetRows - 1), last: int64(part+1) * (maxSheetRows - 1), lastPart: part == parts-1}
}

func (r rowFilter) keep(i int64) (bool, error) {
	switch {
	case i < r.first:
		return false, nil
	case i < r.last:
		return true, nil
	case r.lastPart:
		return false, errSheetFull
	}
	return false, nil
}

// sheetPath is the zip entry of a sheet: excelize names worksheets by their sheet id.
func sheetPath(f *excelize.File, name string) (string, error) {
	for id, n := range f.GetSheetMap() {
		if n == name {
			return fmt.Sprintf("xl/worksheets/sheet%d.xml", id), nil
		}
	}
	return "", fmt.Errorf("export: no sheet %q in the workbook", name)
}

// writeStreaming writes the workbook's zip straight to w, compressed for speed, instead of
// building the whole file in memory first as excelize's File.Write does: excelize hands its
// zip writer a buffer of its own, and this zip writer leaves that buffer empty. The entries
// named in own get their content from their function, not from excelize.
func writeStreaming(f *excelize.File, w io.Writer, own map[string]func(io.Writer) error) error {
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(w)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return &ownEntries{Writer: zw, own: own}
	})
	return f.Write(mustStayEmpty{})
}

// ownEntries is a zip writer that fills some entries itself and drops what excelize writes
// into them (an empty worksheet).
type ownEntries struct {
	*zip.Writer
	own map[string]func(io.Writer) error
}

func (z *ownEntries) Create(name string) (io.Writer, error) {
	fill, ok := z.own[name]
	if !ok {
		return z.Writer.Create(name)
	}
	fw, err := z.Writer.Create(name)
	if err != nil {
		return nil, err
	}
	if err := fill(fw); err != nil {
		return nil, err
	}
	delete(z.own, name)
	return io.Discard, nil
}

// mustStayEmpty fails if excelize writes anything outside its zip writer.
type mustStayEmpty struct{}

func (mustStayEmpty) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return 0, errors.New("export: excelize wrote the workbook outside its zip writer")
}

// excelTime is t as an Excel date serial number in Danish time (shown through the date style).
func excelTime(t time.Time, loc *time.Location) float64 {
	if t.IsZero() {
		return 0
	}
	_, off := t.In(loc).Zone()
	secs := t.Unix() + int64(off)
	return float64(secs)/86400 + 25569 + float64(t.Nanosecond())/864e11
}

func (b *base) summarySheet(ctx context.Context, svc *forum.Service, f *excelize.File, st xlsxStyles) error {
	t := b.t
	lo, hi := scaleRange(b.sess)
	results, cols, err := b.resultsOf(ctx, svc, forum.LayoutScale)
	if err != nil {
		return err
	}
	widths := []float64{28, 10, 60, 8, 11}
	for v := lo; v <= hi; v++ {
		widths = append(widths, 6)
	}
	for range cols {
		widths = append(widths, 10, 11)
		for v := lo; v <= hi; v++ {
			widths = append(widths, 6)
		}
	}
	widths = append(widths, 14, 40, 8, 9, 10)
	s, err := newSheet(f, t["sheet_summary"], true, widths, nil)
	if err != nil {
		return err
	}
	date := b.sess.CreatedAt
	if b.sess.EndedAt != nil {
		date = *b.sess.EndedAt
	}
	if err := s.add(styled(st.title, b.sess.Title)); err != nil {
		return err
	}
	rows := [][]any{
		{styled(st.bold, t["charter"]), b.ch.Title},
		{styled(st.bold, t["date"]), fmtDate(b.lang, date, b.loc)},
		{styled(st.bold, t["participants_title"]), b.total},
		{styled(st.bold, t["threshold"]), b.sess.AnonymityThreshold},
	}
	if legend := scaleLegend(b); legend != "" {
		rows = append(rows, []any{styled(st.bold, t["scale"]), legend})
	}
	if len(b.visible) > 0 {
		var gs []string
		for _, g := range b.visible {
			gs = append(gs, fmt.Sprintf("%s (%d)", g.Label, g.Members))
		}
		rows = append(rows, []any{styled(st.bold, t["groups_title"]), strings.Join(gs, ", ")})
	}
	rows = append(rows, []any{fmt.Sprintf(t["group_note"], b.sess.AnonymityThreshold)})
	for _, r := range rows {
		if err := s.add(r...); err != nil {
			return err
		}
	}
	s.blank()

	head := []string{t["section"], t["statement_id"], t["statement"], t["responses"], t["mean"]}
	for v := lo; v <= hi; v++ {
		head = append(head, strconv.Itoa(v))
	}
	for _, g := range cols {
		head = append(head, g.Label+": "+t["responses"], g.Label+": "+t["mean"])
		for v := lo; v <= hi; v++ {
			head = append(head, g.Label+": "+strconv.Itoa(v))
		}
	}
	head = append(head, t["activity_id"], t["prompt"], t["round"], t["dont_know"], t["delta"])
	if err := s.add(headerCells(st.header, head...)...); err != nil {
		return err
	}
	statRow := func(r forum.StatementResult, a *forum.Activity, row []any) []any {
		if r.Counts == nil { // a group that did not pass the rule for the statement
			for v := lo - 2; v <= hi; v++ {
				row = append(row, nil)
			}
			return row
		}
		row = append(row, r.N)
		if r.Withheld { // fewer than the session's ResultsFrom answered: the count only
			for v := lo - 1; v <= hi; v++ {
				row = append(row, nil)
			}
			return row
		}
		if r.Mean != nil {
			row = append(row, styled(st.mean, *r.Mean))
		} else {
			row = append(row, nil)
		}
		for v := lo; v <= hi; v++ {
			if v < a.Min || v > a.Max {
				row = append(row, nil)
				continue
			}
			row = append(row, r.Counts[strconv.Itoa(v)])
		}
		return row
	}
	for _, ar := range results {
		a, total := ar.a, ar.total
		ai := b.acts[a.ID]
		for _, stID := range a.Statements {
			row := []any{styled(st.wrap, ai.secTitle), stID, styled(st.wrap, b.stmts[stID].Text)}
			row = statRow(total.Statements[stID], a, row)
			for _, c := range cols {
				var gs forum.StatementResult
				if g := ar.group(c.ID); g != nil {
					gs = g.Results.Statements[stID]
				}
				row = statRow(gs, a, row)
			}
			row = append(row, a.ID, fmt.Sprintf("%s (%d–%d)", a.Prompt, a.Min, a.Max))
			row = append(row, b.roundExtras(a, total.Statements[stID], st)...)
			if err := s.add(row...); err != nil {
				return err
			}
		}
	}
	return s.flush()
}

// roundExtras are a statement row's round (empty without rounds), "ved ikke" answers and,
// in a round 2, the change of the mean over the people who answered both rounds (the
// delta; empty while fewer than the threshold did).
func (b *base) roundExtras(a *forum.Activity, r forum.StatementResult, st xlsxStyles) []any {
	out := []any{nil, nil, nil}
	if n := b.sess.RoundOf(a); n > 0 {
		out[0] = n
	}
	if r.Today != nil {
		out[1] = r.Today.Skipped + r.Wanted.Skipped
	} else if !r.Withheld {
		out[1] = r.Skipped
	}
	if r.Shift != nil {
		out[2] = styled(st.mean, r.Shift.MeanChange)
	}
	return out
}

// gapSheet lists every gap rating's statements ("I dag / Ønsket"), sorted by gap as the
// report's ladder: mean today, mean wanted, the gap, the own gaps, "ved ikke", the round and
// delta, then the gap of each group that passes the anonymity rule.
func (b *base) gapSheet(ctx context.Context, svc *forum.Service, f *excelize.File, st xlsxStyles) error {
	t := b.t
	results, cols, err := b.resultsOf(ctx, svc, forum.LayoutGap)
	if err != nil || len(results) == 0 {
		return err
	}
	widths := []float64{28, 16, 10, 50, 8, 9, 9, 9, 28, 8, 9, 9}
	head := []string{t["section"], t["activity_id"], t["statement_id"], t["statement"], t["responses"], t["today"], t["wanted"],
		t["gap"], t["gap_counts"], t["round"], t["dont_know"], t["delta"]}
	for _, g := range cols {
		head = append(head, g.Label+": "+t["gap"])
		widths = append(widths, 12)
	}
	s, err := newSheet(f, t["sheet_gap"], false, widths, headerCells(st.header, head...))
	if err != nil {
		return err
	}
	num := func(m *float64) any {
		if m == nil {
			return nil
		}
		return styled(st.mean, *m)
	}
	for _, ar := range results {
		a, total := ar.a, ar.total
		ai := b.acts[a.ID]
		for _, stID := range GapLadder(a, total) {
			r := total.Statements[stID]
			row := []any{styled(st.wrap, ai.secTitle), a.ID, stID, styled(st.wrap, b.stmts[stID].Text), r.N}
			if r.Today == nil { // withheld
				row = append(row, nil, nil, nil, nil)
			} else {
				row = append(row, num(r.Today.Mean), num(r.Wanted.Mean), num(r.Gap), gapCountsText(r.GapCounts))
			}
			row = append(row, b.roundExtras(a, r, st)...)
			for _, c := range cols {
				var gap any
				if g := ar.group(c.ID); g != nil {
					if gs, ok := g.Results.Statements[stID]; ok && gs.Today != nil {
						gap = num(gs.Gap)
					}
				}
				row = append(row, gap)
			}
			if err := s.add(row...); err != nil {
				return err
			}
		}
	}
	return s.flush()
}

func scaleLegend(b *base) string {
	for _, a := range b.sess.Activities {
		if a.Ranged() && len(a.Labels) == a.Max-a.Min+1 {
			parts := make([]string, len(a.Labels))
			for i, l := range a.Labels {
				parts[i] = fmt.Sprintf("%d = %s", a.Min+i, l)
			}
			return strings.Join(parts, b.t["scale_legend_sep"])
		}
	}
	return ""
}

func (b *base) activitiesSheet(ctx context.Context, svc *forum.Service, f *excelize.File, st xlsxStyles) error {
	t := b.t
	results, cols, err := b.resultsOf(ctx, svc, forum.LayoutItems)
	if err != nil {
		return err
	}
	widths := []float64{28, 18, 12, 40, 50, 10, 8}
	head := []string{t["section"], t["activity_id"], t["kind"], t["prompt"], t["item"], t["count"] + " / " + t["points"], t["responses"]}
	for _, g := range cols {
		head = append(head, g.Label+": "+t["count"], g.Label+": "+t["responses"])
		widths = append(widths, 12, 10)
	}
	s, err := newSheet(f, t["sheet_activities"], false, widths, headerCells(st.header, head...))
	if err != nil {
		return err
	}
	for _, ar := range results {
		a, total := ar.a, ar.total
		ai := b.acts[a.ID]
		for _, it := range b.rankedItems(ai, total) {
			row := []any{ai.secTitle, a.ID, kindName(t, a.Kind), a.Prompt, it.Label, it.N, total.N}
			for _, c := range cols {
				if g := ar.group(c.ID); g != nil {
					row = append(row, itemCount(a, g.Results, it.ID), g.Results.N)
				} else {
					row = append(row, nil, nil)
				}
			}
			if err := s.add(row...); err != nil {
				return err
			}
		}
	}
	return s.flush()
}

// actResults are one activity's results as an export shows them.
type actResults struct {
	a     *forum.Activity
	total forum.Results
	per   []forum.GroupResults
}

// group returns the results of the group view id, nil if it did not pass the rule.
func (ar *actResults) group(id string) *forum.GroupResults {
	for i := range ar.per {
		if ar.per[i].Group.ID == id {
			return &ar.per[i]
		}
	}
	return nil
}

// resultsOf reads the results of the session's activities of the layouts, in report order, and
// the group columns they need: every group view that passed the rule somewhere, in the
// session's order of groups, "other" last.
func (b *base) resultsOf(ctx context.Context, svc *forum.Service, layouts ...string) ([]actResults, []forum.GroupView, error) {
	var out []actResults
	seen := map[string]forum.GroupView{}
	for _, a := range b.activitiesInOrder() {
		if !slices.Contains(layouts, a.Layout()) {
			continue
		}
		total, per, _, err := svc.ActivityResults(ctx, forum.ForExport, b.sess, a)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, actResults{a: a, total: total, per: per})
		for _, g := range per {
			seen[g.Group.ID] = g.Group
		}
	}
	var cols []forum.GroupView
	for _, g := range b.sess.Groups {
		if v, ok := seen[g.ID]; ok {
			cols = append(cols, v)
		}
	}
	if v, ok := seen[forum.OtherGroup]; ok {
		cols = append(cols, v)
	}
	return out, cols, nil
}

func itemCount(a *forum.Activity, r forum.Results, id string) int64 {
	for _, it := range forum.ItemCounts(a, r) {
		if it.ID == id {
			return it.N
		}
	}
	return 0
}

// votesHead are the votes sheet's columns: what a pivot table needs — the section, the
// statement (id and text), the participant's pseudonym, the group, the answer and its time —
// and the activity id. votes.csv has every id; the workbook leaves the session id and the
// section id out.
func (b *base) votesHead() []string {
	t := b.t
	return []string{t["section"], t["statement_id"], t["statement"], t["participant"], t["group"], t["value"],
		t["updated_at"], t["activity_id"]}
}

var votesWidths = []float64{24, 10, 50, 14, 14, 10, 19, 16}

// votesParts is how many sheets the votes need (Excel holds 1,048,576 rows a sheet). It
// counts the votes only when the session is big enough to need it, with room for votes cast
// while the export runs.
func (b *base) votesParts(ctx context.Context, svc *forum.Service) (int, error) {
	per := int64(0)
	for _, a := range b.sess.Activities {
		if a.Layout() != forum.LayoutComments {
			per += int64(len(forum.ResultItems(&a)))
		}
	}
	if b.total*per < maxSheetRows-1 {
		return 1, nil
	}
	var n int64
	if err := svc.ScanVotes(ctx, b.sess.ID, func(forum.Vote) error { n++; return nil }); err != nil {
		return 0, err
	}
	return partsFor(n), nil
}

// writeVotes writes the XML of votes sheet part (0-based) of parts: the header, then the
// part's share of the votes in scan order. It writes the cells itself (see sheetXML): at
// half a million votes excelize's per-cell work takes several times longer than the scan.
func (b *base) writeVotes(ctx context.Context, svc *forum.Service, w io.Writer, st xlsxStyles, part, parts int) error {
	x := newSheetXML(w, votesWidths)
	x.row()
	for _, h := range b.votesHead() {
		x.str(st.header, h)
	}
	loc := b.loc
	rows := newRowFilter(part, parts)
	var n int64
	err := b.scanVotes(ctx, svc, func(v *forum.Vote, row shownRow) error {
		pid, glabel := row.participant, row.glabel
		i := n
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if keep, err := rows.keep(i); !keep {
			return err
		}
		ai := b.acts[v.Activity]
		x.row()
		if ai != nil {
			x.str(0, ai.secTitle)
		} else {
			x.skip()
		}
		x.str(0, v.Statement)
		x.str(0, b.stmts[v.Statement].Text)
		x.str(0, pid)
		x.str(0, glabel)
		if ai != nil && ai.a.Layout() == forum.LayoutScale {
			if n, err := strconv.Atoi(string(v.Value)); err == nil {
				x.num(0, float64(n))
			} else {
				x.str(0, b.valueText(ai, v.Value)) // "Ved ikke"
			}
		} else {
			x.str(0, b.valueText(ai, v.Value))
		}
		x.num(st.date, excelTime(v.UpdatedAt, loc))
		x.str(0, v.Activity)
		return x.err
	})
	if err != nil && !errors.Is(err, errSheetFull) {
		return err
	}
	return x.close()
}

var errSheetFull = errors.New("sheet full")

// writeComments writes the XML of comments sheet part (0-based) of parts: the columns of
// comments.csv with localised headers, plus starred; upvotes a number, hidden and starred
// booleans, the time an Excel date in Danish time.
func (b *base) writeComments(ctx context.Context, svc *forum.Service, w io.Writer, st xlsxStyles, part, parts int) error {
	t := b.t
	x := newSheetXML(w, []float64{14, 9, 24, 16, 10, 14, 14, 14, 70, 10, 8, 10, 19})
	x.row()
	for _, h := range []string{t["session_id"], t["section_id"], t["section"], t["activity_id"], t["statement_id"],
		t["comment_id"], t["participant"], t["group"], t["comment"], t["upvotes"], t["hidden"], t["starred"], t["created_at"]} {
		x.str(st.header, h)
	}
	loc := b.loc
	rows := newRowFilter(part, parts)
	var n int64
	err := b.scanComments(ctx, svc, func(c *forum.Comment, row shownRow) error {
		pid, glabel := row.participant, row.glabel
		i := n
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if keep, err := rows.keep(i); !keep {
			return err
		}
		var secID, secTitle string
		if ai := b.acts[c.Activity]; ai != nil {
			secID, secTitle = ai.a.Section, ai.secTitle
		}
		x.row()
		x.str(0, b.sess.ID)
		x.str(0, secID)
		x.str(0, secTitle)
		x.str(0, c.Activity)
		x.str(0, c.Statement)
		x.str(0, c.ID)
		x.str(0, pid)
		x.str(0, glabel)
		x.str(st.wrap, c.Text)
		x.num(0, float64(c.Upvotes))
		x.boolean(c.Hidden)
		x.boolean(c.Starred)
		x.num(st.date, excelTime(c.CreatedAt, loc))
		return x.err
	})
	if err != nil && !errors.Is(err, errSheetFull) {
		return err
	}
	return x.close()
}
