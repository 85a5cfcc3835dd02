package export

import "testing"

func TestAppendXMLText(t *testing.T) {
	for in, want := range map[string]string{
		"Åbenhed & ærlighed":        "Åbenhed &amp; ærlighed",
		"<script>alert(1)</script>": "&lt;script&gt;alert(1)&lt;/script&gt;",
		"a\x00b\x1fc":               "a\uFFFDb\uFFFDc",
		"line\r\nnext\ttab":         "line&#xD;\nnext\ttab",
		"_x0041_ and _x00_":         "_x005F_x0041_ and _x00_",
		"bad \xff utf8":             "bad \uFFFD utf8",
		"\uFFFE":                    "\uFFFD",
		"’ ” – 👍":                   "’ ” – 👍",
	} {
		if got := string(appendXMLText(nil, in)); got != want {
			t.Errorf("appendXMLText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppendColumn(t *testing.T) {
	for c, want := range map[int]string{0: "A", 7: "H", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := string(appendColumn(nil, c)); got != want {
			t.Errorf("appendColumn(%d) = %q, want %q", c, got, want)
		}
	}
}
