// Package charter is the charter document: a title, an optional introduction and sections,
// each with a body and the statements people rate and discuss. It parses the charter
// Markdown format of the API (spec/api-v1.md, "Charter Markdown format") with line-numbered
// problems, and holds the built-in charters.
//
// A Charter is a value: once parsed it is never changed in place, so ids of sections and
// statements are stable for a given charter.
package charter

import (
	"fmt"
	"strings"
)

// MaxSize is the largest charter source, in bytes, that Parse accepts. Callers check the size
// before they read a whole body; Parse reports a larger source as a problem.
const MaxSize = 1 << 20

// Limits of one charter, each reported as a problem when exceeded.
const (
	maxSections       = 200
	maxStatements     = 1000
	maxStatementRunes = 500
	// MaxNotesRunes bounds a section's presenter notes (in the charter and in a session).
	MaxNotesRunes = 4000
)

// Charter is a parsed charter document.
type Charter struct {
	ID       string    `json:"id"`       // front matter id, else "c-" + 12 hex chars of the source's sha256
	Title    string    `json:"title"`    // the text of the one "#" line
	Language string    `json:"language"` // front matter language; "da" when it lacks one
	Intro    string    `json:"intro"`    // text between the title and the first section; paragraphs joined with "\n\n"
	Sections []Section `json:"sections"` // in document order; never nil
	Builtin  bool      `json:"builtin"`  // true for the charters that ship with Pejl
	// Family is the id of the first version when this charter is a corrected version of
	// another (same sections and statements, so the same ids); empty for a first version.
	Family string `json:"family,omitempty"`
	// Version is 2, 3, … for corrected versions; 0 for a first version.
	Version int    `json:"version,omitempty"`
	Source  string `json:"-"` // the Markdown it was parsed from
}

// Section is one "##" (level 2) or "###" (level 3) part of a charter.
type Section struct {
	ID         string      `json:"id"`                // "s1", "s2", … in document order
	Title      string      `json:"title"`             // heading text
	Level      int         `json:"level"`             // 2 for "##", 3 for "###"
	Unrated    bool        `json:"unrated,omitempty"` // marked "{.unrated}": shown and discussed, not rated
	Line       int         `json:"-"`                 // the heading's line in the source
	Body       string      `json:"body"`              // prose, kept as text; paragraphs joined with "\n\n"
	Statements []Statement `json:"statements"`        // the section's top-level bullets; never nil
	// Notes are the presenter notes of the section ("<!-- noter: … -->"): for the facilitator
	// only. Never encoded with the section: a view that may show them (forum.NotesFor) lists
	// them on their own.
	Notes string `json:"-"`
}

// Statement is one top-level bullet of a section: the thing people rate and comment on.
type Statement struct {
	ID   string `json:"id"`   // "<section id>-<n>", e.g. "s3-2"; n counts from 1
	Text string `json:"text"` // the bullet with its continuation lines joined by single spaces
}

// Problem is one thing wrong with a charter source, at a 1-based line.
type Problem struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
	Danish  string `json:"message_da"` // the same in Danish, for the interface
}

// ParseError is the error Parse returns for an invalid charter. It lists every problem found,
// ordered by line, each with Line ≥ 1.
type ParseError struct {
	Problems []Problem
}

// Error summarises the problems: the count and the first one.
func (e *ParseError) Error() string {
	switch len(e.Problems) {
	case 0:
		return "invalid charter"
	case 1:
		return fmt.Sprintf("invalid charter: line %d: %s", e.Problems[0].Line, e.Problems[0].Message)
	default:
		return fmt.Sprintf("invalid charter: %d problems, the first on line %d: %s",
			len(e.Problems), e.Problems[0].Line, e.Problems[0].Message)
	}
}

// SectionByID returns the section with the given id, pointing into c.Sections.
func (c *Charter) SectionByID(id string) (*Section, bool) {
	for i := range c.Sections {
		if c.Sections[i].ID == id {
			return &c.Sections[i], true
		}
	}
	return nil, false
}

// Statement returns the statement with the given id and the section that holds it (pointing
// into c.Sections).
func (c *Charter) Statement(id string) (Statement, *Section, bool) {
	for i := range c.Sections {
		s := &c.Sections[i]
		if !strings.HasPrefix(id, s.ID+"-") {
			continue
		}
		for _, st := range s.Statements {
			if st.ID == id {
				return st, s, true
			}
		}
	}
	return Statement{}, nil, false
}

// FamilyID is the id of the charter's first version: Family, or the charter's own id.
func (c *Charter) FamilyID() string {
	if c.Family != "" {
		return c.Family
	}
	return c.ID
}

// SameShape checks that next keeps c's structure — the same sections, in order, at the same
// levels, with the same number of statements each — so every section and statement id means
// the same in both. It returns a problem (at next's line) for each difference.
func (c *Charter) SameShape(next *Charter) []Problem {
	var out []Problem
	for i, ns := range next.Sections {
		if i >= len(c.Sections) {
			out = append(out, Problem{Line: ns.Line,
				Message: fmt.Sprintf("section %q is new: the charter being corrected has %d sections; a new version may change wording, not add sections", ns.Title, len(c.Sections)),
				Danish:  fmt.Sprintf("afsnittet %q er nyt: ledelsesgrundlaget, der rettes, har %d afsnit; en ny version må ændre ordlyd, ikke tilføje afsnit", ns.Title, len(c.Sections))})
			break
		}
		os := c.Sections[i]
		if ns.Level != os.Level {
			out = append(out, Problem{Line: ns.Line,
				Message: fmt.Sprintf("section %q is at level %d; in the charter being corrected section %d (%q) is at level %d", ns.Title, ns.Level, i+1, os.Title, os.Level),
				Danish:  fmt.Sprintf("afsnittet %q er på niveau %d; i ledelsesgrundlaget, der rettes, er afsnit %d (%q) på niveau %d", ns.Title, ns.Level, i+1, os.Title, os.Level)})
		}
		if len(ns.Statements) != len(os.Statements) {
			out = append(out, Problem{Line: ns.Line,
				Message: fmt.Sprintf("section %q has %d statements; section %d (%q) of the charter being corrected has %d, and a new version must keep every statement so that answers still line up", ns.Title, len(ns.Statements), i+1, os.Title, len(os.Statements)),
				Danish:  fmt.Sprintf("afsnittet %q har %d udsagn; afsnit %d (%q) i ledelsesgrundlaget, der rettes, har %d, og en ny version skal beholde alle udsagn, så svarene stadig passer sammen", ns.Title, len(ns.Statements), i+1, os.Title, len(os.Statements))})
		}
	}
	if len(next.Sections) < len(c.Sections) {
		out = append(out, Problem{Line: 1,
			Message: fmt.Sprintf("the new version has %d sections, the charter being corrected %d; a new version may change wording, not remove sections", len(next.Sections), len(c.Sections)),
			Danish:  fmt.Sprintf("den nye version har %d afsnit, ledelsesgrundlaget, der rettes, %d; en ny version må ændre ordlyd, ikke fjerne afsnit", len(next.Sections), len(c.Sections))})
	}
	return out
}

// StatementCount returns the number of statements in all sections.
func (c *Charter) StatementCount() int {
	n := 0
	for _, s := range c.Sections {
		n += len(s.Statements)
	}
	return n
}
