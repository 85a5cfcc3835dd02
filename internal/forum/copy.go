package forum

import (
	"context"
	"maps"
	"strings"
	"time"
)

// Copies, templates and rehearsals. A copy is a new session in the lobby with the source's
// charter, language, groups, threshold and activities (their wording, order, settings and
// anything else kept on them), closed and with results hidden, and nothing else: no
// participants, answers, comments, stage, timer, commands or sharing.

// Who a template is for.
const (
	ShareOwner        = "owner"
	ShareOrganisation = "organisation"
)

// RehearsalLifetime is how long a rehearsal is kept.
const RehearsalLifetime = 24 * time.Hour

// CopyRequest asks for a copy of a session (or a session from a template).
type CopyRequest struct {
	// Title of the copy; default the source's (a rehearsal's is prefixed "Prøvekørsel: ").
	Title string `json:"title"`
	// Rehearsal makes a throwaway copy ("Prøvekørsel").
	Rehearsal bool `json:"rehearsal"`
	// Template makes the copy a template for "owner" (the facilitator) or "organisation"
	// (every facilitator); "" makes a session to run.
	Template string `json:"template"`
}

var rehearsalPrefix = map[string]string{"da": "Prøvekørsel: ", "en": "Rehearsal: "}

// expiresAt is when the sweep deletes the session.
func (s *Service) expiresAt(sess *Session) time.Time {
	if sess.Rehearsal {
		return sess.CreatedAt.Add(RehearsalLifetime)
	}
	return sess.CreatedAt.Add(s.cfg.Retention)
}

// CopySession makes a new session from one the actor may see: a copy to run, a rehearsal or
// a template. The actor owns the copy.
func (s *Service) CopySession(ctx context.Context, actor *User, id string, in CopyRequest) (*Session, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	switch in.Template {
	case "", ShareOwner, ShareOrganisation:
	default:
		return nil, invalid("template", "template must be \"owner\", \"organisation\" or left out.")
	}
	if in.Template != "" && in.Rehearsal {
		return nil, invalid("rehearsal", "A template cannot be a rehearsal.")
	}
	src, err := s.Session(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		title = src.Title
		if in.Rehearsal && !src.Rehearsal {
			title = rehearsalPrefix[langOrDa(src.Language)] + title
		}
	}
	if title, err = checkTitle(title); err != nil {
		return nil, err
	}
	cp := *src
	cp.ID, cp.Title, cp.Owner = NewID(10), title, actor.ID
	cp.State, cp.CurrentSection, cp.CreatedAt, cp.EndedAt = StateLobby, "", s.now(), nil
	cp.Commands, cp.Stage, cp.Timer, cp.SharedWith, cp.Rev = nil, nil, nil, nil, 0
	cp.Rehearsal, cp.Template, cp.Shared = in.Rehearsal, in.Template != "", in.Template
	// A copy keeps its pace, not what the source's room made of it: themes (of comments the
	// copy does not have), agreements, the window, publishing, the session it followed up.
	cp.Themes, cp.Agreements, cp.ThemeSeq, cp.AgreementSeq = nil, nil, 0, 0
	cp.OpensAt, cp.ClosesAt, cp.Published, cp.Follows = nil, nil, false, ""
	cp.Groups = append([]Group(nil), src.Groups...)
	cp.Notes = maps.Clone(src.Notes)
	cp.HiddenWords = nil
	cp.Activities = make([]Activity, len(src.Activities))
	for i, a := range src.Activities {
		a.State, a.Results = ActivityClosed, ResultsHidden
		a.Statements = append([]string(nil), a.Statements...)
		a.Options = append([]Option(nil), a.Options...)
		a.Labels = append([]string(nil), a.Labels...)
		cp.Activities[i] = a
	}
	if err := s.createWithCode(ctx, &cp); err != nil {
		return nil, err
	}
	s.log.Info("session copied", "session", cp.ID, "from", src.ID, "rehearsal", cp.Rehearsal, "template", cp.Shared)
	return &cp, nil
}

// Templates lists the templates the actor may start from: their own and the organisation's.
func (s *Service) Templates(ctx context.Context, actor *User) ([]Session, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	return s.sessionsWhere(ctx, actor, func(sess *Session) bool { return sess.Template })
}

func langOrDa(l string) string {
	if _, ok := rehearsalPrefix[l]; ok {
		return l
	}
	return "da"
}
