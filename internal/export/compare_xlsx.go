package export

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"

	"pejl/internal/forum"
)

// ComparisonXLSX writes a charter's comparison across sessions (forum.Service.Compare) as a
// workbook in the charter's language: a comparison sheet with one row per statement — pooled
// responses, mean and distribution, then responses and mean per session and per pooled group —
// and a sheet listing the sessions.
func ComparisonXLSX(ctx context.Context, w io.Writer, cmp *forum.Comparison) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	lang := langOf(cmp.Charter.Language)
	t := words[lang]
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	f.SetAppProps(&excelize.AppProperties{Application: "Pejl"})
	_ = f.SetDocProps(&excelize.DocProperties{Title: cmp.Charter.Title, Creator: "Pejl", Language: lang})

	widths := []float64{28, 10, 60, 10, 11, 6, 6, 6, 6, 6}
	for range cmp.Sessions {
		widths = append(widths, 12, 12)
	}
	for range cmp.Groups {
		widths = append(widths, 12, 12)
	}
	widths = append(widths, 10)
	for range cmp.Sessions {
		widths = append(widths, 10, 10)
	}
	s, err := newSheet(f, t["sheet_comparison"], true, widths, nil)
	if err != nil {
		return err
	}
	if err := s.add(styled(st.title, cmp.Charter.Title)); err != nil {
		return err
	}
	if err := s.add(styled(st.bold, t["sessions_count"]), len(cmp.Sessions)); err != nil {
		return err
	}
	if err := s.add(t["pooled_note"]); err != nil {
		return err
	}
	s.blank()
	head := []string{t["section"], t["statement_id"], t["statement"], t["pooled"] + ": " + t["responses"], t["pooled"] + ": " + t["mean"]}
	for v := 1; v <= 5; v++ {
		head = append(head, t["pooled"]+": "+strconv.Itoa(v))
	}
	for _, ss := range cmp.Sessions {
		name := sessionName(lang, ss, cmp.Location)
		head = append(head, name+": "+t["responses"], name+": "+t["mean"])
	}
	for _, g := range cmp.Groups {
		head = append(head, g.Label+": "+t["responses"], g.Label+": "+t["mean"])
	}
	// The gap (of the sessions with a gap rating) and the delta of a round 2, per session.
	head = append(head, t["pooled"]+": "+t["gap"])
	for _, ss := range cmp.Sessions {
		name := sessionName(lang, ss, cmp.Location)
		head = append(head, name+": "+t["gap"], name+": "+t["delta"])
	}
	if err := s.add(headerCells(st.header, head...)...); err != nil {
		return err
	}
	mean := func(r forum.StatementResult) any {
		if r.Mean == nil {
			return nil
		}
		return styled(st.mean, *r.Mean)
	}
	for _, stmt := range cmp.Statements {
		row := []any{styled(st.wrap, stmt.SectionTitle), stmt.ID, styled(st.wrap, stmt.Text), stmt.Pooled.N, mean(stmt.Pooled)}
		for v := 1; v <= 5; v++ {
			row = append(row, stmt.Pooled.Counts[strconv.Itoa(v)])
		}
		for _, ss := range cmp.Sessions {
			r := stmt.Sessions[ss.ID]
			row = append(row, r.N, mean(r))
		}
		for _, g := range cmp.Groups {
			r := stmt.Groups[g.ID]
			row = append(row, r.N, mean(r))
		}
		num := func(v *float64) any {
			if v == nil {
				return nil
			}
			return styled(st.mean, *v)
		}
		row = append(row, num(stmt.PooledGap))
		for _, ss := range cmp.Sessions {
			row = append(row, num(stmt.Gaps[ss.ID]), num(stmt.Deltas[ss.ID]))
		}
		if err := s.add(row...); err != nil {
			return err
		}
	}
	if err := s.flush(); err != nil {
		return err
	}

	if err := otherScalesSheet(f, st, t, lang, cmp); err != nil {
		return err
	}

	head = []string{t["session_id"], t["session"], t["code"], t["date"], t["participants_title"], t["threshold"], t["state"]}
	ls, err := newSheet(f, t["sheet_sessions"], false, []float64{18, 40, 10, 18, 12, 14, 10}, headerCells(st.header, head...))
	if err != nil {
		return err
	}
	for _, ss := range cmp.Sessions {
		date := ss.CreatedAt
		if ss.EndedAt != nil {
			date = *ss.EndedAt
		}
		if err := ls.add(ss.ID, ss.Title, ss.Code, fmtDate(lang, date, cmp.Location), ss.Participants, ss.AnonymityThreshold, string(ss.State)); err != nil {
			return err
		}
	}
	if err := ls.flush(); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return writeStreaming(f, w, nil)
}

// sessionName names a session in a column header: its title and date.
func sessionName(lang string, s forum.ComparedSession, loc *time.Location) string {
	date := s.CreatedAt
	if s.EndedAt != nil {
		date = *s.EndedAt
	}
	return fmt.Sprintf("%s (%s)", s.Title, fmtDate(lang, date, loc))
}

// otherScalesSheet lists the statements' results on scales of other ranges or questions than
// the 1–5 scale (0–10, 1–7), each scale pooled only with itself; no sheet when there are none.
func otherScalesSheet(f *excelize.File, st xlsxStyles, t map[string]string, lang string, cmp *forum.Comparison) error {
	some := false
	for _, stmt := range cmp.Statements {
		some = some || len(stmt.OtherScales) > 0
	}
	if !some {
		return nil
	}
	head := []string{t["section"], t["statement_id"], t["statement"], t["scale"], t["pooled"] + ": " + t["responses"], t["pooled"] + ": " + t["mean"]}
	widths := []float64{28, 10, 50, 40, 10, 11}
	for _, ss := range cmp.Sessions {
		name := sessionName(lang, ss, cmp.Location)
		head = append(head, name+": "+t["responses"], name+": "+t["mean"])
		widths = append(widths, 12, 12)
	}
	s, err := newSheet(f, t["sheet_other_scales"], false, widths, headerCells(st.header, head...))
	if err != nil {
		return err
	}
	mean := func(r forum.StatementResult) any {
		if r.Mean == nil {
			return nil
		}
		return styled(st.mean, *r.Mean)
	}
	for _, stmt := range cmp.Statements {
		for _, sc := range stmt.OtherScales {
			row := []any{styled(st.wrap, stmt.SectionTitle), stmt.ID, styled(st.wrap, stmt.Text),
				styled(st.wrap, fmt.Sprintf("%s (%d–%d)", sc.Prompt, sc.Min, sc.Max)), sc.Pooled.N, mean(sc.Pooled)}
			for _, ss := range cmp.Sessions {
				if r, ok := sc.Sessions[ss.ID]; ok {
					row = append(row, r.N, mean(r))
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
