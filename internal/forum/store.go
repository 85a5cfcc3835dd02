package forum

import (
	"context"
	"time"
)

// The contracts engines implement. Every method is safe for concurrent use. Errors: engines
// return ErrNotFound, ErrConflict or ErrUnavailable (wrapped or not) for those cases, and
// never a driver's error type above themselves. Every write is safe to repeat: a retry of a
// call whose reply was lost leaves the same state as one call.

// SessionStore keeps session documents.
type SessionStore interface {
	// CreateSession stores a new session and reserves its code, in one atomic step. It
	// returns ErrConflict if the code is taken (the caller picks another) or the id exists.
	// It sets s.Rev to 1, starts the session's version and a fresh epoch, and makes
	// OpenActivities() the open set.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session document.
	Session(ctx context.Context, id string) (*Session, error)
	// SessionIDByCode returns the id of the session that holds the code.
	SessionIDByCode(ctx context.Context, code string) (string, error)
	// Sessions lists sessions owned by owner, or all when owner is "" (newest first).
	Sessions(ctx context.Context, owner string) ([]Session, error)
	// SaveSession replaces the session document if its stored Rev equals s.Rev, sets
	// s.Rev to Rev+1, makes OpenActivities() the set that votes are checked against, and
	// bumps the session version, all in one atomic step. It returns the new version, or
	// ErrConflict if the revision moved (the caller reloads and tries again).
	SaveSession(ctx context.Context, s *Session) (version int64, err error)
	// DeleteSession removes the session and everything in it: code, participants, votes,
	// tallies, comments, idempotency records. Deleting a missing session is not an error.
	DeleteSession(ctx context.Context, id string) error
	// Version returns the session's epoch and version. The epoch changes only if the
	// engine lost the session's data.
	Version(ctx context.Context, id string) (epoch string, version int64, err error)
}

// ParticipantStore keeps participants.
type ParticipantStore interface {
	// AddParticipant stores a new participant and counts it in its group.
	AddParticipant(ctx context.Context, sessionID string, p Participant) error
	// ParticipantByToken finds a participant by the hash of its resume token.
	ParticipantByToken(ctx context.Context, sessionID, tokenHash string) (*Participant, error)
	// ParticipantCounts returns the number of participants in all and per group id.
	ParticipantCounts(ctx context.Context, sessionID string) (total int64, groups map[string]int64, err error)
	// ScanParticipants calls fn for every participant (any order), stopping at fn's error.
	ScanParticipants(ctx context.Context, sessionID string, fn func(Participant) error) error
}

// VoteOp is one vote to apply. ClientID is the message id the participant chose.
type VoteOp struct {
	ClientID string
	Vote     Vote
}

// VoteStatus is what became of one VoteOp.
type VoteStatus int

// Outcomes of a VoteOp.
const (
	// VoteApplied: stored; it replaced the participant's earlier vote on the same activity
	// and statement, and the tally moved by old.Contrib reversed plus new Contrib.
	VoteApplied VoteStatus = iota
	// VoteDuplicate: the participant had already used this ClientID (for any message);
	// nothing changed.
	VoteDuplicate
	// VoteClosed: the activity is not in the session's open set; nothing changed and the
	// ClientID was not recorded.
	VoteClosed
)

// VoteResult is the outcome of one VoteOp and the session version after it.
type VoteResult struct {
	Status  VoteStatus
	Version int64
}

// VoteStore keeps votes and tallies.
type VoteStore interface {
	// ApplyVotes applies the ops in order. Each op is atomic on its own (dedupe by
	// participant+ClientID, open check, replace, move tally, bump version); the batch is
	// one round trip or one durable write, and when ApplyVotes returns without error every
	// applied op is durable. A returned error means none of the results are known: the
	// caller answers unavailable and the client resends with the same ids. Ops for a
	// deleted or unknown session come back VoteClosed (or the call fails with ErrNotFound)
	// and store nothing.
	ApplyVotes(ctx context.Context, sessionID string, ops []VoteOp) ([]VoteResult, error)
	// Tally returns an activity's tally fields (empty map when none); the field "_v"
	// counts changes to it.
	Tally(ctx context.Context, sessionID, activityID string) (map[string]int64, error)
	// ParticipantVotes returns the participant's current votes.
	ParticipantVotes(ctx context.Context, sessionID, participantID string) ([]Vote, error)
	// ScanVotes calls fn for every current vote (any order), stopping at fn's error.
	ScanVotes(ctx context.Context, sessionID string, fn func(Vote) error) error
	// SeenClientID reports whether the participant's message id was accepted before (by a
	// vote, comment or upvote).
	SeenClientID(ctx context.Context, sessionID, participantID, clientID string) (bool, error)
}

// CommentStore keeps comments and upvotes.
type CommentStore interface {
	// AddComment stores c unless the participant already used clientID; dup reports that
	// case (then nothing changed and the earlier result stands). It bumps the version.
	AddComment(ctx context.Context, sessionID, clientID string, c Comment) (dup bool, version int64, err error)
	// Upvote records the participant's upvote of a comment, at most one per participant
	// per comment, and records clientID; changed is false for a repeat. A change bumps the
	// version. It returns the comment after the step. ErrNotFound for an unknown comment.
	Upvote(ctx context.Context, sessionID, participantID, commentID, clientID string) (c *Comment, changed bool, err error)
	// Upvoted returns the ids of the comments the participant upvoted.
	Upvoted(ctx context.Context, sessionID, participantID string) ([]string, error)
	// SetCommentFlags sets hidden and/or starred (nil leaves it) and bumps the version.
	// Setting hidden, either way, also ends the comment's Pending (a moderator decided).
	SetCommentFlags(ctx context.Context, sessionID, commentID string, hidden, starred *bool) (*Comment, error)
	// ParticipantComments returns the participant's comments in creation order.
	ParticipantComments(ctx context.Context, sessionID, participantID string) ([]Comment, error)
	// Comment returns one comment.
	Comment(ctx context.Context, sessionID, commentID string) (*Comment, error)
	// ScanComments calls fn for every comment in creation order, stopping at fn's error.
	ScanComments(ctx context.Context, sessionID string, fn func(Comment) error) error
}

// AccountStore keeps facilitator accounts, tokens and logins.
type AccountStore interface {
	// CreateUser stores a user; ErrConflict if the email (case-folded) is taken.
	CreateUser(ctx context.Context, u User) error
	// UpdateUser replaces a user record (matched by ID).
	UpdateUser(ctx context.Context, u User) error
	User(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	Users(ctx context.Context) ([]User, error)
	CreateToken(ctx context.Context, t Token) error
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	Tokens(ctx context.Context, userID string) ([]Token, error)
	DeleteToken(ctx context.Context, userID, tokenID string) error
	// CreateLogin stores a login; it expires by itself at ExpiresAt.
	CreateLogin(ctx context.Context, l Login) error
	LoginByHash(ctx context.Context, hash string) (*Login, error)
	DeleteLogin(ctx context.Context, hash string) error
}

// CharterStore keeps imported charters (built-in ones live in package charter).
type CharterStore interface {
	// SaveCharter stores a charter; storing the same id and source again is a no-op, the
	// same id with another source is ErrConflict.
	SaveCharter(ctx context.Context, c StoredCharter) error
	Charter(ctx context.Context, id string) (*StoredCharter, error)
	Charters(ctx context.Context) ([]StoredCharter, error)
}

// Limiter counts events per key across every instance that shares the engine.
type Limiter interface {
	// Allow takes one event for key under a limit of rate events per period with the given
	// burst. When it is not allowed, retryAfter says when one will be.
	Allow(ctx context.Context, key string, rate int, period time.Duration, burst int) (ok bool, retryAfter time.Duration, err error)
	// Peek reports whether Allow would allow one event for key now, without taking it.
	Peek(ctx context.Context, key string, rate int, period time.Duration, burst int) (ok bool, retryAfter time.Duration, err error)
	// Refund gives back one event that Allow took for key (best effort: the bucket never
	// holds more than burst, and a bucket about to refill may keep the event).
	Refund(ctx context.Context, key string, rate int, period time.Duration, burst int) error
	// SharedKey returns a random 32-byte key for name: made on first use, the same for every
	// instance that shares the engine, and forgotten ttl after it was made (a later call
	// makes a new one). Concurrent first calls agree on one key. The embedded engine keeps
	// it in memory only.
	SharedKey(ctx context.Context, name string, ttl time.Duration) ([]byte, error)
}

// Presence keeps how many participants each instance has connected, per session.
type Presence interface {
	// SetPresence records this instance's counts for the session; they expire after ttl
	// unless set again.
	SetPresence(ctx context.Context, sessionID, instance string, total int64, groups map[string]int64, ttl time.Duration) error
	// Presence adds up every live instance's counts.
	Presence(ctx context.Context, sessionID string) (total int64, groups map[string]int64, err error)
}

// Event is a change to a session that every instance must pass on to its sockets.
type Event struct {
	Kind    string `json:"k"` // EventState, EventComment, EventPresence, EventDeleted
	Session string `json:"s"`
	Version int64  `json:"v"`
	Comment string `json:"c,omitempty"` // comment id for EventComment
	// For EventRevoke (published on RevokeChannel): the user whose credentials changed, or
	// the session whose sharing changed.
	User   string `json:"u,omitempty"`
	Target string `json:"t,omitempty"`
}

// Event kinds.
const (
	EventState    = "state"
	EventComment  = "comment"
	EventPresence = "presence"
	EventDeleted  = "deleted"
	// EventRevoke says that facilitators' access may have ended: every instance checks its
	// facilitator sockets of that user (or that session) again at once.
	EventRevoke = "revoke"
)

// RevokeChannel is the Broker "session" that EventRevoke events go out on.
const RevokeChannel = "_revoke"

// Broker fans events out to every instance. Delivery is at most once; clients converge by
// version.
type Broker interface {
	// Publish sends ev to every subscriber of ev.Session, on every instance.
	Publish(ctx context.Context, ev Event) error
	// Subscribe delivers the session's events to fn until ctx ends. fn must not block for
	// long. Subscribe returns once the subscription is active.
	Subscribe(ctx context.Context, sessionID string, fn func(Event)) error
}

// Engine is everything the Service needs from a storage engine.
type Engine interface {
	SessionStore
	ParticipantStore
	VoteStore
	CommentStore
	AccountStore
	CharterStore
	Limiter
	Presence
	Broker
	// Ping reports whether the engine is reachable.
	Ping(ctx context.Context) error
	// Close releases the engine; pending durable writes finish first.
	Close() error
}
