package forum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Theme is a group of the room's comments that the facilitator named; it keeps the
// statements its comments are about. A theme may be put to the room as a proposal (a
// choice activity: ja / måske / nej).
type Theme struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Comments []string `json:"comments"`
	// Statements are the statements the theme's comments are about, in first-seen order.
	Statements []string `json:"statements"`
	// Proposal is the id of the choice activity that puts the theme to the room, if any.
	Proposal  string    `json:"proposal,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Agreement ("aftale") is what the room agreed to do: what, who (a role or name the
// facilitator types, never a participant's identity), by when, when it is followed up, and
// the statements it serves.
type Agreement struct {
	ID   string `json:"id"`
	What string `json:"what"`
	Who  string `json:"who"`
	// Due and FollowUp are dates (YYYY-MM-DD), or "".
	Due        string   `json:"due"`
	FollowUp   string   `json:"follow_up"`
	Statements []string `json:"statements"`
	// Theme is the id of the theme it came from, or "".
	Theme     string    `json:"theme"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Limits on themes and agreements.
const (
	MaxThemes         = 100
	MaxAgreements     = 100
	MaxThemeTitle     = 200
	MaxAgreementWhat  = 500
	MaxAgreementWho   = 200
	MaxThemeComments  = 500
	MaxAgreementLinks = 50
)

// Proposal options: "Skal vi arbejde med dette?" ja / måske / nej.
var (
	proposalPrompt = map[string]string{"da": "Skal vi arbejde med dette?", "en": "Should we work on this?"}
	proposalLabels = map[string][]string{"da": {"Ja", "Måske", "Nej"}, "en": {"Yes", "Maybe", "No"}}
	proposalIDs    = []string{"ja", "maaske", "nej"}
)

// ThemeIn is a facilitator's theme: a title and the comments it groups (nil fields of a
// patch stay).
type ThemeIn struct {
	Title    *string   `json:"title"`
	Comments *[]string `json:"comments"`
}

// AgreementIn is a facilitator's agreement (nil fields of a patch stay).
type AgreementIn struct {
	What       *string   `json:"what"`
	Who        *string   `json:"who"`
	Due        *string   `json:"due"`
	FollowUp   *string   `json:"follow_up"`
	Statements *[]string `json:"statements"`
	Theme      *string   `json:"theme"`
}

// Themes returns the session's themes.
func (s *Service) Themes(ctx context.Context, actor *User, sessionID string) ([]Theme, error) {
	sess, err := s.Session(ctx, actor, sessionID)
	if err != nil {
		return nil, err
	}
	return orEmpty(sess.Themes), nil
}

// Agreements returns the session's agreements.
func (s *Service) Agreements(ctx context.Context, actor *User, sessionID string) ([]Agreement, error) {
	sess, err := s.Session(ctx, actor, sessionID)
	if err != nil {
		return nil, err
	}
	return orEmpty(sess.Agreements), nil
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// text checks a required or optional line of text.
func text(field, what string, v string, maxRunes int, required bool) (string, error) {
	v = strings.TrimSpace(dropControls(v))
	if required && v == "" {
		return "", invalid(field, "Give the %s.", what)
	}
	if utf8.RuneCountInString(v) > maxRunes {
		return "", invalid(field, "The %s may be at most %d characters.", what, maxRunes)
	}
	return v, nil
}

// themeComments checks a theme's comment ids against the session and returns them (each
// once) with the statements they are about.
func (s *Service) themeComments(ctx context.Context, sessionID string, ids []string) ([]string, []string, error) {
	if len(ids) > MaxThemeComments {
		return nil, nil, invalid("comments", "A theme may hold at most %d comments.", MaxThemeComments)
	}
	out, statements := []string{}, []string{}
	for _, id := range ids {
		if slices.Contains(out, id) {
			continue
		}
		c, err := s.e.Comment(ctx, sessionID, id)
		if errors.Is(err, ErrNotFound) {
			return nil, nil, invalid("comments", "There is no comment %q in this session.", id)
		}
		if err != nil {
			return nil, nil, engineErr(err)
		}
		out = append(out, id)
		if c.Statement != "" && !slices.Contains(statements, c.Statement) {
			statements = append(statements, c.Statement)
		}
	}
	return out, statements, nil
}

// AddTheme groups comments of the session under a title.
func (s *Service) AddTheme(ctx context.Context, actor *User, sessionID string, in ThemeIn) (*Theme, error) {
	if in.Title == nil {
		in.Title = new(string)
	}
	title, err := text("title", "theme a title", *in.Title, MaxThemeTitle, true)
	if err != nil {
		return nil, err
	}
	var ids []string
	if in.Comments != nil {
		ids = *in.Comments
	}
	comments, statements, err := s.themeComments(ctx, sessionID, ids)
	if err != nil {
		return nil, err
	}
	var out Theme
	_, _, err = s.update(ctx, actor, sessionID, func(sess *Session) error {
		if len(sess.Themes) >= MaxThemes {
			return invalid("title", "A session may have at most %d themes.", MaxThemes)
		}
		sess.ThemeSeq++
		out = Theme{ID: fmt.Sprintf("t%d", sess.ThemeSeq), Title: title, Comments: comments, Statements: statements, CreatedAt: s.now()}
		sess.Themes = append(sess.Themes, out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateTheme renames a theme or replaces its comments.
func (s *Service) UpdateTheme(ctx context.Context, actor *User, sessionID, themeID string, in ThemeIn) (*Theme, error) {
	var title string
	var err error
	if in.Title != nil {
		if title, err = text("title", "theme a title", *in.Title, MaxThemeTitle, true); err != nil {
			return nil, err
		}
	}
	var comments, statements []string
	if in.Comments != nil {
		if comments, statements, err = s.themeComments(ctx, sessionID, *in.Comments); err != nil {
			return nil, err
		}
	}
	var out Theme
	_, _, err = s.update(ctx, actor, sessionID, func(sess *Session) error {
		i := slices.IndexFunc(sess.Themes, func(t Theme) bool { return t.ID == themeID })
		if i < 0 {
			return Errorf(ENotFound, "There is no theme %q in this session.", themeID)
		}
		t := &sess.Themes[i]
		if in.Title != nil {
			t.Title = title
		}
		if in.Comments != nil {
			t.Comments, t.Statements = comments, statements
		}
		out = *t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteTheme removes a theme; agreements made from it keep their text and lose the link.
func (s *Service) DeleteTheme(ctx context.Context, actor *User, sessionID, themeID string) error {
	_, _, err := s.update(ctx, actor, sessionID, func(sess *Session) error {
		n := len(sess.Themes)
		sess.Themes = slices.DeleteFunc(sess.Themes, func(t Theme) bool { return t.ID == themeID })
		if len(sess.Themes) == n {
			return Errorf(ENotFound, "There is no theme %q in this session.", themeID)
		}
		for i := range sess.Agreements {
			if sess.Agreements[i].Theme == themeID {
				sess.Agreements[i].Theme = ""
			}
		}
		return nil
	})
	return err
}

// ProposeTheme puts a theme to the room: a choice activity "Skal vi arbejde med dette?"
// (ja / måske / nej) in the section of the theme's first statement (else the current
// section), closed until the facilitator opens it. Proposing a theme again returns the
// activity made before.
func (s *Service) ProposeTheme(ctx context.Context, actor *User, sessionID, themeID string) (*Activity, error) {
	var out Activity
	_, _, err := s.update(ctx, actor, sessionID, func(sess *Session) error {
		if sess.State == StateEnded {
			return Errorf(ESessionEnded, "The session has ended; a proposal can no longer be voted on.")
		}
		i := slices.IndexFunc(sess.Themes, func(t Theme) bool { return t.ID == themeID })
		if i < 0 {
			return Errorf(ENotFound, "There is no theme %q in this session.", themeID)
		}
		t := &sess.Themes[i]
		if a, ok := sess.Activity(t.Proposal); ok {
			out = *a
			return errAlreadyDone
		}
		c, err := s.Charter(ctx, sess.CharterID)
		if err != nil {
			return err
		}
		section := sess.CurrentSection
		if len(t.Statements) > 0 {
			if _, sec, ok := c.Statement(t.Statements[0]); ok {
				section = sec.ID
			}
		}
		if section == "" && len(sess.Activities) > 0 {
			section = sess.Activities[0].Section
		}
		lang := langOrDa(sess.Language)
		opts := make([]Option, len(proposalIDs))
		for j, id := range proposalIDs {
			opts[j] = Option{ID: id, Label: proposalLabels[lang][j]}
		}
		prompt := proposalPrompt[lang] + " " + t.Title
		if utf8.RuneCountInString(prompt) > MaxPromptRunes {
			prompt = string([]rune(prompt)[:MaxPromptRunes])
		}
		a, err := buildActivity(c, sess, NewActivity{Kind: KindChoice, Section: section, Prompt: prompt, Options: opts, MaxChoices: 1})
		if err != nil {
			return err
		}
		a.ID = nextActivityID(sess, a.Section, a.Kind)
		sess.Activities = append(sess.Activities, a)
		t.Proposal = a.ID
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// date checks a date field: "" or YYYY-MM-DD (an RFC 3339 time is cut to its date).
func date(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.Format(time.DateOnly), nil
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return "", invalid(field, "%s must be a date such as 2026-03-01.", field)
	}
	return v, nil
}

// applyAgreement checks in and applies it to a (new or existing) agreement of sess.
func (s *Service) applyAgreement(ctx context.Context, sess *Session, a *Agreement, in AgreementIn) error {
	var err error
	if in.What != nil {
		if a.What, err = text("what", "agreement's what (what will be done)", *in.What, MaxAgreementWhat, true); err != nil {
			return err
		}
	}
	if a.What == "" {
		return invalid("what", "Give the agreement's what (what will be done).")
	}
	if in.Who != nil {
		if a.Who, err = text("who", "agreement's who (a role or a name)", *in.Who, MaxAgreementWho, false); err != nil {
			return err
		}
	}
	if in.Due != nil {
		if a.Due, err = date("due", *in.Due); err != nil {
			return err
		}
	}
	if in.FollowUp != nil {
		if a.FollowUp, err = date("follow_up", *in.FollowUp); err != nil {
			return err
		}
	}
	if in.Theme != nil {
		if *in.Theme != "" && !slices.ContainsFunc(sess.Themes, func(t Theme) bool { return t.ID == *in.Theme }) {
			return invalid("theme", "There is no theme %q in this session.", *in.Theme)
		}
		a.Theme = *in.Theme
	}
	if in.Statements != nil {
		ids := *in.Statements
		if len(ids) > MaxAgreementLinks {
			return invalid("statements", "An agreement may name at most %d statements.", MaxAgreementLinks)
		}
		c, err := s.Charter(ctx, sess.CharterID)
		if err != nil {
			return err
		}
		a.Statements = []string{}
		for _, id := range ids {
			if _, _, ok := c.Statement(id); !ok {
				return invalid("statements", "There is no statement %q in this charter.", id)
			}
			if !slices.Contains(a.Statements, id) {
				a.Statements = append(a.Statements, id)
			}
		}
	}
	if a.Statements == nil {
		a.Statements = []string{}
		if t := themeOf(sess, a.Theme); t != nil {
			a.Statements = append(a.Statements, t.Statements...)
		}
	}
	a.UpdatedAt = s.now()
	return nil
}

func themeOf(sess *Session, id string) *Theme {
	for i := range sess.Themes {
		if sess.Themes[i].ID == id && id != "" {
			return &sess.Themes[i]
		}
	}
	return nil
}

// AddAgreement records an agreement (during or after the session). Without statements it
// serves its theme's statements.
func (s *Service) AddAgreement(ctx context.Context, actor *User, sessionID string, in AgreementIn) (*Agreement, error) {
	var out Agreement
	_, _, err := s.update(ctx, actor, sessionID, func(sess *Session) error {
		if len(sess.Agreements) >= MaxAgreements {
			return invalid("what", "A session may have at most %d agreements.", MaxAgreements)
		}
		a := Agreement{CreatedAt: s.now()}
		if err := s.applyAgreement(ctx, sess, &a, in); err != nil {
			return err
		}
		sess.AgreementSeq++
		a.ID = fmt.Sprintf("a%d", sess.AgreementSeq)
		sess.Agreements = append(sess.Agreements, a)
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UpdateAgreement changes an agreement (also after the session).
func (s *Service) UpdateAgreement(ctx context.Context, actor *User, sessionID, agreementID string, in AgreementIn) (*Agreement, error) {
	var out Agreement
	_, _, err := s.update(ctx, actor, sessionID, func(sess *Session) error {
		i := slices.IndexFunc(sess.Agreements, func(a Agreement) bool { return a.ID == agreementID })
		if i < 0 {
			return Errorf(ENotFound, "There is no agreement %q in this session.", agreementID)
		}
		a := sess.Agreements[i]
		if err := s.applyAgreement(ctx, sess, &a, in); err != nil {
			return err
		}
		sess.Agreements[i] = a
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteAgreement removes an agreement.
func (s *Service) DeleteAgreement(ctx context.Context, actor *User, sessionID, agreementID string) error {
	_, _, err := s.update(ctx, actor, sessionID, func(sess *Session) error {
		n := len(sess.Agreements)
		sess.Agreements = slices.DeleteFunc(sess.Agreements, func(a Agreement) bool { return a.ID == agreementID })
		if len(sess.Agreements) == n {
			return Errorf(ENotFound, "There is no agreement %q in this session.", agreementID)
		}
		return nil
	})
	return err
}
