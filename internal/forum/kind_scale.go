package forum

import (
	"encoding/json"
	"strconv"
)

// scaleKind: each statement rated on a scale from Min to Max (0–10); a null value is
// "ved ikke" (don't know), counted as skipped and left out of n and the mean. Tally fields
// "s/<statement>/<value>", "s/<statement>/n" and "s/<statement>/skip"; a round-2 vote adds
// the shift fields (see shiftDeltas).
type scaleKind struct{ perStatementKind }

func (scaleKind) ranged() bool   { return true }
func (scaleKind) layout() string { return LayoutScale }

func (scaleKind) build(b *kindBuild, a *Activity) (err error) {
	a.Min, a.Max = b.in.Min, b.in.Max
	if a.Min == 0 && a.Max == 0 {
		a.Min, a.Max = 1, 5
	}
	if a.Min < 0 || a.Max > 10 || a.Max <= a.Min {
		return invalid("max", "A scale runs from min to max within 0–10, with max above min.")
	}
	a.Labels = b.in.Labels
	if len(a.Labels) == 0 && a.Min == 1 && a.Max == 5 {
		a.Labels = append([]string(nil), scaleLabels[b.sess.Language]...)
	}
	if len(a.Labels) != 0 && len(a.Labels) != a.Max-a.Min+1 {
		return invalid("labels", "Give one label per scale value, or none.")
	}
	if a.Prompt == "" {
		a.Prompt = scalePrompt[b.sess.Language]
	}
	a.Statements, err = b.statementsOrSection()
	return err
}

// scaleValue reads one value of a min–max scale: a whole number in range, or null (ok
// false: ved ikke).
func scaleValue(raw json.RawMessage, lo, hi int) (v int, ok bool, err error) {
	if string(raw) == "null" {
		return 0, false, nil
	}
	if n, plain := plainInt(raw); plain {
		// The value phones send: a whole number, read without reflection (the slow path
		// below gives the same answer for it; TestScaleValuePlainInts).
		if n < lo || n > hi {
			return 0, false, badValue("The value must be a whole number from %d to %d, or null (don't know).", lo, hi)
		}
		return n, true, nil
	}
	var f float64
	isNum := len(raw) > 0 && (raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'))
	if err := json.Unmarshal(raw, &f); err != nil || !isNum || f != float64(int(f)) || int(f) < lo || int(f) > hi {
		return 0, false, badValue("The value must be a whole number from %d to %d, or null (don't know).", lo, hi)
	}
	return int(f), true, nil
}

// plainInt reads a JSON integer of at most 9 digits (an optional minus, no leading zero,
// no fraction or exponent); plain is false for anything else.
func plainInt(raw []byte) (n int, plain bool) {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 9 || (len(digits) > 1 && digits[0] == '0') {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if len(raw) > len(digits) {
		n = -n
	}
	return n, true
}

func (scaleKind) value(a *Activity, statement string, raw json.RawMessage) (json.RawMessage, []Delta, error) {
	if !contains(a.Statements, statement) {
		return nil, nil, badValue("Name one of the activity's statements (\"statement\").")
	}
	v, ok, err := scaleValue(raw, a.Min, a.Max)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return json.RawMessage("null"), []Delta{{Field: "s/" + statement + "/skip", N: 1}}, nil
	}
	return json.RawMessage(strconv.Itoa(v)), []Delta{
		{Field: "s/" + statement + "/" + strconv.Itoa(v), N: 1},
		{Field: "s/" + statement + "/n", N: 1},
	}, nil
}

// scaleStat reads one distribution from lo to hi: field(v) names the count of value v,
// skip the count of "ved ikke".
func scaleStat(get func(string) int64, lo, hi int, field func(string) string, skip string) StatementResult {
	sr := StatementResult{Counts: map[string]int64{}, Skipped: get(skip)}
	var sum int64
	for v := lo; v <= hi; v++ {
		c := get(field(strconv.Itoa(v)))
		sr.Counts[strconv.Itoa(v)] = c
		sr.N += c
		sum += c * int64(v)
	}
	if sr.N > 0 {
		m := Round2(float64(sum) / float64(sr.N))
		sr.Mean = &m
	}
	return sr
}

func (scaleKind) results(a *Activity, get func(string) int64, _ map[string]int64, r *Results) {
	r.Statements = make(map[string]StatementResult, len(a.Statements))
	for _, st := range a.Statements {
		sr := scaleStat(get, a.Min, a.Max, func(v string) string { return "s/" + st + "/" + v }, "s/"+st+"/skip")
		sr.Shift = shiftOf(get, st)
		r.Statements[st] = sr
	}
}

func (scaleKind) respondents(a *Activity, get func(string) int64, st string) int64 {
	n := get("s/" + st + "/skip")
	for v := a.Min; v <= a.Max; v++ {
		n += get("s/" + st + "/" + strconv.Itoa(v))
	}
	return n
}

func (scaleKind) marshal(r Results, w withheldJSON) ([]byte, error) {
	return json.Marshal(struct {
		Statements map[string]StatementResult `json:"statements"`
		withheldJSON
	}{r.Statements, w})
}

// shiftValue is what a per-statement vote's shift is measured on: the scale value, or
// for a gap rating the person's own gap; ok is false for "ved ikke".
func (scaleKind) shiftValue(raw json.RawMessage) (int, bool) {
	var v *int
	if json.Unmarshal(raw, &v) != nil || v == nil {
		return 0, false
	}
	return *v, true
}
