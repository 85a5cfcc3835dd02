package charter

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

const teamCharter = `---
id: team-charter
language: en
owner: "someone: else"
---
# Team charter

We work *together*.
Second line of the [intro](https://example.org).

- an intro bullet
- another

## Purpose

Why we exist.

- We ship small changes
  every day.
- We review each
other's work.
  - even on Fridays
* Star bullet
+ Plus bullet
• Dot bullet
 - One-space bullet

After the list.

1. ordered one
2. ordered two

### Details

#### Not a section

- Only one

  Indented paragraph of the same statement.

## Empty

## Code ##

` + "```" + `
# not a title
- not a statement
` + "```" + `
`

func TestParse(t *testing.T) {
	c, err := Parse([]byte(teamCharter))
	if err != nil {
		t.Fatal(err)
	}
	want := &Charter{
		ID:       "team-charter",
		Title:    "Team charter",
		Language: "en",
		Intro:    "We work *together*. Second line of the [intro](https://example.org).\n\n- an intro bullet\n- another",
		Source:   teamCharter,
		Sections: []Section{
			{ID: "s1", Title: "Purpose", Level: 2,
				Body: "Why we exist.\n\nAfter the list.\n\n1. ordered one\n2. ordered two",
				Statements: []Statement{
					{"s1-1", "We ship small changes every day."},
					{"s1-2", "We review each other's work. - even on Fridays"},
					{"s1-3", "Star bullet"},
					{"s1-4", "Plus bullet"},
					{"s1-5", "Dot bullet"},
					{"s1-6", "One-space bullet"},
				}},
			{ID: "s2", Title: "Details", Level: 3,
				Body:       "#### Not a section",
				Statements: []Statement{{"s2-1", "Only one Indented paragraph of the same statement."}}},
			{ID: "s3", Title: "Empty", Level: 2, Statements: []Statement{}},
			{ID: "s4", Title: "Code", Level: 2,
				Body:       "```\n# not a title\n- not a statement\n```",
				Statements: []Statement{}},
		},
	}
	for i := range c.Sections { // heading lines, in order; compared apart
		if c.Sections[i].Line < 1 || (i > 0 && c.Sections[i].Line <= c.Sections[i-1].Line) {
			t.Errorf("section %d at line %d", i, c.Sections[i].Line)
		}
		c.Sections[i].Line = 0
	}
	if !reflect.DeepEqual(c, want) {
		got, _ := json.MarshalIndent(c, "", "  ")
		exp, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("got\n%s\nwant\n%s", got, exp)
	}
	if c.StatementCount() != 7 {
		t.Errorf("StatementCount() = %d, want 7", c.StatementCount())
	}
}

func TestParseShapes(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, c *Charter)
	}{
		{"default id and language", "# T\n", func(t *testing.T, c *Charter) {
			sum := sha256.Sum256([]byte("# T\n"))
			if want := "c-" + hex.EncodeToString(sum[:])[:12]; c.ID != want {
				t.Errorf("id %q, want %q", c.ID, want)
			}
			if c.Language != "da" || c.Title != "T" || c.Intro != "" || c.Sections == nil || len(c.Sections) != 0 {
				t.Errorf("got %+v", c)
			}
		}},
		{"front matter quoted, commented, unknown keys", "---\nid: 'a-1'\nlanguage: \"en\" \ntitle: ignored\n\nx: y # z\n---\n# T\n", func(t *testing.T, c *Charter) {
			if c.ID != "a-1" || c.Language != "en" || c.Title != "T" {
				t.Errorf("got id %q language %q title %q", c.ID, c.Language, c.Title)
			}
		}},
		{"CRLF", "---\r\nid: crlf\r\n---\r\n# T\r\n\r\nIntro\r\nmore\r\n\r\n## S\r\n- one\r\n  two\r\n- three\r\n", func(t *testing.T, c *Charter) {
			if c.ID != "crlf" || c.Intro != "Intro more" || len(c.Sections) != 1 ||
				!reflect.DeepEqual(c.Sections[0].Statements, []Statement{{"s1-1", "one two"}, {"s1-2", "three"}}) {
				t.Errorf("got %+v", c)
			}
		}},
		{"CR only", "# T\r## S\r- one\r", func(t *testing.T, c *Charter) {
			if c.StatementCount() != 1 || c.Sections[0].Statements[0].Text != "one" {
				t.Errorf("got %+v", c)
			}
		}},
		{"BOM", "\uFEFF---\nid: bom\n---\n# T\n## S\n", func(t *testing.T, c *Charter) {
			if c.ID != "bom" || c.Title != "T" || len(c.Sections) != 1 {
				t.Errorf("got %+v", c)
			}
		}},
		{"closing hashes and indent", "  # T #\n   ## S ##\n### C#\n", func(t *testing.T, c *Charter) {
			if c.Title != "T" || c.Sections[0].Title != "S" || c.Sections[1].Title != "C#" {
				t.Errorf("got %+v", c)
			}
		}},
		{"no space after hash is text", "# T\n## S\n#hashtag\n", func(t *testing.T, c *Charter) {
			if len(c.Sections) != 1 || c.Sections[0].Body != "#hashtag" {
				t.Errorf("got %+v", c)
			}
		}},
		{"indented list", "# T\n## S\n   - a\n    - b\n   - c\n", func(t *testing.T, c *Charter) {
			want := []Statement{{"s1-1", "a"}, {"s1-2", "b"}, {"s1-3", "c"}}
			if !reflect.DeepEqual(c.Sections[0].Statements, want) {
				t.Errorf("got %+v", c.Sections[0].Statements)
			}
		}},
		{"deeply nested", "# T\n## S\n- a\n  - b\n    - c\n\tmore\n- d\n", func(t *testing.T, c *Charter) {
			want := []Statement{{"s1-1", "a - b - c more"}, {"s1-2", "d"}}
			if !reflect.DeepEqual(c.Sections[0].Statements, want) {
				t.Errorf("got %+v", c.Sections[0].Statements)
			}
		}},
		{"text after blank ends statement", "# T\n## S\n- a\n\nbody\n  indented body\n", func(t *testing.T, c *Charter) {
			s := c.Sections[0]
			if !reflect.DeepEqual(s.Statements, []Statement{{"s1-1", "a"}}) || s.Body != "body indented body" {
				t.Errorf("got %+v", s)
			}
		}},
		{"not bullets", "# T\n## S\n-no space\n**bold**\n---\n* * *\n-\n", func(t *testing.T, c *Charter) {
			s := c.Sections[0]
			if len(s.Statements) != 0 || s.Body != "-no space **bold**\n\n-" {
				t.Errorf("got %+v", s)
			}
		}},
		{"empty bullet dropped", "# T\n## S\n- \n- a\n", func(t *testing.T, c *Charter) {
			if !reflect.DeepEqual(c.Sections[0].Statements, []Statement{{"s1-1", "a"}}) {
				t.Errorf("got %+v", c.Sections[0].Statements)
			}
		}},
		{"text before title is intro", "Preface\n# T\nIntro\n", func(t *testing.T, c *Charter) {
			if c.Intro != "Preface\n\nIntro" {
				t.Errorf("intro %q", c.Intro)
			}
		}},
		{"statement of exactly 500 characters", "# T\n## S\n- " + strings.Repeat("æ", 500) + "\n", func(t *testing.T, c *Charter) {
			if c.StatementCount() != 1 {
				t.Errorf("got %d statements", c.StatementCount())
			}
		}},
		{"200 sections and 1000 statements", "# T\n" + strings.Repeat("## S\n"+strings.Repeat("- x\n", 5), 200), func(t *testing.T, c *Charter) {
			if len(c.Sections) != 200 || c.StatementCount() != 1000 || c.Sections[199].Statements[4].ID != "s200-5" {
				t.Errorf("got %d sections, %d statements", len(c.Sections), c.StatementCount())
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestParseProblems(t *testing.T) {
	type want struct {
		Line    int
		Message string
	}
	tests := []struct {
		name string
		src  string
		want []want // a substring of the reported message, at its line
	}{
		{"empty", "", []want{{1, "empty"}}},
		{"only whitespace", " \n\r\n\t\n", []want{{1, "empty"}}},
		{"only BOM", "\uFEFF", []want{{1, "empty"}}},
		{"no title", "Intro\n## S\n- a\n", []want{{1, "no title"}}},
		{"empty title", "#\n## S\n", []want{{1, "title is empty"}}},
		{"two titles", "# A\n\n## S\n# B\n", []want{{4, "second title"}}},
		{"empty section title", "# A\n## S\n###\n## ##\n", []want{{3, "empty section title"}, {4, "empty section title"}}},
		{"statement too long", "# A\n## S\n- " + strings.Repeat("ø", 400) + "\n  " + strings.Repeat("ø", 100) + "\n", []want{{3, "501 characters"}}},
		{"too many sections", "# A\n" + strings.Repeat("## S\n", 205), []want{{202, "more than 200 sections"}}},
		{"too many statements", "# A\n## S\n" + strings.Repeat("- x\n", 1001), []want{{1003, "more than 1000 statements"}}},
		{"front matter line", "---\nid: ok\nnot a pair\n  indented: no\n---\n# A\n", []want{{3, "invalid front matter"}, {4, "invalid front matter"}}},
		{"front matter id", "---\nid: Not_OK\n---\n# A\n", []want{{2, "invalid front matter: id"}}},
		{"front matter long id", "---\nid: " + strings.Repeat("a", 65) + "\n---\n# A\n", []want{{2, "invalid front matter: id"}}},
		{"front matter empty id", "---\nid:\n---\n# A\n", []want{{2, "invalid front matter: id"}}},
		{"front matter language", "---\nlanguage: DA\n---\n# A\n", []want{{2, "invalid front matter: language"}}},
		{"front matter quote", "---\nid: \"abc\n---\n# A\n", []want{{2, "invalid front matter"}}},
		{"front matter not closed", "---\nid: a\n\n# A\n", []want{{1, "invalid front matter"}}},
		{"not UTF-8", "# A\n## S\n- caf\xe9\n- \xff\n", []want{{3, "not UTF-8"}}},
		{"not UTF-8 after CRLF and BOM", "\uFEFF# A\r\n\r\nx\xc3\r\n", []want{{3, "not UTF-8"}}},
		{"too large", "# A\n" + strings.Repeat("x", MaxSize), []want{{1, "bytes"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.src))
			if c != nil {
				t.Errorf("got a charter with an error")
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("got error %v, want a *ParseError", err)
			}
			if len(pe.Problems) != len(tt.want) {
				t.Fatalf("got problems %+v, want %+v", pe.Problems, tt.want)
			}
			for i, w := range tt.want {
				g := pe.Problems[i]
				if g.Line != w.Line || !strings.Contains(g.Message, w.Message) {
					t.Errorf("problem %d: got line %d %q, want line %d containing %q", i, g.Line, g.Message, w.Line, w.Message)
				}
				if g.Danish == "" || g.Danish == g.Message {
					t.Errorf("problem %d: no Danish message (got %q)", i, g.Danish)
				}
			}
		})
	}
}

func TestParseManyProblems(t *testing.T) {
	src := "---\nid: BAD\nlanguage: dansk\n---\nIntro\n## S\n- " + strings.Repeat("a", 501) +
		"\n##\n# A\n# B\n### T\n- ok\n- \xff\n"
	_, err := Parse([]byte(src))
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v", err)
	}
	var got []int
	for _, p := range pe.Problems {
		got = append(got, p.Line)
	}
	if want := []int{2, 3, 7, 8, 10, 13}; !reflect.DeepEqual(got, want) {
		t.Errorf("got problems on lines %v, want %v: %+v", got, want, pe.Problems)
	}
	if msg := pe.Error(); !strings.Contains(msg, "6 problems") || !strings.Contains(msg, "line 2") {
		t.Errorf("Error() = %q", msg)
	}

	// Every empty section title is a problem (500, plus one for more than 200 sections); the
	// list is capped, its last entry saying how many more there are.
	_, err = Parse([]byte("# A\n" + strings.Repeat("##\n", 500)))
	if !errors.As(err, &pe) {
		t.Fatalf("got %v", err)
	}
	if n := len(pe.Problems); n != maxProblems {
		t.Fatalf("got %d problems, want %d", n, maxProblems)
	}
	last := pe.Problems[maxProblems-1]
	if last.Line != maxProblems+1 || !strings.Contains(last.Message, fmt.Sprint(501-(maxProblems-1), " more")) {
		t.Errorf("last problem %+v", last)
	}
}

func TestParseErrorMessage(t *testing.T) {
	tests := []struct {
		err  *ParseError
		want string
	}{
		{&ParseError{}, "invalid charter"},
		{&ParseError{Problems: []Problem{{Line: 3, Message: "x"}}}, "invalid charter: line 3: x"},
		{&ParseError{Problems: []Problem{{Line: 3, Message: "x"}, {Line: 5, Message: "y"}}}, "invalid charter: 2 problems, the first on line 3: x"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestLookups(t *testing.T) {
	src := "# T\n## A\n- a1\n- a2\n## B\n### C\n" + strings.Repeat("## X\n", 7) + "- x\n"
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id      string
		text    string
		section string
		ok      bool
	}{
		{"s1-1", "a1", "s1", true},
		{"s1-2", "a2", "s1", true},
		{"s10-1", "x", "s10", true},
		{"s1-3", "", "", false},
		{"s2-1", "", "", false},
		{"s1", "", "", false},
		{"", "", "", false},
		{"s1-01", "", "", false},
	}
	for _, tt := range tests {
		st, sec, ok := c.Statement(tt.id)
		if ok != tt.ok || st.Text != tt.text || (ok && sec.ID != tt.section) {
			t.Errorf("Statement(%q) = %+v, %v, %v", tt.id, st, sec, ok)
		}
	}
	if s, ok := c.SectionByID("s3"); !ok || s.Title != "C" || s.Level != 3 {
		t.Errorf("SectionByID(s3) = %+v, %v", s, ok)
	}
	if s, ok := c.SectionByID("s3"); !ok || s != &c.Sections[2] {
		t.Error("SectionByID does not point into Sections")
	}
	if _, ok := c.SectionByID("s99"); ok {
		t.Error("SectionByID(s99) found a section")
	}
}

func TestJSON(t *testing.T) {
	c, err := Parse([]byte("# T\n## Empty\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"` + c.ID + `","title":"T","language":"da","intro":"","sections":[{"id":"s1","title":"Empty","level":2,"body":"","statements":[]}],"builtin":false}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

var (
	sectionID   = regexp.MustCompile(`^s[1-9][0-9]*$`)
	statementID = regexp.MustCompile(`^s[1-9][0-9]*-[1-9][0-9]*$`)
)

func FuzzParse(f *testing.F) {
	for _, c := range Builtin() {
		f.Add([]byte(c.Source))
	}
	for _, s := range []string{
		teamCharter,
		"",
		"\uFEFF",
		"---",
		"---\n---",
		"---\nid: x\n---\n# T\n## S\n- a\n  b\n",
		"# A\r\n## B\r\n- c\r\n",
		"# A\n## S\n- \xff\n",
		"# A\n# B\n##\n",
		"# T\n## S\n```\n# x\n",
		"# T\n## S\n- a\n\t- b\n\n  c\n",
		"\t#\t\n##\t#\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		c, err := Parse(src)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if c != nil {
				t.Fatal("got a charter and an error")
			}
			if len(pe.Problems) == 0 {
				t.Fatal("ParseError without problems")
			}
			lines := 1 + strings.Count(string(src), "\n") + strings.Count(string(src), "\r")
			for _, p := range pe.Problems {
				if p.Line < 1 || p.Line > lines || p.Message == "" {
					t.Fatalf("bad problem %+v (source has %d lines)", p, lines)
				}
			}
			_ = pe.Error()
			return
		}
		if c == nil {
			t.Fatal("no charter and no error")
		}
		if c.Title == "" || !utf8.ValidString(c.Title+c.Intro) || c.Source != string(src) {
			t.Fatalf("bad charter %+v", c)
		}
		if len(c.Sections) > maxSections || c.StatementCount() > maxStatements {
			t.Fatalf("%d sections, %d statements", len(c.Sections), c.StatementCount())
		}
		for i, s := range c.Sections {
			if s.ID != fmt.Sprint("s", i+1) || !sectionID.MatchString(s.ID) || s.Title == "" || (s.Level != 2 && s.Level != 3) || s.Statements == nil {
				t.Fatalf("bad section %+v", s)
			}
			for j, st := range s.Statements {
				if st.ID != fmt.Sprint(s.ID, "-", j+1) || !statementID.MatchString(st.ID) {
					t.Fatalf("bad statement id %q", st.ID)
				}
				if st.Text == "" || st.Text != strings.TrimSpace(st.Text) || strings.Contains(st.Text, "\n") ||
					utf8.RuneCountInString(st.Text) > maxStatementRunes || !utf8.ValidString(st.Text) {
					t.Fatalf("bad statement %q", st.Text)
				}
				if got, sec, ok := c.Statement(st.ID); !ok || got != st || sec.ID != s.ID {
					t.Fatalf("Statement(%q) = %+v, %v, %v", st.ID, got, sec, ok)
				}
			}
		}
	})
}

func TestParseUnratedSection(t *testing.T) {
	src := "# T\n## Baggrund {.unrated}\n- purpose\n## Værdier\n- respekt\n### Mål  {.ikke-vurderet}\n- m\n## Not a mark {unrated}\n"
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		title   string
		unrated bool
	}{{"Baggrund", true}, {"Værdier", false}, {"Mål", true}, {"Not a mark {unrated}", false}}
	for i, w := range want {
		s := c.Sections[i]
		if s.Title != w.title || s.Unrated != w.unrated {
			t.Errorf("section %d: got %q unrated=%v, want %q unrated=%v", i, s.Title, s.Unrated, w.title, w.unrated)
		}
	}
	if got := c.Sections[0].Statements; len(got) != 1 || got[0].ID != "s1-1" {
		t.Errorf("an unrated section keeps its statements: %+v", got)
	}
	b, _ := Parse([]byte("# T\n## Baggrund {.unrated}\n"))
	if bs, _ := BuiltinByID("allerod-ledelsesgrundlag"); !bs.Sections[0].Unrated || bs.Sections[1].Unrated || b.Sections[0].Title != "Baggrund" {
		t.Errorf("the built-in charter's Baggrund is not marked unrated, or another section is")
	}
}

// Presenter notes: "<!-- noter: … -->" (or notes:) on one line or several, under a section;
// never in the section's body, never encoded with the section.
func TestParseNotes(t *testing.T) {
	src := "# Title\n\n## One\n\n<!-- noter: Start med en runde. -->\n\n- A statement\n\n" +
		"<!-- NOTES:\n  Ask for an example.\n\n  Then wait. -->\nBody text.\n\n## Two\n\n- B\n"
	c, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	one, two := c.Sections[0], c.Sections[1]
	if want := "Start med en runde.\n\nAsk for an example.\n\nThen wait."; one.Notes != want {
		t.Errorf("notes of One = %q, want %q", one.Notes, want)
	}
	if one.Body != "Body text." || len(one.Statements) != 1 {
		t.Errorf("One: body %q, %d statements", one.Body, len(one.Statements))
	}
	if two.Notes != "" {
		t.Errorf("notes of Two = %q", two.Notes)
	}
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), "runde") || strings.Contains(string(b), "notes") {
		t.Errorf("the charter's JSON holds the notes: %s", b)
	}

	for _, tc := range []struct{ src, want string }{
		{"# T\n\n<!-- noter: x -->\n\n## S\n", `line 3: presenter notes belong to a section`},
		{"# T\n\n## S\n\n<!-- noter: x\n\n- y\n", `line 5: the presenter notes are not closed`},
		{"# T\n\n## S\n\n<!-- noter: " + strings.Repeat("å", MaxNotesRunes+1) + " -->\n", `line 5: the section's presenter notes are 4001 characters long`},
	} {
		_, err := Parse([]byte(tc.src))
		var pe *ParseError
		if !errors.As(err, &pe) || !strings.Contains(fmt.Sprintf("line %d: %s", pe.Problems[0].Line, pe.Problems[0].Message), tc.want) {
			t.Errorf("%q: %v, want %q", tc.src[:min(len(tc.src), 30)], err, tc.want)
			continue
		}
		if pe.Problems[0].Danish == "" {
			t.Errorf("%q: no Danish message", tc.want)
		}
	}
	// An HTML comment that is not notes stays body text, as before.
	c, _ = Parse([]byte("# T\n\n## S\n\n<!-- a remark -->\n"))
	if c.Sections[0].Notes != "" || c.Sections[0].Body != "<!-- a remark -->" {
		t.Errorf("a plain comment: notes %q, body %q", c.Sections[0].Notes, c.Sections[0].Body)
	}
}
