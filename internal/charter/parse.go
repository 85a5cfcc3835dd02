package charter

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxProblems bounds the problems one ParseError lists; the last one then says how many more
// were found, so a pathological source cannot produce a huge error response.
const maxProblems = 100

var (
	idPattern       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2}$`)
	frontKeyPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	orderedItem     = regexp.MustCompile(`^[0-9]{1,9}[.)]([ \t]|$)`)
	// unratedMark ends a section heading whose statements are not for rating, such as a
	// charter's purpose in "Baggrund": "## Baggrund {.unrated}" (or "{.ikke-vurderet}").
	unratedMark = regexp.MustCompile(`[ \t]*\{\.(unrated|ikke-vurderet)\}$`)
)

// Parse parses a charter in the Markdown format of the API:
//
//   - optional front matter between a first line "---" and the next "---", of "key: value"
//     lines; "id" and "language" are used, other keys are ignored;
//   - exactly one "#" line, the title;
//   - text between the title and the first section is the introduction;
//   - "##" and "###" lines start sections of level 2 and 3 ("####" and deeper are body text);
//     a heading ending in "{.unrated}" (or "{.ikke-vurderet}") marks a section whose
//     statements are shown and discussed but not rated: it gets no default scale;
//   - each top-level bullet ("-", "*", "+" or "•" and a space) of a section is a statement;
//     its wrapped and indented continuation lines, and bullets nested under it, join its text
//     with single spaces; bullets in the introduction stay introduction text;
//   - other text is the section's body: lines of a paragraph are joined with a space (a line
//     that starts a list item with "\n"), paragraphs with "\n\n"; fenced code is kept as is.
//
// CRLF and CR line endings and a UTF-8 byte order mark are accepted. An invalid charter gives a
// *ParseError listing every problem found, each with its 1-based line.
func Parse(src []byte) (*Charter, error) {
	p := &parser{}
	c := p.parse(src)
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return c, nil
}

type parser struct {
	problems []Problem

	titleLine int // line of the "#" title; 0 until seen
	title     string

	intro    []string      // finished paragraphs of the introduction
	sections []*secBuilder // sections so far
	para     *paraBuilder  // paragraph being collected, or nil
	stmt     *stmtBuilder  // statement being collected, or nil
	listBase int           // indent of the first bullet of the list stmt belongs to
	blank    bool          // the previous line was blank
	fence    string        // the open code fence ("```" or "~~~" …), or ""
	notes    *stmtBuilder  // presenter notes being collected ("<!-- noter:" … "-->"), or nil

	statements int // statements so far, in all sections
}

type secBuilder struct {
	sec   Section
	paras []string
}

type paraBuilder struct {
	b strings.Builder
}

type stmtBuilder struct {
	line int
	b    strings.Builder
}

// problem records a problem at a line, in English and in Danish.
func (p *parser) problem(line int, en, da string) {
	p.problems = append(p.problems, Problem{Line: max(line, 1), Message: en, Danish: da})
}

func (p *parser) err() *ParseError {
	probs := slices.Clone(p.problems)
	slices.SortStableFunc(probs, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	if len(probs) > maxProblems {
		more := len(probs) - (maxProblems - 1)
		first := probs[maxProblems-1].Line
		probs = append(probs[:maxProblems-1], Problem{
			Line:    first,
			Message: fmt.Sprintf("%d more problems from this line on; fix the ones above first", more),
			Danish:  fmt.Sprintf("%d problemer mere fra denne linje; ret dem ovenfor først", more),
		})
	}
	return &ParseError{Problems: probs}
}

func (p *parser) parse(src []byte) *Charter {
	sum := sha256.Sum256(src)
	c := &Charter{
		ID:       "c-" + hex.EncodeToString(sum[:])[:12],
		Language: "da",
		Source:   string(src),
	}
	if len(src) > MaxSize {
		p.problem(1, fmt.Sprintf("the charter is %d bytes; at most %d bytes (1 MiB) are allowed", len(src), MaxSize),
			fmt.Sprintf("ledelsesgrundlaget fylder %d byte; højst %d byte (1 MiB) er tilladt", len(src), MaxSize))
		return nil
	}
	text := bytes.TrimPrefix(src, []byte("\uFEFF"))
	text = bytes.ReplaceAll(text, []byte("\r\n"), []byte("\n"))
	text = bytes.ReplaceAll(text, []byte("\r"), []byte("\n"))
	if !utf8.Valid(text) {
		line := 1 + bytes.Count(text[:firstInvalid(text)], []byte("\n"))
		p.problem(line, "the file is not UTF-8 (the first invalid byte is on this line); save it as UTF-8 and try again",
			"filen er ikke UTF-8 (den første ugyldige byte står i denne linje); gem den som UTF-8, og prøv igen")
		text = bytes.ToValidUTF8(text, []byte("\uFFFD"))
	}
	if len(bytes.TrimSpace(text)) == 0 {
		p.problem(1, "the charter is empty", "ledelsesgrundlaget er tomt")
		return nil
	}
	lines := strings.Split(string(text), "\n")

	start := p.frontMatter(lines, c)
	for i := start; i < len(lines); i++ {
		p.line(i+1, lines[i])
	}
	p.closeStmt()
	p.endPara()
	if p.notes != nil {
		p.problem(p.notes.line, `the presenter notes are not closed: end them with "-->"`, `noterne er ikke afsluttet: slut dem med "-->"`)
	}

	if p.titleLine == 0 {
		p.problem(1, `no title: start the charter with a line "# Title"`, `ingen titel: begynd med en linje "# Titel"`)
	}
	c.Title = p.title
	c.Intro = strings.Join(p.intro, "\n\n")
	c.Sections = make([]Section, 0, len(p.sections))
	for _, sb := range p.sections {
		s := sb.sec
		s.Body = strings.Join(sb.paras, "\n\n")
		c.Sections = append(c.Sections, s)
	}
	return c
}

// firstInvalid returns the offset of the first byte of b that is not valid UTF-8.
func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// frontMatter reads the optional front matter into c and returns the index of the first line
// after it.
func (p *parser) frontMatter(lines []string, c *Charter) int {
	if len(lines) == 0 || strings.TrimRight(lines[0], " \t") != "---" {
		return 0
	}
	end := -1
	for i := 1; i < len(lines); i++ {
		if strings.TrimRight(lines[i], " \t") == "---" {
			end = i
			break
		}
	}
	if end < 0 {
		p.problem(1, `invalid front matter: no closing "---" line`, `ugyldigt forhoved: der mangler en afsluttende linje "---"`)
		return 1
	}
	for i := 1; i < end; i++ {
		line := strings.TrimRight(lines[i], " \t")
		if line == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		key = strings.TrimRight(key, " \t")
		if !ok || !frontKeyPattern.MatchString(key) {
			p.problem(i+1, `invalid front matter: expected a "key: value" line`, `ugyldigt forhoved: forventede en linje "nøgle: værdi"`)
			continue
		}
		value, ok = frontValue(value)
		if !ok {
			p.problem(i+1, fmt.Sprintf("invalid front matter: the value of %q has an unclosed quote", key),
				fmt.Sprintf("ugyldigt forhoved: værdien af %q har et anførselstegn, der ikke lukkes", key))
			continue
		}
		switch key {
		case "id":
			if !idPattern.MatchString(value) {
				p.problem(i+1, fmt.Sprintf("invalid front matter: id %q must be 1 to 64 lowercase letters, digits or hyphens, starting with a letter or digit", value),
					fmt.Sprintf("ugyldigt forhoved: id %q skal være 1 til 64 små bogstaver (a-z), cifre eller bindestreger og begynde med et bogstav eller ciffer", value))
				continue
			}
			c.ID = value
		case "language":
			if !languagePattern.MatchString(value) {
				p.problem(i+1, fmt.Sprintf(`invalid front matter: language %q must be a two-letter lowercase code such as "da" or "en"`, value),
					fmt.Sprintf(`ugyldigt forhoved: sproget %q skal være en kode på to små bogstaver, fx "da" eller "en"`, value))
				continue
			}
			c.Language = value
		}
	}
	return end + 1
}

// frontValue trims a front matter value, removes a trailing " # comment" and unquotes it.
func frontValue(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", true
	}
	switch v[0] {
	case '"':
		if len(v) < 2 || v[len(v)-1] != '"' {
			return "", false
		}
		if u, err := strconv.Unquote(v); err == nil {
			return u, true
		}
		return v[1 : len(v)-1], true
	case '\'':
		if len(v) < 2 || v[len(v)-1] != '\'' {
			return "", false
		}
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'"), true
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, true
}

// line handles one line of the document after the front matter.
func (p *parser) line(n int, raw string) {
	line := strings.TrimRight(raw, " \t")

	if p.notes != nil {
		p.notesLine(line)
		return
	}
	if p.fence == "" {
		if rest, ok := opensNotes(line); ok {
			p.closeStmt()
			p.endPara()
			if len(p.sections) == 0 {
				p.problem(n, "presenter notes belong to a section: put them under a \"##\" heading",
					"noter hører til et afsnit: skriv dem under en overskrift med \"##\"")
			}
			p.notes = &stmtBuilder{line: n}
			p.notesLine(rest)
			return
		}
	}

	if p.fence != "" {
		p.addPara(line, "\n")
		if closesFence(line, p.fence) {
			p.fence = ""
			p.endPara()
		}
		return
	}
	if strings.TrimSpace(line) == "" {
		p.endPara()
		p.blank = true
		return
	}
	wasBlank := p.blank
	p.blank = false

	indent, rest := splitIndent(line)
	if indent <= 3 {
		if level, title, ok := heading(rest); ok {
			p.closeStmt()
			p.endPara()
			p.heading(n, level, title)
			return
		}
		if f := opensFence(rest); f != "" {
			p.closeStmt()
			p.endPara()
			p.fence = f
			p.addPara(line, "\n")
			return
		}
		if thematicBreak(rest) {
			p.closeStmt()
			p.endPara()
			return
		}
	}

	text, isBullet := bullet(rest)
	if len(p.sections) == 0 {
		// Introduction: everything, bullets included, is text.
		sep := " "
		if isBullet || orderedItem.MatchString(rest) {
			sep = "\n"
		}
		p.addPara(rest, sep)
		return
	}
	if isBullet {
		if p.stmt != nil && indent > p.listBase+1 {
			p.stmt.add(rest) // a nested bullet belongs to its parent's text, marker and all
			return
		}
		if p.stmt == nil {
			p.listBase = indent
		}
		p.closeStmt()
		p.endPara()
		p.stmt = &stmtBuilder{line: n}
		p.stmt.add(text)
		return
	}
	if p.stmt != nil && (!wasBlank || indent >= 2) {
		p.stmt.add(rest) // a wrapped or indented continuation line
		return
	}
	p.closeStmt()
	sep := " "
	if orderedItem.MatchString(rest) {
		sep = "\n"
	}
	p.addPara(rest, sep)
}

func (p *parser) heading(n, level int, title string) {
	if level == 1 {
		if p.titleLine != 0 {
			p.problem(n, fmt.Sprintf(`a second title (the first is on line %d); there must be exactly one "#" line, use "##" for a section`, p.titleLine),
				fmt.Sprintf(`en titel mere (den første står i linje %d); der må kun være én linje med "#", brug "##" til et afsnit`, p.titleLine))
			return
		}
		p.titleLine, p.title = n, title
		if title == "" {
			p.problem(n, "the title is empty", "titlen er tom")
		}
		return
	}
	unrated := false
	if m := unratedMark.FindStringIndex(title); m != nil {
		title, unrated = strings.TrimRight(title[:m[0]], " \t"), true
	}
	num := len(p.sections) + 1
	if num == maxSections+1 {
		p.problem(n, fmt.Sprintf("more than %d sections", maxSections), fmt.Sprintf("mere end %d afsnit", maxSections))
	}
	if title == "" {
		p.problem(n, "empty section title", "afsnittet har ingen overskrift")
	}
	p.sections = append(p.sections, &secBuilder{sec: Section{
		ID:         "s" + strconv.Itoa(num),
		Title:      title,
		Level:      level,
		Unrated:    unrated,
		Line:       n,
		Statements: []Statement{},
	}})
}

// opensNotes reports whether a line starts presenter notes, "<!-- noter:" or "<!-- notes:"
// (any case), and returns what follows the colon.
func opensNotes(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if !strings.HasPrefix(t, "<!--") {
		return "", false
	}
	t = strings.TrimLeft(t[4:], " \t")
	for _, word := range []string{"noter:", "notes:"} {
		if len(t) >= len(word) && strings.EqualFold(t[:len(word)], word) {
			return t[len(word):], true
		}
	}
	return "", false
}

// notesLine adds a line to the presenter notes being collected; "-->" ends them, and they go
// to the section they are in (paragraphs of several notes joined by a blank line).
func (p *parser) notesLine(line string) {
	text, done := line, false
	if i := strings.Index(line, "-->"); i >= 0 {
		text, done = line[:i], true
	}
	nb := p.notes
	if nb.b.Len() > 0 {
		nb.b.WriteByte('\n')
	}
	nb.b.WriteString(strings.TrimSpace(text))
	if !done {
		return
	}
	p.notes = nil
	notes := strings.TrimSpace(nb.b.String())
	if len(p.sections) == 0 || notes == "" {
		return
	}
	sec := &p.sections[len(p.sections)-1].sec
	if sec.Notes != "" {
		sec.Notes += "\n\n"
	}
	sec.Notes += notes
	if n := utf8.RuneCountInString(sec.Notes); n > MaxNotesRunes {
		p.problem(nb.line, fmt.Sprintf("the section's presenter notes are %d characters long; at most %d are allowed", n, MaxNotesRunes),
			fmt.Sprintf("afsnittets noter er %d tegn lange; højst %d tegn er tilladt", n, MaxNotesRunes))
	}
}

// addPara adds a line to the paragraph being collected, separated from the previous line by
// sep, and starts a paragraph when none is open.
func (p *parser) addPara(s, sep string) {
	if p.para == nil {
		p.para = &paraBuilder{}
	} else {
		p.para.b.WriteString(sep)
	}
	p.para.b.WriteString(s)
}

func (p *parser) endPara() {
	if p.para == nil {
		return
	}
	text := p.para.b.String()
	p.para = nil
	if len(p.sections) == 0 {
		p.intro = append(p.intro, text)
		return
	}
	sb := p.sections[len(p.sections)-1]
	sb.paras = append(sb.paras, text)
}

func (b *stmtBuilder) add(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	if b.b.Len() > 0 {
		b.b.WriteByte(' ')
	}
	b.b.WriteString(s)
}

// closeStmt finishes the statement being collected; an empty bullet is dropped.
func (p *parser) closeStmt() {
	st := p.stmt
	if st == nil {
		return
	}
	p.stmt = nil
	text := st.b.String()
	if text == "" {
		return
	}
	p.statements++
	if p.statements == maxStatements+1 {
		p.problem(st.line, fmt.Sprintf("more than %d statements", maxStatements), fmt.Sprintf("mere end %d udsagn", maxStatements))
	}
	if n := utf8.RuneCountInString(text); n > maxStatementRunes {
		p.problem(st.line, fmt.Sprintf("the statement is %d characters long; at most %d are allowed", n, maxStatementRunes),
			fmt.Sprintf("udsagnet er %d tegn langt; højst %d tegn er tilladt", n, maxStatementRunes))
	}
	sb := p.sections[len(p.sections)-1]
	sb.sec.Statements = append(sb.sec.Statements, Statement{
		ID:   sb.sec.ID + "-" + strconv.Itoa(len(sb.sec.Statements)+1),
		Text: text,
	})
}

// splitIndent returns the width of line's leading whitespace (a tab moves to the next multiple
// of 4) and the rest of the line.
func splitIndent(line string) (int, string) {
	width := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case ' ':
			width++
		case '\t':
			width += 4 - width%4
		default:
			return width, line[i:]
		}
	}
	return width, ""
}

// heading reports whether s (without indent) is an ATX heading of level 1 to 3, with its text.
func heading(s string) (level int, title string, ok bool) {
	for level < len(s) && s[level] == '#' {
		level++
	}
	if level == 0 || level > 3 {
		return 0, "", false
	}
	rest := s[level:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
		return 0, "", false
	}
	title = strings.TrimSpace(rest)
	// An optional closing sequence of '#' is not part of the title.
	if t := strings.TrimRight(title, "#"); t != title && (t == "" || strings.HasSuffix(t, " ") || strings.HasSuffix(t, "\t")) {
		title = strings.TrimSpace(t)
	}
	return level, title, true
}

// bullet reports whether s (without indent) starts with a bullet marker and a space, and
// returns the text after it.
func bullet(s string) (string, bool) {
	for _, m := range []string{"-", "*", "+", "•"} {
		if strings.HasPrefix(s, m) {
			rest := s[len(m):]
			if rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
				return strings.TrimSpace(rest), true
			}
			return "", false
		}
	}
	return "", false
}

// thematicBreak reports whether s is a line of three or more '-', '*' or '_' (spaces allowed).
func thematicBreak(s string) bool {
	if s == "" || (s[0] != '-' && s[0] != '*' && s[0] != '_') {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case s[0]:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

// opensFence returns the fence ("```" …, "~~~" …) that s opens, or "".
func opensFence(s string) string {
	if len(s) < 3 || (s[0] != '`' && s[0] != '~') {
		return ""
	}
	n := 0
	for n < len(s) && s[n] == s[0] {
		n++
	}
	if n < 3 || (s[0] == '`' && strings.Contains(s[n:], "`")) {
		return ""
	}
	return s[:n]
}

// closesFence reports whether line closes the open fence.
func closesFence(line, fence string) bool {
	indent, rest := splitIndent(line)
	if indent > 3 || !strings.HasPrefix(rest, fence) {
		return false
	}
	return strings.Trim(rest, fence[:1]) == ""
}
