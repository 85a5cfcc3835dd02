package forum

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// DefaultBudget is what a points activity shares out unless it says otherwise.
const DefaultBudget = 100

// pointsKind: "Fordel 100 point" — a budget shared out over the items (options or
// statements), each share a whole number ≥ 0, the sum at most the budget. Tally fields
// "p/<item>" (points given) and "n" (voters).
type pointsKind struct{ countedKind }

func (pointsKind) build(b *kindBuild, a *Activity) error {
	err := b.items(a)
	if err == nil && len(a.Options)+len(a.Statements) < 2 {
		err = invalid("statements", "Points are shared over at least two items.")
	}
	a.Budget = b.in.Budget
	if a.Budget == 0 {
		a.Budget = DefaultBudget
	}
	if err == nil && (a.Budget < 1 || a.Budget > 1000) {
		err = invalid("budget", "The budget must be between 1 and 1000 points.")
	}
	return err
}

func (pointsKind) value(a *Activity, _ string, raw json.RawMessage) (json.RawMessage, []Delta, error) {
	items := Items(a)
	bad := badValue("The value must give each item 0 to %d whole points, %d in all at most: {\"<item>\":40,…}.", a.Budget, a.Budget)
	var in map[string]json.RawMessage
	if raw[0] != '{' || json.Unmarshal(raw, &in) != nil {
		return nil, nil, bad
	}
	// The object's keys in order, so that the normal form lists items as the activity does.
	norm := map[string]int{}
	sum := 0
	for k, v := range in {
		if !contains(items, k) {
			return nil, nil, badValue("There is no item %q in this activity.", k)
		}
		v = bytes.TrimSpace(v)
		n, err := strconv.Atoi(string(v))
		if err != nil || n < 0 || n > a.Budget {
			return nil, nil, bad
		}
		norm[k] = n
		sum += n
	}
	if sum > a.Budget {
		return nil, nil, badValue("The points add up to %d; at most %d may be given.", sum, a.Budget)
	}
	if sum == 0 {
		return nil, nil, badValue("Give at least one point.")
	}
	d := []Delta{{Field: "n", N: 1}}
	var out bytes.Buffer
	out.WriteByte('{')
	for _, id := range items {
		n, ok := norm[id]
		if !ok || n == 0 {
			continue
		}
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		k, _ := json.Marshal(id)
		out.Write(k)
		out.WriteByte(':')
		out.WriteString(strconv.Itoa(n))
		d = append(d, Delta{Field: "p/" + id, N: int64(n)})
	}
	out.WriteByte('}')
	return out.Bytes(), d, nil
}

func (pointsKind) results(a *Activity, get func(string) int64, _ map[string]int64, r *Results) {
	pointResults(a, get, r)
}

func (pointsKind) marshal(r Results, w withheldJSON) ([]byte, error) { return marshalPoints(r, w) }

func (pointsKind) itemCounts(a *Activity, r Results) []ItemCount { return countsOf(Items(a), r.Points) }
