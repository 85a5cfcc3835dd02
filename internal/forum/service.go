package forum

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"time"

	"pejl/internal/charter"
)

// Config is what the Service needs to know about its surroundings.
type Config struct {
	// PublicURL is the base URL phones use, e.g. "https://pejl.example.dk" (no slash at the end).
	PublicURL string
	// Retention is how long a session is kept after it was created. Default 4320h (180 days).
	Retention time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default slog.Default().
	Logger *slog.Logger
	// PasswordCost is the bcrypt cost for new password hashes. Default 11; tests may lower it.
	PasswordCost int
	// Location is the time zone people read times in (exports, reports); default
	// Europe/Copenhagen.
	Location *time.Location
	// BatchWindow is how long the vote batcher waits to gather votes for one engine write.
	// Default 2ms.
	BatchWindow time.Duration
	// TokenLifetime, when positive, is the longest an API token may live.
	TokenLifetime time.Duration
	// Limits bound load per account, client address, participant and session; zero fields
	// take DefaultLimits.
	Limits Limits
}

// Service holds every rule of Pejl. It is safe for concurrent use.
type Service struct {
	e   Engine
	cfg Config
	log *slog.Logger

	chMu     sync.Mutex
	charters map[string]*charter.Charter // parsed imported charters (immutable)

	actMu sync.RWMutex
	acts  map[string]activityCache // session → its activity definitions (see cacheActivities)

	batchMu   sync.Mutex
	batchers  map[string]*batcher // session → its running batcher; under batchMu
	batchIdle time.Duration       // batcherIdle

	limits Limits
	addrMu sync.Mutex
	addr   addrKeys // the current address-hashing key; under addrMu

	stop chan struct{}
	wg   sync.WaitGroup
}

// NewService makes a Service over an engine.
func NewService(e Engine, cfg Config) *Service {
	if cfg.Retention == 0 {
		cfg.Retention = 4320 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = bcryptCost
	}
	if cfg.Location == nil {
		cfg.Location = DefaultLocation()
	}
	if cfg.BatchWindow == 0 {
		cfg.BatchWindow = 2 * time.Millisecond
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	cfg.Limits = cfg.Limits.withDefaults()
	return &Service{
		e: e, cfg: cfg, log: cfg.Logger, limits: cfg.Limits,
		charters:  map[string]*charter.Charter{},
		acts:      map[string]activityCache{},
		batchers:  map[string]*batcher{},
		batchIdle: batcherIdle,
		stop:      make(chan struct{}),
	}
}

// Ping reports whether the engine answers (for readiness).
func (s *Service) Ping(ctx context.Context) error { return engineErr(s.e.Ping(ctx)) }

// Config returns the service's configuration (with defaults filled in).
func (s *Service) Config() Config { return s.cfg }

// Close stops the vote batchers after flushing what they hold; votes submitted after it
// are answered ErrUnavailable.
func (s *Service) Close() {
	s.batchMu.Lock() // no batcher starts once stop is closed (see acquireBatcher)
	select {
	case <-s.stop:
		s.batchMu.Unlock()
		return
	default:
	}
	close(s.stop)
	s.batchMu.Unlock()
	s.wg.Wait()
}

// now is the service clock, in UTC, truncated to milliseconds so that it survives JSON.
func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Millisecond) }

// ---- identifiers and secrets ----

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewID returns a random identifier of n bytes of entropy, lower-case base32.
func NewID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(b32.EncodeToString(b))
}

// NewSecret returns a random secret (for tokens and cookies) with 32 bytes of entropy.
func NewSecret() string { return NewID(32) }

// HashSecret returns the hex SHA-256 of a high-entropy secret (tokens, cookies, resume
// tokens). Passwords use bcrypt instead.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func newCode(digits int) string {
	max := big.NewInt(1)
	for range digits {
		max.Mul(max, big.NewInt(10))
	}
	n, _ := rand.Int(rand.Reader, max)
	s := n.String()
	return strings.Repeat("0", digits-len(s)) + s
}

// ---- charters ----

// Charter returns a built-in or imported charter.
func (s *Service) Charter(ctx context.Context, id string) (*charter.Charter, error) {
	if c, ok := charter.BuiltinByID(id); ok {
		return c, nil
	}
	s.chMu.Lock()
	c, ok := s.charters[id]
	s.chMu.Unlock()
	if ok {
		return c, nil
	}
	sc, err := s.e.Charter(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, Errorf(ENotFound, "There is no charter with the id %q.", id)
		}
		return nil, engineErr(err)
	}
	c, err = charter.Parse([]byte(sc.Source))
	if err != nil {
		return nil, Errorf(EInternal, "The stored charter %q no longer parses.", id)
	}
	c.ID, c.Family, c.Version = sc.ID, sc.Family, sc.Version // a version's id is not its front matter's
	s.chMu.Lock()
	s.charters[id] = c
	s.chMu.Unlock()
	return c, nil
}

// Charters lists the built-in charters and every imported one.
func (s *Service) Charters(ctx context.Context) ([]*charter.Charter, error) {
	out := append([]*charter.Charter(nil), charter.Builtin()...)
	stored, err := s.e.Charters(ctx)
	if err != nil {
		return nil, engineErr(err)
	}
	for _, sc := range stored {
		c, err := s.Charter(ctx, sc.ID)
		if err != nil {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// ImportCharter parses Markdown and stores the charter. Invalid Markdown is EInvalidCharter
// with one detail per problem; a body over charter.MaxSize is ETooLarge.
func (s *Service) ImportCharter(ctx context.Context, actor *User, src []byte) (*charter.Charter, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	if len(src) > charter.MaxSize {
		return nil, Errorf(ETooLarge, "A charter may be at most 1 MiB.")
	}
	c, err := parseCharter(src)
	if err != nil {
		return nil, err
	}
	if _, ok := charter.BuiltinByID(c.ID); ok {
		return nil, Errorf(EConflict, "The id %q belongs to a built-in charter; choose another id in the front matter.", c.ID)
	}
	err = s.e.SaveCharter(ctx, StoredCharter{ID: c.ID, Owner: actor.ID, Source: string(src), CreatedAt: s.now()})
	if errors.Is(err, ErrConflict) {
		return nil, Errorf(EConflict, "A different charter with the id %q exists already. A charter is never changed in place: give the edited one a new id.", c.ID)
	}
	if err != nil {
		return nil, engineErr(err)
	}
	return c, nil
}

// parseCharter parses Markdown; invalid Markdown is EInvalidCharter with one detail per
// problem, in English and Danish.
func parseCharter(src []byte) (*charter.Charter, error) {
	c, err := charter.Parse(src)
	if err != nil {
		var pe *charter.ParseError
		if errors.As(err, &pe) {
			return nil, charterProblems(pe.Problems)
		}
		return nil, Errorf(EInvalidCharter, "The charter could not be read: %v", err)
	}
	return c, nil
}

func charterProblems(ps []charter.Problem) *Error {
	e := Errorf(EInvalidCharter, "The charter has %d problem(s); each is listed with its line.", len(ps))
	for _, p := range ps {
		e.Details = append(e.Details, Detail{Line: p.Line, Message: p.Message, MessageDA: p.Danish})
	}
	return e
}

// NewCharterVersion stores corrected Markdown as a new version of a charter: a typo fixed,
// a sentence reworded. The new version must keep the sections, their levels and the number
// of statements of each (so every id means the same, and results and comparisons line up);
// any difference is EInvalidCharter with a detail at its line. Its id is the first
// version's id and "-v<n>" (the front matter's id is not used); the versions before it stay,
// and sessions on them keep them.
func (s *Service) NewCharterVersion(ctx context.Context, actor *User, baseID string, src []byte) (*charter.Charter, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	if len(src) > charter.MaxSize {
		return nil, Errorf(ETooLarge, "A charter may be at most 1 MiB.")
	}
	base, err := s.Charter(ctx, baseID)
	if err != nil {
		return nil, err
	}
	c, err := parseCharter(src)
	if err != nil {
		return nil, err
	}
	if ps := base.SameShape(c); len(ps) > 0 {
		return nil, charterProblems(ps)
	}
	family := base.FamilyID()
	all, err := s.Charters(ctx)
	if err != nil {
		return nil, err
	}
	version := 1
	for _, o := range all {
		if o.FamilyID() == family {
			version = max(version, o.Version)
		}
		if o.FamilyID() == family && o.Source == string(src) {
			return o, nil // the same correction again
		}
	}
	// The next number; one taken meanwhile (another correction at the same moment, or an
	// imported charter whose own id looks like a version's) moves it on.
	for tries := 0; ; tries++ {
		version++
		c.ID, c.Family, c.Version = fmt.Sprintf("%s-v%d", family, version), family, version
		err = s.e.SaveCharter(ctx, StoredCharter{ID: c.ID, Owner: actor.ID, Source: string(src), CreatedAt: s.now(), Family: family, Version: version})
		if errors.Is(err, ErrConflict) && tries < 5 {
			continue
		}
		if errors.Is(err, ErrConflict) {
			return nil, Errorf(EConflict, "Another version of this charter was saved at the same moment; open it and try again.")
		}
		if err != nil {
			return nil, engineErr(err)
		}
		break
	}
	s.log.Info("charter version saved", "charter", c.ID, "family", family)
	return c, nil
}

// sameCharterFamily reports whether two charter ids are versions of one charter.
func (s *Service) sameCharterFamily(ctx context.Context, a, b string) bool {
	if a == b {
		return true
	}
	ca, err1 := s.Charter(ctx, a)
	cb, err2 := s.Charter(ctx, b)
	return err1 == nil && err2 == nil && ca.FamilyID() == cb.FamilyID()
}

// engineErr turns an engine failure into a domain error that keeps its cause (Unwrap):
// a domain error the engine returned (ErrNotFound, ErrConflict, ErrUnavailable, wrapped or
// not) keeps its code; a context that ended is unavailable; anything else — a corrupt
// document, a bug — is internal.
func engineErr(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e == err {
			return e
		}
		c := *e
		c.Err = err
		return &c
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		c := *ErrUnavailable
		c.Err = err
		return &c
	}
	return &Error{Code: EInternal, Message: "Something went wrong on our side. Please try again.", Err: err}
}

// DefaultLocation is Europe/Copenhagen (UTC if the zone database lacks it).
func DefaultLocation() *time.Location {
	if loc, err := time.LoadLocation("Europe/Copenhagen"); err == nil {
		return loc
	}
	return time.UTC
}
