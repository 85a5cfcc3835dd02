package forum

import (
	"context"
	"time"
)

// Paces of a session: a facilitator walks the room through it (live), or participants
// answer on their own time while it is open (self: a survey).
const (
	PaceLive = "live"
	PaceSelf = "self"
)

// SelfPaced reports whether the session is a survey that participants go through on their
// own time, in their own order.
func (s *Session) SelfPaced() bool { return s.Pace == PaceSelf }

// SurveyOpen reports whether a self-paced session takes answers at now: it was opened by
// hand (state live) or its opens_at has come, it has not ended, and its closes_at has not
// come. Live sessions are never "open" in this sense.
func (s *Session) SurveyOpen(now time.Time) bool {
	if !s.SelfPaced() || s.State == StateEnded || (s.ClosesAt != nil && !now.Before(*s.ClosesAt)) {
		return false
	}
	return s.State == StateLive || (s.OpensAt != nil && !now.Before(*s.OpensAt))
}

// StateAt is the state the session shows at now: for a self-paced session lobby before it
// opens, live while it is open, ended once it closed (by hand or at closes_at); a live
// session's state as stored.
func (s *Session) StateAt(now time.Time) SessionState {
	if !s.SelfPaced() || s.State == StateEnded {
		return s.State
	}
	if s.ClosesAt != nil && !now.Before(*s.ClosesAt) {
		return StateEnded
	}
	if s.SurveyOpen(now) {
		return StateLive
	}
	return StateLobby
}

// surveyWindow is what the vote path needs to know about a session's pace, cached with its
// activities (see cacheActivities).
type surveyWindow struct {
	self     bool
	state    SessionState
	opensAt  *time.Time
	closesAt *time.Time
}

func windowOf(s *Session) surveyWindow {
	return surveyWindow{self: s.SelfPaced(), state: s.State, opensAt: s.OpensAt, closesAt: s.ClosesAt}
}

// check answers why a self-paced session takes no answers at now (nil when it does, and
// for live sessions, whose activities are opened one by one).
func (w surveyWindow) check(now time.Time, loc *time.Location) error {
	if !w.self {
		return nil
	}
	sess := Session{Pace: PaceSelf, State: w.state, OpensAt: w.opensAt, ClosesAt: w.closesAt}
	if sess.SurveyOpen(now) {
		return nil
	}
	return errSurveyClosed(&sess, now, loc)
}

// errSurveyClosed is the session_closed error for a self-paced session that takes no
// answers at now, with the reason a person can act on.
func errSurveyClosed(sess *Session, now time.Time, loc *time.Location) *Error {
	switch {
	case sess.State == StateEnded:
		return Errorf(ESessionClosed, "The survey has closed; answers are no longer taken.")
	case sess.ClosesAt != nil && !now.Before(*sess.ClosesAt):
		at := sess.ClosesAt.In(loc).Format("2.1.2006 15:04")
		return Errorf(ESessionClosed, "The survey closed at %s; answers are no longer taken.", at)
	case sess.OpensAt != nil:
		at := sess.OpensAt.In(loc).Format("2.1.2006 15:04")
		return Errorf(ESessionClosed, "The survey opens at %s; answers are taken from then.", at)
	}
	return Errorf(ESessionClosed, "The survey has not opened yet.")
}

// checkOpen refuses an answer to a self-paced session outside its window (from the cached
// window, loading the session on a miss).
func (s *Service) checkOpen(ctx context.Context, sessionID string) error {
	s.actMu.RLock()
	c, ok := s.acts[sessionID]
	s.actMu.RUnlock()
	if !ok {
		sess, err := s.SessionByID(ctx, sessionID)
		if err != nil {
			return err
		}
		s.cacheActivities(sess, false)
		c.win = windowOf(sess)
	}
	return c.win.check(s.now(), s.cfg.Location)
}

// checkWindow validates a self-paced session's opens_at and closes_at.
func checkWindow(opens, closes *time.Time) error {
	if opens != nil && closes != nil && !closes.After(*opens) {
		return invalid("closes_at", "closes_at must come after opens_at.")
	}
	return nil
}

// utcMillis returns t in UTC, truncated to milliseconds (nil stays nil), so that it
// survives every engine's encoding.
func utcMillis(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Millisecond)
	return &u
}

// publish makes a self-paced session's results visible to the participants (within the
// anonymity rules), or hides them again.
func publish(sess *Session, on bool) error {
	if !sess.SelfPaced() {
		return Errorf(EBadRequest, "Only a self-paced session is published; in a live session show each activity's results.")
	}
	sess.Published = on
	return nil
}

// checkPace validates a new session's pace and window; it returns the pace.
func checkPace(pace string, opens, closes *time.Time) (string, error) {
	switch pace {
	case "", PaceLive:
		if opens != nil || closes != nil {
			return "", invalid("pace", "opens_at and closes_at need a self-paced session (\"pace\":\"self\").")
		}
		return PaceLive, nil
	case PaceSelf:
		return PaceSelf, checkWindow(opens, closes)
	}
	return "", invalid("pace", "pace must be \"live\" or \"self\".")
}

// openSurvey opens a self-paced session by hand (it takes answers from now until it closes),
// or closes it by hand (for good, as "end" does).
func (s *Service) openSurvey(sess *Session, open bool) error {
	now := s.now()
	if !open {
		sess.State = StateEnded
		sess.EndedAt = &now
		sess.Timer = nil
		sess.Stage = &Stage{Kind: StageEnd}
		return nil
	}
	if sess.ClosesAt != nil && !now.Before(*sess.ClosesAt) {
		return conflict("closes_at", "The survey closed at its closes_at; move closes_at to a later time to open it again.")
	}
	sess.State = StateLive
	return nil
}
