package forum

import (
	"context"
	"fmt"
	"slices"
)

// Shaping a session's activities before and between uses: edit, delete, reorder.
//
// The rule: an activity may be changed freely while nobody has answered it and voting on it
// is closed. Once it has answers (votes, words or comments, even if later replaced) only its
// wording may change — the prompt, option labels and scale labels — because anything else
// would change what the stored answers mean. Reordering is always allowed.
//
// Why "closed" as well: the engine refuses votes for activities outside the session's open
// set in the same atomic step that stores them, and SaveSession swaps the document under
// compare-and-swap. So when the saved revision has the activity closed, no answer can land
// between the check for answers and the save.

// ActivityPatch changes an activity; nil fields stay.
type ActivityPatch struct {
	Prompt     *string   `json:"prompt"`
	Options    *[]Option `json:"options"`
	MaxChoices *int      `json:"max_choices"`
	K          *int      `json:"k"`
	Statements *[]string `json:"statements"`
	Min        *int      `json:"min"`
	Max        *int      `json:"max"`
	Labels     *[]string `json:"labels"`
	// Axes of a gap rating (prompts and labels are wording; ranges are meaning), Budget of
	// points.
	Axes   *[]Axis `json:"axes"`
	Budget *int    `json:"budget"`
	// Position moves the activity to this 0-based place among its section's activities (a
	// place past the end means last).
	Position *int `json:"position"`
}

// Detail fields of the conflicts an edit meets, so that clients can word them.
const (
	// DetailAnswered: the activity has answers; only its wording may change.
	DetailAnswered = "answered"
	// DetailOpen: voting on the activity is open; close it first.
	DetailOpen = "open"
)

func conflict(field, format string, args ...any) *Error {
	e := Errorf(EConflict, format, args...)
	e.Details = []Detail{{Field: field, Message: e.Message}}
	return e
}

// hasAnswers reports whether anyone has answered the activity (a vote, a word or a comment,
// even one that was replaced later).
func (s *Service) hasAnswers(ctx context.Context, sessionID string, a *Activity) (bool, error) {
	if a.Kind == KindComments {
		found := false
		err := s.e.ScanComments(ctx, sessionID, func(c Comment) error {
			if c.Activity == a.ID {
				found = true
				return errStopScan
			}
			return nil
		})
		if err != nil && err != errStopScan {
			return false, engineErr(err)
		}
		return found, nil
	}
	t, err := s.e.Tally(ctx, sessionID, a.ID)
	if err != nil {
		return false, engineErr(err)
	}
	for _, n := range t {
		if n != 0 {
			return true, nil
		}
	}
	return false, nil
}

// errStopScan ends a scan early.
var errStopScan = fmt.Errorf("stop scan")

// sameMeaning reports whether b differs from a only in wording: prompt, option labels (the
// same option ids, in any order) and scale labels (as many as before).
func sameMeaning(a, b *Activity) bool {
	if a.Kind != b.Kind || a.Min != b.Min || a.Max != b.Max || a.MaxChoices != b.MaxChoices || a.K != b.K ||
		a.Budget != b.Budget || !sameAxes(a.Axes, b.Axes) ||
		!slices.Equal(a.Statements, b.Statements) || len(a.Options) != len(b.Options) ||
		(len(a.Labels) != len(b.Labels) && len(a.Labels) != 0 && len(b.Labels) != 0) {
		return false
	}
	ids := make([]string, len(a.Options))
	for i, o := range a.Options {
		ids[i] = o.ID
	}
	for _, o := range b.Options {
		if !slices.Contains(ids, o.ID) {
			return false
		}
	}
	return true
}

// sameAxes reports whether two gap ratings' axes have the same ids and ranges.
func sameAxes(a, b []Axis) bool {
	return slices.EqualFunc(a, b, func(x, y Axis) bool { return x.ID == y.ID && x.Min == y.Min && x.Max == y.Max })
}

// checkDraftable refuses a change to the activity's meaning while voting is open or once it
// has answers.
func (s *Service) checkDraftable(ctx context.Context, sess *Session, a *Activity, what string) error {
	sessionID := sess.ID
	if sess.SurveyOpen(s.now()) {
		return conflict(DetailOpen, "The survey is open; close it before you %s an activity.", what)
	}
	if a.State == ActivityOpen {
		return conflict(DetailOpen, "Voting on this activity is open; close it before you %s it.", what)
	}
	answered, err := s.hasAnswers(ctx, sessionID, a)
	if err != nil {
		return err
	}
	if answered {
		return conflict(DetailAnswered, "This activity has answers, so you cannot %s it: that would change what the answers mean. You can still change its wording (prompt and labels), or add a new activity.", what)
	}
	return nil
}

// UpdateActivity edits an activity (see ActivityPatch and the rule above).
func (s *Service) UpdateActivity(ctx context.Context, actor *User, sessionID, activityID string, p ActivityPatch) (*Activity, error) {
	var out Activity
	_, _, err := s.update(ctx, actor, sessionID, func(sess *Session) error {
		if sess.State == StateEnded {
			return Errorf(ESessionEnded, "The session has ended; its activities can no longer change.")
		}
		a, ok := sess.Activity(activityID)
		if !ok {
			return Errorf(ENotFound, "There is no activity %q in this session.", activityID)
		}
		in := NewActivity{Kind: a.Kind, Section: a.Section, Prompt: a.Prompt, Options: a.Options,
			MaxChoices: a.MaxChoices, K: a.K, Statements: a.Statements, Min: a.Min, Max: a.Max, Labels: a.Labels,
			Axes: a.Axes, Budget: a.Budget}
		set(&in.Prompt, p.Prompt)
		set(&in.Options, p.Options)
		set(&in.MaxChoices, p.MaxChoices)
		set(&in.K, p.K)
		set(&in.Statements, p.Statements)
		set(&in.Min, p.Min)
		set(&in.Max, p.Max)
		set(&in.Labels, p.Labels)
		set(&in.Axes, p.Axes)
		set(&in.Budget, p.Budget)
		c, err := s.Charter(ctx, sess.CharterID)
		if err != nil {
			return err
		}
		b, err := buildActivity(c, sess, in)
		if err != nil {
			return err
		}
		if a.Kind == KindComments && p.Prompt != nil && b.Prompt == "" {
			b.Prompt = commentsPrompt[sess.Language]
		}
		b.ID, b.State, b.Results, b.Round, b.RoundOf = a.ID, a.State, a.Results, a.Round, a.RoundOf
		if !sameMeaning(a, &b) {
			if err := s.checkDraftable(ctx, sess, a, "change the meaning of"); err != nil {
				return err
			}
		}
		*a = b
		if p.Position != nil {
			moveActivity(sess, a.ID, *p.Position)
		}
		out = *mustActivity(sess, activityID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// set copies *src to *dst when src is given.
func set[T any](dst, src *T) {
	if src != nil {
		*dst = *src
	}
}

func mustActivity(sess *Session, id string) *Activity {
	a, _ := sess.Activity(id)
	return a
}

// moveActivity puts the activity at the 0-based place pos among its section's activities.
func moveActivity(sess *Session, id string, pos int) {
	i := slices.IndexFunc(sess.Activities, func(a Activity) bool { return a.ID == id })
	if i < 0 {
		return
	}
	a := sess.Activities[i]
	rest := slices.Delete(slices.Clone(sess.Activities), i, i+1)
	var places []int // indexes in rest of the section's other activities
	for j := range rest {
		if rest[j].Section == a.Section {
			places = append(places, j)
		}
	}
	at := i
	switch {
	case len(places) == 0:
	case pos <= 0:
		at = places[0]
	case pos >= len(places):
		at = places[len(places)-1] + 1
	default:
		at = places[pos]
	}
	sess.Activities = slices.Insert(rest, at, a)
}

// DeleteActivity removes an activity nobody has answered, while voting on it is closed.
func (s *Service) DeleteActivity(ctx context.Context, actor *User, sessionID, activityID string) error {
	_, _, err := s.update(ctx, actor, sessionID, func(sess *Session) error {
		if sess.State == StateEnded {
			return Errorf(ESessionEnded, "The session has ended; its activities can no longer change.")
		}
		a, ok := sess.Activity(activityID)
		if !ok {
			return Errorf(ENotFound, "There is no activity %q in this session.", activityID)
		}
		if err := s.checkDraftable(ctx, sess, a, "delete"); err != nil {
			return err
		}
		sess.Activities = slices.DeleteFunc(sess.Activities, func(x Activity) bool { return x.ID == activityID })
		return nil
	})
	return err
}

// activityCache holds a session's activity definitions as of one revision of its document.
type activityCache struct {
	rev  int64
	defs map[string]Activity
	win  surveyWindow
}

// cacheActivities stores the definitions of a loaded session document unless a newer
// revision is cached already; with onlyIfCached it only refreshes a session already cached.
// Every load of a session passes through here, so an instance refreshes its definitions on
// every state event; an edited activity is closed, and the change that opens it again is a
// later revision, so no vote for it is checked against an old definition.
func (s *Service) cacheActivities(sess *Session, onlyIfCached bool) {
	s.actMu.Lock()
	defer s.actMu.Unlock()
	old, ok := s.acts[sess.ID]
	if (!ok && onlyIfCached) || (ok && old.rev >= sess.Rev) {
		return
	}
	m := make(map[string]Activity, len(sess.Activities))
	for _, a := range sess.Activities {
		m[a.ID] = a
	}
	s.acts[sess.ID] = activityCache{rev: sess.Rev, defs: m, win: windowOf(sess)}
}

// nextActivityID returns an id for a new activity that no activity of the session had
// before, deleted ones included.
func nextActivityID(sess *Session, section, kind string) string {
	sess.ActivitySeq = max(sess.ActivitySeq, len(sess.Activities))
	for {
		sess.ActivitySeq++
		id := fmt.Sprintf("%s-%s-%d", section, kind, sess.ActivitySeq)
		if _, ok := sess.Activity(id); !ok {
			return id
		}
	}
}
