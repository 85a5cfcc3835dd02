package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"pejl/internal/export"
	"pejl/internal/forum"
)

// TestRespondentsRule: six leaders of whom four rate s2-1, and five employees. No export may
// show the leaders for s2-1, nor the employees (the total minus them would be the four
// leaders); once a fifth leader answers, both show. Until five have answered an item at all,
// its figures wait ("3 svar – resultaterne vises fra 5 svar").
func TestRespondentsRule(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	ctx := context.Background()
	actor := &forum.User{ID: "u-mette", Role: forum.RoleFacilitator}
	sess, err := svc.CreateSession(ctx, actor, forum.NewSession{Title: "Seks og fem", CharterID: builtin,
		Groups: []forum.Group{{ID: "leder", Label: "Leder"}, {ID: "medarb", Label: "Medarbejder"}}})
	must(t, err)
	_, err = svc.Do(ctx, actor, sess.ID, forum.Command{Type: "open", Activity: "s2-scale"})
	must(t, err)
	sess, err = svc.Session(ctx, actor, sess.ID)
	must(t, err)
	n := 0
	vote := func(p *forum.Participant, st string, v int) {
		n++
		_, err := svc.Vote(ctx, sess.ID, p, forum.VoteIn{ClientID: "v" + strconv.Itoa(n), Activity: "s2-scale", Statement: st, Value: json.RawMessage(strconv.Itoa(v))})
		must(t, err)
	}
	var leaders []*forum.Participant
	for range 6 {
		p, _, err := svc.Hello(ctx, sess, "", "", "leder")
		must(t, err)
		leaders = append(leaders, p)
	}
	for i := range 4 {
		vote(leaders[i], "s2-1", 5)
	}
	for range 5 {
		p, _, err := svc.Hello(ctx, sess, "", "", "medarb")
		must(t, err)
		vote(p, "s2-1", 2)
	}
	// s2-2 has three answers: its figures wait.
	for i := range 3 {
		vote(leaders[i], "s2-2", 4)
	}

	type statement struct {
		Counts   map[string]int64 `json:"counts"`
		N        int64            `json:"n"`
		Withheld bool             `json:"withheld"`
	}
	read := func() (groups map[string]statement, s22 statement, rows map[string]bool, summary []string) {
		t.Helper()
		var buf bytes.Buffer
		must(t, export.JSON(ctx, &buf, svc, sess, raw))
		var doc struct {
			Activities []struct {
				ID    string `json:"id"`
				Tally struct {
					Statements map[string]statement `json:"statements"`
				} `json:"tally"`
				Groups []struct {
					Group   forum.GroupView `json:"group"`
					Results struct {
						Statements map[string]statement `json:"statements"`
					} `json:"results"`
				} `json:"groups"`
			} `json:"activities"`
		}
		must(t, json.Unmarshal(buf.Bytes(), &doc))
		groups = map[string]statement{}
		for _, a := range doc.Activities {
			if a.ID != "s2-scale" {
				continue
			}
			s22 = a.Tally.Statements["s2-2"]
			for _, g := range a.Groups {
				if r, ok := g.Results.Statements["s2-1"]; ok {
					groups[g.Group.ID] = r
				}
			}
		}
		buf.Reset()
		must(t, export.VotesCSV(ctx, &buf, svc, sess, export.CSVOptions{Rows: raw}))
		rows = map[string]bool{}
		for _, r := range readCSV(t, buf.Bytes(), ',')[1:] {
			if r[5] == "s2-1" && r[8] != "" {
				rows[r[8]] = true
			}
		}
		buf.Reset()
		must(t, export.XLSX(ctx, &buf, svc, sess, raw))
		_, sheets := xlsxRows(t, buf.Bytes())
		sum := sheets["Oversigt"]
		for _, c := range sum[findRow(sum, 0, "Afsnit")] {
			if g, ok := strings.CutSuffix(c, ": svar"); ok {
				summary = append(summary, g)
			}
		}
		return groups, s22, rows, summary
	}

	groups, s22, rows, summary := read()
	if len(groups) != 0 || len(rows) != 0 {
		t.Errorf("4 of 6 leaders answered: session.json shows groups %v, votes.csv labels %v", groups, rows)
	}
	if len(summary) != 0 {
		t.Errorf("4 of 6 leaders answered: the workbook has group columns %q", summary)
	}
	if !s22.Withheld || s22.N != 3 || len(s22.Counts) != 0 {
		t.Errorf("s2-2 with 3 answers = %+v, want n 3 and its figures withheld", s22)
	}
	var buf bytes.Buffer
	must(t, export.PDF(ctx, &buf, svc, sess))
	if !strings.Contains(strings.Join(strings.Fields(pdfText(t, buf.Bytes())), " "), "3 svar – resultaterne vises fra 5 svar") {
		t.Errorf("the report does not say that s2-2 waits for 5 answers")
	}

	vote(leaders[4], "s2-1", 5)
	groups, _, rows, summary = read()
	if groups["leder"].N != 5 || groups["leder"].Counts["5"] != 5 || groups["medarb"].N != 5 || len(groups) != 2 {
		t.Errorf("5 leaders answered: session.json shows %v", groups)
	}
	if !rows["leder"] || !rows["medarb"] {
		t.Errorf("5 leaders answered: votes.csv labels %v", rows)
	}
	if !slices.Equal(summary, []string{"Leder", "Medarbejder"}) {
		t.Errorf("5 leaders answered: the workbook's group columns %q", summary)
	}
}

// TestRowsCarryNoPerson: by default the row exports have an empty participant column and
// no hidden comment, so no value links two answers of one person; ?raw=pseudonym gives each
// row its pseudonym (then one person's rows share it) and ?include=hidden adds the hidden
// comment, marked hidden.
func TestRowsCarryNoPerson(t *testing.T) {
	t.Parallel()
	f := standard(t)
	ctx := context.Background()
	for _, opt := range []forum.RowOptions{{}, {Pseudonyms: true}, {Hidden: true}, raw} {
		var buf bytes.Buffer
		must(t, export.VotesCSV(ctx, &buf, f.svc, f.sess, export.CSVOptions{Rows: opt}))
		votes := readCSV(t, buf.Bytes(), ',')
		pcol := slices.Index(votes[0], "participant")
		perPerson := map[string]int{}
		for _, r := range votes[1:] {
			perPerson[r[pcol]]++
		}
		buf.Reset()
		must(t, export.CommentsCSV(ctx, &buf, f.svc, f.sess, export.CSVOptions{Rows: opt}))
		comments := readCSV(t, buf.Bytes(), ',')
		ccol, hcol, tcol := slices.Index(comments[0], "participant"), slices.Index(comments[0], "hidden"), slices.Index(comments[0], "text")
		hidden := 0
		for _, r := range comments[1:] {
			perPerson[r[ccol]]++
			if r[hcol] == "true" {
				hidden++
				if r[tcol] != commentHidden {
					t.Errorf("%+v: a hidden row with text %q", opt, r[tcol])
				}
			}
		}
		if len(votes) != f.nvotes+1 || len(comments)-1 != len(f.comments)-1+hidden {
			t.Errorf("%+v: %d vote rows, %d comment rows", opt, len(votes)-1, len(comments)-1)
		}
		buf.Reset()
		must(t, export.XLSX(ctx, &buf, f.svc, f.sess, opt))
		_, sheets := xlsxRows(t, buf.Bytes())
		xv, xc := sheets["Stemmer"], sheets["Kommentarer"]
		xp, xcp := slices.Index(xv[0], "Deltager"), slices.Index(xc[0], "Deltager")
		xperson := 0
		for _, r := range xv[1:] {
			if xp < len(r) && r[xp] != "" {
				xperson++
			}
		}
		for _, r := range xc[1:] {
			if xcp < len(r) && r[xcp] != "" {
				xperson++
			}
		}
		xhidden := strings.Contains(allCells(map[string][][]string{"c": xc}), commentHidden)
		buf.Reset()
		must(t, export.JSON(ctx, &buf, f.svc, f.sess, opt))
		var doc struct {
			Comments []struct{ Participant, Text string }
			Votes    []struct{ Participant string }
		}
		must(t, json.Unmarshal(buf.Bytes(), &doc))
		jperson, jhidden := 0, false
		for _, v := range doc.Votes {
			if v.Participant != "" {
				jperson++
			}
		}
		for _, c := range doc.Comments {
			if c.Participant != "" {
				jperson++
			}
			jhidden = jhidden || c.Text == commentHidden
		}

		if opt.Pseudonyms {
			// One person's rows share their pseudonym: the risk ?raw=pseudonym takes.
			for _, p := range f.parts {
				if perPerson[p.ID] < 2 {
					t.Errorf("raw=pseudonym: %s has %d rows", p.ID, perPerson[p.ID])
				}
			}
			if xperson == 0 || jperson == 0 {
				t.Errorf("raw=pseudonym: the workbook has %d rows with a participant, session.json %d", xperson, jperson)
			}
		} else {
			if len(perPerson) != 1 || perPerson[""] == 0 || xperson != 0 || jperson != 0 {
				t.Errorf("%+v: rows carry participants: CSV %d distinct values, XLSX %d, JSON %d", opt, len(perPerson), xperson, jperson)
			}
		}
		if want := opt.Hidden; (hidden == 1) != want || xhidden != want || jhidden != want {
			t.Errorf("%+v: the hidden comment in CSV %d, XLSX %v, JSON %v; want %v", opt, hidden, xhidden, jhidden, want)
		}
	}
}

// TestRowOrderLinksNoOne: the default row exports give no order or time that ties two rows
// of one person together. Vote rows come item by item, each item's rows in an order of its
// own (not the people's: in the engine's order one person's answers sit side by side, and
// the k-th row of every item would be the same person), and times only to the minute.
// ?raw=pseudonym gives exact times.
func TestRowOrderLinksNoOne(t *testing.T) {
	t.Parallel()
	var tick atomic.Int64
	svc := forum.NewService(openEngine(t), forum.Config{Now: func() time.Time {
		return time.Date(2025, 11, 25, 13, 30, 0, 0, time.UTC).Add(time.Duration(tick.Add(1)) * 1337 * time.Millisecond)
	}})
	t.Cleanup(svc.Close)
	f := seed(t, svc, "da", []groupSpec{groupFive, groupFour}, 1)
	ctx := context.Background()

	var buf bytes.Buffer
	must(t, export.VotesCSV(ctx, &buf, svc, f.sess, export.CSVOptions{}))
	rows := readCSV(t, buf.Bytes(), ',')
	acol, scol, vcol, tcol := slices.Index(rows[0], "activity_id"), slices.Index(rows[0], "statement_id"),
		slices.Index(rows[0], "value"), slices.Index(rows[0], "updated_at")
	values := map[string][]string{} // item → values in row order
	var order []string              // items in the order their rows come
	for _, r := range rows[1:] {
		item := r[acol] + "/" + r[scol]
		if n := len(order); n == 0 || order[n-1] != item {
			if slices.Contains(order, item) {
				t.Fatalf("the rows of %s are not together: %v", item, order)
			}
			order = append(order, item)
		}
		values[item] = append(values[item], r[vcol])
		at, err := time.Parse("2006-01-02T15:04:05.000Z07:00", r[tcol])
		must(t, err)
		if at.Second() != 0 || at.Nanosecond() != 0 {
			t.Errorf("a default row's time is finer than the minute: %s", r[tcol])
		}
	}
	// Everyone answered s2-1 and s2-2, person i with i%5+1 and (i+1)%5+1: in the people's
	// order every s2-2 row would be its s2-1 row's value plus one.
	a, b := values["s2-scale/s2-1"], values["s2-scale/s2-2"]
	if len(a) != len(f.parts) || len(a) != len(b) {
		t.Fatalf("rows for s2-1 %d, s2-2 %d, people %d", len(a), len(b), len(f.parts))
	}
	aligned := 0
	for k := range a {
		x, _ := strconv.Atoi(a[k])
		y, _ := strconv.Atoi(b[k])
		if y == x%5+1 {
			aligned++
		}
	}
	// (The first participant replaced their s2-1 answer with 5: one row is off anyway.)
	if aligned >= len(a)-1 {
		t.Errorf("the rows of s2-1 and s2-2 line up person by person (%d of %d)", aligned, len(a))
	}

	buf.Reset()
	must(t, export.VotesCSV(ctx, &buf, svc, f.sess, export.CSVOptions{Rows: forum.RowOptions{Pseudonyms: true}}))
	exact := 0
	for _, r := range readCSV(t, buf.Bytes(), ',')[1:] {
		at, err := time.Parse("2006-01-02T15:04:05.000Z07:00", r[tcol])
		must(t, err)
		if at.Second() != 0 || at.Nanosecond() != 0 {
			exact++
		}
	}
	if exact == 0 {
		t.Errorf("raw=pseudonym rows lost their exact times")
	}
}
