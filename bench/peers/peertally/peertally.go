// Package peertally is the reference peers' in-memory vote tally: a participant's last
// vote per activity and statement, counted the way Pejl reports results, with no
// durability and no rules. Both peers use it, so that they differ only in transport.
package peertally

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
)

// Tally counts votes in memory.
type Tally struct {
	mu    sync.Mutex
	last  map[string]string                      // participant \x00 activity \x00 statement → value
	acts  map[string]map[string]map[string]int64 // activity → statement → value → count
	n     map[string]map[string]int64            // activity → statement → n
	dirty map[string]bool
}

// New makes an empty Tally.
func New() *Tally {
	return &Tally{last: map[string]string{}, acts: map[string]map[string]map[string]int64{},
		n: map[string]map[string]int64{}, dirty: map[string]bool{}}
}

// Vote records a participant's vote, replacing the earlier one.
func (t *Tally) Vote(participant, activity, statement string, value json.RawMessage) {
	val := string(bytes.TrimSpace(value))
	var words []string
	if strings.HasPrefix(val, "[") && json.Unmarshal(value, &words) == nil && len(words) > 0 {
		val = "w:" + words[0]
	}
	key := participant + "\x00" + activity + "\x00" + statement
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.acts[activity] == nil {
		t.acts[activity] = map[string]map[string]int64{}
		t.n[activity] = map[string]int64{}
	}
	if t.acts[activity][statement] == nil {
		t.acts[activity][statement] = map[string]int64{}
	}
	counts := t.acts[activity][statement]
	if old, ok := t.last[key]; ok {
		counts[old]--
	} else {
		t.n[activity][statement]++
	}
	counts[val]++
	t.last[key] = val
	t.dirty[activity] = true
}

func (t *Tally) results(activity string) map[string]any {
	st := map[string]any{}
	words := map[string]int64{}
	var n int64
	for s, counts := range t.acts[activity] {
		c := map[string]int64{}
		for v, k := range counts {
			if k == 0 {
				continue
			}
			if w, ok := strings.CutPrefix(v, "w:"); ok {
				words[w] += k
			} else {
				c[v] = k
			}
		}
		st[s] = map[string]any{"counts": c, "n": t.n[activity][s]}
		n += t.n[activity][s]
	}
	return map[string]any{"statements": st, "words": words, "n": n}
}

// Changed returns a tally message for every activity that changed since the last call.
func (t *Tally) Changed() [][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out [][]byte
	for a := range t.dirty {
		b, err := json.Marshal(map[string]any{"type": "tally", "activity": a, "results": t.results(a)})
		if err == nil {
			out = append(out, b)
		}
		delete(t.dirty, a)
	}
	return out
}

// View returns every activity with its results, as JSON.
func (t *Tally) View() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	var acts []map[string]any
	for a := range t.acts {
		acts = append(acts, map[string]any{"id": a, "tally": t.results(a)})
	}
	b, _ := json.Marshal(map[string]any{"activities": acts})
	return b
}
