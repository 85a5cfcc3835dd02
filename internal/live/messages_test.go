package live

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// appendAck writes exactly what json.Marshal writes for the same ackMsg, for ids with
// every kind of character JSON escapes, invalid UTF-8 included.
func TestAppendAck(t *testing.T) {
	ids := []string{"", "v1", `a"b\c`, "<script>&", "tab\tnl\nret\rbs\bff\f\x00\x1f\x7f",
		"æøå ÆØÅ", "line\u2028para\u2029", "bad\xffutf8\xc3", "emoji 🙂", "\xed\xa0\x80"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		ids = append(ids, string(b))
	}
	for _, id := range ids {
		for _, v := range []int64{0, 1, -3, 1 << 40} {
			for _, cid := range []string{"", "c-" + id} {
				want, err := json.Marshal(ackMsg{Type: "ack", ID: id, Version: v, CommentID: cid})
				if err != nil {
					t.Fatal(err)
				}
				got := appendAck(nil, id, v, cid)
				if string(got) != string(want) {
					t.Fatalf("appendAck(%q, %d, %q)\n got %s\nwant %s", id, v, cid, got, want)
				}
				if !utf8.Valid(got) || !json.Valid(got) {
					t.Fatalf("appendAck(%q) is not valid JSON: %s", id, got)
				}
			}
		}
	}
}
