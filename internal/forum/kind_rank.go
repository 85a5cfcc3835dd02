package forum

import "encoding/json"

// rankKind: the best K of the items (options or statements), best first. Tally fields
// "p/<item>" (Borda points: K for the first … 1 for the K-th) and "n".
type rankKind struct{ countedKind }

func (rankKind) build(b *kindBuild, a *Activity) error {
	err := b.items(a)
	n := len(a.Options) + len(a.Statements)
	if err == nil && n < 2 {
		err = invalid("statements", "A ranking needs at least two items.")
	}
	a.K = b.in.K
	if a.K == 0 {
		a.K = min(3, n)
	}
	if err == nil && (a.K < 1 || a.K > n || a.K > 10) {
		err = invalid("k", "k must be between 1 and the number of items (at most 10).")
	}
	return err
}

func (rankKind) value(a *Activity, _ string, raw json.RawMessage) (json.RawMessage, []Delta, error) {
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil || len(ids) < 1 || len(ids) > a.K {
		return nil, nil, badValue("The value must be a list of 1 to %d items, best first.", a.K)
	}
	if dupOrUnknown(ids, Items(a)) {
		return nil, nil, badValue("Rank each item at most once, from the activity's items.")
	}
	d := []Delta{{Field: "n", N: 1}}
	for i, id := range ids {
		d = append(d, Delta{Field: "p/" + id, N: int64(a.K - i)})
	}
	out, _ := json.Marshal(ids)
	return out, d, nil
}

func (rankKind) results(a *Activity, get func(string) int64, _ map[string]int64, r *Results) {
	pointResults(a, get, r)
}

// pointResults reads "p/<item>" per item (items with points only) and "n".
func pointResults(a *Activity, get func(string) int64, r *Results) {
	r.Points = map[string]int64{}
	for _, id := range Items(a) {
		if p := get("p/" + id); p != 0 {
			r.Points[id] = p
		}
	}
	r.N = get("n")
}

func (rankKind) marshal(r Results, w withheldJSON) ([]byte, error) { return marshalPoints(r, w) }

func marshalPoints(r Results, w withheldJSON) ([]byte, error) {
	return json.Marshal(struct {
		Points map[string]int64 `json:"points"`
		N      int64            `json:"n"`
		withheldJSON
	}{r.Points, r.N, w})
}

func (rankKind) itemCounts(a *Activity, r Results) []ItemCount { return countsOf(Items(a), r.Points) }
