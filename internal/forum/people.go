package forum

import (
	"context"
	"errors"
	"sort"

	"golang.org/x/crypto/bcrypt"
)

// ResetPassword sets another account's password (admin only). The account's logins end and
// its sockets close, as when the user changes it.
func (s *Service) ResetPassword(ctx context.Context, actor *User, id, password string) error {
	if !actor.IsAdmin() {
		return Errorf(EForbidden, "Only an admin may reset passwords.")
	}
	if err := checkPassword(password); err != nil {
		return err
	}
	u, err := s.e.User(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Errorf(ENotFound, "There is no account %q.", id)
	}
	if err != nil {
		return engineErr(err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.PasswordCost)
	if err != nil {
		return Errorf(EInternal, "could not hash the password")
	}
	return s.endLogins(ctx, u, func(u *User) { u.PasswordHash = string(hash) })
}

// Colleague is another facilitator as every facilitator may see them: to share a session.
type Colleague struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// Colleagues lists the active accounts other than the actor's, by name.
func (s *Service) Colleagues(ctx context.Context, actor *User) ([]Colleague, error) {
	if actor == nil {
		return nil, Errorf(EUnauthenticated, "Log in first.")
	}
	us, err := s.e.Users(ctx)
	if err != nil {
		return nil, engineErr(err)
	}
	out := []Colleague{}
	for _, u := range us {
		if u.ID != actor.ID && !u.Disabled {
			out = append(out, Colleague{Email: u.Email, Name: u.Name})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name+out[i].Email < out[j].Name+out[j].Email })
	return out, nil
}
