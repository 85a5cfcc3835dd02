package export

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/go-pdf/fpdf"

	"pejl/internal/charter"
	"pejl/internal/forum"
)

// The report's font: DejaVu Sans Condensed (see fonts/README.md and fonts/LICENSE).
var (
	//go:embed fonts/DejaVuSansCondensed.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSansCondensed-Bold.ttf
	fontBold []byte
)

const (
	fontFamily = "dejavu"
	pageW      = 210.0
	pageH      = 297.0
	marginL    = 18.0
	marginR    = 18.0
	marginT    = 18.0
	marginB    = 20.0
	contentW   = pageW - marginL - marginR
	// maxCommentsPerActivity is how many comments the report prints per comments activity;
	// the rest are in the Excel file.
	maxCommentsPerActivity = 10
	// maxItems is how many options, items or words the report charts per activity.
	maxItems = 15
)

type rgb struct{ r, g, b int }

var (
	colInk     = rgb{34, 34, 34}
	colMuted   = rgb{100, 100, 100}
	colAccent  = rgb{31, 58, 95}
	colRule    = rgb{200, 205, 212}
	colBand    = rgb{237, 241, 246}
	colBar     = rgb{47, 94, 140}
	colStar    = rgb{214, 158, 0}
	likertBase = []rgb{{202, 0, 32}, {244, 165, 130}, {217, 217, 217}, {146, 197, 222}, {5, 113, 176}}
)

// likert returns the colour of value v on a scale from lo to hi: red for the lowest, grey in
// the middle, blue for the highest (readable for the common colour-vision deficiencies).
func likert(v, lo, hi int) rgb {
	if hi <= lo {
		return likertBase[2]
	}
	x := float64(v-lo) / float64(hi-lo) * 4
	i := int(math.Floor(x))
	if i >= 4 {
		return likertBase[4]
	}
	f := x - float64(i)
	a, b := likertBase[i], likertBase[i+1]
	mix := func(p, q int) int { return int(math.Round(float64(p) + (float64(q)-float64(p))*f)) }
	return rgb{mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)}
}

// dark reports whether white text reads better than black on c.
func dark(c rgb) bool { return 0.299*float64(c.r)+0.587*float64(c.g)+0.114*float64(c.b) < 140 }

// report renders one session's PDF.
type report struct {
	*base
	opt      PDFOptions
	pdf      *fpdf.Fpdf
	glyph    map[rune]bool
	lo, hi   int
	results  map[string]forum.Results
	groupRes map[string][]forum.GroupResults
	comments map[string][]forum.Comment
	ncomm    map[string]int
}

// PDFOptions tune the report.
type PDFOptions struct {
	// OmitUnused leaves out activities nobody answered.
	OmitUnused bool
}

// PDF writes report.pdf with the default options; see PDFWith.
func PDF(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session) error {
	return PDFWith(ctx, w, svc, sess, PDFOptions{})
}

// PDFWith writes report.pdf: a title page (session, charter, date, participants, groups), a
// one-page overview heat-map of every statement, then the charter section by section with a
// bar of each statement's distribution and its mean (in total and per visible group), the
// section's top comments (starred first, then by upvotes; hidden ones left out) and the
// results of choice, ranking and word activities. In the session's language, with an
// embedded font, so Danish letters render everywhere. Text is set as text: nothing in a
// comment is interpreted. Statements and items are printed in full, wrapped, never cut;
// emoji the font lacks are left out.
func PDFWith(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt PDFOptions) error {
	b, err := load(ctx, svc, sess, forum.RowOptions{})
	if err != nil {
		return err
	}
	r := &report{base: b, opt: opt, glyph: map[rune]bool{}, results: map[string]forum.Results{},
		groupRes: map[string][]forum.GroupResults{}, comments: map[string][]forum.Comment{}, ncomm: map[string]int{}}
	r.lo, r.hi = scaleRange(sess)
	for i := range sess.Activities {
		a := &sess.Activities[i]
		if a.Layout() == forum.LayoutComments {
			continue
		}
		total, per, _, err := svc.ActivityResults(ctx, forum.ForExport, sess, a)
		if err != nil {
			return err
		}
		r.results[a.ID], r.groupRes[a.ID] = total, per
	}
	if err := r.loadComments(ctx, svc); err != nil {
		return err
	}

	pdf := fpdf.New("P", "mm", "A4", "")
	r.pdf = pdf
	pdf.AddUTF8FontFromBytes(fontFamily, "", fontRegular)
	pdf.AddUTF8FontFromBytes(fontFamily, "B", fontBold)
	pdf.SetFont(fontFamily, "", 10) // r.text needs a current font to look glyphs up
	pdf.SetMargins(marginL, marginT, marginR)
	pdf.SetAutoPageBreak(true, marginB)
	pdf.SetCreationDate(b.generated)
	pdf.SetModificationDate(b.generated)
	pdf.SetTitle(r.text(sess.Title), true)
	pdf.SetSubject(r.text(b.ch.Title), true)
	pdf.SetCreator("Pejl", true)
	pdf.SetProducer("Pejl", true)
	pdf.SetLang(b.lang)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(r.footer)

	r.titlePage()
	r.overview()
	r.sections()
	r.agreements()
	if pdf.Err() {
		return pdf.Error()
	}
	return pdf.Output(w)
}

// loadComments keeps, per comments activity, only the top visible comments: starred first,
// then by upvotes, then oldest first. At most maxCommentsPerActivity are held per activity.
func (r *report) loadComments(ctx context.Context, svc *forum.Service) error {
	return svc.ScanComments(ctx, r.sess.ID, func(c forum.Comment) error {
		if c.Hidden {
			return nil
		}
		r.ncomm[c.Activity]++
		cs := append(r.comments[c.Activity], c)
		forum.SortComments(cs)
		if len(cs) > maxCommentsPerActivity {
			cs = cs[:maxCommentsPerActivity]
		}
		r.comments[c.Activity] = cs
		return nil
	})
}

// text makes s printable in the embedded font: characters the font lacks are left out
// (emoji and other symbols, with their joiners, variation selectors and skin tones) or,
// for letters of scripts the font lacks, become "?"; control characters become spaces.
// Spaces left doubled by a removal are collapsed.
func (r *report) text(s string) string {
	ok := true
	for _, c := range s {
		if !r.has(c) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var sb strings.Builder
	dropped := false // a character was left out since the last one written
	for _, c := range s {
		switch {
		case r.has(c) && !unicode.IsSpace(c):
			if dropped && unicode.IsPunct(c) {
				// "arbejde 🎉!" reads "arbejde!", not "arbejde !"
				out := strings.TrimRight(sb.String(), " ")
				sb.Reset()
				sb.WriteString(out)
			}
			sb.WriteRune(c)
			dropped = false
		case unicode.IsSpace(c) || unicode.IsControl(c):
			if c == '\n' {
				sb.WriteRune(c)
			} else if !dropped || !strings.HasSuffix(sb.String(), " ") {
				sb.WriteByte(' ')
			}
		case unicode.IsLetter(c) || unicode.IsDigit(c):
			sb.WriteByte('?')
			dropped = false
		default:
			// emoji, symbols, combining marks, joiners, variation selectors, skin tones: left out
			dropped = true
		}
	}
	return strings.TrimSpace(sb.String())
}

func (r *report) has(c rune) bool {
	if c == '\n' {
		return true
	}
	if c < 0x20 || c > 0xffff || (c >= 0x7f && c < 0xa0) {
		return false
	}
	if c < 0x7f {
		return true
	}
	ok, seen := r.glyph[c]
	if !seen {
		ok = r.pdf == nil || r.pdf.GetStringSymbolWidth(string(c)) > 0
		if r.pdf != nil {
			r.glyph[c] = ok
		}
	}
	return ok
}

func (r *report) font(style string, size float64, c rgb) {
	r.pdf.SetFont(fontFamily, style, size)
	r.pdf.SetTextColor(c.r, c.g, c.b)
}

func (r *report) fill(c rgb) { r.pdf.SetFillColor(c.r, c.g, c.b) }

func (r *report) draw(c rgb) { r.pdf.SetDrawColor(c.r, c.g, c.b) }

// ensure starts a new page unless h millimetres fit below the cursor.
func (r *report) ensure(h float64) {
	if r.pdf.GetY()+h > pageH-marginB {
		r.pdf.AddPage()
	}
}

// keep starts a new page unless a block of height h fits below the cursor; a block taller
// than a page starts where it is.
func (r *report) keep(h float64) {
	if h <= pageH-marginT-marginB-10 {
		r.ensure(h)
	}
}

// statementHeight is the height of one statement's block: its text and its bars.
func (r *report) statementHeight(a *forum.Activity, st string) float64 {
	r.font("B", 10, colInk)
	return float64(len(r.lines(r.stmts[st].Text, contentW)))*4.8 + 7.5 + float64(len(r.groupRes[a.ID]))*5.5 + 4
}

// firstBlockHeight is the height an activity needs on the page where it starts: its prompt
// and first statement (scale), its whole chart (other kinds), or its heading and first
// comment.
func (r *report) firstBlockHeight(a *forum.Activity) float64 {
	switch a.Layout() {
	case forum.LayoutScale:
		r.font("", 9.5, colMuted)
		h := float64(len(r.lines(a.Prompt, contentW)))*4.8 + 1
		if len(a.Statements) > 0 {
			h += r.statementHeight(a, a.Statements[0])
		}
		return h
	case forum.LayoutGap:
		return 40
	case forum.LayoutItems:
		r.font("B", 10.5, colInk)
		h := 2 + float64(len(r.lines(a.Prompt, contentW)))*5 + 6 + 3
		items := r.rankedItems(r.acts[a.ID], r.results[a.ID])
		if len(items) == 0 {
			return h + 5
		}
		r.font("", 8.5, colInk)
		for _, it := range items[:min(len(items), maxItems)] {
			h += float64(len(r.lines(it.Label, 68)))*4.2 + 1.2
		}
		return h
	case forum.LayoutComments:
		h := 7.0
		if cs := r.comments[a.ID]; len(cs) > 0 {
			r.font("", 9, colInk)
			h += float64(len(r.lines(cs[0].Text, contentW-26)))*4.4 + 2.5
		}
		return h
	}
	return 10
}

// lines splits text to fit width w in the current font.
func (r *report) lines(s string, w float64) []string {
	var out []string
	for _, para := range strings.Split(r.text(s), "\n") {
		ls := r.pdf.SplitText(para, w)
		if len(ls) == 0 {
			ls = []string{""}
		}
		out = append(out, ls...)
	}
	return out
}

// fit shortens s with "…" until it fits width w in the current font.
func (r *report) fit(s string, w float64) string {
	s = r.text(s)
	if r.pdf.GetStringWidth(s) <= w {
		return s
	}
	rs := []rune(s)
	lo, hi := 0, len(rs)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if r.pdf.GetStringWidth(strings.TrimRight(string(rs[:mid]), " ,.;:")+"…") <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRight(string(rs[:lo]), " ,.;:") + "…"
}

func (r *report) footer() {
	if r.pdf.PageNo() == 1 {
		return
	}
	p := r.pdf
	p.SetY(-14)
	r.draw(colRule)
	p.SetLineWidth(0.2)
	p.Line(marginL, p.GetY()-1.5, pageW-marginR, p.GetY()-1.5)
	r.font("", 8, colMuted)
	p.CellFormat(contentW*0.7, 5, r.fit(r.sess.Title+" · "+r.ch.Title, contentW*0.7), "", 0, "L", false, 0, "")
	p.CellFormat(contentW*0.3, 5, fmt.Sprintf("%s %d %s {nb}", r.t["page"], p.PageNo(), r.t["of"]), "", 0, "R", false, 0, "")
}

func (r *report) titlePage() {
	p := r.pdf
	p.AddPage()
	t := r.t
	// A band across the top.
	r.fill(colAccent)
	p.Rect(0, 0, pageW, 8, "F")
	p.SetY(40)
	r.font("B", 11, colAccent)
	p.CellFormat(contentW, 6, strings.ToUpper(t["report"]), "", 1, "L", false, 0, "")
	p.Ln(3)
	r.font("B", 26, colInk)
	for _, l := range r.lines(r.sess.Title, contentW) {
		p.CellFormat(contentW, 11, l, "", 1, "L", false, 0, "")
	}
	p.Ln(2)
	r.font("", 15, colAccent)
	for _, l := range r.lines(r.ch.Title, contentW) {
		p.CellFormat(contentW, 7.5, l, "", 1, "L", false, 0, "")
	}
	p.Ln(10)
	r.draw(colRule)
	p.SetLineWidth(0.3)
	p.Line(marginL, p.GetY(), pageW-marginR, p.GetY())
	p.Ln(6)

	date := r.sess.CreatedAt
	if r.sess.EndedAt != nil {
		date = *r.sess.EndedAt
	}
	facts := [][2]string{
		{t["date"], fmtDate(r.lang, date, r.loc)},
		{t["participants_title"], strconv.FormatInt(r.total, 10) + " " + t["participants"]},
	}
	if len(r.sess.Groups) > 0 {
		var gs []string
		for _, g := range r.visible {
			gs = append(gs, fmt.Sprintf("%s: %d", g.Label, g.Members))
		}
		if len(gs) == 0 {
			gs = []string{fmt.Sprintf(t["no_groups"], r.sess.AnonymityThreshold)}
		}
		facts = append(facts, [2]string{t["groups_title"], strings.Join(gs, " · ")})
	}
	r.font("B", 11, colMuted)
	factW := 0.0
	for _, f := range facts {
		factW = max(factW, p.GetStringWidth(r.text(f[0]))+6)
	}
	factW = min(factW, contentW/2)
	for _, f := range facts {
		r.font("B", 11, colMuted)
		p.CellFormat(factW, 7, r.text(f[0]), "", 0, "L", false, 0, "")
		r.font("", 11, colInk)
		ls := r.lines(f[1], contentW-factW)
		for i, l := range ls {
			if i > 0 {
				p.SetX(marginL + factW)
			}
			p.CellFormat(contentW-factW, 7, l, "", 1, "L", false, 0, "")
		}
	}
	p.Ln(8)
	// One legend per scale of its own (prompt, range, labels): several scales in one
	// report each say what their numbers mean.
	for _, a := range r.distinctScales() {
		r.font("B", 10, colMuted)
		p.MultiCell(contentW, 6, r.text(t["scale"]+": "+a.Prompt), "", "L", false)
		p.Ln(1)
		r.legend(r.activityLegend(a))
		r.font("", 9, colMuted)
		p.CellFormat(contentW, 5, r.text(fmt.Sprintf(t["mean_note"], a.Min, a.Max)), "", 1, "L", false, 0, "")
		p.Ln(4)
	}
	if len(r.sess.Groups) > 0 {
		r.font("", 9, colMuted)
		p.MultiCell(contentW, 4.5, r.text(fmt.Sprintf(t["group_note"], r.sess.AnonymityThreshold)), "", "L", false)
	}
	// Contents: the sections with results, as an outline of the document.
	p.Ln(8)
	r.font("B", 10, colMuted)
	p.CellFormat(contentW, 6, t["contents"], "", 1, "L", false, 0, "")
	r.font("", 10, colInk)
	p.CellFormat(contentW, 5.5, r.text("·  "+t["overview"]), "", 1, "L", false, 0, "")
	for _, sec := range r.contents() {
		indent := 0.0
		if sec.Level > 2 {
			indent = 6
		}
		for i, l := range r.lines(sec.Title, contentW-indent-5) {
			if p.GetY() > pageH-marginB-12 {
				p.AddPage()
			}
			p.SetX(marginL + indent)
			if i == 0 {
				p.CellFormat(5, 5.5, "·", "", 0, "L", false, 0, "")
			} else {
				p.SetX(marginL + indent + 5)
			}
			p.CellFormat(contentW-indent-5, 5.5, l, "", 1, "L", false, 0, "")
		}
	}
	// Made by.
	p.SetY(pageH - marginB - 4)
	r.font("", 8, colMuted)
	p.CellFormat(contentW, 4, r.text(fmt.Sprintf("%s %s · Pejl", t["generated"], fmtDate(r.lang, r.generated, r.loc))), "", 0, "L", false, 0, "")
}

type legendItem struct {
	label string
	c     rgb
}

// distinctScales lists the first scale activity of each kind of scale (prompt, range and
// labels) in the report's order.
func (r *report) distinctScales() []*forum.Activity {
	var out []*forum.Activity
	seen := map[string]bool{}
	for _, a := range r.activitiesInOrder() {
		if a.Layout() != forum.LayoutScale || !r.shown(a) {
			continue
		}
		k := fmt.Sprintf("%s\x00%d\x00%d\x00%s", a.Prompt, a.Min, a.Max, strings.Join(a.Labels, "\x00"))
		if !seen[k] {
			seen[k] = true
			out = append(out, a)
		}
	}
	return out
}

// legend draws coloured squares with labels in one or more lines.
func (r *report) legend(items []legendItem) {
	p := r.pdf
	r.font("", 8.5, colInk)
	x := marginL
	y := p.GetY()
	for _, it := range items {
		w := 4 + 1.5 + p.GetStringWidth(it.label) + 5
		if x+w > pageW-marginR {
			x = marginL
			y += 5.5
		}
		r.fill(it.c)
		p.Rect(x, y+0.8, 3.4, 3.4, "F")
		p.SetXY(x+4.5, y)
		p.CellFormat(w-5, 5, r.text(it.label), "", 0, "L", false, 0, "")
		x += w
	}
	p.SetXY(marginL, y+6)
}

// sectionActivities are the activities of a section that the report shows.
func (r *report) sectionActivities(secID string) []*forum.Activity {
	var out []*forum.Activity
	for i := range r.sess.Activities {
		a := &r.sess.Activities[i]
		if a.Section == secID && r.shown(a) {
			out = append(out, a)
		}
	}
	return out
}

// shown reports whether the report prints the activity: always, unless it leaves out
// activities nobody answered.
func (r *report) shown(a *forum.Activity) bool {
	if !r.opt.OmitUnused {
		return true
	}
	if a.Layout() == forum.LayoutComments {
		return r.ncomm[a.ID] > 0
	}
	res := r.results[a.ID]
	if a.PerStatement() {
		for _, sr := range res.Statements {
			if sr.N > 0 {
				return true
			}
		}
		return false
	}
	return res.N > 0
}

// contents lists the sections the contents name: those with activities the report prints,
// each with the section it belongs to (a level-2 section above a level-3 one), so the
// contents nest as the charter does.
func (r *report) contents() []*charter.Section {
	var out []*charter.Section
	var parent *charter.Section
	parentListed := false
	for i := range r.ch.Sections {
		sec := &r.ch.Sections[i]
		if sec.Level <= 2 {
			parent, parentListed = sec, false
		}
		if len(r.sectionActivities(sec.ID)) == 0 {
			continue
		}
		if sec.Level > 2 && parent != nil && !parentListed {
			out = append(out, parent)
		}
		parentListed = true
		out = append(out, sec)
	}
	return out
}

// rankNote explains a ranking's points in words.
func (r *report) rankNote(k int) string {
	switch k {
	case 1:
		return r.t["rank_note1"]
	case 2:
		return r.t["rank_note2"]
	}
	return fmt.Sprintf(r.t["rank_note"], k, k-1)
}

// overview draws the heat-map of every statement of every scale activity: one row per
// statement, one column per scale value shaded by its share, then responses and mean.
func (r *report) overview() {
	p := r.pdf
	t := r.t
	type row struct {
		section string
		text    string
		res     forum.StatementResult
		a       *forum.Activity
		// question: a row that names the question (and scale) of the rows below it
		question bool
	}
	var rows []row
	lastSec := ""
	for _, a := range r.activitiesInOrder() {
		if a.Layout() != forum.LayoutScale || !r.shown(a) {
			continue
		}
		ai := r.acts[a.ID]
		if ai.secTitle != lastSec {
			rows = append(rows, row{section: ai.secTitle})
			lastSec = ai.secTitle
		}
		// Which question the rows below answer, on which scale.
		rows = append(rows, row{section: "› " + r.question(a), question: true})
		for _, st := range a.Statements {
			rows = append(rows, row{text: r.stmts[st].Text, res: r.results[a.ID].Statements[st], a: a})
		}
	}
	p.AddPage()
	p.Bookmark(r.text(t["overview"]), 0, -1)
	r.font("B", 16, colAccent)
	p.CellFormat(contentW, 9, r.text(t["overview"]), "", 1, "L", false, 0, "")
	r.font("", 8.5, colMuted)
	p.MultiCell(contentW, 4.2, r.text(t["share_note"]), "", "L", false)
	p.Ln(2)
	if len(rows) == 0 {
		r.font("", 10, colInk)
		p.CellFormat(contentW, 6, t["no_answers"], "", 1, "L", false, 0, "")
		return
	}
	nv := r.hi - r.lo + 1
	valW := min(13.0, 65.0/float64(nv))
	nW, meanW := 12.0, 13.0
	textW := contentW - float64(nv)*valW - nW - meanW
	headH := 6.0
	avail := pageH - marginB - p.GetY() - headH - 2
	rowH := math.Min(6.5, math.Max(4.2, avail/float64(len(rows))))
	fontSize := math.Min(8, rowH*1.75)

	header := func() {
		r.fill(colAccent)
		r.font("B", 8, rgb{255, 255, 255})
		p.CellFormat(textW, headH, " "+r.text(t["statement"]), "", 0, "L", true, 0, "")
		for v := r.lo; v <= r.hi; v++ {
			p.CellFormat(valW, headH, strconv.Itoa(v), "", 0, "C", true, 0, "")
		}
		p.CellFormat(nW, headH, r.text(t["responses"]), "", 0, "C", true, 0, "")
		p.CellFormat(meanW, headH, r.text(t["mean_short"]), "", 1, "C", true, 0, "")
	}
	header()
	for _, rw := range rows {
		if p.GetY()+rowH > pageH-marginB {
			p.AddPage()
			header()
		}
		y := p.GetY()
		if rw.question {
			r.font("", fontSize, colMuted)
			for _, l := range r.lines(rw.section, contentW-2) {
				p.CellFormat(contentW, rowH, " "+l, "", 1, "L", false, 0, "")
			}
			continue
		}
		if rw.a == nil {
			r.fill(colBand)
			r.font("B", fontSize, colAccent)
			for _, l := range r.lines(rw.section, contentW-2) {
				p.CellFormat(contentW, rowH, " "+l, "", 1, "L", true, 0, "")
			}
			continue
		}
		r.font("", fontSize, colInk)
		ls := r.lines(rw.text, textW-2)
		lineH := rowH
		rh := rowH
		if len(ls) > 1 {
			lineH = fontSize * 0.45
			rh = max(rowH, float64(len(ls))*lineH+1)
		}
		if y+rh > pageH-marginB {
			p.AddPage()
			header()
			y = p.GetY()
		}
		for i, l := range ls {
			p.SetXY(marginL, y+(rh-float64(len(ls))*lineH)/2+float64(i)*lineH)
			p.CellFormat(textW, lineH, " "+l, "", 0, "L", false, 0, "")
		}
		p.SetXY(marginL+textW, y)
		for v := r.lo; v <= r.hi; v++ {
			x := p.GetX()
			if v < rw.a.Min || v > rw.a.Max {
				p.SetX(x + valW)
				continue
			}
			c := rw.res.Counts[strconv.Itoa(v)]
			share := 0.0
			if rw.res.N > 0 {
				share = float64(c) / float64(rw.res.N)
			}
			shade := heat(share)
			r.fill(shade)
			p.Rect(x+0.3, y+0.3, valW-0.6, rh-0.6, "F")
			txt := rgb{34, 34, 34}
			if dark(shade) {
				txt = rgb{255, 255, 255}
			}
			r.font("", fontSize, txt)
			label := ""
			if rw.res.N > 0 {
				label = strconv.Itoa(int(math.Round(share * 100)))
			}
			p.CellFormat(valW, rh, label, "", 0, "C", false, 0, "")
		}
		r.font("", fontSize, colMuted)
		p.CellFormat(nW, rh, strconv.FormatInt(rw.res.N, 10), "", 0, "C", false, 0, "")
		r.font("B", fontSize, colInk)
		p.CellFormat(meanW, rh, fmtMean(r.lang, rw.res.Mean), "", 1, "C", false, 0, "")
		r.draw(colRule)
		p.SetLineWidth(0.1)
		p.Line(marginL, y+rh, pageW-marginR, y+rh)
		p.SetXY(marginL, y+rh)
	}
}

// heat is the overview's shade for a share from 0 to 1: white to deep blue.
func heat(share float64) rgb {
	lo, hi := rgb{247, 250, 253}, rgb{8, 69, 148}
	f := math.Sqrt(math.Max(0, math.Min(1, share)))
	mix := func(a, b int) int { return int(math.Round(float64(a) + (float64(b)-float64(a))*f)) }
	return rgb{mix(lo.r, hi.r), mix(lo.g, hi.g), mix(lo.b, hi.b)}
}

// sections writes the charter section by section.
func (r *report) sections() {
	p := r.pdf
	p.AddPage()
	for i := range r.ch.Sections {
		sec := &r.ch.Sections[i]
		acts := r.sectionActivities(sec.ID)
		size := 15.0
		if sec.Level > 2 {
			size = 12.5
		}
		// Keep the heading and the body with the start of what follows.
		r.font("B", size, colAccent)
		h := float64(len(r.lines(sec.Title, contentW)))*size*0.5 + 5
		r.font("", 9, colMuted)
		if sec.Body != "" {
			h += float64(len(r.lines(sec.Body, contentW)))*4.3 + 2
		}
		if len(acts) > 0 {
			h += r.firstBlockHeight(acts[0])
		}
		r.keep(h)
		if p.GetY() > marginT+1 {
			p.Ln(4)
		}
		p.Bookmark(r.text(sec.Title), min(sec.Level-2, 1), -1)
		r.font("B", size, colAccent)
		p.MultiCell(contentW, size*0.5, r.text(sec.Title), "", "L", false)
		p.Ln(1)
		if sec.Body != "" {
			r.font("", 9, colMuted)
			p.MultiCell(contentW, 4.3, r.text(sec.Body), "", "L", false)
			p.Ln(2)
		}
		for _, a := range acts {
			switch a.Layout() {
			case forum.LayoutScale:
				r.scaleActivity(a)
			case forum.LayoutGap:
				r.gapActivity(a)
			case forum.LayoutItems:
				r.itemsActivity(a)
			}
		}
		for _, a := range acts {
			if a.Layout() == forum.LayoutComments {
				r.commentsActivity(a)
			}
		}
	}
}

const (
	barLabelW = 38.0
	barNW     = 16.0
	barMeanW  = 22.0
	barW      = contentW - barLabelW - barNW - barMeanW - 2
)

func (r *report) scaleActivity(a *forum.Activity) {
	p := r.pdf
	t := r.t
	res := r.results[a.ID]
	per := r.groupRes[a.ID]
	r.keep(r.firstBlockHeight(a))
	r.font("", 9.5, colMuted)
	p.MultiCell(contentW, 4.8, r.text(r.question(a)), "", "L", false)
	p.Ln(1)
	for _, st := range a.Statements {
		r.font("B", 10, colInk)
		ls := r.lines(r.stmts[st].Text, contentW)
		r.ensure(r.statementHeight(a, st))
		for _, l := range ls {
			p.CellFormat(contentW, 4.8, l, "", 1, "L", false, 0, "")
		}
		p.Ln(1)
		sr := res.Statements[st]
		r.bar(a, t["all"], sr, 6, true)
		for _, g := range per {
			if gs, ok := g.Results.Statements[st]; ok { // the group passed the rule for the statement
				r.bar(a, g.Group.Label, gs, 4.2, false)
			}
		}
		r.statementNotes(sr, per, st)
		p.Ln(3.5)
	}
	r.legend(r.activityLegend(a))
	p.Ln(2)
}

// question names what an activity asks, with its scale and round: "Hvor godt …? (1–5)".
func (r *report) question(a *forum.Activity) string {
	q := a.Prompt
	if a.Ranged() {
		q += fmt.Sprintf(" (%d–%d)", a.Min, a.Max)
	}
	if n := r.sess.RoundOf(a); n > 0 {
		q += fmt.Sprintf(" · %s %d", r.t["round"], n)
	}
	return q
}

// statementNotes writes under a statement's bars what they leave out: the "ved ikke"
// answers, and in a round 2 how the answers moved (in total and per group).
func (r *report) statementNotes(sr forum.StatementResult, per []forum.GroupResults, st string) {
	p := r.pdf
	var notes []string
	if sr.Skipped > 0 {
		notes = append(notes, fmt.Sprintf(r.t["skipped_note"], sr.Skipped))
	}
	if sr.Shift != nil {
		notes = append(notes, r.shiftText(r.t["all"], sr.Shift))
	}
	for _, g := range per {
		if gs, ok := g.Results.Statements[st]; ok && gs.Shift != nil {
			notes = append(notes, r.shiftText(g.Group.Label, gs.Shift))
		}
	}
	for _, n := range notes {
		r.font("", 8, colMuted)
		p.SetX(marginL + barLabelW)
		p.MultiCell(contentW-barLabelW, 4, r.text(n), "", "L", false)
	}
}

// shiftText says how the answers moved from round 1: "Alle: 40 % op, 20 % ned, 40 % uændret;
// gns. ændring +0,40 (5 svarede begge gange)".
func (r *report) shiftText(who string, s *forum.Shift) string {
	pct := func(f float64) int { return int(math.Round(f * 100)) }
	return fmt.Sprintf(r.t["shift_note"], who, pct(s.Up), pct(s.Down), pct(s.Same), fmtSigned(r.lang, s.MeanChange), s.NBoth)
}

// fmtSigned writes a change with its sign and two decimals.
func fmtSigned(lang string, f float64) string {
	s := fmtMean(lang, &f)
	if f > 0 {
		s = "+" + s
	}
	return s
}

func (r *report) activityLegend(a *forum.Activity) []legendItem {
	var out []legendItem
	for v := a.Min; v <= a.Max; v++ {
		l := strconv.Itoa(v)
		if len(a.Labels) == a.Max-a.Min+1 {
			l += " " + a.Labels[v-a.Min]
		}
		out = append(out, legendItem{l, likert(v, a.Min, a.Max)})
	}
	return out
}

// bar draws one statement's distribution as a 100 % stacked horizontal bar with the count in
// each segment, the number of responses to the left and the mean to the right.
func (r *report) bar(a *forum.Activity, label string, sr forum.StatementResult, h float64, main bool) {
	p := r.pdf
	t := r.t
	y := p.GetY()
	style, size := "", 8.5
	if main {
		style, size = "B", 9
	}
	r.font(style, size, colInk)
	p.SetXY(marginL, y)
	p.CellFormat(barLabelW, h, r.fit(label, barLabelW-2), "", 0, "L", false, 0, "")
	x := marginL + barLabelW
	if sr.N == 0 || sr.Withheld {
		r.fill(colBand)
		p.Rect(x, y+0.4, barW, h-0.8, "F")
		r.font("", 7.5, colMuted)
		p.SetXY(x, y)
		msg := t["no_answers"]
		if sr.Withheld {
			msg = fmt.Sprintf(t["withheld"], sr.N, r.sess.ResultsFrom())
		}
		p.CellFormat(barW, h, msg, "", 0, "C", false, 0, "")
	} else {
		for v := a.Min; v <= a.Max; v++ {
			c := sr.Counts[strconv.Itoa(v)]
			if c == 0 {
				continue
			}
			w := barW * float64(c) / float64(sr.N)
			col := likert(v, a.Min, a.Max)
			r.fill(col)
			p.Rect(x, y+0.4, w, h-0.8, "F")
			label := strconv.FormatInt(c, 10)
			r.font("", math.Min(8, h*1.5), colInk)
			if dark(col) {
				r.font("", math.Min(8, h*1.5), rgb{255, 255, 255})
			}
			if p.GetStringWidth(label)+1 <= w {
				p.SetXY(x, y)
				p.CellFormat(w, h, label, "", 0, "C", false, 0, "")
			}
			x += w
		}
	}
	p.SetXY(marginL+barLabelW+barW+2, y)
	r.font("", 7.5, colMuted)
	p.CellFormat(barNW, h, fmt.Sprintf("%d %s", sr.N, t["responses"]), "", 0, "R", false, 0, "")
	r.font(style, size, colInk)
	p.CellFormat(barMeanW, h, r.text(t["mean_short"]+" "+fmtMean(r.lang, sr.Mean)), "", 0, "R", false, 0, "")
	p.SetXY(marginL, y+h+0.6)
}

// itemsActivity charts a choice, ranking or words activity as horizontal bars.
func (r *report) itemsActivity(a *forum.Activity) {
	p := r.pdf
	t := r.t
	res := r.results[a.ID]
	ai := r.acts[a.ID]
	items := r.rankedItems(ai, res)
	if len(items) > maxItems {
		items = items[:maxItems]
	}
	r.keep(r.firstBlockHeight(a))
	p.Ln(2)
	r.font("B", 10.5, colInk)
	p.MultiCell(contentW, 5, r.text(a.Prompt), "", "L", false)
	r.font("", 8.5, colMuted)
	note := fmt.Sprintf("%s · %d %s", kindName(t, a.Kind), res.N, t["responses"])
	if a.K > 0 { // a ranking's Borda points
		note += " · " + r.rankNote(a.K)
	}
	p.CellFormat(contentW, 5, r.text(note), "", 1, "L", false, 0, "")
	p.Ln(1)
	if len(items) == 0 || res.N == 0 {
		r.font("", 9, colMuted)
		p.CellFormat(contentW, 5, t["no_answers"], "", 1, "L", false, 0, "")
		p.Ln(2)
		return
	}
	var top int64 = 1
	for _, it := range items {
		top = max(top, it.N)
	}
	labelW, valW := 70.0, 16.0
	w := contentW - labelW - valW - 2
	for _, it := range items {
		r.font("", 8.5, colInk)
		ls := r.lines(it.Label, labelW-2)
		r.ensure(float64(len(ls))*4.2 + 1.2)
		y := p.GetY()
		for _, l := range ls {
			p.SetX(marginL)
			p.CellFormat(labelW, 4.2, l, "", 1, "L", false, 0, "")
		}
		bw := w * float64(it.N) / float64(top)
		r.fill(colBar)
		if bw > 0 {
			p.Rect(marginL+labelW, y+0.3, bw, 3.6, "F")
		}
		p.SetXY(marginL+labelW+w+2, y)
		r.font("B", 8.5, colInk)
		p.CellFormat(valW, 4.2, strconv.FormatInt(it.N, 10), "", 0, "R", false, 0, "")
		p.SetXY(marginL, y+float64(len(ls))*4.2+1.2)
	}
	p.Ln(3)
}

// commentsActivity prints the top comments of a comments activity.
func (r *report) commentsActivity(a *forum.Activity) {
	p := r.pdf
	t := r.t
	cs := r.comments[a.ID]
	total := r.ncomm[a.ID]
	if total == 0 {
		return
	}
	r.keep(r.firstBlockHeight(a))
	p.Ln(1)
	r.font("B", 10.5, colInk)
	p.CellFormat(contentW, 6, r.text(fmt.Sprintf("%s (%d)", t["top_comments"], total)), "", 1, "L", false, 0, "")
	textX := marginL + 6
	textW := contentW - 6 - 20
	for _, c := range cs {
		r.font("", 9, colInk)
		ls := r.lines(c.Text, textW)
		h := float64(len(ls))*4.4 + 2.5
		r.ensure(h)
		y := p.GetY()
		r.fill(colBand)
		p.Rect(marginL, y, contentW, h-0.8, "F")
		if c.Starred {
			r.star(marginL+3, y+2.4, 1.9)
		}
		p.SetXY(textX, y+0.8)
		for _, l := range ls {
			p.SetX(textX)
			p.CellFormat(textW, 4.4, l, "", 1, "L", false, 0, "")
		}
		p.SetXY(textX+textW, y+0.8)
		r.font("", 8, colMuted)
		p.CellFormat(18, 4.4, fmt.Sprintf("+%d %s", c.Upvotes, t["upvotes_short"]), "", 0, "R", false, 0, "")
		p.SetXY(marginL, y+h)
	}
	if more := total - len(cs); more > 0 {
		r.font("", 8.5, colMuted)
		p.CellFormat(contentW, 5, r.text(fmt.Sprintf(t["more_comments"], more)), "", 1, "L", false, 0, "")
	}
	p.Ln(2)
}

// star draws a filled five-pointed star centred at (cx, cy) with outer radius rad.
func (r *report) star(cx, cy, rad float64) {
	var pts []fpdf.PointType
	for i := range 10 {
		rr := rad
		if i%2 == 1 {
			rr = rad * 0.45
		}
		ang := -math.Pi/2 + float64(i)*math.Pi/5
		pts = append(pts, fpdf.PointType{X: cx + rr*math.Cos(ang), Y: cy + rr*math.Sin(ang)})
	}
	r.fill(colStar)
	r.draw(colStar)
	r.pdf.Polygon(pts, "F")
}
