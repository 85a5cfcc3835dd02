package forum

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// wordsKind: one to MaxWords words, normalised. Tally fields "w/<word>" and "n".
type wordsKind struct{ countedKind }

func (wordsKind) build(*kindBuild, *Activity) error { return nil }

func (wordsKind) value(_ *Activity, _ string, raw json.RawMessage) (json.RawMessage, []Delta, error) {
	var words []string
	if err := json.Unmarshal(raw, &words); err != nil || len(words) < 1 || len(words) > MaxWords {
		return nil, nil, badValue("The value must be a list of 1 to %d words.", MaxWords)
	}
	seen := map[string]bool{}
	var norm []string
	for _, w := range words {
		w = NormalizeWord(w)
		if w == "" || utf8.RuneCountInString(w) > MaxWordRunes {
			return nil, nil, badValue("Each word must have 1 to %d letters.", MaxWordRunes)
		}
		if !seen[w] {
			seen[w] = true
			norm = append(norm, w)
		}
	}
	d := []Delta{{Field: "n", N: 1}}
	for _, w := range norm {
		d = append(d, Delta{Field: "w/" + w, N: 1})
	}
	out, _ := json.Marshal(norm)
	return out, d, nil
}

func (wordsKind) results(_ *Activity, get func(string) int64, fields map[string]int64, r *Results) {
	r.Words = map[string]int64{}
	for f, c := range fields {
		if w, ok := strings.CutPrefix(f, "w/"); ok && c > 0 {
			r.Words[w] = c
		}
	}
	r.N = get("n")
}

func (wordsKind) marshal(r Results, w withheldJSON) ([]byte, error) {
	return json.Marshal(struct {
		Words map[string]int64 `json:"words"`
		N     int64            `json:"n"`
		withheldJSON
	}{r.Words, r.N, w})
}

func (wordsKind) itemCounts(_ *Activity, r Results) []ItemCount {
	ws := make([]string, 0, len(r.Words))
	for w := range r.Words {
		ws = append(ws, w)
	}
	slices.Sort(ws)
	return countsOf(ws, r.Words)
}
