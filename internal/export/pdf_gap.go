package export

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"pejl/internal/forum"
)

// GapLadder lists a gap rating's statements sorted by gap, largest first (statements with
// no gap last, in the activity's order): the order the report, the presenter and "the
// three largest gaps become the next topics" use.
func GapLadder(a *forum.Activity, res forum.Results) []string {
	out := append([]string(nil), a.Statements...)
	sort.SliceStable(out, func(i, j int) bool {
		gi, gj := res.Statements[out[i]].Gap, res.Statements[out[j]].Gap
		if gi == nil || gj == nil {
			return gi != nil && gj == nil
		}
		return *gi > *gj
	})
	return out
}

// gapCountsText writes the own gaps' distribution: "−1: 1 · 0: 2 · +2: 3".
func gapCountsText(counts map[string]int64) string {
	var keys []int
	for k, n := range counts {
		if v, err := strconv.Atoi(k); err == nil && n > 0 {
			keys = append(keys, v)
		}
	}
	sort.Ints(keys)
	parts := make([]string, len(keys))
	for i, v := range keys {
		s := strconv.Itoa(v)
		if v > 0 {
			s = "+" + s
		}
		parts[i] = fmt.Sprintf("%s: %d", strings.Replace(s, "-", "−", 1), counts[strconv.Itoa(v)])
	}
	return strings.Join(parts, " · ")
}

// gapActivity writes a gap rating ("I dag / Ønsket") as a ladder: its statements sorted by
// gap, each with the mean today, the mean wanted, the gap, the answers and the
// distribution of the own gaps (a small mean gap can hide a split room), then the rows of
// the groups that pass the anonymity rule, and the shift of a round 2.
func (r *report) gapActivity(a *forum.Activity) {
	p := r.pdf
	t := r.t
	res := r.results[a.ID]
	per := r.groupRes[a.ID]
	r.keep(r.firstBlockHeight(a))
	p.Ln(2)
	r.font("B", 10.5, colInk)
	p.MultiCell(contentW, 5, r.text(r.question(a)), "", "L", false)
	r.font("", 8.5, colMuted)
	if len(a.Axes) == 2 {
		x0, x1 := a.Axes[0], a.Axes[1]
		p.MultiCell(contentW, 4.2, r.text(fmt.Sprintf(t["gap_axes"], x0.Prompt, x1.Prompt, x0.Min, x0.Max)), "", "L", false)
	}
	p.Ln(1.5)
	stW, numW, distW := contentW-4*15.0-42, 15.0, 42.0
	head := func() {
		r.fill(colAccent)
		r.font("B", 8, rgb{255, 255, 255})
		p.CellFormat(stW, 6, " "+r.text(t["statement"]), "", 0, "L", true, 0, "")
		for _, h := range []string{t["today"], t["wanted"], t["gap"], t["responses"]} {
			p.CellFormat(numW, 6, r.text(h), "", 0, "C", true, 0, "")
		}
		p.CellFormat(distW, 6, r.text(t["gap_counts"]), "", 1, "C", true, 0, "")
	}
	row := func(label string, sr forum.StatementResult, bold bool) {
		style := ""
		if bold {
			style = "B"
		}
		r.font(style, 8.5, colInk)
		ls := r.lines(label, stW-2)
		h := max(5.5, float64(len(ls))*4.2+1)
		if p.GetY()+h > pageH-marginB {
			p.AddPage()
			head()
		}
		y := p.GetY()
		for i, l := range ls {
			p.SetXY(marginL, y+0.5+float64(i)*4.2)
			p.CellFormat(stW, 4.2, " "+l, "", 0, "L", false, 0, "")
		}
		p.SetXY(marginL+stW, y)
		if sr.Withheld || sr.Today == nil {
			r.font("", 7.5, colMuted)
			p.CellFormat(4*numW+distW, h, r.text(fmt.Sprintf(t["withheld"], sr.N, r.sess.ResultsFrom())), "", 1, "C", false, 0, "")
		} else {
			p.CellFormat(numW, h, fmtMean(r.lang, sr.Today.Mean), "", 0, "C", false, 0, "")
			p.CellFormat(numW, h, fmtMean(r.lang, sr.Wanted.Mean), "", 0, "C", false, 0, "")
			r.font("B", 8.5, colAccent)
			gap := "–"
			if sr.Gap != nil {
				gap = fmtSigned(r.lang, *sr.Gap)
			}
			p.CellFormat(numW, h, gap, "", 0, "C", false, 0, "")
			r.font("", 8.5, colMuted)
			p.CellFormat(numW, h, strconv.FormatInt(sr.N, 10), "", 0, "C", false, 0, "")
			r.font("", 7.5, colInk)
			p.CellFormat(distW, h, r.fit(gapCountsText(sr.GapCounts), distW-1), "", 1, "C", false, 0, "")
		}
		r.draw(colRule)
		p.SetLineWidth(0.1)
		p.Line(marginL, y+h, pageW-marginR, y+h)
		p.SetXY(marginL, y+h)
	}
	head()
	for _, st := range GapLadder(a, res) {
		sr := res.Statements[st]
		row(r.stmts[st].Text, sr, true)
		for _, g := range per {
			if gs, ok := g.Results.Statements[st]; ok {
				row("    "+g.Group.Label, gs, false)
			}
		}
		var notes []string
		if sr.Today != nil && (sr.Today.Skipped > 0 || sr.Wanted.Skipped > 0) {
			notes = append(notes, fmt.Sprintf(t["gap_skipped"], sr.Today.Skipped, sr.Wanted.Skipped))
		}
		if sr.Shift != nil {
			notes = append(notes, r.shiftText(t["all"], sr.Shift)+" "+t["gap_shift"])
		}
		for _, n := range notes {
			r.font("", 7.5, colMuted)
			p.MultiCell(contentW, 3.8, r.text("    "+n), "", "L", false)
		}
	}
	r.font("", 8, colMuted)
	p.Ln(1)
	p.MultiCell(contentW, 4, r.text(t["gap_note"]), "", "L", false)
	p.Ln(3)
}
