package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"pejl/internal/export"
	"pejl/internal/forum"
)

// The standard fixture: a group of 5 (shown), a group of 4 (never shown by itself) and one
// participant without a group.
var (
	groupFive = groupSpec{"fem", "Femkløveret & Co.", 5}
	groupFour = groupSpec{"fire", "Firkløveret", 4}
)

func standard(t testing.TB) *fixture {
	return seed(t, newService(t), "da", []groupSpec{groupFive, groupFour}, 1)
}

func TestNeutralise(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                   "",
		"=1+1":               "'=1+1",
		"+45 12 34 56 78":    "'+45 12 34 56 78",
		"-2":                 "'-2",
		"@SUM(A1)":           "'@SUM(A1)",
		"\tx":                "'\tx",
		"\rx":                "'\rx",
		"Åbenhed = tillid":   "Åbenhed = tillid",
		" =not at start":     " =not at start",
		"'=already quoted":   "'=already quoted",
		"<script>x</script>": "<script>x</script>",
	} {
		if got := export.Neutralise(in); got != want {
			t.Errorf("Neutralise(%q) = %q, want %q", in, got, want)
		}
	}
}

func readCSV(t *testing.T, data []byte, comma rune) [][]string {
	t.Helper()
	if !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		t.Fatalf("CSV does not start with a UTF-8 BOM: %q", data[:min(10, len(data))])
	}
	body := data[3:]
	if !bytes.Contains(body, []byte("\r\n")) || bytes.Contains(bytes.ReplaceAll(body, []byte("\r\n"), nil), []byte("\n")) && !bytes.Contains(body, []byte("\"")) {
		t.Errorf("CSV lines must end in CRLF")
	}
	r := csv.NewReader(bytes.NewReader(body))
	r.Comma = comma
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("reading CSV back: %v", err)
	}
	return recs
}

func TestVotesCSV(t *testing.T) {
	t.Parallel()
	f := standard(t)
	ctx := context.Background()
	for _, semi := range []bool{false, true} {
		var buf bytes.Buffer
		must(t, export.VotesCSV(ctx, &buf, f.svc, f.sess, export.CSVOptions{Semicolon: semi, Rows: raw}))
		comma := ','
		if semi {
			comma = ';'
			if !bytes.HasPrefix(buf.Bytes()[3:], []byte("session_id;section_id;")) {
				t.Fatalf("semicolon CSV header = %q", strings.SplitN(buf.String(), "\n", 2)[0])
			}
		}
		recs := readCSV(t, buf.Bytes(), comma)
		if !slices.Equal(recs[0], export.VotesColumns) {
			t.Fatalf("header = %q", recs[0])
		}
		want := []string{"session_id", "section_id", "section_title", "activity_id", "activity_kind", "statement_id",
			"statement_text", "participant", "group", "value", "updated_at", "round", "gap"}
		if !slices.Equal(export.VotesColumns, want) {
			t.Fatalf("VotesColumns = %q, want the spec's %q", export.VotesColumns, want)
		}
		rows := recs[1:]
		if len(rows) != f.nvotes {
			t.Fatalf("%d vote rows, want %d (one per current vote)", len(rows), f.nvotes)
		}
		col := func(name string) int { return slices.Index(export.VotesColumns, name) }
		got := map[string][]int{}
		groupOf := map[string]string{}
		for _, p := range f.parts {
			groupOf[p.ID] = p.Group
		}
		for _, r := range rows {
			if r[col("session_id")] != f.sess.ID {
				t.Errorf("session_id = %q", r[col("session_id")])
			}
			pid := r[col("participant")]
			if _, ok := groupOf[pid]; !ok {
				t.Errorf("participant %q is not a participant's pseudonym", pid)
			}
			for _, tok := range f.tokens {
				if strings.Contains(strings.Join(r, ","), tok) {
					t.Fatalf("a resume token leaked into votes.csv")
				}
			}
			// The group column, item by item: where all ten answered, the group of 5 shows and
			// the group of 4 never does; s4-1 was answered by 3 of the 5 and 2 of the 4, who
			// show only together, as "other".
			wantGroup := ""
			if groupOf[pid] == "fem" {
				wantGroup = "fem"
			}
			if r[col("statement_id")] == "s4-1" && groupOf[pid] != "" {
				wantGroup = forum.OtherGroup
			}
			if g := r[col("group")]; g != wantGroup {
				t.Errorf("participant in group %q shows group %q, want %q", groupOf[pid], g, wantGroup)
			}
			if r[col("activity_kind")] == forum.KindScale {
				v, err := strconv.Atoi(r[col("value")])
				if err != nil {
					t.Fatalf("scale value %q is not a number", r[col("value")])
				}
				got[r[col("statement_id")]] = append(got[r[col("statement_id")]], v)
				if r[col("statement_id")] == "s2-2" && r[col("statement_text")] != "Åbenhed" {
					t.Errorf("statement_text of s2-2 = %q, want Åbenhed", r[col("statement_text")])
				}
				if r[col("section_id")] == "s2" && r[col("section_title")] != "Værdigrundlag" {
					t.Errorf("section_title = %q", r[col("section_title")])
				}
			} else if r[col("activity_id")] == f.choice {
				var ids []string
				if err := json.Unmarshal([]byte(r[col("value")]), &ids); err != nil || len(ids) != 1 {
					t.Errorf("choice value %q is not a JSON list of option ids", r[col("value")])
				}
			}
			if !strings.HasPrefix(r[col("updated_at")], "2025-11-25T14:30:00.000+01:00") { // local time, offset
				t.Errorf("updated_at = %q", r[col("updated_at")])
			}
		}
		for st, vals := range f.votes {
			if fmtCounts(counts(got[st])) != fmtCounts(counts(vals)) {
				t.Errorf("%s: values %v in CSV, cast %v", st, counts(got[st]), counts(vals))
			}
		}
	}
}

func TestCommentsCSV(t *testing.T) {
	t.Parallel()
	f := standard(t)
	var buf bytes.Buffer
	must(t, export.CommentsCSV(context.Background(), &buf, f.svc, f.sess, export.CSVOptions{Semicolon: true, Rows: raw}))
	recs := readCSV(t, buf.Bytes(), ';')
	want := []string{"session_id", "section_id", "section_title", "activity_id", "statement_id", "comment_id",
		"participant", "group", "text", "upvotes", "hidden", "created_at", "starred"}
	if !slices.Equal(recs[0], want) {
		t.Fatalf("header = %q, want %q", recs[0], want)
	}
	col := func(name string) int { return slices.Index(want, name) }
	byText := map[string][]string{}
	for _, r := range recs[1:] {
		byText[r[col("text")]] = r
		if g := r[col("group")]; g != "" && g != "fem" {
			t.Errorf("comment row shows group %q", g)
		}
	}
	if len(recs)-1 != len(f.comments) {
		t.Fatalf("%d comment rows, want %d", len(recs)-1, len(f.comments))
	}
	if r, ok := byText["'"+commentFormula]; !ok {
		t.Errorf("the =HYPERLINK comment is not neutralised; rows: %q", recs[1:])
	} else if r[col("upvotes")] != "3" {
		t.Errorf("upvotes = %q, want 3", r[col("upvotes")])
	}
	if _, ok := byText["'"+commentPlus]; !ok {
		t.Errorf("the +1 comment is not neutralised")
	}
	if r, ok := byText[commentScript]; !ok {
		t.Errorf("the <script> comment did not arrive as text")
	} else if r[col("statement_id")] != "s2-2" {
		t.Errorf("statement_id = %q", r[col("statement_id")])
	}
	if r := byText[commentHidden]; r == nil || r[col("hidden")] != "true" {
		t.Errorf("the hidden comment must be in comments.csv marked hidden: %q", r)
	}
	if r := byText[commentStarred]; r == nil || r[col("hidden")] != "false" || r[col("section_title")] != "Værdigrundlag" {
		t.Errorf("starred comment row = %q", r)
	}
	for _, tok := range f.tokens {
		if strings.Contains(buf.String(), tok) {
			t.Fatal("a resume token leaked into comments.csv")
		}
	}
}

// xlsxRows reads every sheet of a workbook: sheet → rows of cells (raw values).
func xlsxRows(t *testing.T, data []byte) (*excelize.File, map[string][][]string) {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("excelize cannot open the workbook: %v", err)
	}
	t.Cleanup(func() { x.Close() })
	out := map[string][][]string{}
	for _, name := range x.GetSheetList() {
		rows, err := x.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return x, out
}

// findRow returns the index of the first row whose cell in column col equals v.
func findRow(rows [][]string, col int, v string) int {
	for i, r := range rows {
		if col < len(r) && r[col] == v {
			return i
		}
	}
	return -1
}

func cellName(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col+1, row+1)
	return n
}

// isNumber reports whether a cell is stored as a number (not as text).
func isNumber(t *testing.T, x *excelize.File, sheet string, col, row int) bool {
	t.Helper()
	typ, err := x.GetCellType(sheet, cellName(col, row))
	if err != nil {
		t.Fatal(err)
	}
	return typ == excelize.CellTypeUnset || typ == excelize.CellTypeNumber
}

func TestXLSX(t *testing.T) {
	t.Parallel()
	f := standard(t)
	var buf bytes.Buffer
	must(t, export.XLSX(context.Background(), &buf, f.svc, f.sess, raw))
	x, sheets := xlsxRows(t, buf.Bytes())
	if got := x.GetSheetList(); !slices.Equal(got, []string{"Oversigt", "Andre aktiviteter", "Stemmer", "Kommentarer"}) {
		t.Fatalf("sheets = %q", got)
	}

	// Summary: the header row, then one row per statement.
	sum := sheets["Oversigt"]
	if sum[0][0] != f.sess.Title {
		t.Errorf("summary title = %q", sum[0][0])
	}
	h := findRow(sum, 0, "Afsnit")
	if h < 0 {
		t.Fatalf("no header row in the summary: %q", sum)
	}
	head := sum[h]
	for _, w := range []string{"Udsagn", "svar", "Gennemsnit", "1", "5", groupFive.label + ": svar", groupFive.label + ": Gennemsnit"} {
		if !slices.Contains(head, w) {
			t.Errorf("summary header lacks %q: %q", w, head)
		}
	}
	nCol, meanCol := slices.Index(head, "svar"), slices.Index(head, "Gennemsnit")
	gN, gMean := slices.Index(head, groupFive.label+": svar"), slices.Index(head, groupFive.label+": Gennemsnit")
	for st, vals := range f.votes {
		i := findRow(sum, 1, st)
		if i < 0 {
			t.Errorf("no summary row for %s", st)
			continue
		}
		r := sum[i]
		if r[nCol] != strconv.Itoa(len(vals)) {
			t.Errorf("%s: n = %q, want %d", st, r[nCol], len(vals))
		}
		m, err := strconv.ParseFloat(r[meanCol], 64)
		if err != nil || m != mean(vals) {
			t.Errorf("%s: mean = %q, want %v", st, r[meanCol], mean(vals))
		}
		if !isNumber(t, x, "Oversigt", nCol, i) || !isNumber(t, x, "Oversigt", meanCol, i) {
			t.Errorf("%s: n and mean must be numbers", st)
		}
		c := counts(vals)
		for v := 1; v <= 5; v++ {
			ci := slices.Index(head, strconv.Itoa(v))
			if r[ci] != strconv.Itoa(c[v]) {
				t.Errorf("%s: count of %d = %q, want %d", st, v, r[ci], c[v])
			}
		}
		if gv := f.groupVotes["fem"][st]; len(gv) > 0 {
			if r[gN] != strconv.Itoa(len(gv)) {
				t.Errorf("%s: group n = %q, want %d", st, r[gN], len(gv))
			}
			if m, _ := strconv.ParseFloat(r[gMean], 64); m != mean(gv) {
				t.Errorf("%s: group mean = %q, want %v", st, r[gMean], mean(gv))
			}
		}
		if st == "s2-2" && r[2] != "Åbenhed" {
			t.Errorf("statement text = %q, want Åbenhed", r[2])
		}
	}

	// Votes: the same rows as the CSV, values as numbers.
	votes := sheets["Stemmer"]
	if len(votes)-1 != f.nvotes {
		t.Errorf("votes sheet has %d rows, want %d", len(votes)-1, f.nvotes)
	}
	vh := votes[0]
	if !slices.Equal(vh, []string{"Afsnit", "Udsagn-id", "Udsagn", "Deltager", "Gruppe", "Svar", "Tidspunkt", "Aktivitet-id"}) {
		t.Errorf("votes header = %q", vh)
	}
	valCol, actCol, timeCol := slices.Index(vh, "Svar"), slices.Index(vh, "Aktivitet-id"), slices.Index(vh, "Tidspunkt")
	got := map[string][]int{}
	for i, r := range votes[1:] {
		switch r[actCol] {
		case f.choice:
			if !slices.Contains([]string{"Respekt", "Åbenhed", "Troværdighed"}, r[valCol]) {
				t.Errorf("a choice answer shows %q, want the option's label", r[valCol])
			}
		default:
			if !isNumber(t, x, "Stemmer", valCol, i+1) {
				t.Fatalf("a scale answer is not a number: %q", r)
			}
			v, _ := strconv.Atoi(r[valCol])
			got[r[1]] = append(got[r[1]], v)
		}
		if g := r[slices.Index(vh, "Gruppe")]; g != "" && g != groupFive.label && !(g == "Øvrige" && r[1] == "s4-1") {
			t.Errorf("votes sheet shows group %q", g)
		}
		if i == 0 {
			// 13:30 UTC on 25 November is 14:30 in Denmark.
			if shown, _ := x.GetCellValue("Stemmer", cellName(timeCol, i+1)); shown != "2025-11-25 14:30:00" {
				t.Errorf("time shows %q, want 2025-11-25 14:30:00", shown)
			}
		}
	}
	for st, vals := range f.votes {
		if fmtCounts(counts(got[st])) != fmtCounts(counts(vals)) {
			t.Errorf("votes sheet, %s: values %v, cast %v", st, counts(got[st]), counts(vals))
		}
	}

	// Comments: neutralised, text kept as text.
	cs := sheets["Kommentarer"]
	textCol := slices.Index(cs[0], "Kommentar")
	if findRow(cs, textCol, "'"+commentFormula) < 0 {
		t.Errorf("the =HYPERLINK comment is not neutralised in the workbook")
	}
	if findRow(cs, textCol, commentScript) < 0 {
		t.Errorf("the <script> comment did not arrive as text")
	}
	up := slices.Index(cs[0], "Enig (+1)")
	if i := findRow(cs, textCol, "'"+commentFormula); i > 0 && (cs[i][up] != "3" || !isNumber(t, x, "Kommentarer", up, i)) {
		t.Errorf("upvotes = %q, want the number 3", cs[i][up])
	}

	hid, star := slices.Index(cs[0], "Skjult"), slices.Index(cs[0], "Fremhævet")
	if i := findRow(cs, textCol, commentHidden); i < 0 || cs[i][hid] != "1" || cs[i][star] != "0" {
		t.Errorf("hidden comment row = %q, want hidden TRUE, starred FALSE", cs[max(i, 0)])
	} else if typ, _ := x.GetCellType("Kommentarer", cellName(hid, i)); typ != excelize.CellTypeBool {
		t.Errorf("hidden is not a boolean cell")
	}
	if i := findRow(cs, textCol, commentStarred); i < 0 || cs[i][star] != "1" {
		t.Errorf("the starred comment is not marked starred")
	}

	// Other activities: the choice's counts.
	other := sheets["Andre aktiviteter"]
	if i := findRow(other, 4, "Respekt"); i < 0 {
		t.Errorf("no row for the choice option: %q", other)
	}

	// No cell anywhere is a formula.
	for _, name := range x.GetSheetList() {
		for i, r := range sheets[name] {
			for j := range r {
				if fm, _ := x.GetCellFormula(name, cellName(j, i)); fm != "" {
					t.Errorf("%s!%s holds a formula %q", name, cellName(j, i), fm)
				}
			}
		}
	}
	assertNoGroupOfFour(t, "XLSX", allCells(sheets))
}

func allCells(sheets map[string][][]string) string {
	var sb strings.Builder
	for _, rows := range sheets {
		for _, r := range rows {
			sb.WriteString(strings.Join(r, "\t"))
			sb.WriteString("\n")
		}
	}
	return sb.String()
}

// assertNoGroupOfFour checks a human-readable output: the group of 4 never appears, the
// group of 5 does.
func assertNoGroupOfFour(t *testing.T, what, text string) {
	t.Helper()
	if strings.Contains(text, groupFour.label) {
		t.Errorf("%s names the group of 4 (%s)", what, groupFour.label)
	}
	if !strings.Contains(text, groupFive.label) {
		t.Errorf("%s does not show the group of 5 (%s)", what, groupFive.label)
	}
}

func TestXLSXEnglish(t *testing.T) {
	t.Parallel()
	f := seed(t, newService(t), "en", []groupSpec{groupFive, groupFour}, 1)
	var buf bytes.Buffer
	must(t, export.XLSX(context.Background(), &buf, f.svc, f.sess, raw))
	x, sheets := xlsxRows(t, buf.Bytes())
	if got := x.GetSheetList(); !slices.Equal(got, []string{"Summary", "Other activities", "Votes", "Comments"}) {
		t.Fatalf("sheets = %q", got)
	}
	if findRow(sheets["Summary"], 0, "Section") < 0 {
		t.Errorf("no English header in the summary")
	}
	if !strings.Contains(allCells(sheets), "To a very large extent") {
		t.Errorf("the English scale labels are missing")
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	f := standard(t)
	var buf bytes.Buffer
	must(t, export.JSON(context.Background(), &buf, f.svc, f.sess, raw))
	var doc struct {
		Format       string          `json:"format"`
		Session      json.RawMessage `json:"session"`
		Charter      struct{ ID, Title string }
		Participants struct {
			Count  int64            `json:"count"`
			Groups map[string]int64 `json:"groups"`
		} `json:"participants"`
		Groups     []forum.GroupView `json:"groups"`
		Activities []struct {
			ID    string          `json:"id"`
			Kind  string          `json:"kind"`
			Tally json.RawMessage `json:"tally"`
			Group []struct {
				Group   forum.GroupView `json:"group"`
				Results json.RawMessage `json:"results"`
			} `json:"groups"`
		} `json:"activities"`
		Comments []map[string]any `json:"comments"`
		Votes    []map[string]any `json:"votes"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("session.json does not parse: %v", err)
	}
	if doc.Format != export.JSONFormat || doc.Charter.ID != builtin {
		t.Errorf("format %q, charter %q", doc.Format, doc.Charter.ID)
	}
	if doc.Participants.Count != 10 {
		t.Errorf("participants.count = %d, want 10", doc.Participants.Count)
	}
	if len(doc.Participants.Groups) != 1 || doc.Participants.Groups["fem"] != 5 {
		t.Errorf("participants.groups = %v, want only fem: 5", doc.Participants.Groups)
	}
	if len(doc.Groups) != 1 || doc.Groups[0].ID != "fem" {
		t.Errorf("groups = %+v", doc.Groups)
	}
	found := false
	for _, a := range doc.Activities {
		if a.ID != "s2-scale" {
			continue
		}
		found = true
		var tally struct {
			Statements map[string]forum.StatementResult `json:"statements"`
		}
		must(t, json.Unmarshal(a.Tally, &tally))
		for st, vals := range f.votes {
			if st[:2] != "s2" {
				continue
			}
			r := tally.Statements[st]
			if r.N != int64(len(vals)) || r.Mean == nil || *r.Mean != mean(vals) {
				t.Errorf("%s: n %d mean %v, want %d %v", st, r.N, r.Mean, len(vals), mean(vals))
			}
		}
		if len(a.Group) != 1 || a.Group[0].Group.ID != "fem" {
			t.Errorf("per-group results = %+v, want only fem", a.Group)
		}
	}
	if !found {
		t.Fatal("no s2-scale activity in session.json")
	}
	if len(doc.Comments) != len(f.comments) || len(doc.Votes) != f.nvotes {
		t.Errorf("%d comments and %d votes, want %d and %d", len(doc.Comments), len(doc.Votes), len(f.comments), f.nvotes)
	}
	texts := map[string]bool{}
	for _, c := range doc.Comments {
		texts[c["text"].(string)] = true
		if g, _ := c["group"].(string); g != "" && g != "fem" {
			t.Errorf("a comment shows group %q", g)
		}
	}
	if !texts[commentScript] || !texts[commentFormula] {
		t.Errorf("comments must arrive as their text in JSON: %v", texts)
	}
	for _, v := range doc.Votes {
		if g, _ := v["group"].(string); g != "" && g != "fem" && !(g == forum.OtherGroup && v["statement"] == "s4-1") {
			t.Errorf("a vote shows group %q", g)
		}
	}
	for _, tok := range f.tokens {
		if strings.Contains(buf.String(), tok) {
			t.Fatal("a resume token leaked into session.json")
		}
	}
	if strings.Contains(buf.String(), "token_hash") {
		t.Fatal("session.json holds token hashes")
	}
}

func TestPDF(t *testing.T) {
	t.Parallel()
	f := standard(t)
	var buf bytes.Buffer
	must(t, export.PDF(context.Background(), &buf, f.svc, f.sess))
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF")
	}
	text := pdfText(t, buf.Bytes())
	// pdftotext may break lines where the report wraps; compare with single spaces.
	flat := strings.Join(strings.Fields(text), " ")
	for _, want := range []string{
		f.sess.Title, "Ledelsesgrundlag for Allerød Kommune", "10 deltagere", "25. november 2025",
		"Værdigrundlag", "Respekt", "Åbenhed", "Troværdighed", "Som leder i Allerød kan du forvente",
		"Overblik over alle udsagn", "Gennemsnit", "Slet ikke", "I meget høj grad",
		commentStarred, commentScript, commentFormula, "Hvilken værdi skal vi arbejde mest med?",
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(flat, commentHidden) {
		t.Errorf("the hidden comment is in the report")
	}
	for st, vals := range f.votes {
		if want := "Gns. " + meanDA(mean(vals)); !strings.Contains(flat, want) {
			t.Errorf("%s: the report lacks its mean %q", st, want)
		}
	}
	// The starred comment comes first among the comments.
	if i, j := strings.Index(flat, commentStarred), strings.Index(flat, commentFormula); i < 0 || j < 0 || i > j {
		t.Errorf("the starred comment must come before the most upvoted one")
	}
	assertNoGroupOfFour(t, "PDF", flat)
}

func TestPDFEnglish(t *testing.T) {
	t.Parallel()
	f := seed(t, newService(t), "en", []groupSpec{groupFive, groupFour}, 1)
	var buf bytes.Buffer
	must(t, export.PDF(context.Background(), &buf, f.svc, f.sess))
	flat := strings.Join(strings.Fields(pdfText(t, buf.Bytes())), " ")
	for _, want := range []string{"Overview of all statements", "10 participants", "25 November 2025", "How well do we live up to this?", "Mean 3.40"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the English report lacks %q", want)
		}
	}
}

// TestGroupsRows checks the row rule across the exports for the shapes that matter: a group
// of 4 beside one of 5 with a participant without a group (the group of 5 shows); the same
// without that participant (then the rows without a group would be exactly the group of 4,
// so the group of 5 is left out as well); a group of 4 with a group of 3 (merged into
// "other"). The rule counts the people who answered each item: s4-1 is answered by half of
// the room only, and the comments by six people. Beside the fixed expectations for the items
// everyone answered, every item's rows must pass checkRowRule.
func TestGroupsRows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		groups    []groupSpec
		ungrouped int
		want      map[string]string // participant group → group column, for items all answered
		summary   []string          // groups in the XLSX summary header
	}{
		{"five four one", []groupSpec{groupFive, groupFour}, 1,
			map[string]string{"fem": "fem", "fire": "", "": ""}, []string{groupFive.label, "Øvrige"}},
		{"five four", []groupSpec{groupFive, groupFour}, 0,
			map[string]string{"fem": "", "fire": ""}, []string{"Øvrige"}},
		{"five four three", []groupSpec{groupFive, groupFour, {"tre", "Trekløveret", 3}}, 0,
			map[string]string{"fem": "fem", "fire": "other", "tre": "other"}, []string{groupFive.label, "Øvrige"}},
		{"four alone", []groupSpec{groupFour}, 0,
			map[string]string{"fire": ""}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := seed(t, newService(t), "da", tc.groups, tc.ungrouped)
			ctx := context.Background()
			groupOf := map[string]string{}
			for _, p := range f.parts {
				groupOf[p.ID] = p.Group
			}
			allAnswered := func(item string) bool { return item != "s4-1" && item != "comments" }
			check := func(what string, rows []row) {
				t.Helper()
				for _, r := range rows {
					if allAnswered(r.item) && r.group != tc.want[groupOf[r.participant]] {
						t.Errorf("%s %s: a member of %q shows %q, want %q", what, r.item, groupOf[r.participant], r.group, tc.want[groupOf[r.participant]])
					}
				}
				checkRowRule(t, what, rows, groupOf, 5)
			}
			var buf bytes.Buffer
			must(t, export.VotesCSV(ctx, &buf, f.svc, f.sess, export.CSVOptions{Rows: raw}))
			var rows []row
			for _, r := range readCSV(t, buf.Bytes(), ',')[1:] {
				rows = append(rows, row{item: r[3] + "/" + r[5], participant: r[7], group: r[8]})
				if r[5] == "s4-1" {
					rows[len(rows)-1].item = "s4-1"
				}
			}
			check("votes.csv", rows)
			buf.Reset()
			must(t, export.CommentsCSV(ctx, &buf, f.svc, f.sess, export.CSVOptions{Rows: raw}))
			rows = nil
			for _, r := range readCSV(t, buf.Bytes(), ',')[1:] {
				rows = append(rows, row{item: "comments", participant: r[6], group: r[7]})
			}
			check("comments.csv", rows)
			buf.Reset()
			must(t, export.XLSX(ctx, &buf, f.svc, f.sess, raw))
			_, sheets := xlsxRows(t, buf.Bytes())
			if strings.Contains(allCells(sheets), groupFour.label) {
				t.Errorf("the workbook names the group of 4")
			}
			sum := sheets["Oversigt"]
			head := sum[findRow(sum, 0, "Afsnit")]
			var shown []string
			for _, c := range head {
				if g, ok := strings.CutSuffix(c, ": svar"); ok {
					shown = append(shown, g)
				}
			}
			if !slices.Equal(shown, tc.summary) {
				t.Errorf("summary groups = %q, want %q", shown, tc.summary)
			}
			buf.Reset()
			must(t, export.PDF(ctx, &buf, f.svc, f.sess))
			if strings.Contains(pdfText(t, buf.Bytes()), groupFour.label) {
				t.Errorf("the report names the group of 4")
			}
			buf.Reset()
			must(t, export.JSON(ctx, &buf, f.svc, f.sess, raw))
			var doc struct {
				Participants struct {
					Groups map[string]int64 `json:"groups"`
				} `json:"participants"`
				Groups   []forum.GroupView `json:"groups"`
				Comments []struct{ Participant, Group string }
				Votes    []struct{ Activity, Statement, Participant, Group string }
			}
			must(t, json.Unmarshal(buf.Bytes(), &doc))
			if _, ok := doc.Participants.Groups["fire"]; ok {
				t.Errorf("session.json counts the group of 4: %v", doc.Participants.Groups)
			}
			for _, g := range doc.Groups {
				if g.ID == "fire" || g.Label == groupFour.label {
					t.Errorf("session.json shows the group of 4 by itself: %+v", g)
				}
			}
			rows = nil
			for _, v := range doc.Votes {
				item := v.Activity + "/" + v.Statement
				if v.Statement == "s4-1" {
					item = "s4-1"
				}
				rows = append(rows, row{item: item, participant: v.Participant, group: v.Group})
			}
			check("session.json votes", rows)
			rows = nil
			for _, c := range doc.Comments {
				rows = append(rows, row{item: "comments", participant: c.Participant, group: c.Group})
			}
			check("session.json comments", rows)
		})
	}
}

// row is one vote or comment row of an export: its item, who, and the group it shows.
type row struct{ item, participant, group string }

// checkRowRule checks, item by item, that no group column value singles out fewer than thr
// people: every group shown stands for at least thr people, and the rows without a group,
// when they hold anyone of a group and are not all of the item's rows, are at least thr
// people too.
func checkRowRule(t *testing.T, what string, rows []row, groupOf map[string]string, thr int) {
	t.Helper()
	type set = map[string]bool
	byItem := map[string]map[string]set{} // item → shown group → participants
	for _, r := range rows {
		if byItem[r.item] == nil {
			byItem[r.item] = map[string]set{}
		}
		if byItem[r.item][r.group] == nil {
			byItem[r.item][r.group] = set{}
		}
		byItem[r.item][r.group][r.participant] = true
	}
	for item, groups := range byItem {
		for g, people := range groups {
			if g != "" && len(people) < thr {
				t.Errorf("%s %s: group %q shows for %d people, fewer than %d", what, item, g, len(people), thr)
			}
			if g == "" && len(people) < thr && len(groups) > 1 { // all rows blank is just the total
				for p := range people {
					if groupOf[p] != "" {
						t.Errorf("%s %s: the %d rows without a group hold a member of %q", what, item, len(people), groupOf[p])
						break
					}
				}
			}
		}
	}
}

func TestExportsOfEmptySession(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	actor := &forum.User{ID: "u1", Role: forum.RoleFacilitator}
	sess, err := svc.CreateSession(context.Background(), actor, forum.NewSession{Title: "Tom", CharterID: builtin})
	must(t, err)
	ctx := context.Background()
	var buf bytes.Buffer
	must(t, export.VotesCSV(ctx, &buf, svc, sess, export.CSVOptions{Rows: raw}))
	if recs := readCSV(t, buf.Bytes(), ','); len(recs) != 1 {
		t.Errorf("empty votes.csv has %d records, want the header only", len(recs))
	}
	buf.Reset()
	must(t, export.XLSX(ctx, &buf, svc, sess, raw))
	xlsxRows(t, buf.Bytes())
	buf.Reset()
	must(t, export.PDF(ctx, &buf, svc, sess))
	if !strings.Contains(pdfText(t, buf.Bytes()), "0 deltagere") {
		t.Errorf("empty report lacks the participant count")
	}
	buf.Reset()
	must(t, export.JSON(ctx, &buf, svc, sess, raw))
	if !json.Valid(buf.Bytes()) {
		t.Errorf("empty session.json is not JSON")
	}
}

func TestExportStopsWithContext(t *testing.T) {
	t.Parallel()
	f := standard(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var buf bytes.Buffer
	if err := export.VotesCSV(ctx, &buf, f.svc, f.sess, export.CSVOptions{Rows: raw}); err == nil {
		t.Errorf("VotesCSV with a cancelled context returned no error")
	}
}

func TestComparisonXLSX(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	a := seed(t, svc, "da", []groupSpec{groupFive, groupFour}, 1)
	b := seed(t, svc, "da", []groupSpec{groupFive, groupFour}, 0)
	ctx := context.Background()
	cmp, err := svc.Compare(ctx, a.actor, builtin, nil)
	must(t, err)
	var buf bytes.Buffer
	must(t, export.ComparisonXLSX(ctx, &buf, cmp))
	x, sheets := xlsxRows(t, buf.Bytes())
	if got := x.GetSheetList(); !slices.Equal(got, []string{"Sammenligning", "Forløb"}) {
		t.Fatalf("sheets = %q", got)
	}
	rows := sheets["Sammenligning"]
	h := findRow(rows, 0, "Afsnit")
	if h < 0 {
		t.Fatalf("no header: %q", rows)
	}
	head := rows[h]
	nCol, meanCol := slices.Index(head, "Samlet: svar"), slices.Index(head, "Samlet: Gennemsnit")
	gCol := slices.Index(head, groupFive.label+": Gennemsnit")
	if nCol < 0 || meanCol < 0 || gCol < 0 {
		t.Fatalf("header = %q", head)
	}
	for _, st := range []string{"s2-1", "s2-2", "s4-1"} {
		i := findRow(rows, 1, st)
		all := append(append([]int(nil), a.votes[st]...), b.votes[st]...)
		if rows[i][nCol] != strconv.Itoa(len(all)) || !isNumber(t, x, "Sammenligning", nCol, i) {
			t.Errorf("%s: pooled n = %q, want the number %d", st, rows[i][nCol], len(all))
		}
		if m, _ := strconv.ParseFloat(rows[i][meanCol], 64); m != mean(all) {
			t.Errorf("%s: pooled mean = %q, want %v", st, rows[i][meanCol], mean(all))
		}
		g := append(append([]int(nil), a.groupVotes["fem"][st]...), b.groupVotes["fem"][st]...)
		if len(g) > 0 {
			if m, _ := strconv.ParseFloat(rows[i][gCol], 64); m != mean(g) {
				t.Errorf("%s: %s mean = %q, want %v", st, groupFive.label, rows[i][gCol], mean(g))
			}
		}
	}
	if len(sheets["Forløb"]) != 3 {
		t.Errorf("sessions sheet = %q", sheets["Forløb"])
	}
	if strings.Contains(allCells(sheets), groupFour.label) {
		t.Errorf("the comparison names the group of 4")
	}
}
