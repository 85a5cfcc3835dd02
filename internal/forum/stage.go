package forum

import (
	"context"
	"time"
)

// Stage kinds: what the presenter screen shows, one thing at a time.
const (
	StageLobby    = "lobby"    // the join code and the QR code
	StageSection  = "section"  // a section's title and statements
	StageQuestion = "question" // an activity's question, the join code and the response counter
	StageResults  = "results"  // an activity's results alone
	StageComments = "comments" // the comment wall of a comments activity
	StageEnd      = "end"      // the closing screen
)

// MaxStagePage bounds the page of a stage (long lists are split into pages).
const MaxStagePage = 100

// Stage is what the facilitator put up on the presenter screen last. goto, open,
// show_results and end set it; the present command sets it explicitly.
type Stage struct {
	Kind     string `json:"kind"`
	Section  string `json:"section,omitempty"`
	Activity string `json:"activity,omitempty"`
	// Page is the page of a long list (0 is the first); the presenter decides the page size.
	Page int `json:"page"`
}

// Timer is a countdown on the presenter screen (and on phones): for an activity, which it
// may close at zero, or for a discussion at the tables when Activity is empty.
type Timer struct {
	Activity string    `json:"activity,omitempty"`
	Seconds  int       `json:"seconds"`
	EndsAt   time.Time `json:"ends_at"`
	// Close closes the activity when the countdown reaches zero.
	Close bool `json:"close,omitempty"`
}

// MaxTimerSeconds bounds a countdown (3 hours).
const MaxTimerSeconds = 3 * 60 * 60

// CurrentStage is the session's stage: the one put up last, or what its state implies.
func (s *Session) CurrentStage() Stage {
	switch {
	case s.State == StateEnded && (s.Stage == nil || s.Stage.Kind != StageResults && s.Stage.Kind != StageComments):
		return Stage{Kind: StageEnd}
	case s.Stage != nil:
		return *s.Stage
	case s.CurrentSection == "":
		return Stage{Kind: StageLobby}
	}
	return Stage{Kind: StageSection, Section: s.CurrentSection}
}

// present checks a stage against the session and puts it up.
func (s *Service) present(ctx context.Context, sess *Session, cmd Command) error {
	st := Stage{Kind: cmd.Stage, Page: cmd.Page}
	if st.Page < 0 || st.Page > MaxStagePage {
		return Errorf(EInvalidValue, "The page must be between 0 and %d.", MaxStagePage)
	}
	switch st.Kind {
	case StageLobby, StageEnd:
	case StageSection:
		ch, err := s.Charter(ctx, sess.CharterID)
		if err != nil {
			return err
		}
		if cmd.Section == "" {
			cmd.Section = sess.CurrentSection
		}
		if _, ok := ch.SectionByID(cmd.Section); !ok {
			return Errorf(EInvalidValue, "There is no section %q in this charter.", cmd.Section)
		}
		st.Section = cmd.Section
	case StageQuestion, StageResults, StageComments:
		a, ok := sess.Activity(cmd.Activity)
		if !ok {
			return Errorf(EUnknownActivity, "There is no activity %q in this session.", cmd.Activity)
		}
		if st.Kind == StageComments && a.Kind != KindComments {
			return Errorf(EInvalidValue, "The comment wall needs a comments activity.")
		}
		st.Activity, st.Section = a.ID, a.Section
	default:
		return Errorf(EInvalidValue, "The stage must be lobby, section, question, results, comments or end.")
	}
	// What the presenter screen shows, the room sees: the phones follow to its section,
	// and putting results or the comment wall up shows them.
	if st.Section != "" && sess.State != StateEnded {
		sess.CurrentSection = st.Section
		if sess.State == StateLobby {
			sess.State = StateLive
		}
	}
	if st.Kind == StageResults || st.Kind == StageComments {
		a, _ := sess.Activity(st.Activity)
		a.Results = ResultsShown
	}
	sess.Stage = &st
	return nil
}

// setTimer starts (seconds > 0) or stops (seconds 0) the session's countdown.
func (s *Service) setTimer(sess *Session, cmd Command) error {
	if cmd.Seconds < 0 || cmd.Seconds > MaxTimerSeconds {
		return Errorf(EInvalidValue, "A timer runs from 1 second to %d hours.", MaxTimerSeconds/3600)
	}
	if cmd.Seconds == 0 {
		sess.Timer = nil
		return nil
	}
	if cmd.Activity != "" {
		if _, ok := sess.Activity(cmd.Activity); !ok {
			return Errorf(EUnknownActivity, "There is no activity %q in this session.", cmd.Activity)
		}
	} else if cmd.Close {
		return Errorf(EInvalidValue, "Only an activity's timer can close it.")
	}
	sess.Timer = &Timer{Activity: cmd.Activity, Seconds: cmd.Seconds, Close: cmd.Close,
		EndsAt: s.now().Add(time.Duration(cmd.Seconds) * time.Second)}
	return nil
}

// TimerDue reports whether the session's countdown has run out and should close its
// activity now.
func (s *Service) TimerDue(sess *Session) bool {
	t := sess.Timer
	if t == nil || !t.Close || sess.State == StateEnded || s.now().Before(t.EndsAt) {
		return false
	}
	a, ok := sess.Activity(t.Activity)
	return ok && a.State == ActivityOpen
}

// ExpireTimer closes the activity of a countdown that has run out. Every instance may call
// it: the first one closes the activity, later ones change nothing.
func (s *Service) ExpireTimer(ctx context.Context, sessionID string) error {
	_, _, err := s.updateSession(ctx, sessionID, func(sess *Session) error {
		if !s.TimerDue(sess) {
			return errAlreadyDone
		}
		a, _ := sess.Activity(sess.Timer.Activity)
		a.State = ActivityClosed
		return nil
	})
	return err
}

// Answered is how many participants have answered an activity, from its results: the
// voters of a choice, ranking, points or words; for a scale or gap rating, the most answers
// any one of its statements has ("ved ikke" included); for comments, the visible comments.
func Answered(r Results) int64 {
	if !kindOf(r.Kind).perStatement() {
		return r.N
	}
	var n int64
	for _, st := range r.Statements {
		n = max(n, st.N+st.Skipped)
	}
	return n
}
