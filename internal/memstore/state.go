package memstore

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"pejl/internal/forum"
)

// state is everything the store holds, in memory. It is changed only through the
// mutations below, each of which is also what replaying its journal record does, so that
// replay rebuilds exactly the state the live store had. Documents kept here are the
// store's own copies and are never changed in place (a change replaces them), so a
// snapshot can share them.
type state struct {
	sessions map[string]*session
	codes    map[string]string // code → session id

	users    map[string]forum.User
	emails   map[string]string // folded email → user id
	tokens   map[string]forum.Token
	byHash   map[string]string // token hash → token id
	logins   map[string]forum.Login
	charters map[string]forum.StoredCharter
}

func newState() *state {
	return &state{
		sessions: map[string]*session{},
		codes:    map[string]string{},
		users:    map[string]forum.User{},
		emails:   map[string]string{},
		tokens:   map[string]forum.Token{},
		byHash:   map[string]string{},
		logins:   map[string]forum.Login{},
		charters: map[string]forum.StoredCharter{},
	}
}

// session is one session and everything in it.
type session struct {
	doc     *forum.Session
	epoch   string
	version int64
	open    map[string]bool // activity ids that take votes

	members map[string]*member // participant id → what the participant has
	tokens  map[string]string  // token hash → participant id
	total   int64              // participants added
	groups  map[string]int64   // participants per group

	tallies    map[string]map[string]int64 // activity → field → n
	comments   []forum.Comment             // in creation order
	commentIdx map[string]int              // comment id → index in comments

	// cow counts the snapshots taken of the session. A member whose cow is lower is
	// shared with a snapshot being written: it is copied before it changes.
	cow uint64
}

func newSession(doc *forum.Session, epoch string) *session {
	ss := &session{doc: doc, epoch: epoch, members: map[string]*member{}, tokens: map[string]string{},
		groups: map[string]int64{}, tallies: map[string]map[string]int64{}, commentIdx: map[string]int{}}
	ss.setOpen()
	return ss
}

func (ss *session) setOpen() {
	ss.open = map[string]bool{}
	for _, id := range ss.doc.OpenActivities() {
		ss.open[id] = true
	}
}

// member is one participant's part of a session. A member exists once the participant
// was added or sent anything.
type member struct {
	cow      uint64                // the session's cow when this copy was made
	p        *forum.Participant    // nil until added
	votes    map[string]forum.Vote // activity "\x00" statement → current vote
	seen     map[string]struct{}   // client ids accepted
	upvoted  map[string]struct{}   // comment ids
	comments []string              // own comment ids, in creation order
}

// member returns the participant's member to change: a new one, or a copy if the
// current one is shared with a snapshot.
func (ss *session) member(id string) *member {
	m := ss.members[id]
	switch {
	case m == nil:
		m = &member{cow: ss.cow, votes: map[string]forum.Vote{}, seen: map[string]struct{}{}, upvoted: map[string]struct{}{}}
		ss.members[id] = m
	case m.cow != ss.cow:
		m = &member{cow: ss.cow, p: m.p, votes: maps.Clone(m.votes), seen: maps.Clone(m.seen),
			upvoted: maps.Clone(m.upvoted), comments: slices.Clone(m.comments)}
		ss.members[id] = m
	}
	return m
}

// seen reports whether the participant used the client id.
func (ss *session) seen(participant, clientID string) bool {
	m := ss.members[participant]
	if m == nil {
		return false
	}
	_, ok := m.seen[clientID]
	return ok
}

func voteKey(activity, statement string) string { return activity + "\x00" + statement }

func foldEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// errReplay marks a journal record that does not apply to the state it follows.
type errReplay struct{ msg string }

func (e *errReplay) Error() string { return e.msg }

func replayErr(format string, args ...any) error { return &errReplay{fmt.Sprintf(format, args...)} }

// ---- mutations ----

func (st *state) createSession(doc *forum.Session, epoch string) error {
	if _, ok := st.sessions[doc.ID]; ok {
		return forum.ErrConflict
	}
	if _, ok := st.codes[doc.Code]; ok {
		return forum.ErrConflict
	}
	doc = cloneSession(doc)
	doc.Rev = 1
	ss := newSession(doc, epoch)
	ss.version = 1
	st.sessions[doc.ID] = ss
	st.codes[doc.Code] = doc.ID
	return nil
}

// saveSession replaces the document if doc.Rev is the stored one; it returns the stored
// copy (with the new Rev) and the new version.
func (st *state) saveSession(doc *forum.Session) (*forum.Session, int64, error) {
	ss := st.sessions[doc.ID]
	if ss == nil {
		return nil, 0, forum.ErrNotFound
	}
	if ss.doc.Rev != doc.Rev {
		return nil, 0, forum.ErrConflict
	}
	next := cloneSession(doc)
	next.Rev = doc.Rev + 1
	if next.Code != ss.doc.Code {
		// The code is reserved at creation; a save cannot move it.
		next.Code = ss.doc.Code
	}
	ss.doc = next
	ss.setOpen()
	ss.version++
	return next, ss.version, nil
}

func (st *state) deleteSession(id string) bool {
	ss := st.sessions[id]
	if ss == nil {
		return false
	}
	delete(st.codes, ss.doc.Code)
	delete(st.sessions, id)
	return true
}

func (st *state) addParticipant(sid string, p forum.Participant) (changed bool, err error) {
	ss := st.sessions[sid]
	if ss == nil {
		return false, forum.ErrNotFound
	}
	if m := ss.members[p.ID]; m != nil && m.p != nil {
		return false, nil // a repeat
	}
	if _, ok := ss.tokens[p.TokenHash]; ok {
		return false, forum.ErrConflict
	}
	ss.member(p.ID).p = &p
	ss.tokens[p.TokenHash] = p.ID
	ss.total++
	if p.Group != "" {
		ss.groups[p.Group]++
	}
	return true, nil
}

// applyVote is one VoteOp: dedupe, open check, replace, move the tally, bump the version.
func (ss *session) applyVote(op *forum.VoteOp) forum.VoteStatus {
	v := &op.Vote
	m := ss.members[v.Participant]
	if m != nil {
		if _, dup := m.seen[op.ClientID]; dup {
			return forum.VoteDuplicate
		}
	}
	if !ss.open[v.Activity] {
		return forum.VoteClosed
	}
	m = ss.member(v.Participant)
	m.seen[op.ClientID] = struct{}{}
	tally := ss.tallies[v.Activity]
	if tally == nil {
		tally = map[string]int64{}
		ss.tallies[v.Activity] = tally
	}
	k := voteKey(v.Activity, v.Statement)
	if old, ok := m.votes[k]; ok {
		for _, d := range old.Contrib {
			add(tally, d.Field, -d.N)
		}
	}
	for _, d := range v.Contrib {
		add(tally, d.Field, d.N)
	}
	tally["_v"]++
	m.votes[k] = cloneVote(*v)
	ss.version++
	return forum.VoteApplied
}

func add(tally map[string]int64, field string, n int64) {
	if x := tally[field] + n; x != 0 {
		tally[field] = x
	} else {
		delete(tally, field)
	}
}

func (st *state) addComment(sid, clientID string, c forum.Comment) (dup bool, version int64, err error) {
	ss := st.sessions[sid]
	if ss == nil {
		return false, 0, forum.ErrNotFound
	}
	if ss.seen(c.Participant, clientID) {
		return true, ss.version, nil
	}
	if _, ok := ss.commentIdx[c.ID]; ok {
		return false, 0, forum.ErrConflict
	}
	m := ss.member(c.Participant)
	m.seen[clientID] = struct{}{}
	m.comments = append(m.comments, c.ID)
	ss.commentIdx[c.ID] = len(ss.comments)
	ss.comments = append(ss.comments, c)
	ss.version++
	return false, ss.version, nil
}

// upvote returns the comment after the step, whether the upvote counted, and whether
// anything (the upvote or the client id) was recorded.
func (st *state) upvote(sid, participant, commentID, clientID string) (c forum.Comment, changed, recorded bool, err error) {
	ss := st.sessions[sid]
	if ss == nil {
		return c, false, false, forum.ErrNotFound
	}
	i, ok := ss.commentIdx[commentID]
	if !ok {
		return c, false, false, forum.ErrNotFound
	}
	if ss.seen(participant, clientID) {
		return ss.comments[i], false, false, nil
	}
	m := ss.member(participant)
	m.seen[clientID] = struct{}{}
	if _, ok := m.upvoted[commentID]; ok {
		return ss.comments[i], false, true, nil
	}
	m.upvoted[commentID] = struct{}{}
	ss.comments[i].Upvotes++
	ss.version++
	return ss.comments[i], true, true, nil
}

func (st *state) setCommentFlags(sid, commentID string, hidden, starred *bool) (forum.Comment, error) {
	ss := st.sessions[sid]
	if ss == nil {
		return forum.Comment{}, forum.ErrNotFound
	}
	i, ok := ss.commentIdx[commentID]
	if !ok {
		return forum.Comment{}, forum.ErrNotFound
	}
	if hidden != nil {
		ss.comments[i].Hidden = *hidden
		ss.comments[i].Pending = false
	}
	if starred != nil {
		ss.comments[i].Starred = *starred
	}
	ss.version++
	return ss.comments[i], nil
}

func (st *state) createUser(u forum.User) error {
	email := foldEmail(u.Email)
	if id, ok := st.emails[email]; ok {
		if id == u.ID {
			return nil // a repeat
		}
		return forum.ErrConflict
	}
	if _, ok := st.users[u.ID]; ok {
		return forum.ErrConflict
	}
	st.users[u.ID] = u
	st.emails[email] = u.ID
	return nil
}

func (st *state) updateUser(u forum.User) error {
	old, ok := st.users[u.ID]
	if !ok {
		return forum.ErrNotFound
	}
	oldEmail, email := foldEmail(old.Email), foldEmail(u.Email)
	if email != oldEmail {
		if _, taken := st.emails[email]; taken {
			return forum.ErrConflict
		}
		delete(st.emails, oldEmail)
		st.emails[email] = u.ID
	}
	st.users[u.ID] = u
	return nil
}

func (st *state) createToken(t forum.Token) error {
	if id, ok := st.byHash[t.Hash]; ok && id != t.ID {
		return forum.ErrConflict
	}
	if old, ok := st.tokens[t.ID]; ok && old.Hash != t.Hash {
		delete(st.byHash, old.Hash)
	}
	st.tokens[t.ID] = t
	st.byHash[t.Hash] = t.ID
	return nil
}

func (st *state) deleteToken(userID, tokenID string) error {
	t, ok := st.tokens[tokenID]
	if !ok || t.UserID != userID {
		return forum.ErrNotFound
	}
	delete(st.tokens, tokenID)
	delete(st.byHash, t.Hash)
	return nil
}

func (st *state) saveCharter(c forum.StoredCharter) (changed bool, err error) {
	if old, ok := st.charters[c.ID]; ok {
		if old.Source != c.Source {
			return false, forum.ErrConflict
		}
		return false, nil
	}
	st.charters[c.ID] = c
	return true, nil
}

// ---- copies ----

func cloneSession(s *forum.Session) *forum.Session {
	c := *s
	c.Groups = slices.Clone(s.Groups)
	if s.EndedAt != nil {
		t := *s.EndedAt
		c.EndedAt = &t
	}
	if s.Activities != nil {
		c.Activities = make([]forum.Activity, len(s.Activities))
		for i, a := range s.Activities {
			a.Statements = slices.Clone(a.Statements)
			a.Labels = slices.Clone(a.Labels)
			a.Options = slices.Clone(a.Options)
			c.Activities[i] = a
		}
	}
	return &c
}

func cloneVote(v forum.Vote) forum.Vote {
	v.Value = slices.Clone(v.Value)
	v.Contrib = slices.Clone(v.Contrib)
	return v
}

// snapshot copies the state for writing a snapshot beside live traffic. It copies only
// what is cheap — maps of pointers, the comments, the tallies — and shares the members,
// which from now on are copied before they change (see session.member). The copy holds
// only what writeSnapshot needs.
func (st *state) snapshot() *state {
	c := &state{
		sessions: make(map[string]*session, len(st.sessions)),
		users:    maps.Clone(st.users),
		tokens:   maps.Clone(st.tokens),
		logins:   maps.Clone(st.logins),
		charters: maps.Clone(st.charters),
	}
	for id, ss := range st.sessions {
		cs := &session{doc: ss.doc, epoch: ss.epoch, version: ss.version,
			members: maps.Clone(ss.members), comments: slices.Clone(ss.comments),
			tallies: make(map[string]map[string]int64, len(ss.tallies))}
		for a, t := range ss.tallies {
			cs.tallies[a] = maps.Clone(t)
		}
		ss.cow++
		c.sessions[id] = cs
	}
	return c
}
