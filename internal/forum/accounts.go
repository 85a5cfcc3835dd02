package forum

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Account rules.
const (
	MinPassword   = 10
	MaxPassword   = 72 // bcrypt's limit, in bytes
	LoginLifetime = 14 * 24 * time.Hour
	bcryptCost    = 11
)

// dummyHash is compared against when an email is unknown, so that a wrong email costs as
// long as a wrong password.
// It is made on first use, not at start.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("pejl-not-a-password"), bcryptCost)
	return h
})

// NewUser is what an admin asks for (or the bootstrap).
type NewUser struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Role     string `json:"role"`
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// checkPassword: MinPassword to MaxPassword bytes (bcrypt reads no further than 72 bytes,
// so a longer one is refused rather than cut), valid UTF-8 without control characters, not
// only spaces, and at least 5 different characters.
func checkPassword(p string) error {
	if len(p) < MinPassword || len(p) > MaxPassword {
		return invalid("password", "The password must be %d to %d characters long (at most %d bytes).", MinPassword, MaxPassword, MaxPassword)
	}
	distinct := map[rune]bool{}
	for _, r := range p {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return invalid("password", "The password may not hold control characters.")
		}
		distinct[r] = true
	}
	if strings.TrimSpace(p) == "" || len(distinct) < 5 {
		return invalid("password", "The password is too easy to guess: use at least 5 different characters, not only spaces.")
	}
	return nil
}

func (s *Service) buildUser(in NewUser) (User, error) {
	email := normEmail(in.Email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return User{}, invalid("email", "Give a valid email address.")
	}
	if err := checkPassword(in.Password); err != nil {
		return User{}, err
	}
	name := strings.TrimSpace(in.Name)
	if utf8.RuneCountInString(name) > 100 {
		return User{}, invalid("name", "The name may be at most 100 characters.")
	}
	role := in.Role
	if role == "" {
		role = RoleFacilitator
	}
	if role != RoleFacilitator && role != RoleAdmin {
		return User{}, invalid("role", "The role must be \"facilitator\" or \"admin\".")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), s.cfg.PasswordCost)
	if err != nil {
		return User{}, Errorf(EInternal, "could not hash the password")
	}
	return User{ID: "u" + NewID(8), Email: email, Name: name, Role: role, PasswordHash: string(hash), CreatedAt: s.now()}, nil
}

// CreateUser makes an account; only an admin may.
func (s *Service) CreateUser(ctx context.Context, actor *User, in NewUser) (*User, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	if !actor.IsAdmin() {
		return nil, Errorf(EForbidden, "Only an admin may create accounts.")
	}
	u, err := s.buildUser(in)
	if err != nil {
		return nil, err
	}
	if err := s.e.CreateUser(ctx, u); errors.Is(err, ErrConflict) {
		return nil, Errorf(EConflict, "An account with the email %q exists already.", u.Email)
	} else if err != nil {
		return nil, engineErr(err)
	}
	return &u, nil
}

// Users lists every account (admin only).
func (s *Service) Users(ctx context.Context, actor *User) ([]User, error) {
	if !actor.IsAdmin() {
		return nil, Errorf(EForbidden, "Only an admin may list accounts.")
	}
	us, err := s.e.Users(ctx)
	return us, engineErr(err)
}

// EnsureAdmin makes sure an admin account with this email and password exists: created if
// missing, its password and role set if not. Safe to run on every start of every instance.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) error {
	u, err := s.e.UserByEmail(ctx, normEmail(email))
	if errors.Is(err, ErrNotFound) {
		nu, err := s.buildUser(NewUser{Email: email, Password: password, Name: "Admin", Role: RoleAdmin})
		if err != nil {
			return err
		}
		err = s.e.CreateUser(ctx, nu)
		if errors.Is(err, ErrConflict) { // another instance won the race
			return nil
		}
		return engineErr(err)
	}
	if err != nil {
		return engineErr(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil && u.Role == RoleAdmin {
		return nil
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.PasswordCost)
	if err != nil {
		return Errorf(EInternal, "could not hash the password")
	}
	u.PasswordHash, u.Role = string(hash), RoleAdmin
	return engineErr(s.e.UpdateUser(ctx, *u))
}

// CreateFirstAdmin makes an admin account with this email and password unless one with the
// email exists; created reports whether this call made it. Of several instances starting
// together on an empty engine exactly one creates it (the engine's CreateUser is atomic),
// so only that one may show the password.
func (s *Service) CreateFirstAdmin(ctx context.Context, email, password string) (created bool, err error) {
	u, err := s.buildUser(NewUser{Email: email, Password: password, Name: "Admin", Role: RoleAdmin})
	if err != nil {
		return false, err
	}
	err = s.e.CreateUser(ctx, u)
	if errors.Is(err, ErrConflict) {
		return false, nil
	}
	return err == nil, engineErr(err)
}

// HasAdmin reports whether any admin account exists.
func (s *Service) HasAdmin(ctx context.Context) (bool, error) {
	us, err := s.e.Users(ctx)
	if err != nil {
		return false, engineErr(err)
	}
	for _, u := range us {
		if u.Role == RoleAdmin {
			return true, nil
		}
	}
	return false, nil
}

// Login checks an email and password and starts a login. It returns the user and the
// secret for the cookie. Attempts are limited per client address and per account: each is
// counted, in one atomic step on the engine, before the password is checked (so parallel
// attempts gain nothing), and given back when the password was right. Past a limit the
// answer is ERateLimited whatever the password, so it tells nothing.
func (s *Service) Login(ctx context.Context, email, password, clientAddr string) (*User, string, error) {
	email = normEmail(email)
	const msg = "Too many login attempts. Wait a few minutes and try again."
	ak, err := s.addrKey(ctx, clientAddr)
	if err != nil {
		return nil, "", err
	}
	lim := s.limits
	// The address first: an attacker spraying accounts from one address is stopped there
	// without using up the accounts' own attempts.
	limits := []limit{
		{"login-addr:" + ak, lim.LoginPerAddress, lim.LoginWindow},
		{"login-acct:" + HashSecret(email), lim.LoginPerAccount, lim.LoginWindow},
	}
	for i, l := range limits {
		if err := s.take(ctx, l, msg); err != nil {
			for _, taken := range limits[:i] {
				_ = s.e.Refund(ctx, taken.key, taken.rate, taken.period, taken.rate)
			}
			return nil, "", err
		}
	}
	u, err := s.e.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, "", engineErr(err)
	}
	hash := dummyHash()
	if u != nil {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || u == nil {
		return nil, "", Errorf(EInvalidCredentials, "The email or the password is wrong.")
	}
	for _, l := range limits {
		_ = s.e.Refund(ctx, l.key, l.rate, l.period, l.rate)
	}
	if u.Disabled {
		return nil, "", Errorf(EForbidden, "This account is deactivated. Ask an administrator.")
	}
	secret, err := s.startLogin(ctx, u)
	return u, secret, err
}

// startLogin makes a login for u and returns the cookie's secret.
func (s *Service) startLogin(ctx context.Context, u *User) (string, error) {
	secret := NewSecret()
	l := Login{Hash: HashSecret(secret), UserID: u.ID, ExpiresAt: s.now().Add(LoginLifetime), Epoch: u.LoginEpoch}
	if err := s.e.CreateLogin(ctx, l); err != nil {
		return "", engineErr(err)
	}
	return secret, nil
}

// Logout ends a login, and the sockets opened with it, on every instance.
func (s *Service) Logout(ctx context.Context, secret string) error {
	l, err := s.e.LoginByHash(ctx, HashSecret(secret))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return engineErr(err)
	}
	if err := s.e.DeleteLogin(ctx, l.Hash); err != nil {
		return engineErr(err)
	}
	s.revoke(ctx, Event{User: l.UserID})
	return nil
}

// UserByLogin returns the user behind a login cookie, or EUnauthenticated.
func (s *Service) UserByLogin(ctx context.Context, secret string) (*User, error) {
	if secret == "" || len(secret) > 128 {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	return s.userByLoginHash(ctx, HashSecret(secret))
}

func (s *Service) userByLoginHash(ctx context.Context, hash string) (*User, error) {
	unauth := Errorf(EUnauthenticated, "Log in first.")
	l, err := s.e.LoginByHash(ctx, hash)
	if errors.Is(err, ErrNotFound) || (err == nil && !l.ExpiresAt.After(s.now())) {
		return nil, unauth
	}
	if err != nil {
		return nil, engineErr(err)
	}
	u, err := s.userOrUnauth(ctx, l.UserID)
	if err == nil && l.Epoch != u.LoginEpoch {
		return nil, unauth
	}
	return u, err
}

// UserByToken returns the user behind an API token, or EUnauthenticated.
func (s *Service) UserByToken(ctx context.Context, token string) (*User, error) {
	if token == "" || len(token) > 128 {
		return nil, Errorf(EUnauthenticated, "The token is not valid.")
	}
	return s.userByTokenHash(ctx, HashSecret(token))
}

func (s *Service) userByTokenHash(ctx context.Context, hash string) (*User, error) {
	t, err := s.e.TokenByHash(ctx, hash)
	if errors.Is(err, ErrNotFound) || (err == nil && t.ExpiresAt != nil && !t.ExpiresAt.After(s.now())) {
		return nil, Errorf(EUnauthenticated, "The token is not valid.")
	}
	if err != nil {
		return nil, engineErr(err)
	}
	return s.userOrUnauth(ctx, t.UserID)
}

func (s *Service) userOrUnauth(ctx context.Context, id string) (*User, error) {
	u, err := s.e.User(ctx, id)
	if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	return u, engineErr(err)
}

// CreateToken makes an API token for the actor and returns it (shown once) and its record.
// A positive lifetime makes it expire; Config.TokenLifetime, when set, caps it.
func (s *Service) CreateToken(ctx context.Context, actor *User, name string, lifetime time.Duration) (string, *Token, error) {
	if actor == nil {
		return "", nil, Errorf(EUnauthenticated, "Log in first.")
	}
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return "", nil, invalid("name", "Give the token a name of 1–100 characters.")
	}
	secret := "pejl_" + NewSecret()
	if lifetime < 0 {
		return "", nil, invalid("expires_in_days", "A token's lifetime must be positive.")
	}
	if max := s.cfg.TokenLifetime; max > 0 && (lifetime == 0 || lifetime > max) {
		lifetime = max
	}
	t := Token{ID: "t" + NewID(8), UserID: actor.ID, Name: name, Hash: HashSecret(secret), CreatedAt: s.now()}
	if lifetime > 0 {
		at := t.CreatedAt.Add(lifetime)
		t.ExpiresAt = &at
	}
	if err := s.e.CreateToken(ctx, t); err != nil {
		return "", nil, engineErr(err)
	}
	return secret, &t, nil
}

// Tokens lists the actor's tokens.
func (s *Service) Tokens(ctx context.Context, actor *User) ([]Token, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	ts, err := s.e.Tokens(ctx, actor.ID)
	return ts, engineErr(err)
}

// DeleteToken revokes one of the actor's tokens.
func (s *Service) DeleteToken(ctx context.Context, actor *User, id string) error {
	if actor == nil {
		return Errorf(EUnauthenticated, "Log in first.")
	}
	err := s.e.DeleteToken(ctx, actor.ID, id)
	if errors.Is(err, ErrNotFound) {
		return Errorf(ENotFound, "There is no token %q.", id)
	}
	if err != nil {
		return engineErr(err)
	}
	s.revoke(ctx, Event{User: actor.ID})
	return nil
}
