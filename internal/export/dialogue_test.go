package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pejl/internal/export"
	"pejl/internal/forum"
)

// dialogue seeds a workshop of issue 11: a gap rating, a 0–10 scale beside the default 1–5
// scale (two rounds of it, with "ved ikke"), and points, six people, threshold 3.
func dialogue(t *testing.T) (*forum.Service, *forum.Session) {
	svc, sess, _ := dialogueWith(t)
	return svc, sess
}

func dialogueWith(t *testing.T) (*forum.Service, *forum.Session, *forum.User) {
	t.Helper()
	svc := newService(t)
	ctx := context.Background()
	actor := &forum.User{ID: "u-mette", Role: forum.RoleFacilitator, Email: "mette@example.dk"}
	thr := 3
	sess, err := svc.CreateSession(ctx, actor, forum.NewSession{Title: "Dialogdag", CharterID: builtin, AnonymityThreshold: &thr})
	must(t, err)
	gap, err := svc.AddActivity(ctx, actor, sess.ID, forum.NewActivity{Kind: forum.KindGap, Section: "s2"})
	must(t, err)
	ten, err := svc.AddActivity(ctx, actor, sess.ID, forum.NewActivity{Kind: forum.KindScale, Section: "s2", Prompt: "Hvor vigtigt er det for dig?", Min: 0, Max: 10})
	must(t, err)
	pts, err := svc.AddActivity(ctx, actor, sess.ID, forum.NewActivity{Kind: forum.KindPoints, Section: "s2", Prompt: "Fordel 100 point"})
	must(t, err)
	for _, id := range []string{"s2-scale", gap.ID, ten.ID, pts.ID} {
		_, err := svc.Do(ctx, actor, sess.ID, forum.Command{Type: "open", Activity: id})
		must(t, err)
	}
	n := 0
	vote := func(p *forum.Participant, act, st, v string) {
		n++
		_, err := svc.Vote(ctx, sess.ID, p, forum.VoteIn{ClientID: "v" + strconv.Itoa(n), Activity: act, Statement: st, Value: json.RawMessage(v)})
		must(t, err)
	}
	var ps []*forum.Participant
	gaps := []string{`{"today":1,"wanted":5}`, `{"today":2,"wanted":5}`, `{"today":2,"wanted":4}`, `{"today":3,"wanted":5}`, `{"today":2,"wanted":4}`, `{"today":null,"wanted":5}`}
	round1 := []string{`2`, `3`, `4`, `2`, `null`, `3`}
	for i := range 6 {
		p, _, err := svc.Hello(ctx, sess, "", "", "")
		must(t, err)
		ps = append(ps, p)
		vote(p, gap.ID, "s2-1", gaps[i])                  // gap 4,3,2,2,2,– → mean 2.6
		vote(p, gap.ID, "s2-2", `{"today":4,"wanted":4}`) // gap 0
		vote(p, ten.ID, "s2-1", strconv.Itoa(i+5))        // 5..10
		vote(p, "s2-scale", "s2-1", round1[i])
		vote(p, pts.ID, "", `{"s2-1":70,"s2-2":30}`)
	}
	_, err = svc.Do(ctx, actor, sess.ID, forum.Command{Type: "round", Activity: "s2-scale"})
	must(t, err)
	// Round 2: up, up, same, down, (ved ikke before), up → 5 answered both with a value:
	// 3 up, 1 same, 1 down; changes +2 +1 0 -1 +1 → mean change +0.6
	for i, v := range []string{`4`, `4`, `4`, `1`, `3`, `4`} {
		vote(ps[i], "s2-scale-r2", "s2-1", v)
	}
	_, err = svc.Do(ctx, actor, sess.ID, forum.Command{Type: "end"})
	must(t, err)
	sess, err = svc.Session(ctx, actor, sess.ID)
	must(t, err)
	return svc, sess, actor
}

// TestDialogueComparison: the gap and the delta of a round 2 are columns of the comparison.
func TestDialogueComparison(t *testing.T) {
	t.Parallel()
	svc, sess, actor := dialogueWith(t)
	ctx := context.Background()
	cmp, err := svc.Compare(ctx, actor, builtin, []string{sess.ID})
	must(t, err)
	var s21 *forum.ComparedStatement
	for i := range cmp.Statements {
		if cmp.Statements[i].ID == "s2-1" {
			s21 = &cmp.Statements[i]
		}
	}
	if s21 == nil || s21.Gaps[sess.ID] == nil || *s21.Gaps[sess.ID] != 2.6 || s21.PooledGap == nil || *s21.PooledGap != 2.6 ||
		s21.Deltas[sess.ID] == nil || *s21.Deltas[sess.ID] != 0.6 {
		t.Fatalf("comparison of s2-1: %+v", s21)
	}
	// The 0–10 scale is compared on its own, never pooled with 1–5.
	if len(s21.OtherScales) != 1 || s21.OtherScales[0].Max != 10 || s21.OtherScales[0].Pooled.N != 6 ||
		*s21.OtherScales[0].Pooled.Mean != 7.5 || s21.Pooled.Counts["10"] != 0 {
		t.Errorf("other scales of s2-1: %+v", s21.OtherScales)
	}
	var xl bytes.Buffer
	must(t, export.ComparisonXLSX(ctx, &xl, cmp))
	_, sheets := xlsxRows(t, xl.Bytes())
	rows := sheets["Sammenligning"]
	h := findRow(rows, 1, "Udsagn-id")
	i := findRow(rows, 1, "s2-1")
	if h < 0 || i < 0 {
		t.Fatalf("comparison sheet: %q", rows)
	}
	if o := sheets["Andre skalaer"]; len(o) != 4 || o[1][1] != "s2-1" || o[1][3] != "Hvor vigtigt er det for dig? (0–10)" || o[1][4] != "6" {
		t.Errorf("other scales sheet: %q", o)
	}
	head, row := rows[h], rows[i]
	gapCol := slices.IndexFunc(head, func(s string) bool { return strings.HasSuffix(s, ": Gab") && !strings.HasPrefix(s, "Samlet") })
	if gapCol < 0 || gapCol+1 >= len(row) || !strings.HasPrefix(row[gapCol], "2.6") || !strings.HasPrefix(row[gapCol+1], "0.6") {
		t.Errorf("comparison gap and delta columns: head %q row %q", head, row)
	}
}

func TestDialogueExports(t *testing.T) {
	t.Parallel()
	svc, sess := dialogue(t)
	ctx := context.Background()

	var pdf bytes.Buffer
	must(t, export.PDF(ctx, &pdf, svc, sess))
	if out := os.Getenv("PEJL_DIALOGUE_PDF"); out != "" { // to look at it
		must(t, os.WriteFile(out, pdf.Bytes(), 0o644))
	}
	text := pdfText(t, pdf.Bytes())
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		// The ladder: the gap rating, sorted by gap, with today, wanted and the gap.
		"I dag / ønsket", "+2,60", "Egne gab",
		// The shift of round 2 of the default scale.
		"Runde 2", "60 % op, 20 % ned, 20 % uændret; gns. ændring +0,60 (5 svarede begge gange)",
		// Ved ikke, counted apart.
		"Ved ikke: 1",
		// Each scale says which question its rows answer, on which range.
		"Hvor vigtigt er det for dig? (0–10)", "(1–5)",
		"Gns. = Gennemsnit på skalaen fra 0 til 10.", "Gns. = Gennemsnit på skalaen fra 1 til 5.",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the PDF lacks %q", want)
		}
	}
	// The ladder puts the largest gap first: s2-1 (+2,60) before s2-2 (0,00).
	if i, j := strings.Index(flat, "+2,60"), strings.Index(flat, "0,00"); i < 0 || j < 0 || i > j {
		t.Errorf("gap ladder out of order (%d, %d)", i, j)
	}
	if regexp.MustCompile(`\(1–5\).*\(1–5\).*\(0–10\)`).FindString(flat) == "" {
		t.Errorf("the overview does not name each scale's question")
	}

	var csvBuf bytes.Buffer
	must(t, export.VotesCSV(ctx, &csvBuf, svc, sess, export.CSVOptions{}))
	recs := readCSV(t, csvBuf.Bytes(), ',')
	col := func(name string) int { return slices.Index(export.VotesColumns, name) }
	var gapsSeen, r2 int
	for _, r := range recs[1:] {
		if r[col("activity_kind")] == "gap" && r[col("statement_id")] == "s2-1" && r[col("gap")] != "" {
			gapsSeen++
		}
		if r[col("activity_id")] == "s2-scale-r2" && r[col("round")] == "2" {
			r2++
		}
		if r[col("activity_id")] == "s2-scale" && r[col("round")] != "1" {
			t.Errorf("round 1 row without round 1: %q", r)
		}
	}
	if gapsSeen != 5 || r2 != 6 {
		t.Errorf("votes.csv: %d gap rows with a gap (want 5), %d round-2 rows (want 6)", gapsSeen, r2)
	}

	var xl bytes.Buffer
	must(t, export.XLSX(ctx, &xl, svc, sess, forum.RowOptions{}))
	_, sheets := xlsxRows(t, xl.Bytes())
	gs := sheets["Gab i dag og ønsket"]
	if len(gs) < 3 || gs[1][2] != "s2-1" || !strings.HasPrefix(gs[1][7], "2.6") || gs[1][5] != "2" || gs[2][2] != "s2-2" {
		t.Errorf("gap sheet = %q", gs)
	}
	var dk, gapText int
	for _, r := range sheets["Stemmer"] {
		if slices.Contains(r, "Ved ikke") {
			dk++
		}
		if slices.ContainsFunc(r, func(c string) bool { return strings.HasPrefix(c, "I dag 1 · Ønsket 5") }) {
			gapText++
		}
	}
	if dk != 1 || gapText != 1 {
		t.Errorf("votes sheet: %d \"Ved ikke\" answers (want 1), %d gap answers in words (want 1)", dk, gapText)
	}
	sum := sheets["Oversigt"]
	head := sum[findRow(sum, 1, "Udsagn-id")]
	i := findRow(sum, len(head)-9, "s2-scale-r2")
	if i < 0 {
		i = slices.IndexFunc(sum, func(r []string) bool { return slices.Contains(r, "s2-scale-r2") })
	}
	if i < 0 || sum[i][len(head)-3] != "2" || !strings.HasPrefix(sum[i][len(head)-1], "0.6") {
		t.Errorf("summary lacks round 2 with its delta: head %q row %q", head, sum[max(i, 0)])
	}

	var js bytes.Buffer
	must(t, export.JSON(ctx, &js, svc, sess, forum.RowOptions{}))
	if !strings.Contains(js.String(), `"shift":{"up":0.6,"down":0.2,"same":0.2,"mean_change":0.6,"n_both":5}`) ||
		!strings.Contains(js.String(), `"gap":2.6`) || !strings.Contains(js.String(), `"round_of":"s2-scale"`) {
		t.Errorf("session.json lacks the shift, the gap or the round")
	}
}
