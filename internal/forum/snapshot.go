package forum

import (
	"context"
	"slices"
	"time"

	"pejl/internal/charter"
)

// ActivityView is an activity with its results attached (only when they may be seen).
type ActivityView struct {
	Activity
	Tally *Results `json:"tally,omitempty"`
	// Groups are results per visible group (facilitator view only).
	Groups []GroupResults `json:"groups,omitempty"`
	// Respondents is how many have answered (facilitator view only; see Answered).
	Respondents *int64 `json:"respondents,omitempty"`
	// Items name the statements of a rank or points activity with their text, since they
	// may come from other sections than the one on screen.
	Items []charter.Statement `json:"items,omitempty"`
	// ItemSections group a ranking's items under their sections' titles when they come
	// from more than one section (a charter-wide ranking), in charter order.
	ItemSections []ItemSection `json:"item_sections,omitempty"`
}

// ItemSection is a section's title and the ids of the items of an activity from it.
type ItemSection struct {
	Title string   `json:"title"`
	Items []string `json:"items"`
}

// MarshalJSON writes the activity with its results attached.
func (v ActivityView) MarshalJSON() ([]byte, error) {
	return WithActivity(v.Activity, struct {
		Tally       *Results            `json:"tally,omitempty"`
		Groups      []GroupResults      `json:"groups,omitempty"`
		Respondents *int64              `json:"respondents,omitempty"`
		Items       []charter.Statement `json:"items,omitempty"`
		Sections    []ItemSection       `json:"item_sections,omitempty"`
	}{v.Tally, v.Groups, v.Respondents, v.Items, v.ItemSections})
}

// Snapshot is what a participant (or a presenter) sees of a session.
type Snapshot struct {
	ID             string           `json:"id"`
	Title          string           `json:"title"`
	State          SessionState     `json:"state"`
	Language       string           `json:"language"`
	Groups         []Group          `json:"groups"`
	Rehearsal      bool             `json:"rehearsal,omitempty"`
	CurrentSection *string          `json:"current_section"`
	Section        *charter.Section `json:"section"`
	Activities     []ActivityView   `json:"activities"`
	// Stage is what the presenter screen shows; Timer the running countdown (or null).
	Stage Stage  `json:"stage"`
	Timer *Timer `json:"timer"`
	// Self-paced sessions: the pace, the window, whether results are published, and every
	// section with activities (Activities then holds all of them, each open while the
	// survey is).
	Pace      string            `json:"pace"`
	OpensAt   *time.Time        `json:"opens_at,omitempty"`
	ClosesAt  *time.Time        `json:"closes_at,omitempty"`
	Published bool              `json:"published,omitempty"`
	Sections  []charter.Section `json:"sections,omitempty"`
	// Agreements are what the room agreed: on the end screen, and in a follow-up (whose
	// items ask about them).
	Agreements []Agreement `json:"agreements,omitempty"`
}

// Snapshot builds the participant's view of the session: the current section and its
// activities, each with what participants see of its results (ForParticipant: the tally
// only while shown; comments without authors).
func (s *Service) Snapshot(ctx context.Context, sess *Session) (*Snapshot, error) {
	now := s.now()
	snap := &Snapshot{ID: sess.ID, Title: sess.Title, State: sess.StateAt(now), Language: sess.Language, Rehearsal: sess.Rehearsal,
		Groups: sess.Groups, Activities: []ActivityView{}, Stage: sess.CurrentStage(), Timer: sess.Timer,
		Pace: paceOf(sess)}
	if snap.Groups == nil {
		snap.Groups = []Group{}
	}
	if snap.State == StateEnded || sess.Follows != "" {
		snap.Agreements = sess.Agreements
	}
	self := sess.SelfPaced()
	if self {
		snap.OpensAt, snap.ClosesAt, snap.Published = sess.OpensAt, sess.ClosesAt, sess.Published
	}
	if sess.CurrentSection == "" && !self {
		return snap, nil
	}
	ch, err := s.Charter(ctx, sess.CharterID)
	if err != nil {
		return nil, err
	}
	if sess.CurrentSection != "" {
		cur := sess.CurrentSection
		snap.CurrentSection = &cur
		if sec, ok := ch.SectionByID(cur); ok {
			snap.Section = sec
		}
	}
	open := sess.SurveyOpen(now)
	for i := range sess.Activities {
		a := &sess.Activities[i]
		if !SeesActivity(ForParticipant, sess, a) {
			continue
		}
		av := ActivityView{Activity: *a}
		if self {
			av.State, av.Results = ActivityClosed, ResultsHidden
			if open {
				av.State = ActivityOpen
			}
			if sess.Published {
				av.Results = ResultsShown
			}
			if sec, ok := ch.SectionByID(a.Section); ok && !slices.ContainsFunc(snap.Sections, func(x charter.Section) bool { return x.ID == sec.ID }) {
				snap.Sections = append(snap.Sections, *sec)
			}
		}
		// Items: the statements with their text, for those a phone cannot read from the
		// current section (a rank's come from anywhere; a scale may take some from other
		// sections, and the end screen lists activities of every section).
		for _, id := range a.Statements {
			if st, sec, ok := ch.Statement(id); ok && (!a.PerStatement() || sec.ID != sess.CurrentSection) {
				av.Items = append(av.Items, st)
			}
		}
		if !a.PerStatement() {
			av.ItemSections = itemSections(ch, a.Statements)
		}
		r, _, ok, err := s.ActivityResults(ctx, ForParticipant, sess, a)
		if err != nil {
			return nil, err
		}
		if ok {
			av.Tally = &r
		}
		snap.Activities = append(snap.Activities, av)
	}
	return snap, nil
}

// SessionInfo is the session part of the facilitator view.
type SessionInfo struct {
	ID                 string       `json:"id"`
	Code               string       `json:"code"`
	Title              string       `json:"title"`
	State              SessionState `json:"state"`
	Language           string       `json:"language"`
	CharterID          string       `json:"charter_id"`
	CurrentSection     *string      `json:"current_section"`
	Groups             []Group      `json:"groups"`
	AnonymityThreshold int          `json:"anonymity_threshold"`
	// MinResponses is how many answers an item needs before the room and the exports see
	// its figures (Session.ResultsFrom).
	MinResponses int        `json:"min_responses"`
	JoinURL      string     `json:"join_url"`
	CreatedAt    time.Time  `json:"created_at"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
	ExpiresAt    time.Time  `json:"expires_at"`
	SharedWith   []string   `json:"shared_with"`
	Rehearsal    bool       `json:"rehearsal,omitempty"`
	Template     bool       `json:"template,omitempty"`
	Shared       string     `json:"shared,omitempty"`
	AutoApprove  bool       `json:"auto_approve"`
	// Pace is "live" or "self"; a self-paced session's State follows its window (StateAt).
	Pace      string     `json:"pace"`
	OpensAt   *time.Time `json:"opens_at,omitempty"`
	ClosesAt  *time.Time `json:"closes_at,omitempty"`
	Published bool       `json:"published"`
	Follows   string     `json:"follows,omitempty"`
}

// Info is the facilitator's summary of a session.
func (s *Service) Info(sess *Session) SessionInfo {
	in := SessionInfo{ID: sess.ID, Code: sess.Code, Title: sess.Title, State: sess.StateAt(s.now()),
		Pace: paceOf(sess), OpensAt: sess.OpensAt, ClosesAt: sess.ClosesAt, Published: sess.Published, Follows: sess.Follows,
		Language: sess.Language, CharterID: sess.CharterID, Groups: sess.Groups,
		AnonymityThreshold: sess.AnonymityThreshold, MinResponses: int(sess.ResultsFrom()), JoinURL: s.JoinURL(sess.Code),
		CreatedAt: sess.CreatedAt, EndedAt: sess.EndedAt, ExpiresAt: s.expiresAt(sess),
		SharedWith: sess.SharedWith, Rehearsal: sess.Rehearsal, Template: sess.Template, Shared: sess.Shared,
		AutoApprove: sess.AutoApprove}
	if in.SharedWith == nil {
		in.SharedWith = []string{}
	}
	if in.Groups == nil {
		in.Groups = []Group{}
	}
	if sess.CurrentSection != "" {
		cur := sess.CurrentSection
		in.CurrentSection = &cur
	}
	return in
}

// ParticipantsView counts participants, in all and per group (only visible groups, with
// the smaller ones merged into "other").
type ParticipantsView struct {
	Count  int64            `json:"count"`
	Groups map[string]int64 `json:"groups"`
}

// View is the facilitator's full view of a session.
type View struct {
	Session      SessionInfo      `json:"session"`
	Charter      *charter.Charter `json:"charter"`
	Activities   []ActivityView   `json:"activities"`
	Participants ParticipantsView `json:"participants"`
	Epoch        string           `json:"epoch"`
	Version      int64            `json:"version"`
	// Themes and Agreements of the session (facilitator view).
	Themes     []Theme     `json:"themes"`
	Agreements []Agreement `json:"agreements"`
	// Notes are the presenter notes by section id: the facilitator's view only (NotesFor).
	Notes map[string]string `json:"notes,omitempty"`
	// HiddenWords (by activity) and BlockedWords: the facilitator's view only (WordsFor).
	HiddenWords  map[string][]string `json:"hidden_words,omitempty"`
	BlockedWords []string            `json:"blocked_words,omitempty"`
}

// View returns the facilitator view of a session the actor may see.
func (s *Service) View(ctx context.Context, actor *User, id string) (*View, error) {
	return s.ViewAs(ctx, actor, id, ForFacilitator)
}

// ViewAs returns the view of a session the actor may see, for the facilitator or the
// presenter screen (see ViewFor).
func (s *Service) ViewAs(ctx context.Context, actor *User, id string, aud Audience) (*View, error) {
	sess, err := s.Session(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	return s.ViewFor(ctx, sess, aud)
}

// ViewOf builds the facilitator view of a session already loaded and authorised.
func (s *Service) ViewOf(ctx context.Context, sess *Session) (*View, error) {
	return s.ViewFor(ctx, sess, ForFacilitator)
}

// ViewFor builds the view of a session for the facilitator or the presenter screen: the
// presenter's activities carry results only as the room may see them (comments: the
// approved ones while shown), and how many have answered each.
func (s *Service) ViewFor(ctx context.Context, sess *Session, aud Audience) (*View, error) {
	epoch, version, err := s.e.Version(ctx, sess.ID)
	if err != nil {
		return nil, engineErr(err)
	}
	ch, err := s.Charter(ctx, sess.CharterID)
	if err != nil {
		return nil, err
	}
	total, counts, err := s.e.ParticipantCounts(ctx, sess.ID)
	if err != nil {
		return nil, engineErr(err)
	}
	v := &View{Session: s.Info(sess), Charter: ch, Activities: []ActivityView{}, Epoch: epoch, Version: version,
		Participants: ParticipantsView{Count: total, Groups: GroupCounts(VisibleGroups(sess, total, counts))},
		Themes:       orEmpty(sess.Themes), Agreements: orEmpty(sess.Agreements), Notes: NotesFor(aud, sess, ch)}
	v.HiddenWords, v.BlockedWords = WordsFor(aud, sess)
	for i := range sess.Activities {
		a := &sess.Activities[i]
		r, per, _, err := s.ActivityResults(ctx, ForFacilitator, sess, a)
		if err != nil {
			return nil, err
		}
		n := Answered(r)
		av := ActivityView{Activity: *a, Tally: &r, Groups: per, Respondents: &n}
		if aud != ForFacilitator {
			av.Tally, av.Groups = nil, nil
			if r, per, ok, err := s.ActivityResults(ctx, aud, sess, a); err != nil {
				return nil, err
			} else if ok {
				av.Tally, av.Groups = &r, per
			}
		}
		v.Activities = append(v.Activities, av)
	}
	return v, nil
}

// GroupCounts maps visible group ids to their member counts.
func GroupCounts(groups []GroupView) map[string]int64 {
	m := map[string]int64{}
	for _, g := range groups {
		m[g.ID] = g.Members
	}
	return m
}

// paceOf is the session's pace as clients read it: "live" or "self".
func paceOf(sess *Session) string {
	if sess.SelfPaced() {
		return PaceSelf
	}
	return PaceLive
}

// itemSections groups statement ids by their sections, in charter order; nil when they all
// come from one section.
func itemSections(ch *charter.Charter, ids []string) []ItemSection {
	var out []ItemSection
	for _, sec := range ch.Sections {
		var in []string
		for _, st := range sec.Statements {
			if slices.Contains(ids, st.ID) {
				in = append(in, st.ID)
			}
		}
		if len(in) > 0 {
			out = append(out, ItemSection{Title: sec.Title, Items: in})
		}
	}
	if len(out) < 2 {
		return nil
	}
	return out
}
