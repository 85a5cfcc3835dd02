// Package forum is Pejl's domain: sessions that walk a room through a charter, the
// activities people vote and comment in, participants, results, and facilitator accounts.
// Every rule lives here, once, in Service; engines (memstore, redisstore) only store, behind
// the contracts in store.go.
package forum

import (
	"encoding/json"
	"time"
)

// SessionState is where a session is in its life.
type SessionState string

// Session states: lobby → live → ended.
const (
	StateLobby SessionState = "lobby"
	StateLive  SessionState = "live"
	StateEnded SessionState = "ended"
)

// Activity kinds.
const (
	KindScale    = "scale"
	KindChoice   = "choice"
	KindRank     = "rank"
	KindWords    = "words"
	KindComments = "comments"
	KindGap      = "gap"
	KindPoints   = "points"
)

// Activity voting and results states.
const (
	ActivityOpen   = "open"
	ActivityClosed = "closed"
	ResultsHidden  = "hidden"
	ResultsShown   = "shown"
)

// Group is a named part of the room (for example "Leder", "Medarbejder").
type Group struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Option is one choice of a choice or rank activity.
type Option struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Activity is something participants answer: a scale over statements, a choice, a
// ranking, words, or comments.
type Activity struct {
	ID         string   `json:"id"`
	Kind       string   `json:"kind"`
	Section    string   `json:"section"`
	Prompt     string   `json:"prompt"`
	Statements []string `json:"statements,omitempty"`
	Min        int      `json:"min,omitempty"`
	Max        int      `json:"max,omitempty"`
	Labels     []string `json:"labels,omitempty"`
	Options    []Option `json:"options,omitempty"`
	MaxChoices int      `json:"max_choices,omitempty"`
	K          int      `json:"k,omitempty"`
	// Agreement names the agreement a follow-up item asks about ("Er aftalen gennemført?").
	Agreement string `json:"agreement,omitempty"`
	// Axes are a gap rating's two questions (today, wanted).
	Axes []Axis `json:"axes,omitempty"`
	// Budget is what a points activity shares out.
	Budget int `json:"budget,omitempty"`
	// Round is 2 for a round opened from RoundOf, the activity whose round 1 it repeats.
	Round   int    `json:"round,omitempty"`
	RoundOf string `json:"round_of,omitempty"`
	State   string `json:"state"`
	Results string `json:"results"`
}

// MarshalJSON writes min and max for ranged kinds (scale) even when min is 0.
func (a Activity) MarshalJSON() ([]byte, error) {
	type plain Activity
	if !a.Ranged() {
		return json.Marshal(plain(a))
	}
	return json.Marshal(struct {
		plain
		Min int `json:"min"`
		Max int `json:"max"`
	}{plain(a), a.Min, a.Max})
}

// WithActivity writes the activity's JSON with the fields of extra (a struct, encoded as
// an object) added to it. Types that embed Activity use it in their own MarshalJSON, since
// Activity's method would otherwise stand for the whole of them.
func WithActivity(a Activity, extra any) ([]byte, error) {
	head, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	tail, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	if len(tail) <= 2 { // "{}"
		return head, nil
	}
	out := make([]byte, 0, len(head)+len(tail))
	out = append(out, head[:len(head)-1]...)
	out = append(out, ',')
	return append(out, tail[1:]...), nil
}

// Session is one workshop run through one charter.
type Session struct {
	ID                 string       `json:"id"`
	Code               string       `json:"code"`
	Title              string       `json:"title"`
	CharterID          string       `json:"charter_id"`
	Language           string       `json:"language"`
	Owner              string       `json:"owner"`
	State              SessionState `json:"state"`
	CurrentSection     string       `json:"current_section,omitempty"`
	Groups             []Group      `json:"groups"`
	AnonymityThreshold int          `json:"anonymity_threshold"`
	// MinResponses is how many must have answered an item before anyone but the facilitator
	// sees its results (0: the anonymity threshold); see ResultsFrom.
	MinResponses int        `json:"min_responses,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	EndedAt      *time.Time `json:"ended_at,omitempty"`
	Activities   []Activity `json:"activities"`
	// Commands are the ids of the latest facilitator commands, so that a resent one is
	// recognised (see Command.ID).
	Commands []string `json:"commands,omitempty"`
	// AutoApprove: new comments need no approval before the room sees them.
	AutoApprove bool `json:"auto_approve,omitempty"`
	// Notes are presenter notes by section id, set in the console: they replace the
	// charter's notes of that section ("" for none). Facilitators only (NotesFor).
	Notes map[string]string `json:"notes,omitempty"`
	// HiddenWords are the words a facilitator took off a word cloud, by activity id.
	HiddenWords map[string][]string `json:"hidden_words,omitempty"`
	// BlockedWords never reach a word cloud and flag comments in the approval queue; nil
	// means the default list (DefaultBlockedWords). Facilitators only.
	BlockedWords *[]string `json:"blocked_words,omitempty"`
	// Stage is what the presenter screen shows, when the facilitator put something up.
	Stage *Stage `json:"stage,omitempty"`
	// Timer is the running countdown, if any.
	Timer *Timer `json:"timer,omitempty"`
	// SharedWith are the emails of other facilitators who may see and run the session.
	SharedWith []string `json:"shared_with,omitempty"`
	// Rehearsal marks a throwaway copy ("Prøvekørsel"): labelled on every screen, left out of
	// comparisons, deleted a day after it was made.
	Rehearsal bool `json:"rehearsal,omitempty"`
	// Template marks a session kept to start others from; it never runs. Shared says for
	// whom: ShareOwner (the facilitator) or ShareOrganisation (every facilitator).
	Template bool   `json:"template,omitempty"`
	Shared   string `json:"shared,omitempty"`
	// ActivitySeq numbers the ids of added activities, so that an id is never used twice in
	// a session, not even after a delete.
	ActivitySeq int `json:"activity_seq,omitempty"`
	// Pace is PaceSelf for a survey that participants answer on their own time ("" or
	// PaceLive: the facilitator runs it). A self-paced session takes answers to every
	// activity while it is open (SurveyOpen), between OpensAt (or opening by hand) and
	// ClosesAt (or ending by hand); its results reach the room once Published.
	Pace      string     `json:"pace,omitempty"`
	OpensAt   *time.Time `json:"opens_at,omitempty"`
	ClosesAt  *time.Time `json:"closes_at,omitempty"`
	Published bool       `json:"published,omitempty"`
	// Follows is the id of the session this one follows up (see FollowUp).
	Follows string `json:"follows,omitempty"`
	// Themes group the room's comments; Agreements are what the room agreed to do.
	Themes     []Theme     `json:"themes,omitempty"`
	Agreements []Agreement `json:"agreements,omitempty"`
	// ThemeSeq and AgreementSeq number the ids of themes and agreements.
	ThemeSeq     int `json:"theme_seq,omitempty"`
	AgreementSeq int `json:"agreement_seq,omitempty"`
	// Rev is the session document's revision, for compare-and-swap; engines set it.
	Rev int64 `json:"rev"`
}

// ResultsFrom is the number of answers an item needs before the room (phones, presenter)
// and the exports show its results: MinResponses, or the anonymity threshold when unset.
func (s *Session) ResultsFrom() int64 {
	if s.MinResponses > 0 {
		return int64(s.MinResponses)
	}
	return int64(max(s.AnonymityThreshold, 1))
}

// Activity returns the activity with that id.
func (s *Session) Activity(id string) (*Activity, bool) {
	for i := range s.Activities {
		if s.Activities[i].ID == id {
			return &s.Activities[i], true
		}
	}
	return nil, false
}

// Group returns the group with that id.
func (s *Session) Group(id string) (Group, bool) {
	for _, g := range s.Groups {
		if g.ID == id {
			return g, true
		}
	}
	return Group{}, false
}

// OpenActivities lists the ids of activities that accept votes now (none once ended). In a
// self-paced session every activity is in the set until it ends: its time window is checked
// by the Service (SurveyOpen), since time moves without a save.
func (s *Session) OpenActivities() []string {
	if s.State == StateEnded {
		return nil
	}
	var ids []string
	for _, a := range s.Activities {
		if a.State == ActivityOpen || s.SelfPaced() {
			ids = append(ids, a.ID)
		}
	}
	return ids
}

// Participant is one person in one session. ID is a pseudonym, stable within the session,
// used in exports; the resume token is never stored, only its hash.
type Participant struct {
	ID        string    `json:"id"`
	TokenHash string    `json:"token_hash"`
	Name      string    `json:"name,omitempty"`
	Group     string    `json:"group,omitempty"`
	JoinedAt  time.Time `json:"joined_at"`
}

// Vote is a participant's current answer to an activity (per statement for scale).
type Vote struct {
	Participant string          `json:"participant"`
	Group       string          `json:"group,omitempty"`
	Activity    string          `json:"activity"`
	Statement   string          `json:"statement,omitempty"`
	Value       json.RawMessage `json:"value"`
	UpdatedAt   time.Time       `json:"updated_at"`
	// Contrib is what this vote adds to its activity's tally; kept with the vote so that
	// the engine can take it back when the vote is replaced.
	Contrib []Delta `json:"contrib"`
}

// Retracted reports whether the participant took the answer back: the vote counts
// nothing (every counted vote adds to its tally).
func (v *Vote) Retracted() bool { return len(v.Contrib) == 0 }

// Delta adds N to one tally field.
type Delta struct {
	Field string `json:"f"`
	N     int64  `json:"n"`
}

// Comment is a participant's comment, possibly about one statement.
type Comment struct {
	ID          string `json:"id"`
	Activity    string `json:"activity"`
	Statement   string `json:"statement,omitempty"`
	Participant string `json:"participant"`
	Group       string `json:"group,omitempty"`
	Text        string `json:"text"`
	Upvotes     int64  `json:"upvotes"`
	Hidden      bool   `json:"hidden"`
	Starred     bool   `json:"starred"`
	// Pending: the comment waits for the facilitator's approval (moderate show, hide or
	// star ends the wait); until then only its author and the facilitator see it.
	Pending   bool      `json:"pending,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Role of a facilitator account.
const (
	RoleAdmin       = "admin"
	RoleFacilitator = "facilitator"
)

// User is a facilitator or admin account. Engines store it as JSON, hash included: never
// render a User to a client; map it to an output type.
type User struct {
	ID           string    `json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	Role         string    `json:"role"`
	PasswordHash string    `json:"password_hash"`
	CreatedAt    time.Time `json:"created_at"`
	// Disabled users cannot log in, and their logins, tokens and sockets stop working.
	Disabled bool `json:"disabled,omitempty"`
	// LoginEpoch grows when every login of the user ends (password change, "log out
	// everywhere", deactivation): a login made under an earlier epoch no longer counts.
	LoginEpoch int `json:"login_epoch,omitempty"`
	// SSOIssuer and SSOSubject link the account to a single sign-on identity (SSOLogin).
	SSOIssuer  string `json:"sso_issuer,omitempty"`
	SSOSubject string `json:"sso_subject,omitempty"`
}

// IsAdmin reports whether the user may see and do everything.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin }

// Token is an API token; only its hash is stored.
type Token struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	// ExpiresAt, when set, is when the token stops working.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Login is a browser login session behind a cookie; only the cookie value's hash is stored.
type Login struct {
	Hash      string    `json:"hash"`
	UserID    string    `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
	// Epoch is the user's LoginEpoch when the login was made.
	Epoch int `json:"epoch,omitempty"`
}

// StoredCharter is an imported charter as an engine keeps it: its Markdown source (the
// charter is parsed again on load) and its owner.
type StoredCharter struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
	// Family and Version are set for a corrected version (NewCharterVersion).
	Family  string `json:"family,omitempty"`
	Version int    `json:"version,omitempty"`
}
