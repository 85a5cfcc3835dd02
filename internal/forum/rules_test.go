package forum

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"pejl/internal/charter"
)

func TestValueOf(t *testing.T) {
	scale := &Activity{ID: "a", Kind: KindScale, Statements: []string{"s1-1", "s1-2"}, Min: 1, Max: 5}
	choice := &Activity{ID: "c", Kind: KindChoice, Options: []Option{{ID: "o1"}, {ID: "o2"}, {ID: "o3"}}, MaxChoices: 2}
	rank := &Activity{ID: "r", Kind: KindRank, Statements: []string{"x", "y", "z", "w"}, K: 3}
	words := &Activity{ID: "w", Kind: KindWords}
	comments := &Activity{ID: "k", Kind: KindComments}
	gap := &Activity{ID: "g", Kind: KindGap, Statements: []string{"s1-1"},
		Axes: []Axis{{ID: AxisToday, Min: 1, Max: 5}, {ID: AxisWanted, Min: 1, Max: 5}}}
	points := &Activity{ID: "p", Kind: KindPoints, Statements: []string{"x", "y"}, Budget: 100}
	tests := []struct {
		name      string
		a         *Activity
		statement string
		value     string
		wantErr   bool
		wantValue string
		want      map[string]int64
	}{
		{"scale ok", scale, "s1-1", "4", false, "4", map[string]int64{"s/s1-1/4": 1, "s/s1-1/n": 1}},
		{"scale float integral", scale, "s1-2", "2.0", false, "2", map[string]int64{"s/s1-2/2": 1, "s/s1-2/n": 1}},
		{"scale below", scale, "s1-1", "0", true, "", nil},
		{"scale above", scale, "s1-1", "6", true, "", nil},
		{"scale fraction", scale, "s1-1", "3.5", true, "", nil},
		{"scale string", scale, "s1-1", `"3"`, true, "", nil},
		{"scale null is ved ikke", scale, "s1-1", `null`, false, "null", map[string]int64{"s/s1-1/skip": 1}},
		{"gap both", gap, "s1-1", `{"today":2,"wanted":5}`, false, `{"today":2,"wanted":5}`,
			map[string]int64{"s/s1-1/n": 1, "a/today/s1-1/2": 1, "a/wanted/s1-1/5": 1, "d/s1-1/3": 1}},
		{"gap wanted ved ikke", gap, "s1-1", `{"today":4,"wanted":null}`, false, `{"today":4,"wanted":null}`,
			map[string]int64{"s/s1-1/n": 1, "a/today/s1-1/4": 1, "a/wanted/s1-1/skip": 1}},
		{"gap out of range", gap, "s1-1", `{"today":0,"wanted":5}`, true, "", nil},
		{"gap unknown axis", gap, "s1-1", `{"today":1,"later":5}`, true, "", nil},
		{"gap not object", gap, "s1-1", `3`, true, "", nil},
		{"gap no statement", gap, "", `{"today":1,"wanted":1}`, true, "", nil},
		{"points ok", points, "", `{"y":60,"x":40}`, false, `{"x":40,"y":60}`, map[string]int64{"n": 1, "p/x": 40, "p/y": 60}},
		{"points over budget", points, "", `{"x":60,"y":41}`, true, "", nil},
		{"points negative", points, "", `{"x":-1,"y":41}`, true, "", nil},
		{"points fraction", points, "", `{"x":1.5}`, true, "", nil},
		{"points unknown item", points, "", `{"q":1}`, true, "", nil},
		{"points none", points, "", `{}`, true, "", nil},
		{"scale unknown statement", scale, "s9-9", "3", true, "", nil},
		{"scale no statement", scale, "", "3", true, "", nil},
		{"scale empty", scale, "s1-1", "", true, "", nil},
		{"choice one", choice, "", `["o2"]`, false, `["o2"]`, map[string]int64{"n": 1, "o/o2": 1}},
		{"choice two", choice, "", `["o1","o3"]`, false, `["o1","o3"]`, map[string]int64{"n": 1, "o/o1": 1, "o/o3": 1}},
		{"choice too many", choice, "", `["o1","o2","o3"]`, true, "", nil},
		{"choice none", choice, "", `[]`, true, "", nil},
		{"choice dup", choice, "", `["o1","o1"]`, true, "", nil},
		{"choice unknown", choice, "", `["o9"]`, true, "", nil},
		{"choice not list", choice, "", `"o1"`, true, "", nil},
		{"rank borda", rank, "", `["z","x","w"]`, false, `["z","x","w"]`, map[string]int64{"n": 1, "p/z": 3, "p/x": 2, "p/w": 1}},
		{"rank partial", rank, "", `["y"]`, false, `["y"]`, map[string]int64{"n": 1, "p/y": 3}},
		{"rank too long", rank, "", `["x","y","z","w"]`, true, "", nil},
		{"rank dup", rank, "", `["x","x"]`, true, "", nil},
		{"words fold", words, "", `["Tillid", " tillid ", "Åbenhed!"]`, false, `["tillid","åbenhed"]`, map[string]int64{"n": 1, "w/tillid": 1, "w/åbenhed": 1}},
		{"words four", words, "", `["a","b","c","d"]`, true, "", nil},
		{"words too long", words, "", `["abcdefghijklmnopqrstuvwxyzabcdefghijklmno"]`, true, "", nil}, // 41 letters
		{"words empty word", words, "", `["  "]`, true, "", nil},
		{"comments take no votes", comments, "", `1`, true, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, d, err := ValueOf(tc.a, tc.statement, json.RawMessage(tc.value))
			if tc.wantErr {
				if ErrorCode(err) != EInvalidValue {
					t.Fatalf("want invalid_value, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(v) != tc.wantValue {
				t.Errorf("value %s, want %s", v, tc.wantValue)
			}
			got := map[string]int64{}
			for _, x := range d {
				got[x.Field] += x.N
			}
			if len(got) != len(tc.want) {
				t.Fatalf("contrib %v, want %v", got, tc.want)
			}
			for k, n := range tc.want {
				if got[k] != n {
					t.Errorf("contrib[%s] = %d, want %d", k, got[k], n)
				}
			}
		})
	}
}

func TestResultsFromTally(t *testing.T) {
	a := &Activity{Kind: KindScale, Statements: []string{"s1"}, Min: 1, Max: 5}
	tally := map[string]int64{"s/s1/2": 3, "s/s1/3": 1, "s/s1/5": 2, "s/s1/n": 6,
		"g/lead/s/s1/5": 2, "g/lead/s/s1/n": 2}
	r := ResultsFromTally(a, tally, "")
	sr := r.Statements["s1"]
	if sr.N != 6 || sr.Mean == nil || *sr.Mean != 3.17 || sr.Counts["2"] != 3 || sr.Counts["1"] != 0 {
		t.Fatalf("got %+v mean %v", sr, sr.Mean)
	}
	b, _ := json.Marshal(r)
	want := `{"statements":{"s1":{"counts":{"1":0,"2":3,"3":1,"4":0,"5":2},"n":6,"mean":3.17,"skipped":0}}}`
	if string(b) != want {
		t.Fatalf("json %s\nwant %s", b, want)
	}
	g := ResultsFromTally(a, tally, "g/lead/")
	if g.Statements["s1"].N != 2 || *g.Statements["s1"].Mean != 5 {
		t.Fatalf("group results %+v", g.Statements["s1"])
	}
	empty := ResultsFromTally(a, nil, "")
	b, _ = json.Marshal(empty)
	if string(b) != `{"statements":{"s1":{"counts":{"1":0,"2":0,"3":0,"4":0,"5":0},"n":0,"mean":null,"skipped":0}}}` {
		t.Fatalf("empty json %s", b)
	}
}

func TestVisibleGroups(t *testing.T) {
	sess := &Session{Language: "da", AnonymityThreshold: 5, Groups: []Group{{"a", "A"}, {"b", "B"}, {"c", "C"}, {"d", "D"}}}
	tests := []struct {
		name   string
		total  int64
		counts map[string]int64
		want   map[string]int64 // visible group id → members
	}{
		{"all big", 26, map[string]int64{"a": 5, "b": 9, "c": 5, "d": 7}, map[string]int64{"a": 5, "b": 9, "c": 5, "d": 7}},
		{"four hidden, so is the other by subtraction", 9, map[string]int64{"a": 4, "b": 5}, map[string]int64{}},
		{"four hidden behind people without a group", 10, map[string]int64{"a": 4, "b": 5}, map[string]int64{"b": 5}},
		{"six respondents of one group, four of the other", 10, map[string]int64{"a": 6, "b": 4}, map[string]int64{}},
		{"five of each", 10, map[string]int64{"a": 5, "b": 5}, map[string]int64{"a": 5, "b": 5}},
		{"small ones merged", 10, map[string]int64{"a": 4, "b": 5, "c": 1}, map[string]int64{"b": 5, OtherGroup: 5}},
		{"all small merged", 8, map[string]int64{"a": 2, "b": 2, "c": 2, "d": 2}, map[string]int64{OtherGroup: 8}},
		{"the smaller shown group goes too", 20, map[string]int64{"a": 10, "b": 6, "c": 4}, map[string]int64{"a": 10}},
		{"nobody", 0, map[string]int64{}, map[string]int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := GroupCounts(VisibleGroups(sess, tc.total, tc.counts))
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	views := VisibleGroups(sess, 10, map[string]int64{"a": 4, "b": 5, "c": 1})
	if views[1].Label != "Øvrige" {
		t.Fatalf("merged label %q", views[1].Label)
	}
	merged := GroupTally(map[string]int64{"g/a/n": 4, "g/c/n": 1, "g/b/n": 5, "n": 10}, views[1])
	if merged["n"] != 5 {
		t.Fatalf("merged tally %v", merged)
	}
}

func TestRowGroups(t *testing.T) {
	sess := &Session{AnonymityThreshold: 5, Language: "da",
		Groups: []Group{{ID: "a", Label: "A"}, {ID: "b", Label: "B"}, {ID: "c", Label: "C"}}}
	keys := func(m map[string]GroupView) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = v.ID
		}
		return out
	}
	for _, tc := range []struct {
		total  int64
		counts map[string]int64
		want   map[string]string
	}{
		{20, map[string]int64{"a": 10, "b": 10}, map[string]string{"a": "a", "b": "b"}},
		{14, map[string]int64{"a": 10, "b": 4}, map[string]string{}},                 // b alone behind the blank
		{15, map[string]int64{"a": 10, "b": 4}, map[string]string{"a": "a"}},         // b + 1 ungrouped = 5
		{20, map[string]int64{"a": 10, "b": 6, "c": 4}, map[string]string{"a": "a"}}, // b (smaller) goes blank with c
		{17, map[string]int64{"a": 10, "b": 4, "c": 3}, map[string]string{"a": "a", "b": "other", "c": "other"}},
		{7, map[string]int64{"b": 4, "c": 3}, map[string]string{"b": "other", "c": "other"}},
		{4, map[string]int64{"b": 4}, map[string]string{}},
		{30, map[string]int64{"a": 10, "b": 4, "zombie": 16}, map[string]string{"a": "a"}}, // a group no longer in the session
	} {
		got := keys(RowGroups(sess, tc.total, tc.counts))
		if len(got) != len(tc.want) {
			t.Errorf("RowGroups(%d, %v) = %v, want %v", tc.total, tc.counts, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("RowGroups(%d, %v) = %v, want %v", tc.total, tc.counts, got, tc.want)
			}
		}
	}
}

func TestCheckGroupsAndThreshold(t *testing.T) {
	if _, err := checkGroups([]Group{{Label: "Leder"}, {Label: "Medarbejder"}}); err != nil {
		t.Fatal(err)
	}
	bad := [][]Group{{{Label: ""}}, {{ID: "x", Label: "A"}, {ID: "x", Label: "B"}}, {{ID: "Æ!", Label: "A"}}}
	for _, g := range bad {
		if ErrorCode(func() error { _, err := checkGroups(g); return err }()) != EBadRequest {
			t.Errorf("groups %v accepted", g)
		}
	}
	for _, n := range []int{0, -1, 1001} {
		if _, err := checkThreshold(&n); err == nil {
			t.Errorf("threshold %d accepted", n)
		}
	}
}

func TestActivityJSON(t *testing.T) {
	r := Results{Kind: KindScale, Statements: map[string]StatementResult{}}
	v := ActivityView{Activity: Activity{ID: "a", Kind: KindScale, Statements: []string{"s1"}, Min: 0, Max: 10,
		State: ActivityOpen, Results: ResultsHidden}, Tally: &r}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	if m["min"] != float64(0) || m["max"] != float64(10) || m["tally"] == nil || m["kind"] != "scale" {
		t.Fatalf("scale view json %s", b)
	}
	b, _ = json.Marshal(ActivityView{Activity: Activity{ID: "w", Kind: KindWords, State: ActivityClosed, Results: ResultsHidden}})
	m = nil
	_ = json.Unmarshal(b, &m)
	if _, ok := m["min"]; ok || m["tally"] != nil || m["id"] != "w" {
		t.Fatalf("words view json %s", b)
	}
}

func TestEngineErrKeepsCause(t *testing.T) {
	cause := fmt.Errorf("redis: connection refused: %w", ErrUnavailable)
	err := engineErr(cause)
	if ErrorCode(err) != EUnavailable || !errors.Is(err, ErrUnavailable) || !errors.Is(err, cause) {
		t.Errorf("transport failure: %v (code %s)", err, ErrorCode(err))
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("the cause is lost: %v", err)
	}
	corrupt := errors.New("session document: unexpected end of JSON input")
	err = engineErr(corrupt)
	if ErrorCode(err) != EInternal || !errors.Is(err, corrupt) || strings.Contains(ErrorMessage(err), "JSON") {
		t.Errorf("corrupt document: %v (code %s, message %q)", err, ErrorCode(err), ErrorMessage(err))
	}
	if err := engineErr(ErrNotFound); err != ErrNotFound {
		t.Errorf("a sentinel changes: %v", err)
	}
	if err := engineErr(context.DeadlineExceeded); ErrorCode(err) != EUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
}

// TestDefaultActivitiesUnrated: a section the charter marks unrated (the built-in
// "Baggrund") gets comments but no scale; every other section with statements gets both.
func TestDefaultActivitiesUnrated(t *testing.T) {
	c, ok := charter.BuiltinByID("allerod-ledelsesgrundlag")
	if !ok {
		t.Fatal("no built-in charter")
	}
	acts := DefaultActivities(c, "da")
	kinds := map[string]bool{}
	for _, a := range acts {
		kinds[a.Section+"/"+a.Kind] = true
	}
	if kinds["s1/"+KindScale] || !kinds["s1/"+KindComments] {
		t.Errorf("Baggrund (s1): %v, want comments and no scale", kinds)
	}
	if !kinds["s2/"+KindScale] || !kinds["s11/"+KindScale] || len(acts) != 19 {
		t.Errorf("got %d activities %v, want 19 with scales on s2 … s11", len(acts), kinds)
	}
}

// A scale value read without reflection (plainInt) gets the same answer as the general
// path through encoding/json, for every shape a client can send.
func TestScaleValuePlainInts(t *testing.T) {
	slow := func(raw json.RawMessage, lo, hi int) (int, bool, error) {
		if string(raw) == "null" {
			return 0, false, nil
		}
		var f float64
		isNum := len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
		if err := json.Unmarshal(raw, &f); err != nil || !isNum || f != float64(int(f)) || int(f) < lo || int(f) > hi {
			return 0, false, errors.New("bad")
		}
		return int(f), true, nil
	}
	inputs := []string{"null", "0", "-0", "1", "5", "6", "10", "11", "-1", "01", "007", "1.0", "1.5", "1e0", "2E1",
		" 3", "3 ", "+3", "--3", "-", "", "\"3\"", "true", "[3]", "999999999", "-999999999", "1000000000", "3x"}
	for i := -20; i <= 120; i++ {
		inputs = append(inputs, strconv.Itoa(i))
	}
	for _, in := range inputs {
		for _, r := range [][2]int{{1, 5}, {0, 10}, {1, 7}, {-5, 5}} {
			gv, gok, gerr := scaleValue(json.RawMessage(in), r[0], r[1])
			wv, wok, werr := slow(json.RawMessage(in), r[0], r[1])
			if gv != wv || gok != wok || (gerr == nil) != (werr == nil) {
				t.Fatalf("scaleValue(%q, %d–%d) = %d %v %v; the general path gives %d %v %v", in, r[0], r[1], gv, gok, gerr, wv, wok, werr)
			}
		}
	}
}
