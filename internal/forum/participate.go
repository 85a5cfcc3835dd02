package forum

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxClientID is the longest message id a client may choose.
const MaxClientID = 64

// The join-guessing limit: per client address (as a keyed hash), Limits.JoinGuessesPerAddress
// wrong codes a minute. Right codes never count, so 200 people behind one NAT can join at
// once. Past the limit a code is refused unless someone from the same address joined with
// it within the hour: a room keeps joining while one device there floods wrong codes, and a
// guesser past the limit learns nothing from the answers.
const joinGuessMsg = "Too many wrong codes from your network. Wait a little and try again."

// joinGuard applies the guessing limit to one code: resolve finds the session (an EUnknownCode
// or ENotFound from it counts as a wrong guess).
func (s *Service) joinGuard(ctx context.Context, code, clientAddr string, resolve func() error) error {
	ak, err := s.addrKey(ctx, clientAddr)
	if err != nil {
		return err
	}
	guesses := limit{"join-fail:" + ak, s.limits.JoinGuessesPerAddress, time.Minute}
	known := "join-ok:" + ak + ":" + code
	if err := s.peek(ctx, guesses, joinGuessMsg); err != nil {
		if ErrorCode(err) != ERateLimited || !s.remembered(ctx, known) {
			return err
		}
	}
	err = resolve()
	switch ErrorCode(err) {
	case "":
		s.remember(ctx, known)
	case EUnknownCode, ENotFound:
		_ = s.take(ctx, guesses, joinGuessMsg)
	}
	return err
}

// JoinLookup finds the session a code belongs to, for a phone about to join. Unknown and
// ended sessions are EUnknownCode. Guessing is limited per client address (see above).
func (s *Service) JoinLookup(ctx context.Context, code, clientAddr string) (*Session, error) {
	var sess *Session
	err := s.joinGuard(ctx, code, clientAddr, func() (err error) {
		sess, err = s.lookupCode(ctx, code)
		return err
	})
	return sess, err
}

// GuardJoin applies the same limit to a participant's socket for a code: past the limit it
// is ERateLimited; an unknown code counts as a wrong guess (the socket then learns that the
// session is gone, so that error is not returned).
func (s *Service) GuardJoin(ctx context.Context, code, clientAddr string) error {
	err := s.joinGuard(ctx, code, clientAddr, func() error {
		_, err := s.e.SessionIDByCode(ctx, code)
		return engineErr(err)
	})
	if ErrorCode(err) == ENotFound {
		return nil
	}
	return err
}

func (s *Service) lookupCode(ctx context.Context, code string) (*Session, error) {
	unknown := Errorf(EUnknownCode, "There is no session with the code %q. Check the code on the screen and try again.", code)
	if len(code) < 6 || len(code) > 12 || strings.Trim(code, "0123456789") != "" {
		return nil, unknown
	}
	id, err := s.e.SessionIDByCode(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return nil, unknown
	}
	if err != nil {
		return nil, engineErr(err)
	}
	sess, err := s.e.Session(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && (sess.StateAt(s.now()) == StateEnded || sess.Template)) {
		return nil, unknown
	}
	return sess, engineErr(err)
}

// SessionIDByCode resolves a code for a participant's socket without the guessing limit
// (the socket is opened only after a lookup). Ended sessions resolve too, so that a
// returning phone sees the thank-you and the results.
func (s *Service) SessionIDByCode(ctx context.Context, code string) (string, error) {
	id, err := s.e.SessionIDByCode(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return "", Errorf(EUnknownCode, "There is no session with the code %q.", code)
	}
	return id, engineErr(err)
}

// Hello identifies a participant: the resume token brings back the same participant; an
// unknown or forged token, or none, makes a new one. It returns the participant and the
// token to keep (a fresh one for a new participant).
//
// A name is not asked for and never stored: the answers are kept, not who gave them. The
// spec's hello still accepts a name; it is dropped (the third argument is ignored).
func (s *Service) Hello(ctx context.Context, sess *Session, token, _, group string) (*Participant, string, error) {
	if token != "" && len(token) <= 128 {
		p, err := s.e.ParticipantByToken(ctx, sess.ID, HashSecret(token))
		if err == nil {
			return p, token, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, "", engineErr(err)
		}
	}
	if sess.StateAt(s.now()) == StateEnded {
		return nil, "", Errorf(ESessionEnded, "The session has ended. Thank you for taking part!")
	}
	if group != "" {
		if _, ok := sess.Group(group); !ok {
			return nil, "", Errorf(EInvalidValue, "There is no group %q in this session; choose one of the session's groups.", group)
		}
	}
	if err := s.admitNewParticipant(ctx, sess); err != nil {
		return nil, "", err
	}
	token = NewSecret()
	p := Participant{ID: "p" + NewID(6), TokenHash: HashSecret(token), Group: group, JoinedAt: s.now()}
	if err := s.e.AddParticipant(ctx, sess.ID, p); err != nil {
		return nil, "", engineErr(err)
	}
	return &p, token, nil
}

// activity returns an activity's definition from the per-session cache, loading the
// session on a miss. Definitions change only while an activity is closed and unanswered
// (see draft.go); state changes are checked by the engine atomically.
func (s *Service) activity(ctx context.Context, sessionID, activityID string) (*Activity, error) {
	s.actMu.RLock()
	a, ok := s.acts[sessionID].defs[activityID]
	s.actMu.RUnlock()
	if ok {
		return &a, nil
	}
	sess, err := s.SessionByID(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	s.cacheActivities(sess, false)
	if a, ok := sess.Activity(activityID); ok {
		return a, nil
	}
	return nil, Errorf(EUnknownActivity, "There is no activity %q in this session.", activityID)
}

// checkClientID validates a message id.
func checkClientID(id string) error {
	if id == "" || len(id) > MaxClientID {
		return Errorf(EBadMessage, "Every message that changes something needs an \"id\" of 1–%d characters.", MaxClientID)
	}
	return nil
}

// VoteIn is a participant's vote as it arrives.
type VoteIn struct {
	ClientID  string
	Activity  string
	Statement string
	Value     json.RawMessage
	// Retract takes the participant's answer back (to the statement, for a per-statement
	// kind): the vote is stored with no value and no longer counts (see Vote.Retracted).
	Retract bool
}

// Vote validates and stores a vote, waiting until the engine holds it durably. A repeated
// client id is acknowledged (nil error) and changes nothing. It returns the session version.
func (s *Service) Vote(ctx context.Context, sessionID string, p *Participant, in VoteIn) (int64, error) {
	pv := s.StartVote(ctx, sessionID, p, in)
	return pv.Wait(ctx)
}

// PendingVote is a vote that StartVote checked and handed to the engine's batcher; Wait
// answers it.
type PendingVote struct {
	s         *Service
	sessionID string
	op        pendingOp
	queued    bool
	err       error // the answer when nothing was queued (nil: a repeated id)
}

// StartVote checks a vote and hands it to the session's batcher without waiting for the
// engine. Votes started one after another take effect in that order, so a caller may
// start several (one participant's votes in the order sent) and then Wait for each.
func (s *Service) StartVote(ctx context.Context, sessionID string, p *Participant, in VoteIn) PendingVote {
	pv := PendingVote{s: s, sessionID: sessionID}
	if pv.err = checkClientID(in.ClientID); pv.err != nil {
		return pv
	}
	v, err := s.buildVote(ctx, sessionID, p, in)
	if err != nil {
		// A message whose id was accepted before is acknowledged whatever it says now.
		if seen, serr := s.e.SeenClientID(ctx, sessionID, p.ID, in.ClientID); serr == nil && seen {
			return pv
		}
		pv.err = err
		return pv
	}
	pv.op, pv.err = s.enqueue(ctx, sessionID, VoteOp{ClientID: in.ClientID, Vote: v})
	pv.queued = pv.err == nil
	return pv
}

// Wait returns the vote's answer once the engine holds it durably: the session version,
// or the error (ErrUnavailable if ctx ends first; the vote may still be applied, and a
// resend with the same id is safe).
func (pv *PendingVote) Wait(ctx context.Context) (int64, error) {
	if !pv.queued {
		return 0, pv.err
	}
	res, err := pv.op.wait(ctx)
	if err != nil {
		return 0, err
	}
	switch res.Status {
	case VoteClosed:
		sess, err := pv.s.SessionByID(ctx, pv.sessionID)
		if err == nil && sess.SelfPaced() {
			return 0, errSurveyClosed(sess, pv.s.now(), pv.s.cfg.Location)
		}
		if err == nil && sess.State == StateEnded {
			return 0, Errorf(ESessionEnded, "The session has ended; votes are no longer taken.")
		}
		return 0, Errorf(EActivityClosed, "Voting on this activity is closed.")
	default:
		return res.Version, nil
	}
}

func (s *Service) buildVote(ctx context.Context, sessionID string, p *Participant, in VoteIn) (Vote, error) {
	a, err := s.activity(ctx, sessionID, in.Activity)
	if err != nil {
		return Vote{}, err
	}
	if err := s.checkOpen(ctx, sessionID); err != nil {
		return Vote{}, err
	}
	st := VoteStatement(a, in.Statement)
	var value json.RawMessage
	var contrib []Delta
	if in.Retract {
		if a.PerStatement() && !contains(a.Statements, in.Statement) {
			return Vote{}, badValue("Name one of the activity's statements (\"statement\").")
		}
		if a.Kind == KindComments {
			return Vote{}, badValue("This activity takes comments, not votes: send a \"comment\".")
		}
		value = json.RawMessage("null")
	} else {
		value, contrib, err = ValueOf(a, in.Statement, in.Value)
		if err != nil {
			return Vote{}, err
		}
		if a.RoundOf != "" {
			more, err := s.shiftDeltas(ctx, sessionID, p.ID, a, st, value)
			if err != nil {
				return Vote{}, err
			}
			contrib = append(contrib, more...)
		}
	}
	if a.Kind == KindWords {
		if err := s.admitWords(ctx, sessionID, a.ID, contrib); err != nil {
			return Vote{}, err
		}
	}
	if p.Group != "" {
		n := len(contrib)
		for _, d := range contrib[:n] {
			contrib = append(contrib, Delta{Field: "g/" + p.Group + "/" + d.Field, N: d.N})
		}
	}
	return Vote{Participant: p.ID, Group: p.Group, Activity: a.ID, Statement: st, Value: value,
		UpdatedAt: s.now(), Contrib: contrib}, nil
}

func badValue(format string, args ...any) error { return Errorf(EInvalidValue, format, args...) }

// ValueOf checks a vote's value against the activity's rules and returns the value in
// normal form and what it adds to the tally (see each kind's file for its tally fields).
func ValueOf(a *Activity, statement string, raw json.RawMessage) (json.RawMessage, []Delta, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil, badValue("The vote needs a \"value\".")
	}
	return kindOf(a.Kind).value(a, statement, raw)
}

// NormalizeWord case-folds a word and collapses its inner spaces.
func NormalizeWord(w string) string {
	w = strings.ToLower(strings.Join(strings.Fields(w), " "))
	return strings.TrimFunc(w, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsControl(r) })
}

func optionIDs(a *Activity) []string {
	ids := make([]string, len(a.Options))
	for i, o := range a.Options {
		ids[i] = o.ID
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dupOrUnknown(ids, allowed []string) bool {
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] || !contains(allowed, id) {
			return true
		}
		seen[id] = true
	}
	return false
}

// CommentIn is a participant's comment as it arrives.
type CommentIn struct {
	ClientID  string
	Activity  string
	Statement string
	Text      string
}

// AddComment validates and stores a comment. For a repeated client id it returns
// (nil, nil): acknowledged, nothing changed.
func (s *Service) AddComment(ctx context.Context, sessionID string, p *Participant, in CommentIn) (*Comment, error) {
	if err := checkClientID(in.ClientID); err != nil {
		return nil, err
	}
	c, err := s.buildComment(ctx, sessionID, p, in)
	if err != nil {
		if seen, serr := s.e.SeenClientID(ctx, sessionID, p.ID, in.ClientID); serr == nil && seen {
			return nil, nil
		}
		return nil, err
	}
	if err := s.admitComment(ctx, sessionID, p); err != nil {
		return nil, err
	}
	dup, v, err := s.e.AddComment(ctx, sessionID, in.ClientID, c)
	if err != nil {
		return nil, engineErr(err)
	}
	if dup {
		return nil, nil
	}
	_ = s.e.Publish(ctx, Event{Kind: EventComment, Session: sessionID, Version: v, Comment: c.ID})
	return &c, nil
}

func (s *Service) buildComment(ctx context.Context, sessionID string, p *Participant, in CommentIn) (Comment, error) {
	a, err := s.activity(ctx, sessionID, in.Activity)
	if err != nil {
		return Comment{}, err
	}
	if a.Kind != KindComments {
		return Comment{}, badValue("Comments go to a comments activity.")
	}
	text := strings.TrimSpace(dropControls(in.Text))
	if n := utf8.RuneCountInString(text); n < 1 || n > MaxCommentRunes || !utf8.ValidString(text) {
		return Comment{}, badValue("A comment must have 1 to %d characters.", MaxCommentRunes)
	}
	if in.Statement != "" {
		sess, err := s.SessionByID(ctx, sessionID)
		if err != nil {
			return Comment{}, err
		}
		ch, err := s.Charter(ctx, sess.CharterID)
		if err != nil {
			return Comment{}, err
		}
		if _, sec, ok := ch.Statement(in.Statement); !ok || sec.ID != a.Section {
			return Comment{}, badValue("The statement %q is not in this section.", in.Statement)
		}
	}
	sess, err := s.SessionByID(ctx, sessionID)
	if err != nil {
		return Comment{}, err
	}
	if sess.SelfPaced() {
		if !sess.SurveyOpen(s.now()) {
			return Comment{}, errSurveyClosed(sess, s.now(), s.cfg.Location)
		}
	} else if sess.State == StateEnded {
		return Comment{}, Errorf(ESessionEnded, "The session has ended; comments are no longer taken.")
	}
	if cur, _ := sess.Activity(a.ID); cur == nil || (cur.State != ActivityOpen && !sess.SelfPaced()) {
		return Comment{}, Errorf(EActivityClosed, "Comments on this activity are closed.")
	}
	return Comment{ID: "c" + NewID(8), Activity: a.ID, Statement: in.Statement, Participant: p.ID,
		Group: p.Group, Text: text, CreatedAt: s.now(), Pending: !sess.AutoApprove}, nil
}

// Upvote records a participant's agreement with a comment (once per comment). A repeated
// client id or a second upvote of the same comment is acknowledged and changes nothing.
func (s *Service) Upvote(ctx context.Context, sessionID string, p *Participant, clientID, commentID string) (*Comment, error) {
	if err := checkClientID(clientID); err != nil {
		return nil, err
	}
	if err := s.checkUpvote(ctx, sessionID, commentID); err != nil {
		if seen, serr := s.e.SeenClientID(ctx, sessionID, p.ID, clientID); serr == nil && seen {
			return nil, nil
		}
		return nil, err
	}
	c, changed, err := s.e.Upvote(ctx, sessionID, p.ID, commentID, clientID)
	if errors.Is(err, ErrNotFound) {
		return nil, badValue("There is no comment %q.", commentID)
	}
	if err != nil {
		return nil, engineErr(err)
	}
	if changed {
		_, v, _ := s.e.Version(ctx, sessionID)
		_ = s.e.Publish(ctx, Event{Kind: EventComment, Session: sessionID, Version: v, Comment: c.ID})
	}
	return c, nil
}

// checkUpvote: upvotes are taken while the comment's activity is open and the session runs.
func (s *Service) checkUpvote(ctx context.Context, sessionID, commentID string) error {
	c, err := s.e.Comment(ctx, sessionID, commentID)
	if errors.Is(err, ErrNotFound) {
		return badValue("There is no comment %q.", commentID)
	}
	if err != nil {
		return engineErr(err)
	}
	sess, err := s.SessionByID(ctx, sessionID)
	if err != nil {
		return err
	}
	if sess.SelfPaced() {
		if !sess.SurveyOpen(s.now()) {
			return errSurveyClosed(sess, s.now(), s.cfg.Location)
		}
	} else if sess.State == StateEnded {
		return Errorf(ESessionEnded, "The session has ended; it takes no more answers.")
	}
	if a, ok := sess.Activity(c.Activity); !ok || (a.State != ActivityOpen && !sess.SelfPaced()) {
		return Errorf(EActivityClosed, "This comments activity is closed.")
	}
	return nil
}

// Mine is a participant's own current votes and comments.
type Mine struct {
	Votes    []MineVote    `json:"votes"`
	Comments []MineComment `json:"comments"`
	Upvoted  []string      `json:"upvoted"`
}

// MineVote is one of a participant's votes.
type MineVote struct {
	Activity  string          `json:"activity"`
	Statement string          `json:"statement,omitempty"`
	Value     json.RawMessage `json:"value"`
}

// MineComment is one of a participant's comments.
type MineComment struct {
	ID        string `json:"id"`
	Activity  string `json:"activity"`
	Statement string `json:"statement,omitempty"`
	Text      string `json:"text"`
	// Pending and Hidden tell the author that the comment waits for approval or was hidden.
	Pending bool `json:"pending,omitempty"`
	Hidden  bool `json:"hidden,omitempty"`
}

// Mine returns the participant's votes and comments.
func (s *Service) Mine(ctx context.Context, sessionID, participantID string) (*Mine, error) {
	votes, err := s.e.ParticipantVotes(ctx, sessionID, participantID)
	if err != nil {
		return nil, engineErr(err)
	}
	m := &Mine{Votes: []MineVote{}, Comments: []MineComment{}, Upvoted: []string{}}
	for _, v := range votes {
		if v.Retracted() {
			continue
		}
		m.Votes = append(m.Votes, MineVote{Activity: v.Activity, Statement: v.Statement, Value: v.Value})
	}
	cs, err := s.e.ParticipantComments(ctx, sessionID, participantID)
	if err != nil {
		return nil, engineErr(err)
	}
	for _, c := range cs {
		m.Comments = append(m.Comments, MineComment{ID: c.ID, Activity: c.Activity, Statement: c.Statement, Text: c.Text,
			Pending: c.Pending, Hidden: c.Hidden})
	}
	up, err := s.e.Upvoted(ctx, sessionID, participantID)
	if err != nil {
		return nil, engineErr(err)
	}
	m.Upvoted = append(m.Upvoted, up...)
	return m, nil
}

// dropControls removes control characters (NUL, the other C0 and C1 codes, DEL) from text
// people typed, keeping line breaks and turning tabs into spaces, so that exports and
// screens get only printable text.
func dropControls(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}
