package forum

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Axis is one of a gap rating's two questions, with its own prompt, range and labels.
type Axis struct {
	ID     string   `json:"id"`
	Prompt string   `json:"prompt"`
	Min    int      `json:"min"`
	Max    int      `json:"max"`
	Labels []string `json:"labels,omitempty"`
}

// The default axes of a gap rating.
const (
	AxisToday  = "today"
	AxisWanted = "wanted"
)

var gapPrompt = map[string]string{
	"da": "I dag / ønsket: hvor står vi, og hvor vil vi hen?",
	"en": "Today / wanted: where are we, and where do we want to be?",
}

var axisPrompts = map[string][2]string{
	"da": {"Hvor godt lever vi det i dag?", "Hvor vigtigt er det for os?"},
	"en": {"How well do we live it today?", "How important is it to us?"},
}

// gapKind ("I dag / Ønsket"): each statement rated on two axes (by default how well we live
// it today, and how important it is: the wanted level); the gap is wanted − today, per
// person. A vote is {"today":3,"wanted":5}; an axis may be null ("ved ikke"). Tally fields
// "a/<axis>/<statement>/<value>", "a/<axis>/<statement>/skip", "s/<statement>/n" (answers)
// and "d/<statement>/<own gap>" (answers with both axes); a round-2 vote adds the shift
// fields of the own gap.
type gapKind struct{ perStatementKind }

func (gapKind) ranged() bool   { return false }
func (gapKind) layout() string { return LayoutGap }

func (gapKind) build(b *kindBuild, a *Activity) (err error) {
	lang := b.sess.Language
	if _, ok := axisPrompts[lang]; !ok {
		lang = "da"
	}
	a.Axes = slices.Clone(b.in.Axes) // filled in below: never the caller's
	if len(a.Axes) == 0 {
		p := axisPrompts[lang]
		a.Axes = []Axis{{ID: AxisToday, Prompt: p[0]}, {ID: AxisWanted, Prompt: p[1]}}
	}
	if len(a.Axes) != 2 {
		return invalid("axes", "A gap rating has two axes: today and wanted.")
	}
	ids := [2]string{AxisToday, AxisWanted}
	for i := range a.Axes {
		x := &a.Axes[i]
		if x.ID == "" {
			x.ID = ids[i]
		}
		if x.ID != ids[i] {
			return invalid("axes", "The axes are \"today\" and \"wanted\", in that order.")
		}
		x.Prompt = strings.TrimSpace(x.Prompt)
		if x.Prompt == "" {
			x.Prompt = axisPrompts[lang][i]
		}
		if utf8.RuneCountInString(x.Prompt) > MaxPromptRunes {
			return invalid("axes", "An axis prompt may be at most %d characters.", MaxPromptRunes)
		}
		if x.Min == 0 && x.Max == 0 {
			x.Min, x.Max = 1, 5
		}
		if x.Min < 0 || x.Max > 10 || x.Max <= x.Min {
			return invalid("axes", "An axis runs from min to max within 0–10, with max above min.")
		}
		if len(x.Labels) == 0 && x.Min == 1 && x.Max == 5 {
			x.Labels = append([]string(nil), scaleLabels[lang]...)
		}
		if len(x.Labels) != 0 && len(x.Labels) != x.Max-x.Min+1 {
			return invalid("axes", "Give one label per axis value, or none.")
		}
	}
	if a.Axes[0].Min != a.Axes[1].Min || a.Axes[0].Max != a.Axes[1].Max {
		return invalid("axes", "Both axes need the same range, so that the gap between them means something.")
	}
	if a.Prompt == "" {
		a.Prompt = gapPrompt[lang]
	}
	a.Statements, err = b.statementsOrSection()
	return err
}

func (gapKind) value(a *Activity, statement string, raw json.RawMessage) (json.RawMessage, []Delta, error) {
	if !contains(a.Statements, statement) {
		return nil, nil, badValue("Name one of the activity's statements (\"statement\").")
	}
	x := a.Axes
	bad := badValue("The value must be {\"today\":…,\"wanted\":…}, each a whole number from %d to %d or null (don't know).", x[0].Min, x[0].Max)
	var in map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &in) != nil {
		return nil, nil, bad
	}
	for k := range in {
		if k != x[0].ID && k != x[1].ID {
			return nil, nil, bad
		}
	}
	var vals [2]*int
	d := []Delta{{Field: "s/" + statement + "/n", N: 1}}
	for i, ax := range x {
		r, ok := in[ax.ID]
		if !ok {
			r = json.RawMessage("null")
		}
		v, given, err := scaleValue(r, ax.Min, ax.Max)
		if err != nil {
			return nil, nil, bad
		}
		f := "a/" + ax.ID + "/" + statement + "/"
		if given {
			vals[i] = &v
			d = append(d, Delta{Field: f + strconv.Itoa(v), N: 1})
		} else {
			d = append(d, Delta{Field: f + "skip", N: 1})
		}
	}
	if vals[0] != nil && vals[1] != nil {
		d = append(d, Delta{Field: "d/" + statement + "/" + strconv.Itoa(*vals[1]-*vals[0]), N: 1})
	}
	out, _ := json.Marshal(map[string]*int{x[0].ID: vals[0], x[1].ID: vals[1]})
	return out, d, nil
}

func (gapKind) results(a *Activity, get func(string) int64, _ map[string]int64, r *Results) {
	r.Statements = make(map[string]StatementResult, len(a.Statements))
	span := a.Axes[0].Max - a.Axes[0].Min
	for _, st := range a.Statements {
		sr := StatementResult{N: get("s/" + st + "/n"), GapCounts: map[string]int64{}}
		var ax [2]StatementResult
		for i, x := range a.Axes {
			f := "a/" + x.ID + "/" + st + "/"
			ax[i] = scaleStat(get, x.Min, x.Max, func(v string) string { return f + v }, f+"skip")
		}
		sr.Today, sr.Wanted = &ax[0], &ax[1]
		var n, sum int64
		for g := -span; g <= span; g++ {
			c := get("d/" + st + "/" + strconv.Itoa(g))
			if c != 0 {
				sr.GapCounts[strconv.Itoa(g)] = c
			}
			n += c
			sum += c * int64(g)
		}
		if n > 0 {
			m := Round2(float64(sum) / float64(n))
			sr.Gap = &m
		}
		sr.Shift = shiftOf(get, st)
		r.Statements[st] = sr
	}
}

func (gapKind) respondents(_ *Activity, get func(string) int64, st string) int64 {
	return get("s/" + st + "/n")
}

func (gapKind) marshal(r Results, w withheldJSON) ([]byte, error) { return scaleKind{}.marshal(r, w) }

// shiftValue: a gap vote's shift is measured on the own gap (both axes given).
func (gapKind) shiftValue(raw json.RawMessage) (int, bool) {
	var v map[string]*int
	if json.Unmarshal(raw, &v) != nil || v[AxisToday] == nil || v[AxisWanted] == nil {
		return 0, false
	}
	return *v[AxisWanted] - *v[AxisToday], true
}

// OwnGap is a gap rating vote's own gap (wanted − today); ok is false for a vote of another
// kind or one with an axis left at "ved ikke".
func OwnGap(a *Activity, value json.RawMessage) (int, bool) {
	if a.Layout() != LayoutGap {
		return 0, false
	}
	return gapKind{}.shiftValue(value)
}
