package charter

import (
	"os"
	"path"
	"strings"
	"testing"
)

func TestBuiltinAllerod(t *testing.T) {
	c, ok := BuiltinByID("allerod-ledelsesgrundlag")
	if !ok {
		t.Fatal("built-in allerod-ledelsesgrundlag not found")
	}
	if !c.Builtin || c.Language != "da" || c.Title != "Ledelsesgrundlag for Allerød Kommune" {
		t.Errorf("got builtin=%v language=%q title=%q", c.Builtin, c.Language, c.Title)
	}
	if len(c.Sections) < 9 {
		t.Errorf("got %d sections, want at least 9", len(c.Sections))
	}
	if got := c.StatementCount(); got != 37 {
		t.Errorf("got %d statements, want 37", got)
	}

	wantSections := []struct {
		id, title string
		level, n  int
	}{
		{"s1", "Baggrund", 2, 5},
		{"s2", "Værdigrundlag", 2, 3},
		{"s3", "Gensidige krav og forventninger", 2, 0},
		{"s4", "Som leder i Allerød kan du forvente", 3, 4},
		{"s5", "Til gengæld forventes du som leder at være kendetegnet ved", 3, 3},
		{"s6", "Anbefalinger til god lederadfærd", 2, 2},
		{"s7", "1. Strategisk ledelse", 3, 4},
		{"s8", "2. Personaleledelse", 3, 4},
		{"s9", "3. Faglig ledelse", 3, 4},
		{"s10", "4. Økonomisk ledelse", 3, 4},
		{"s11", "5. Kommunikation", 3, 4},
	}
	if len(c.Sections) != len(wantSections) {
		t.Fatalf("got %d sections, want %d", len(c.Sections), len(wantSections))
	}
	for i, w := range wantSections {
		s := c.Sections[i]
		if s.ID != w.id || s.Title != w.title || s.Level != w.level || len(s.Statements) != w.n {
			t.Errorf("section %d: got %s %q level %d with %d statements, want %s %q level %d with %d",
				i, s.ID, s.Title, s.Level, len(s.Statements), w.id, w.title, w.level, w.n)
		}
	}

	statements := []struct{ id, text string }{
		{"s1-1", "At gøre det klart hvad der forventes af ledere i Allerød Kommune"},
		{"s1-5", "At give medarbejdere et billede af de forventninger man kan have til sin leder."},
		{"s2-1", "Respekt"},
		{"s2-2", "Åbenhed"},
		{"s2-3", "Troværdighed"},
		{"s4-4", "at du bliver evalueret som leder – både for at sikre individuel udvikling og for at udvikle organisationen som helhed"},
		{"s5-1", "at være veluddannet og løbende udvikle dine personlige ledelseskompetencer"},
		{"s7-3", "At vi har en veludviklet retningssans og ved hvor vi skal hen."},
		{"s11-1", "At vi sikrer rammer for dialog både internt og eksternt, og er til rådighed for en løbede dialog med kollegaer og medarbejdere for at sikre nødvendig informationsflow og videndeling i organisationen."},
		{"s11-2", "At medarbejderne kender indholdet af og baggrunden for væsentlige beslutninger, så de kan være trygge og agere handlekraftigt, og dermed være kommunens ’ambassadører’."},
	}
	for _, w := range statements {
		st, sec, ok := c.Statement(w.id)
		if !ok {
			t.Errorf("statement %s not found", w.id)
			continue
		}
		if st.Text != w.text {
			t.Errorf("statement %s: got %q, want %q", w.id, st.Text, w.text)
		}
		if !strings.HasPrefix(w.id, sec.ID+"-") {
			t.Errorf("statement %s: got section %s", w.id, sec.ID)
		}
	}

	bodies := []struct{ section, contains string }{
		{"s1", "organisationsændring"},
		{"s1", "”Central styring, decentral ledelse”"},
		{"s1", "Ledelsesgrundlaget i Allerød Kommune er udarbejdet for:"},
		{"s2", "Dialogen skal være præget af"},
		{"s4", "Som leder i Allerød kan du derfor forvente:"},
		{"s5", "Til gengæld forventes du som leder i Allerød at være kendetegnet ved;"},
		{"s7", "Det betyder for os som ledere:"},
		{"s11", "Det betyder for os som ledere;"},
	}
	for _, w := range bodies {
		s, ok := c.SectionByID(w.section)
		if !ok || !strings.Contains(s.Body, w.contains) {
			t.Errorf("section %s body does not contain %q", w.section, w.contains)
		}
	}

	for _, s := range c.Sections {
		for _, st := range s.Statements {
			if strings.Contains(st.Text, "Side 3") || strings.Contains(st.Text, "•") {
				t.Errorf("statement %s has page furniture: %q", st.ID, st.Text)
			}
		}
		if strings.Contains(s.Body, "Side 3") {
			t.Errorf("section %s body has page furniture", s.ID)
		}
	}
}

// TestBuiltinAllerodWordForWord checks that the built-in charter has the words of the source
// text (testdata holds a copy of shared/charters/allerod-ledelsesgrundlag.txt), in order, with
// only the page furniture, the bullet marks and one hyphenation across a line removed, and
// nothing added but the Markdown, the title and the two subsection headings.
func TestBuiltinAllerodWordForWord(t *testing.T) {
	raw, err := os.ReadFile("testdata/allerod-ledelsesgrundlag.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(raw), "organisations-\n", "organisations", 1)
	var want []string
	for line := range strings.Lines(text) {
		if strings.TrimSpace(line) == "Side 3" {
			continue
		}
		for _, w := range strings.Fields(line) {
			if w != "•" {
				want = append(want, w)
			}
		}
	}

	c, _ := BuiltinByID("allerod-ledelsesgrundlag")
	added := map[string]bool{
		"# Ledelsesgrundlag for Allerød Kommune":                         true,
		"### Som leder i Allerød kan du forvente":                        true,
		"### Til gengæld forventes du som leder at være kendetegnet ved": true,
	}
	_, body, _ := strings.Cut(strings.TrimPrefix(c.Source, "---\n"), "---\n")
	var got []string
	for line := range strings.Lines(body) {
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), " {.unrated}") // a mark, not text
		if added[line] {
			continue
		}
		for _, prefix := range []string{"### ", "## ", "- "} {
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				line = rest
				break
			}
		}
		got = append(got, strings.Fields(line)...)
	}

	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("word %d: got %q, want %q (after %q)", i, got[i], want[i], strings.Join(want[max(0, i-8):i], " "))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d words, want %d", len(got), len(want))
	}
}

func TestBuiltinList(t *testing.T) {
	all := Builtin()
	if len(all) == 0 {
		t.Fatal("no built-in charters")
	}
	names, err := builtinFS.ReadDir("builtin")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(all) {
		t.Errorf("got %d charters from %d files", len(all), len(names))
	}
	for i, c := range all {
		if !c.Builtin || c.Source == "" {
			t.Errorf("%s: builtin=%v, source %d bytes", c.ID, c.Builtin, len(c.Source))
		}
		if i > 0 && all[i-1].ID >= c.ID {
			t.Errorf("not ordered by id: %s before %s", all[i-1].ID, c.ID)
		}
		if got, ok := BuiltinByID(c.ID); !ok || got != c {
			t.Errorf("BuiltinByID(%q) = %v, %v", c.ID, got, ok)
		}
	}
	for _, n := range names {
		id := strings.TrimSuffix(path.Base(n.Name()), ".md")
		if _, ok := BuiltinByID(id); !ok {
			t.Errorf("file %s: no built-in charter with id %q", n.Name(), id)
		}
	}

	all[0] = nil // the caller's slice is its own
	if Builtin()[0] == nil {
		t.Error("Builtin returned a shared slice")
	}
	if _, ok := BuiltinByID("no-such-charter"); ok {
		t.Error("BuiltinByID found a charter that does not exist")
	}
}
