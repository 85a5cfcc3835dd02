package forum

import "encoding/json"

// choiceKind: pick 1 to MaxChoices of the options. Tally fields "o/<option>" and "n".
type choiceKind struct{ countedKind }

func (choiceKind) build(b *kindBuild, a *Activity) (err error) {
	a.Options, err = b.options(2)
	a.MaxChoices = b.in.MaxChoices
	if a.MaxChoices == 0 {
		a.MaxChoices = 1
	}
	if err == nil && (a.MaxChoices < 1 || a.MaxChoices > len(a.Options)) {
		err = invalid("max_choices", "max_choices must be between 1 and the number of options.")
	}
	return err
}

func (choiceKind) value(a *Activity, _ string, raw json.RawMessage) (json.RawMessage, []Delta, error) {
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil || len(ids) < 1 || len(ids) > a.MaxChoices {
		return nil, nil, badValue("The value must be a list of 1 to %d option ids.", a.MaxChoices)
	}
	if dupOrUnknown(ids, optionIDs(a)) {
		return nil, nil, badValue("Choose each option at most once, from the activity's options.")
	}
	d := []Delta{{Field: "n", N: 1}}
	for _, id := range ids {
		d = append(d, Delta{Field: "o/" + id, N: 1})
	}
	out, _ := json.Marshal(ids)
	return out, d, nil
}

func (choiceKind) results(a *Activity, get func(string) int64, _ map[string]int64, r *Results) {
	r.Options = map[string]int64{}
	for _, o := range a.Options {
		r.Options[o.ID] = get("o/" + o.ID)
	}
	r.N = get("n")
}

func (choiceKind) marshal(r Results, w withheldJSON) ([]byte, error) {
	return json.Marshal(struct {
		Options map[string]int64 `json:"options"`
		N       int64            `json:"n"`
		withheldJSON
	}{r.Options, r.N, w})
}

func (choiceKind) itemCounts(a *Activity, r Results) []ItemCount {
	return countsOf(optionIDs(a), r.Options)
}
