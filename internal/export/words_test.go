package export

import (
	"maps"
	"slices"
	"testing"
)

// The exports' words are two tables of the same keys, one per language: a key missing
// from one would print nothing in that language's exports.
func TestWordsHaveEveryKeyInEveryLanguage(t *testing.T) {
	da := slices.Sorted(maps.Keys(words["da"]))
	for lang, w := range words {
		if got := slices.Sorted(maps.Keys(w)); !slices.Equal(got, da) {
			t.Errorf("%s has the keys %v, da has %v", lang, got, da)
		}
		for k, v := range w {
			if v == "" {
				t.Errorf("%s: %q is empty", lang, k)
			}
		}
	}
}
