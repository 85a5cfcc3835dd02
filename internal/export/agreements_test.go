package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"pejl/internal/export"
	"pejl/internal/forum"
)

// withAgreements adds two themes and two agreements to the standard fixture's session.
func withAgreements(t *testing.T) *fixture {
	t.Helper()
	f := standard(t)
	ctx := context.Background()
	starred := f.comments[commentStarred]
	title := "Ros på tværs"
	th, err := f.svc.AddTheme(ctx, f.actor, f.sess.ID, forum.ThemeIn{Title: &title, Comments: &[]string{starred.ID}})
	must(t, err)
	what, who, due, fu := "Månedlig ros-runde på tværs af afdelinger", "Direktionen", "2026-03-01", "2026-06-15"
	_, err = f.svc.AddAgreement(ctx, f.actor, f.sess.ID, forum.AgreementIn{What: &what, Who: &who, Due: &due, FollowUp: &fu, Theme: &th.ID})
	must(t, err)
	what2, who2, st := "=Faste 1:1-samtaler", "Hver leder", "s2-1"
	_, err = f.svc.AddAgreement(ctx, f.actor, f.sess.ID, forum.AgreementIn{What: &what2, Who: &who2, Statements: &[]string{st}})
	must(t, err)
	f.sess, err = f.svc.SessionByID(ctx, f.sess.ID)
	must(t, err)
	return f
}

func TestAgreementExports(t *testing.T) {
	t.Parallel()
	f := withAgreements(t)
	ctx := context.Background()

	var pdf bytes.Buffer
	must(t, export.PDF(ctx, &pdf, f.svc, f.sess))
	flat := strings.Join(strings.Fields(pdfText(t, pdf.Bytes())), " ")
	i := strings.Index(flat, "Det aftalte vi")
	if i < 0 {
		t.Fatalf("the report lacks \"Det aftalte vi\"")
	}
	end := flat[i:]
	for _, want := range []string{"Månedlig ros-runde på tværs af afdelinger", "Hvem: Direktionen", "Frist: 1. marts 2026",
		"Opfølgning: 15. juni 2026", "=Faste 1:1-samtaler", "Hver leder"} {
		if !strings.Contains(end, want) {
			t.Errorf("\"Det aftalte vi\" lacks %q", want)
		}
	}
	if strings.Contains(end, "Værdigrundlag Som leder") {
		t.Errorf("\"Det aftalte vi\" is not the end of the report")
	}

	var xl bytes.Buffer
	must(t, export.XLSX(ctx, &xl, f.svc, f.sess, forum.RowOptions{}))
	_, sheets := xlsxRows(t, xl.Bytes())
	rows := sheets["Aftaler"]
	if len(rows) != 3 || rows[0][1] != "Hvad" || rows[1][1] != "Månedlig ros-runde på tværs af afdelinger" || rows[1][2] != "Direktionen" ||
		rows[1][3] != "1. marts 2026" || rows[1][6] != "Ros på tværs" {
		t.Errorf("sheet Aftaler = %q", rows)
	}
	if len(rows) == 3 && rows[2][1] != "'=Faste 1:1-samtaler" {
		t.Errorf("a formula-like agreement is not neutralised: %q", rows[2][1])
	}
	if th := sheets["Temaer"]; len(th) != 2 || th[1][1] != "Ros på tværs" {
		t.Errorf("sheet Temaer = %q", th)
	}

	var csvBuf bytes.Buffer
	must(t, export.AgreementsCSV(ctx, &csvBuf, f.svc, f.sess, export.CSVOptions{}))
	recs := readCSV(t, csvBuf.Bytes(), ',')
	if len(recs) != 3 || strings.Join(recs[0], ",") != strings.Join(export.AgreementsColumns, ",") ||
		recs[1][4] != "2026-03-01" || recs[1][5] != "2026-06-15" || recs[1][8] != "Ros på tværs" || recs[2][6] != "s2-1" {
		t.Errorf("agreements.csv = %q", recs)
	}

	var js bytes.Buffer
	must(t, export.JSON(ctx, &js, f.svc, f.sess, forum.RowOptions{}))
	var doc struct {
		Themes     []forum.Theme     `json:"themes"`
		Agreements []forum.Agreement `json:"agreements"`
	}
	dec := json.NewDecoder(&js)
	must(t, dec.Decode(&doc))
	if len(doc.Themes) != 1 || len(doc.Agreements) != 2 || doc.Agreements[0].Who != "Direktionen" || doc.Agreements[1].Statements[0] != "s2-1" {
		t.Errorf("session.json themes %+v agreements %+v", doc.Themes, doc.Agreements)
	}
}

func TestNoAgreementsNoSection(t *testing.T) {
	t.Parallel()
	f := standard(t)
	var pdf bytes.Buffer
	must(t, export.PDF(context.Background(), &pdf, f.svc, f.sess))
	if strings.Contains(pdfText(t, pdf.Bytes()), "Det aftalte vi") {
		t.Errorf("a session without agreements has \"Det aftalte vi\"")
	}
	var xl bytes.Buffer
	must(t, export.XLSX(context.Background(), &xl, f.svc, f.sess, forum.RowOptions{}))
	if _, sheets := xlsxRows(t, xl.Bytes()); sheets["Aftaler"] != nil {
		t.Errorf("a session without agreements has a sheet Aftaler")
	}
}
