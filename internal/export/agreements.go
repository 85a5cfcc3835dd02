package export

import (
	"context"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"pejl/internal/forum"
)

// agreementWords are the words of the agreements part of every export, per language.
var agreementWords = map[string]map[string]string{
	"da": {
		"title": "Det aftalte vi", "sheet": "Aftaler", "sheet_themes": "Temaer",
		"id": "Id", "what": "Hvad", "who": "Hvem", "due": "Frist", "follow_up": "Opfølgning",
		"statements": "Udsagn", "theme": "Tema", "comments": "Kommentarer", "proposal": "Forslag",
		"none": "Ingen aftaler.", "meta_sep": " · ",
	},
	"en": {
		"title": "What we agreed", "sheet": "Agreements", "sheet_themes": "Themes",
		"id": "Id", "what": "What", "who": "Who", "due": "Due", "follow_up": "Follow-up",
		"statements": "Statements", "theme": "Theme", "comments": "Comments", "proposal": "Proposal",
		"none": "No agreements.", "meta_sep": " · ",
	},
}

// AgreementsColumns are the columns of agreements.csv in the machine form, in order.
var AgreementsColumns = []string{"session_id", "agreement_id", "what", "who", "due", "follow_up", "statement_ids", "theme_id", "theme_title"}

// agreementDate writes an agreement's date (YYYY-MM-DD) for people, "" when unset.
func (b *base) agreementDate(d string) string {
	t, err := time.ParseInLocation(time.DateOnly, d, b.loc)
	if err != nil {
		return d
	}
	return fmtDate(b.lang, t, b.loc)
}

// statementTexts names statements for people by their text (an unknown id as it is).
func (b *base) statementTexts(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if st, ok := b.stmts[id]; ok {
			out = append(out, st.Text)
		} else {
			out = append(out, id)
		}
	}
	return out
}

func (b *base) themeTitle(id string) string {
	for _, t := range b.sess.Themes {
		if t.ID == id {
			return t.Title
		}
	}
	return ""
}

// AgreementsCSV writes agreements.csv: one row per agreement, in the order they were made.
// The machine form has the columns of AgreementsColumns (dates YYYY-MM-DD, statement ids
// separated by spaces); the form for people (opt.Labels) has the words of the session's
// language, dates written out and statement texts.
func AgreementsCSV(ctx context.Context, w io.Writer, svc *forum.Service, sess *forum.Session, opt CSVOptions) error {
	b, err := load(ctx, svc, sess, opt.Rows)
	if err != nil {
		return err
	}
	aw := agreementWords[b.lang]
	header := AgreementsColumns
	if opt.Labels {
		header = []string{aw["id"], aw["what"], aw["who"], aw["due"], aw["follow_up"], aw["statements"], aw["theme"]}
	}
	c, err := newCSVWriter(w, opt, header)
	if err != nil {
		return err
	}
	for _, a := range sess.Agreements {
		if opt.Labels {
			err = c.write(a.ID, a.What, a.Who, b.agreementDate(a.Due), b.agreementDate(a.FollowUp),
				strings.Join(b.statementTexts(a.Statements), "\n"), b.themeTitle(a.Theme))
		} else {
			err = c.write(sess.ID, a.ID, a.What, a.Who, a.Due, a.FollowUp, strings.Join(a.Statements, " "), a.Theme, b.themeTitle(a.Theme))
		}
		if err != nil {
			return err
		}
	}
	return c.close()
}

// agreementSheets adds the sheets "Aftaler" (one row per agreement) and "Temaer" (one row
// per theme) when the session has any.
func (b *base) agreementSheets(f *excelize.File, st xlsxStyles) error {
	aw := agreementWords[b.lang]
	if len(b.sess.Agreements) > 0 {
		s, err := newSheet(f, aw["sheet"], false, []float64{8, 50, 24, 16, 16, 60, 24},
			headerCells(st.header, aw["id"], aw["what"], aw["who"], aw["due"], aw["follow_up"], aw["statements"], aw["theme"]))
		if err != nil {
			return err
		}
		for _, a := range b.sess.Agreements {
			if err := s.add(a.ID, a.What, a.Who, b.agreementDate(a.Due), b.agreementDate(a.FollowUp),
				strings.Join(b.statementTexts(a.Statements), "; "), b.themeTitle(a.Theme)); err != nil {
				return err
			}
		}
		if err := s.flush(); err != nil {
			return err
		}
	}
	if len(b.sess.Themes) > 0 {
		s, err := newSheet(f, aw["sheet_themes"], false, []float64{8, 40, 12, 60, 18},
			headerCells(st.header, aw["id"], aw["theme"], aw["comments"], aw["statements"], aw["proposal"]))
		if err != nil {
			return err
		}
		for _, t := range b.sess.Themes {
			if err := s.add(t.ID, t.Title, len(t.Comments), strings.Join(b.statementTexts(t.Statements), "; "), t.Proposal); err != nil {
				return err
			}
		}
		return s.flush()
	}
	return nil
}

// agreements ends the report with "Det aftalte vi": each agreement with who, by when, the
// follow-up date and the statements it serves.
func (r *report) agreements() {
	if len(r.sess.Agreements) == 0 {
		return
	}
	p := r.pdf
	aw := agreementWords[r.lang]
	p.AddPage()
	p.Bookmark(r.text(aw["title"]), 0, -1)
	r.font("B", 15, colAccent)
	p.MultiCell(contentW, 7.5, r.text(aw["title"]), "", "L", false)
	p.Ln(2)
	for i, a := range r.sess.Agreements {
		r.font("B", 11, colInk)
		what := r.lines(r.text(a.What), contentW-8)
		var meta []string
		if a.Who != "" {
			meta = append(meta, aw["who"]+": "+a.Who)
		}
		if a.Due != "" {
			meta = append(meta, aw["due"]+": "+r.agreementDate(a.Due))
		}
		if a.FollowUp != "" {
			meta = append(meta, aw["follow_up"]+": "+r.agreementDate(a.FollowUp))
		}
		stmts := r.statementTexts(a.Statements)
		r.keep(float64(len(what))*5.5 + 6 + float64(len(stmts))*4.4)
		r.font("B", 11, colAccent)
		p.CellFormat(8, 5.5, strconv.Itoa(i+1)+".", "", 0, "L", false, 0, "")
		r.font("B", 11, colInk)
		for _, l := range what {
			p.SetX(marginL + 8)
			p.CellFormat(contentW-8, 5.5, l, "", 1, "L", false, 0, "")
		}
		if len(meta) > 0 {
			r.font("", 9.5, colInk)
			p.SetX(marginL + 8)
			p.MultiCell(contentW-8, 4.8, r.text(strings.Join(meta, aw["meta_sep"])), "", "L", false)
		}
		for _, s := range stmts {
			r.font("", 8.5, colMuted)
			p.SetX(marginL + 8)
			p.MultiCell(contentW-8, 4.4, r.text("– "+s), "", "L", false)
		}
		p.Ln(3)
	}
}
