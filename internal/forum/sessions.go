package forum

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"pejl/internal/charter"
)

// Scale labels and prompts of the default activities, per language.
var (
	scalePrompt = map[string]string{
		"da": "Hvor godt lever vi op til det?",
		"en": "How well do we live up to this?",
	}
	scaleLabels = map[string][]string{
		"da": {"Slet ikke", "I ringe grad", "I nogen grad", "I høj grad", "I meget høj grad"},
		"en": {"Not at all", "To a small extent", "To some extent", "To a large extent", "To a very large extent"},
	}
	commentsPrompt = map[string]string{
		"da": "Skriv en kommentar",
		"en": "Write a comment",
	}
)

// Limits on what people may send.
const (
	MaxTitle         = 200
	MaxGroups        = 20
	MaxGroupLabel    = 60
	MaxCommentRunes  = 1000
	MaxWordRunes     = 40
	MaxWords         = 3
	MaxOptions       = 20
	MaxActivities    = 500
	MaxPromptRunes   = 300
	MaxRankItems     = 1000
	DefaultThreshold = 5
)

var groupIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// NewSession is what a facilitator asks for.
type NewSession struct {
	Title              string  `json:"title"`
	CharterID          string  `json:"charter_id"`
	Language           string  `json:"language"`
	Groups             []Group `json:"groups"`
	AnonymityThreshold *int    `json:"anonymity_threshold"`
	// MinResponses: see Session.MinResponses; nil or 0 for the threshold.
	MinResponses *int `json:"min_responses"`
	// Pace: "live" (default) or "self" (a survey); OpensAt and ClosesAt bound a self-paced
	// session's answers (optional: without OpensAt it opens by hand).
	Pace     string     `json:"pace"`
	OpensAt  *time.Time `json:"opens_at"`
	ClosesAt *time.Time `json:"closes_at"`
}

// SessionPatch changes a session's settings; nil fields stay.
type SessionPatch struct {
	Title              *string  `json:"title"`
	Groups             *[]Group `json:"groups"`
	AnonymityThreshold *int     `json:"anonymity_threshold"`
	// MinResponses: see Session.MinResponses (0 for the threshold).
	MinResponses *int `json:"min_responses"`
	// SharedWith replaces the list of facilitators (by email) the session is shared with.
	SharedWith *[]string `json:"shared_with"`
	// AutoApprove: new comments reach the room without approval.
	AutoApprove *bool `json:"auto_approve"`
	// BlockedWords replaces the session's blocked words (see Session.BlockedWords).
	BlockedWords *[]string `json:"blocked_words"`
	// Notes sets the presenter notes of the sections named (section id → text; "" for none).
	Notes map[string]string `json:"notes"`
	// OpensAt and ClosesAt move a self-paced session's window; Published shows its results
	// to the participants (or hides them again).
	OpensAt   *time.Time `json:"opens_at"`
	ClosesAt  *time.Time `json:"closes_at"`
	Published *bool      `json:"published"`
}

func invalid(field, format string, args ...any) *Error {
	e := Errorf(EBadRequest, format, args...)
	e.Details = []Detail{{Field: field, Message: e.Message}}
	return e
}

func checkTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	if t == "" {
		return "", invalid("title", "Give the session a title.")
	}
	if utf8.RuneCountInString(t) > MaxTitle {
		return "", invalid("title", "The title may be at most %d characters.", MaxTitle)
	}
	return t, nil
}

func checkGroups(gs []Group) ([]Group, error) {
	if len(gs) > MaxGroups {
		return nil, invalid("groups", "At most %d groups.", MaxGroups)
	}
	out := make([]Group, 0, len(gs))
	seen := map[string]bool{}
	for i, g := range gs {
		g.Label = strings.TrimSpace(g.Label)
		if g.Label == "" || utf8.RuneCountInString(g.Label) > MaxGroupLabel {
			return nil, invalid("groups", "Group %d needs a label of 1–%d characters.", i+1, MaxGroupLabel)
		}
		if g.ID == "" {
			g.ID = fmt.Sprintf("g%d", i+1)
		}
		if !groupIDRe.MatchString(g.ID) {
			return nil, invalid("groups", "Group id %q may hold only a–z, 0–9, - and _ (at most 32).", g.ID)
		}
		if seen[g.ID] {
			return nil, invalid("groups", "Group id %q is used twice.", g.ID)
		}
		if g.ID == OtherGroup {
			return nil, invalid("groups", "Group id %q is reserved for the merged small groups; choose another id.", g.ID)
		}
		seen[g.ID] = true
		out = append(out, g)
	}
	return out, nil
}

// checkMinResponses checks a min_responses setting: 0 (the threshold) or 1–1000.
func checkMinResponses(t *int) (int, error) {
	if t == nil {
		return 0, nil
	}
	if *t < 0 || *t > 1000 {
		return 0, invalid("min_responses", "The number of answers before results are shown must be between 1 and 1000 (0 for the anonymity threshold).")
	}
	return *t, nil
}

func checkThreshold(t *int) (int, error) {
	if t == nil {
		return DefaultThreshold, nil
	}
	if *t < 1 || *t > 1000 {
		return 0, invalid("anonymity_threshold", "The anonymity threshold must be between 1 and 1000.")
	}
	return *t, nil
}

// DefaultActivities makes one scale and one comments activity for each section with
// statements; a section the charter marks unrated ("{.unrated}", such as its purpose in
// "Baggrund") gets the comments activity only.
func DefaultActivities(c *charter.Charter, lang string) []Activity {
	if _, ok := scalePrompt[lang]; !ok {
		lang = "da"
	}
	var acts []Activity
	for _, sec := range c.Sections {
		if len(sec.Statements) == 0 {
			continue
		}
		ids := make([]string, len(sec.Statements))
		for i, st := range sec.Statements {
			ids[i] = st.ID
		}
		if !sec.Unrated {
			acts = append(acts, Activity{ID: sec.ID + "-scale", Kind: KindScale, Section: sec.ID, Prompt: scalePrompt[lang],
				Statements: ids, Min: 1, Max: 5, Labels: append([]string(nil), scaleLabels[lang]...),
				State: ActivityClosed, Results: ResultsHidden})
		}
		acts = append(acts, Activity{ID: sec.ID + "-comments", Kind: KindComments, Section: sec.ID, Prompt: commentsPrompt[lang],
			State: ActivityClosed, Results: ResultsHidden})
	}
	return acts
}

// CreateSession creates a session in the lobby with the charter's default activities.
func (s *Service) CreateSession(ctx context.Context, actor *User, in NewSession) (*Session, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	title, err := checkTitle(in.Title)
	if err != nil {
		return nil, err
	}
	if in.CharterID == "" {
		return nil, invalid("charter_id", "Choose a charter (charter_id).")
	}
	c, err := s.Charter(ctx, in.CharterID)
	if err != nil {
		if ErrorCode(err) == ENotFound {
			return nil, invalid("charter_id", "There is no charter with the id %q.", in.CharterID)
		}
		return nil, err
	}
	lang := in.Language
	if lang == "" {
		lang = c.Language
	}
	if lang != "da" && lang != "en" {
		return nil, invalid("language", "The language must be \"da\" or \"en\".")
	}
	groups, err := checkGroups(in.Groups)
	if err != nil {
		return nil, err
	}
	thr, err := checkThreshold(in.AnonymityThreshold)
	if err != nil {
		return nil, err
	}
	minResp, err := checkMinResponses(in.MinResponses)
	if err != nil {
		return nil, err
	}
	pace, err := checkPace(in.Pace, in.OpensAt, in.ClosesAt)
	if err != nil {
		return nil, err
	}
	sess := &Session{
		ID: NewID(10), Title: title, CharterID: c.ID, Language: lang, Owner: actor.ID,
		State: StateLobby, Groups: groups, AnonymityThreshold: thr, MinResponses: minResp, CreatedAt: s.now(),
		Activities: DefaultActivities(c, lang),
	}
	if pace == PaceSelf {
		sess.Pace, sess.OpensAt, sess.ClosesAt = PaceSelf, utcMillis(in.OpensAt), utcMillis(in.ClosesAt)
	}
	if err := s.createWithCode(ctx, sess); err != nil {
		return nil, err
	}
	s.log.Info("session created", "session", sess.ID, "charter", c.ID)
	return sess, nil
}

// createWithCode stores a new session under a fresh join code (six digits, eight when six
// keep colliding).
func (s *Service) createWithCode(ctx context.Context, sess *Session) error {
	var err error
	for attempt := 0; ; attempt++ {
		digits := 6
		if attempt >= 8 {
			digits = 8
		}
		sess.Code = newCode(digits)
		err = s.e.CreateSession(ctx, sess)
		if !errors.Is(err, ErrConflict) || attempt >= 20 {
			break
		}
	}
	return engineErr(err)
}

// JoinURL is the link a phone opens for a session code.
func (s *Service) JoinURL(code string) string { return s.cfg.PublicURL + "/j/" + code }

// canSee reports whether the actor may see and control the session: its owner, those it is
// shared with, and admins; a template of the organisation, every facilitator.
func canSee(actor *User, sess *Session) bool {
	return actor != nil && (actor.IsAdmin() || sess.Owner == actor.ID || contains(sess.SharedWith, actor.Email) ||
		(sess.Template && sess.Shared == ShareOrganisation))
}

// Session returns a session the actor may see; anything else is ENotFound.
func (s *Service) Session(ctx context.Context, actor *User, id string) (*Session, error) {
	sess, err := s.e.Session(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && !canSee(actor, sess)) {
		return nil, Errorf(ENotFound, "There is no session with the id %q.", id)
	}
	if err != nil {
		return nil, engineErr(err)
	}
	return sess, nil
}

// SessionByID returns a session without an access check (for participants' sockets and
// internal use).
func (s *Service) SessionByID(ctx context.Context, id string) (*Session, error) {
	sess, err := s.e.Session(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "There is no session with the id %q.", id)
	}
	if err == nil {
		s.cacheActivities(sess, true)
	}
	return sess, engineErr(err)
}

// Sessions lists the actor's sessions (all for an admin).
func (s *Service) Sessions(ctx context.Context, actor *User) ([]Session, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	return s.sessionsWhere(ctx, actor, func(sess *Session) bool { return !sess.Template })
}

// sessionsWhere lists the sessions the actor may see that keep.
func (s *Service) sessionsWhere(ctx context.Context, actor *User, keep func(*Session) bool) ([]Session, error) {
	all, err := s.e.Sessions(ctx, "")
	if err != nil {
		return nil, engineErr(err)
	}
	out := []Session{}
	for _, sess := range all {
		if canSee(actor, &sess) && keep(&sess) {
			out = append(out, sess)
		}
	}
	return out, nil
}

// DeleteSession removes a session and everything in it.
func (s *Service) DeleteSession(ctx context.Context, actor *User, id string) error {
	if _, err := s.Session(ctx, actor, id); err != nil {
		return err
	}
	return s.deleteSession(ctx, id)
}

func (s *Service) deleteSession(ctx context.Context, id string) error {
	if err := s.e.DeleteSession(ctx, id); err != nil {
		return engineErr(err)
	}
	s.actMu.Lock()
	delete(s.acts, id)
	s.actMu.Unlock()
	_ = s.e.Publish(ctx, Event{Kind: EventDeleted, Session: id})
	s.log.Info("session deleted", "session", id)
	return nil
}

// SweepExpired deletes every session created longer than the retention period ago and
// returns how many it deleted.
func (s *Service) SweepExpired(ctx context.Context) (int, error) {
	all, err := s.e.Sessions(ctx, "")
	if err != nil {
		return 0, engineErr(err)
	}
	n := 0
	for _, sess := range all {
		if !sess.Template && s.now().After(s.expiresAt(&sess)) {
			if err := s.deleteSession(ctx, sess.ID); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// update applies fn to the session under compare-and-swap, retrying on conflict, then
// publishes the new state.
func (s *Service) update(ctx context.Context, actor *User, id string, fn func(*Session) error) (*Session, int64, error) {
	return s.updateLoaded(ctx, id, func() (*Session, error) { return s.Session(ctx, actor, id) }, fn)
}

// updateSession is update without an actor, for the service's own changes (a timer that
// runs out).
func (s *Service) updateSession(ctx context.Context, id string, fn func(*Session) error) (*Session, int64, error) {
	return s.updateLoaded(ctx, id, func() (*Session, error) { return s.SessionByID(ctx, id) }, fn)
}

func (s *Service) updateLoaded(ctx context.Context, id string, load func() (*Session, error), fn func(*Session) error) (*Session, int64, error) {
	for range 20 {
		sess, err := load()
		if err != nil {
			return nil, 0, err
		}
		if err := fn(sess); err == errAlreadyDone {
			_, v, verr := s.e.Version(ctx, id)
			return sess, v, engineErr(verr)
		} else if err != nil {
			return nil, 0, err
		}
		v, err := s.e.SaveSession(ctx, sess)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return nil, 0, engineErr(err)
		}
		s.cacheActivities(sess, true)
		_ = s.e.Publish(ctx, Event{Kind: EventState, Session: id, Version: v})
		return sess, v, nil
	}
	return nil, 0, Errorf(EConflict, "The session is changing too fast; try again.")
}

// errAlreadyDone tells update that the change was made before: nothing to save.
var errAlreadyDone = errors.New("already done")

// maxRecentCommands is how many facilitator command ids a session remembers.
const maxRecentCommands = 256

// UpdateSession changes title, groups or threshold.
func (s *Service) UpdateSession(ctx context.Context, actor *User, id string, p SessionPatch) (*Session, error) {
	var shared []string
	unshared := false
	if p.SharedWith != nil {
		if len(*p.SharedWith) > 50 {
			return nil, invalid("shared_with", "A session may be shared with at most 50 facilitators.")
		}
		for _, email := range *p.SharedWith {
			u, err := s.e.UserByEmail(ctx, normEmail(email))
			if errors.Is(err, ErrNotFound) {
				return nil, invalid("shared_with", "There is no facilitator with the email %q.", email)
			}
			if err != nil {
				return nil, engineErr(err)
			}
			if !contains(shared, u.Email) {
				shared = append(shared, u.Email)
			}
		}
	}
	answered := false
	if p.AnonymityThreshold != nil || p.MinResponses != nil {
		var err error
		if answered, err = s.sessionAnswered(ctx, id); err != nil {
			return nil, err
		}
	}
	sess, _, err := s.update(ctx, actor, id, func(sess *Session) error {
		if p.SharedWith != nil {
			if sess.Owner != actor.ID && !actor.IsAdmin() {
				return Errorf(EForbidden, "Only the session's owner may change whom it is shared with.")
			}
			sess.SharedWith = shared
			unshared = true
		}
		if p.Title != nil {
			t, err := checkTitle(*p.Title)
			if err != nil {
				return err
			}
			sess.Title = t
		}
		if p.Groups != nil {
			g, err := checkGroups(*p.Groups)
			if err != nil {
				return err
			}
			sess.Groups = g
		}
		if p.AutoApprove != nil {
			sess.AutoApprove = *p.AutoApprove
		}
		if p.BlockedWords != nil {
			list, err := checkBlockedWords(*p.BlockedWords)
			if err != nil {
				return err
			}
			sess.BlockedWords = &list
		}
		if len(p.Notes) > 0 {
			if err := s.setNotes(ctx, sess, p.Notes); err != nil {
				return err
			}
		}
		if p.OpensAt != nil || p.ClosesAt != nil {
			if !sess.SelfPaced() {
				return invalid("closes_at", "Only a self-paced session (pace \"self\") opens and closes at set times.")
			}
			opens, closes := sess.OpensAt, sess.ClosesAt
			if p.OpensAt != nil {
				opens = utcMillis(p.OpensAt)
			}
			if p.ClosesAt != nil {
				closes = utcMillis(p.ClosesAt)
			}
			if err := checkWindow(opens, closes); err != nil {
				return err
			}
			sess.OpensAt, sess.ClosesAt = opens, closes
		}
		if p.Published != nil {
			if err := publish(sess, *p.Published); err != nil {
				return err
			}
		}
		if p.AnonymityThreshold != nil {
			t, err := checkThreshold(p.AnonymityThreshold)
			if err != nil {
				return err
			}
			if t < sess.AnonymityThreshold && answered {
				return errThresholdLocked("anonymity_threshold")
			}
			sess.AnonymityThreshold = t
		}
		if p.MinResponses != nil {
			m, err := checkMinResponses(p.MinResponses)
			if err != nil {
				return err
			}
			before := sess.ResultsFrom()
			sess.MinResponses = m
			if sess.ResultsFrom() < before && answered {
				return errThresholdLocked("min_responses")
			}
		}
		return nil
	})
	if err == nil && unshared {
		s.revoke(ctx, Event{Target: id})
	}
	return sess, err
}

// errThresholdLocked refuses to lower a threshold once answers exist: lowering it would show
// the answers already given in smaller groups than the room was promised.
func errThresholdLocked(field string) *Error {
	return conflict(field, "Mindste gruppestørrelse kan ikke sænkes, når der er kommet svar. "+
		"(The threshold cannot be lowered once answers have come in: they were given under the higher one.)")
}

// sessionAnswered reports whether anyone has answered any activity of the session.
func (s *Service) sessionAnswered(ctx context.Context, id string) (bool, error) {
	sess, err := s.SessionByID(ctx, id)
	if err != nil {
		return false, err
	}
	for i := range sess.Activities {
		if ok, err := s.hasAnswers(ctx, id, &sess.Activities[i]); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// Command is a facilitator's instruction over the socket (or HTTP).
type Command struct {
	// ID is the facilitator's message id: a command whose id the session has seen already
	// changes nothing (the first one stands), whichever socket or instance it comes through.
	ID       string `json:"id,omitempty"`
	Type     string `json:"type"` // goto, open, close, show_results, hide_results, round, moderate, present, timer, end, publish
	Section  string `json:"section,omitempty"`
	Activity string `json:"activity,omitempty"`
	Comment  string `json:"comment,omitempty"`
	Action   string `json:"action,omitempty"` // hide, show, star, unstar
	// present: the stage kind and the page of a long list
	Stage string `json:"stage,omitempty"`
	Page  int    `json:"page,omitempty"`
	// timer: the countdown in seconds (0 stops it), and whether zero closes the activity
	Seconds int  `json:"seconds,omitempty"`
	Close   bool `json:"close,omitempty"`
	// moderate_word: the word of a word cloud to hide or show again (Action)
	Word string `json:"word,omitempty"`
}

// Do carries out a facilitator command and returns the new session version.
func (s *Service) Do(ctx context.Context, actor *User, sessionID string, cmd Command) (int64, error) {
	if cmd.Type == "moderate" {
		return s.moderate(ctx, actor, sessionID, cmd)
	}
	var ch *charter.Charter
	_, v, err := s.update(ctx, actor, sessionID, func(sess *Session) error {
		if cmd.ID != "" {
			if contains(sess.Commands, cmd.ID) {
				return errAlreadyDone
			}
			sess.Commands = append(sess.Commands, cmd.ID)
			if len(sess.Commands) > maxRecentCommands {
				sess.Commands = sess.Commands[len(sess.Commands)-maxRecentCommands:]
			}
		}
		if sess.Template {
			return Errorf(EConflict, "This is a template; start a session from it to run it.")
		}
		if sess.State == StateEnded && cmd.Type != "end" && cmd.Type != "show_results" && cmd.Type != "hide_results" && cmd.Type != "present" && cmd.Type != "publish" && cmd.Type != "moderate_word" {
			return Errorf(ESessionEnded, "The session has ended.")
		}
		switch cmd.Type {
		case "goto":
			if ch == nil {
				c, err := s.Charter(ctx, sess.CharterID)
				if err != nil {
					return err
				}
				ch = c
			}
			if _, ok := ch.SectionByID(cmd.Section); !ok {
				return Errorf(EBadRequest, "There is no section %q in this charter.", cmd.Section)
			}
			sess.CurrentSection = cmd.Section
			sess.State = StateLive
			sess.Stage = &Stage{Kind: StageSection, Section: cmd.Section}
		case "round":
			return startRound(sess, cmd.Activity)
		case "present":
			return s.present(ctx, sess, cmd)
		case "timer":
			return s.setTimer(sess, cmd)
		case "moderate_word":
			return moderateWord(sess, cmd)
		case "publish":
			return publish(sess, true)
		case "open", "close", "show_results", "hide_results":
			if sess.SelfPaced() && cmd.Activity == "" && (cmd.Type == "open" || cmd.Type == "close") {
				return s.openSurvey(sess, cmd.Type == "open")
			}
			a, ok := sess.Activity(cmd.Activity)
			if !ok {
				return Errorf(EUnknownActivity, "There is no activity %q in this session.", cmd.Activity)
			}
			switch cmd.Type {
			case "open":
				if _, ok := sess.Activity(a.ID + RoundSuffix); ok {
					// Round 1 stays as it was: the shift counts from it.
					return Errorf(EBadRequest, "Round 2 of %q has started; round 1 stays as it was. Open round 2 (%s) instead.", a.ID, a.ID+RoundSuffix)
				}
				a.State = ActivityOpen
				if sess.State == StateLobby {
					sess.State = StateLive
					if sess.CurrentSection == "" {
						sess.CurrentSection = a.Section
					}
				}
				sess.Stage = &Stage{Kind: StageQuestion, Section: a.Section, Activity: a.ID}
			case "close":
				a.State = ActivityClosed
			case "show_results":
				a.Results = ResultsShown
				// The comment wall is a stage of its own (present): showing a comments
				// activity's results does not put it up.
				if a.Kind != KindComments {
					sess.Stage = &Stage{Kind: StageResults, Section: a.Section, Activity: a.ID}
				}
			case "hide_results":
				a.Results = ResultsHidden
				if st := sess.Stage; st != nil && st.Activity == a.ID && (st.Kind == StageResults || st.Kind == StageComments) {
					sess.Stage = &Stage{Kind: StageSection, Section: a.Section}
				}
			}
		case "end":
			if sess.State != StateEnded {
				sess.State = StateEnded
				t := s.now()
				sess.EndedAt = &t
				for i := range sess.Activities {
					sess.Activities[i].State = ActivityClosed
				}
				sess.Stage = &Stage{Kind: StageEnd}
				sess.Timer = nil
			}
		default:
			return Errorf(EBadMessage, "Unknown command %q.", cmd.Type)
		}
		return nil
	})
	return v, err
}

func (s *Service) moderate(ctx context.Context, actor *User, sessionID string, cmd Command) (int64, error) {
	if _, err := s.Session(ctx, actor, sessionID); err != nil {
		return 0, err
	}
	t, f := true, false
	var hidden, starred *bool
	switch cmd.Action {
	case "hide":
		hidden = &t
	case "show":
		hidden = &f
	case "star":
		// Starring a comment that waits for approval approves it too.
		starred, hidden = &t, &f
	case "unstar":
		starred = &f
	default:
		return 0, Errorf(EBadRequest, "The action must be hide, show, star or unstar.")
	}
	c, err := s.e.SetCommentFlags(ctx, sessionID, cmd.Comment, hidden, starred)
	if errors.Is(err, ErrNotFound) {
		return 0, Errorf(ENotFound, "There is no comment %q in this session.", cmd.Comment)
	}
	if err != nil {
		return 0, engineErr(err)
	}
	_, v, err := s.e.Version(ctx, sessionID)
	if err != nil {
		return 0, engineErr(err)
	}
	_ = s.e.Publish(ctx, Event{Kind: EventComment, Session: sessionID, Version: v, Comment: c.ID})
	return v, nil
}

// NewActivity is a facilitator's request for an extra activity.
type NewActivity struct {
	Kind       string   `json:"kind"`
	Section    string   `json:"section"`
	Prompt     string   `json:"prompt"`
	Options    []Option `json:"options"`
	MaxChoices int      `json:"max_choices"`
	K          int      `json:"k"`
	Statements []string `json:"statements"`
	Scope      string   `json:"scope"`
	Min        int      `json:"min"`
	Max        int      `json:"max"`
	Labels     []string `json:"labels"`
	Axes       []Axis   `json:"axes"`
	Budget     int      `json:"budget"`
}

// AddActivity adds an activity to a section of the session (closed, results hidden).
func (s *Service) AddActivity(ctx context.Context, actor *User, sessionID string, in NewActivity) (*Activity, error) {
	var out Activity
	_, _, err := s.update(ctx, actor, sessionID, func(sess *Session) error {
		if sess.State == StateEnded {
			return Errorf(ESessionEnded, "The session has ended.")
		}
		if len(sess.Activities) >= MaxActivities {
			return Errorf(EBadRequest, "A session may have at most %d activities.", MaxActivities)
		}
		c, err := s.Charter(ctx, sess.CharterID)
		if err != nil {
			return err
		}
		a, err := buildActivity(c, sess, in)
		if err != nil {
			return err
		}
		a.ID = nextActivityID(sess, a.Section, a.Kind)
		sess.Activities = append(sess.Activities, a)
		out = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func buildActivity(c *charter.Charter, sess *Session, in NewActivity) (Activity, error) {
	sec := in.Section
	if sec == "" {
		sec = sess.CurrentSection
	}
	section, ok := c.SectionByID(sec)
	if !ok {
		return Activity{}, invalid("section", "Choose a section of the charter (section).")
	}
	prompt := strings.TrimSpace(in.Prompt)
	if utf8.RuneCountInString(prompt) > MaxPromptRunes {
		return Activity{}, invalid("prompt", "The prompt may be at most %d characters.", MaxPromptRunes)
	}
	a := Activity{Kind: in.Kind, Section: section.ID, Prompt: prompt, State: ActivityClosed, Results: ResultsHidden}
	err := kindOf(in.Kind).build(&kindBuild{c: c, sess: sess, section: section, in: in}, &a)
	if kinds[in.Kind] == nil {
		return a, err
	}
	if a.Prompt == "" && a.Kind != KindComments {
		return a, invalid("prompt", "Give the activity a prompt.")
	}
	return a, err
}

// setNotes sets presenter notes of sections of the session's charter.
func (s *Service) setNotes(ctx context.Context, sess *Session, notes map[string]string) error {
	ch, err := s.Charter(ctx, sess.CharterID)
	if err != nil {
		return err
	}
	for id, text := range notes {
		if _, ok := ch.SectionByID(id); !ok {
			return invalid("notes", "There is no section %q in this charter.", id)
		}
		text = strings.TrimSpace(text)
		if utf8.RuneCountInString(text) > charter.MaxNotesRunes {
			return invalid("notes", "Presenter notes may be at most %d characters.", charter.MaxNotesRunes)
		}
		if sess.Notes == nil {
			sess.Notes = map[string]string{}
		}
		sess.Notes[id] = text
	}
	return nil
}
