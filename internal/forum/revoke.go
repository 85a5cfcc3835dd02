package forum

import (
	"context"
	"errors"

	"golang.org/x/crypto/bcrypt"
)

// Revocation: what ends a facilitator's access ends it on every socket too. Each change
// below publishes an EventRevoke on RevokeChannel; every instance then checks its
// facilitator sockets of that user (or session) again with Reauthorize and closes those
// that no longer pass. Delivery is at most once, so instances also check every socket
// periodically.

// Credential is what a facilitator's socket was opened with: a login cookie or an API
// token, kept only as its hash.
type Credential struct {
	LoginHash string
	TokenHash string
}

// LoginCredential and TokenCredential make a Credential from the secret a request carried.
func LoginCredential(secret string) Credential { return Credential{LoginHash: HashSecret(secret)} }

// TokenCredential is LoginCredential for an API token.
func TokenCredential(token string) Credential { return Credential{TokenHash: HashSecret(token)} }

type credentialKey struct{}

// WithCredential returns ctx carrying the credential a facilitator's socket is opened with.
func WithCredential(ctx context.Context, c Credential) context.Context {
	return context.WithValue(ctx, credentialKey{}, c)
}

// CredentialFrom returns the credential WithCredential put in ctx.
func CredentialFrom(ctx context.Context) (Credential, bool) {
	c, ok := ctx.Value(credentialKey{}).(Credential)
	return c, ok
}

// Reauthorize checks that a credential still stands for an active user who may see the
// session: the login or token exists and has not expired, the user is not deactivated and
// has not ended their logins since, and the session is theirs, shared with them, or they
// are an admin. It returns EUnauthenticated or ENotFound when access has ended, and
// ErrUnavailable when that cannot be known now.
func (s *Service) Reauthorize(ctx context.Context, c Credential, sessionID string) (*User, error) {
	var u *User
	var err error
	switch {
	case c.LoginHash != "":
		u, err = s.userByLoginHash(ctx, c.LoginHash)
	case c.TokenHash != "":
		u, err = s.userByTokenHash(ctx, c.TokenHash)
	default:
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.Session(ctx, u, sessionID); err != nil {
		return nil, err
	}
	return u, nil
}

// AccessEnded reports whether an error from Reauthorize means that access has ended (and
// not that the storage could not say).
func AccessEnded(err error) bool {
	switch ErrorCode(err) {
	case EUnauthenticated, ENotFound, EForbidden:
		return true
	}
	return false
}

// revoke publishes a revocation event (best effort: sockets are also checked periodically).
func (s *Service) revoke(ctx context.Context, ev Event) {
	ev.Kind, ev.Session = EventRevoke, RevokeChannel
	if err := s.e.Publish(ctx, ev); err != nil {
		s.log.Warn("publishing a revocation", "err", err)
	}
}

// endLogins ends every login of u (a new epoch) and tells every instance.
func (s *Service) endLogins(ctx context.Context, u *User, change func(*User)) error {
	change(u)
	u.LoginEpoch++
	if err := s.e.UpdateUser(ctx, *u); err != nil {
		return engineErr(err)
	}
	s.revoke(ctx, Event{User: u.ID})
	return nil
}

// EndAllLogins ends every login of the actor, on every device, and returns a fresh login
// for the device that asked (so that it stays logged in); sockets opened with the old
// logins close.
func (s *Service) EndAllLogins(ctx context.Context, actor *User) (string, error) {
	if actor == nil {
		return "", Errorf(EUnauthenticated, "Log in first.")
	}
	u, err := s.e.User(ctx, actor.ID)
	if err != nil {
		return "", engineErr(err)
	}
	if err := s.endLogins(ctx, u, func(*User) {}); err != nil {
		return "", err
	}
	return s.startLogin(ctx, u)
}

// ChangePassword sets the actor's password after checking the current one, ends every
// login (sockets opened with them close) and returns a fresh login for this device.
func (s *Service) ChangePassword(ctx context.Context, actor *User, current, next string) (string, error) {
	if actor == nil {
		return "", Errorf(EUnauthenticated, "Log in first.")
	}
	u, err := s.e.User(ctx, actor.ID)
	if err != nil {
		return "", engineErr(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(current)) != nil {
		return "", Errorf(EInvalidCredentials, "The current password is wrong.")
	}
	if err := checkPassword(next); err != nil {
		return "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(next), s.cfg.PasswordCost)
	if err != nil {
		return "", Errorf(EInternal, "could not hash the password")
	}
	if err := s.endLogins(ctx, u, func(u *User) { u.PasswordHash = string(hash) }); err != nil {
		return "", err
	}
	return s.startLogin(ctx, u)
}

// SetUserDisabled deactivates (or reactivates) an account; only an admin may, and not their
// own. A deactivated user's logins end, their tokens stop working and their sockets close.
func (s *Service) SetUserDisabled(ctx context.Context, actor *User, id string, disabled bool) (*User, error) {
	if !actor.IsAdmin() {
		return nil, Errorf(EForbidden, "Only an admin may deactivate accounts.")
	}
	if actor.ID == id && disabled {
		return nil, Errorf(EBadRequest, "You cannot deactivate your own account.")
	}
	u, err := s.e.User(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, Errorf(ENotFound, "There is no account %q.", id)
	}
	if err != nil {
		return nil, engineErr(err)
	}
	if err := s.endLogins(ctx, u, func(u *User) { u.Disabled = disabled }); err != nil {
		return nil, err
	}
	return u, nil
}
