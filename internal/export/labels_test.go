package export_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"pejl/internal/export"
	"pejl/internal/forum"
)

// TestCSVLabels reads back the CSV form for people: Danish headers, titles and labels
// instead of ids, local times with their offset, a starred column.
func TestCSVLabels(t *testing.T) {
	t.Parallel()
	f := standard(t)
	ctx := context.Background()
	var buf bytes.Buffer
	must(t, export.VotesCSV(ctx, &buf, f.svc, f.sess, export.CSVOptions{Semicolon: true, Labels: true, Rows: raw}))
	recs := readCSV(t, buf.Bytes(), ';')
	want := []string{"Forløb", "Afsnit", "Aktivitet", "Type", "Udsagn", "Deltager", "Gruppe", "Svar", "Tidspunkt", "Runde", "Gab"}
	if !slices.Equal(recs[0], want) {
		t.Fatalf("header = %q, want %q", recs[0], want)
	}
	if len(recs)-1 != f.nvotes {
		t.Fatalf("%d rows, want %d", len(recs)-1, f.nvotes)
	}
	col := func(name string) int { return slices.Index(want, name) }
	sawChoice, sawGroup := false, false
	for _, r := range recs[1:] {
		if r[col("Forløb")] != f.sess.Title || r[col("Tidspunkt")] != "2025-11-25 14:30:00 +01:00" {
			t.Fatalf("row = %q", r)
		}
		if strings.Contains(strings.Join(r, ";"), f.sess.ID) || strings.Contains(strings.Join(r, ";"), `["`) {
			t.Fatalf("an id or a JSON list in the form for people: %q", r)
		}
		switch r[col("Type")] {
		case "Valg":
			sawChoice = true
			if v := r[col("Svar")]; !slices.Contains([]string{"Respekt", "Åbenhed", "Troværdighed"}, v) || r[col("Aktivitet")] != "Hvilken værdi skal vi arbejde mest med?" {
				t.Errorf("choice row = %q", r)
			}
		case "Skala":
			if r[col("Udsagn")] == "" || r[col("Afsnit")] == "" {
				t.Errorf("scale row without statement or section: %q", r)
			}
		default:
			t.Errorf("kind %q", r[col("Type")])
		}
		switch r[col("Gruppe")] {
		case "", "Øvrige":
		case "Femkløveret & Co.":
			sawGroup = true
		default: // never the group of four by itself, never an id
			t.Errorf("group cell %q", r[col("Gruppe")])
		}
	}
	if !sawChoice || !sawGroup {
		t.Errorf("choice rows %v, group labels %v", sawChoice, sawGroup)
	}
	assertNoGroupOfFour(t, "votes.csv (labels)", buf.String())

	buf.Reset()
	must(t, export.CommentsCSV(ctx, &buf, f.svc, f.sess, export.CSVOptions{Labels: true, Rows: raw}))
	recs = readCSV(t, buf.Bytes(), ',')
	want = []string{"Forløb", "Afsnit", "Aktivitet", "Udsagn", "Deltager", "Gruppe", "Kommentar", "Enig (+1)", "Skjult", "Fremhævet", "Oprettet"}
	if !slices.Equal(recs[0], want) {
		t.Fatalf("comments header = %q, want %q", recs[0], want)
	}
	starred := 0
	for _, r := range recs[1:] {
		if r[col("Kommentar")] == commentStarred {
			if r[9] != "ja" || r[8] != "nej" {
				t.Errorf("starred comment row = %q", r)
			}
		}
		if r[9] == "ja" {
			starred++
		}
		if r[10] != "2025-11-25 14:30:00 +01:00" {
			t.Errorf("created = %q", r[10])
		}
	}
	if starred != 1 {
		t.Errorf("%d starred rows, want 1", starred)
	}
}

// TestExportZone: PEJL_TIMEZONE reaches every time an export writes.
func TestExportZone(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	must(t, err)
	now := time.Date(2025, 11, 25, 13, 30, 0, 0, time.UTC)
	svc := forum.NewService(openEngine(t), forum.Config{PublicURL: "https://pejl.example.dk", Now: func() time.Time { return now }, Location: ny})
	t.Cleanup(svc.Close)
	f := seed(t, svc, "da", []groupSpec{groupFive}, 0)
	ctx := context.Background()
	var buf bytes.Buffer
	must(t, export.VotesCSV(ctx, &buf, f.svc, f.sess, export.CSVOptions{Rows: raw}))
	recs := readCSV(t, buf.Bytes(), ',')
	if got := recs[1][slices.Index(export.VotesColumns, "updated_at")]; got != "2025-11-25T08:30:00.000-05:00" {
		t.Errorf("updated_at = %q in New York", got)
	}
	buf.Reset()
	must(t, export.JSON(ctx, &buf, f.svc, f.sess, raw))
	if !strings.Contains(buf.String(), `"created_at":"2025-11-25T08:30:00-05:00"`) {
		t.Errorf("session.json has no New York times: %.300s", buf.String())
	}
}
