package forum

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Limits bound what one account, client address, participant or session may do. They are
// far above what a real venue meets and hold across every instance that shares the engine.
// A zero field takes its default (DefaultLimits); docs/operations.md lists each with the
// environment variable that changes it.
type Limits struct {
	// LoginPerAccount is how many login attempts one account may take per LoginWindow;
	// an attempt is counted before the password is checked and given back when it succeeds.
	LoginPerAccount int
	// LoginPerAddress is the same per client address.
	LoginPerAddress int
	// LoginWindow is the period of the two login limits.
	LoginWindow time.Duration
	// JoinGuessesPerAddress is how many wrong join codes one client address may try per
	// minute. Past it, codes are refused unless someone from that address joined with the
	// code before (so an honest room behind one NAT keeps joining).
	JoinGuessesPerAddress int
	// NewParticipantsPerAddress is how many new participants one client address may make
	// per hour (a returning phone with its resume token does not count).
	NewParticipantsPerAddress int
	// ParticipantsPerSession is how many participants a session may have in all, over every
	// instance: a bound on anonymous joins that still holds the goals' largest room (30,000
	// over three instances sharing Redis).
	ParticipantsPerSession int
	// SurveyParticipantsPerSession is the same for a self-paced session (a survey of a
	// whole organisation over days, not a room).
	SurveyParticipantsPerSession int
	// CommentsPerParticipant is how many comments one participant may post per minute.
	CommentsPerParticipant int
	// CommentsPerSession is how many comments a whole session may take per minute.
	CommentsPerSession int
	// WordsPerActivity is how many distinct words a word-cloud activity may collect.
	WordsPerActivity int
	// AddressKeyRotation is how often the key that client addresses are hashed with is
	// replaced. Limits keyed on an address start afresh at each rotation.
	AddressKeyRotation time.Duration
}

// DefaultLimits are the limits a zero Limits field takes.
var DefaultLimits = Limits{
	LoginPerAccount:           10,
	LoginPerAddress:           30,
	LoginWindow:               15 * time.Minute,
	JoinGuessesPerAddress:     20,
	NewParticipantsPerAddress: 1000,
	ParticipantsPerSession:    30000, // G1b: one session of 30,000 over three instances
	// A municipality's survey: 10,000 respondents and room to spare.
	SurveyParticipantsPerSession: 30000,
	CommentsPerParticipant:       10,
	CommentsPerSession:           600,
	WordsPerActivity:             300,
	AddressKeyRotation:           24 * time.Hour,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	pick := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&l.LoginPerAccount, d.LoginPerAccount)
	pick(&l.LoginPerAddress, d.LoginPerAddress)
	pick(&l.JoinGuessesPerAddress, d.JoinGuessesPerAddress)
	pick(&l.NewParticipantsPerAddress, d.NewParticipantsPerAddress)
	pick(&l.ParticipantsPerSession, d.ParticipantsPerSession)
	pick(&l.SurveyParticipantsPerSession, d.SurveyParticipantsPerSession)
	pick(&l.CommentsPerParticipant, d.CommentsPerParticipant)
	pick(&l.CommentsPerSession, d.CommentsPerSession)
	pick(&l.WordsPerActivity, d.WordsPerActivity)
	if l.LoginWindow <= 0 {
		l.LoginWindow = d.LoginWindow
	}
	if l.AddressKeyRotation <= 0 {
		l.AddressKeyRotation = d.AddressKeyRotation
	}
	return l
}

// ---- client addresses ----

type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the client's network address, for the limits that key
// on it (new participants in Hello). The address is never stored: limits key on a keyed hash
// of it (see addrKey).
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

func clientAddrFrom(ctx context.Context) (string, bool) {
	a, ok := ctx.Value(clientAddrKey{}).(string)
	return a, ok
}

// addrKeys caches the current rotation's hashing key.
type addrKeys struct {
	slot int64
	key  []byte
}

// addrKey returns what limits key on instead of a client address: an HMAC-SHA-256 of it
// under a random key that every instance shares through the engine and that is replaced
// every AddressKeyRotation, so that no store ever holds an address, and a stored hash
// cannot be tied to one once its key is gone.
func (s *Service) addrKey(ctx context.Context, addr string) (string, error) {
	rot := s.limits.AddressKeyRotation
	slot := s.cfg.Now().UnixNano() / int64(rot)
	s.addrMu.Lock()
	key := s.addr.key
	if s.addr.slot != slot {
		key = nil
	}
	s.addrMu.Unlock()
	if key == nil {
		k, err := s.e.SharedKey(ctx, "addr:"+strconv.FormatInt(slot, 10), 2*rot)
		if err != nil {
			return "", engineErr(err)
		}
		key = k
		s.addrMu.Lock()
		s.addr = addrKeys{slot: slot, key: k}
		s.addrMu.Unlock()
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(addr))
	return "a" + hex.EncodeToString(m.Sum(nil)[:12]), nil
}

// ---- limit helpers ----

// limit is one limit: events per period, all of them allowed at once (burst = rate).
type limit struct {
	key    string
	rate   int
	period time.Duration
}

// take counts one event under l; past the limit it returns ERateLimited with msg.
func (s *Service) take(ctx context.Context, l limit, msg string) error {
	ok, retry, err := s.e.Allow(ctx, l.key, l.rate, l.period, l.rate)
	return limitResult(ok, retry, err, msg)
}

// peek is take without counting.
func (s *Service) peek(ctx context.Context, l limit, msg string) error {
	ok, retry, err := s.e.Peek(ctx, l.key, l.rate, l.period, l.rate)
	return limitResult(ok, retry, err, msg)
}

func limitResult(ok bool, retry time.Duration, err error, msg string) error {
	if err != nil {
		return engineErr(err)
	}
	if !ok {
		e := Errorf(ERateLimited, "%s", msg)
		e.RetryAfter = max(1, int((retry+time.Second-1)/time.Second))
		return e
	}
	return nil
}

// remember marks key for an hour (a limiter bucket of one event an hour, taken);
// remembered reports whether it is marked.
func (s *Service) remember(ctx context.Context, key string) {
	_, _, _ = s.e.Allow(ctx, key, 1, time.Hour, 1)
}

func (s *Service) remembered(ctx context.Context, key string) bool {
	ok, _, err := s.e.Peek(ctx, key, 1, time.Hour, 1)
	return err == nil && !ok
}

// admitNewParticipant applies the bounds on new participants: per client address (when ctx
// carries one, see WithClientAddr) per hour, and per session in all. Both are counted in one
// atomic step on the engine, so instances joining people at once cannot overshoot them;
// the session's count is a limiter bucket that refills only over the retention period.
func (s *Service) admitNewParticipant(ctx context.Context, sess *Session) error {
	if addr, ok := clientAddrFrom(ctx); ok {
		ak, err := s.addrKey(ctx, addr)
		if err != nil {
			return err
		}
		if err := s.take(ctx, limit{"join-new:" + ak, s.limits.NewParticipantsPerAddress, time.Hour},
			"Too many people joined from your network in a short time. Wait a little and try again."); err != nil {
			return err
		}
	}
	n := s.limits.ParticipantsPerSession
	if sess.SelfPaced() {
		n = s.limits.SurveyParticipantsPerSession
	}
	err := s.take(ctx, limit{"join-session:" + sess.ID, n, s.cfg.Retention}, "")
	if ErrorCode(err) == ERateLimited {
		return Errorf(ESessionFull, "The session is full: it has room for %d participants.", n)
	}
	return err
}

// admitComment applies the comment bounds: per participant and per session, per minute.
func (s *Service) admitComment(ctx context.Context, sessionID string, p *Participant) error {
	if err := s.take(ctx, limit{"comment-p:" + sessionID + ":" + p.ID, s.limits.CommentsPerParticipant, time.Minute},
		"You have sent many comments in a short time. Wait a minute and send it again."); err != nil {
		return err
	}
	return s.take(ctx, limit{"comment-s:" + sessionID, s.limits.CommentsPerSession, time.Minute},
		"The session is taking very many comments right now. Wait a minute and send it again.")
}

// admitWords refuses a word-cloud vote that brings a new word to an activity that has
// Limits.WordsPerActivity distinct words already (words it has are always taken). The
// check reads the tally before the write, so votes racing for the last places may pass it
// together: the bound holds to within one vote batch.
func (s *Service) admitWords(ctx context.Context, sessionID, activityID string, contrib []Delta) error {
	tally, err := s.e.Tally(ctx, sessionID, activityID)
	if err != nil {
		return engineErr(err)
	}
	distinct, fresh := 0, false
	for f, n := range tally {
		if n > 0 && strings.HasPrefix(f, "w/") {
			distinct++
		}
	}
	for _, d := range contrib {
		if strings.HasPrefix(d.Field, "w/") && tally[d.Field] <= 0 {
			fresh = true
		}
	}
	if fresh && distinct >= s.limits.WordsPerActivity {
		return badValue("This word cloud is full: it takes at most %d different words. Choose a word that is on it already.", s.limits.WordsPerActivity)
	}
	return nil
}

// ClientContext returns a function that adds to another context what ctx carries about the
// client (its address), for work done later on the client's behalf (a socket's hello).
func ClientContext(ctx context.Context) func(context.Context) context.Context {
	addr, ok := clientAddrFrom(ctx)
	return func(c context.Context) context.Context {
		if !ok {
			return c
		}
		return WithClientAddr(c, addr)
	}
}
