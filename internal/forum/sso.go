package forum

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Identity is what a single sign-on provider vouches for after a login: its verified ID
// token's claims, read by the edge that spoke to the provider.
type Identity struct {
	Issuer  string
	Subject string
	// Email is the email claim (or, when there is none, a preferred_username or upn that is
	// an address, as Microsoft Entra ID sends).
	Email string
	// EmailVerified is the email_verified claim; nil when the provider sends none.
	EmailVerified *bool
	Name          string
	// Groups are the values of the groups claim (group ids or names).
	Groups []string
	// Admin is nil when no claim is configured to make an admin; else whether this person
	// has it.
	Admin *bool
}

// SSOPolicy is who may log in with single sign-on.
type SSOPolicy struct {
	// AllowedDomains are the email domains allowed (case aside); empty allows any.
	AllowedDomains []string
	// AllowedGroups: when set, the identity must be in at least one of them.
	AllowedGroups []string
}

// Reasons a single sign-on login is refused, in the Detail's Field: the login page names
// each in the person's language.
const (
	SSORefusedDomain   = "sso_domain"   // the email's domain is not allowed
	SSORefusedGroup    = "sso_group"    // in none of the allowed groups
	SSORefusedEmail    = "sso_email"    // no usable email address
	SSORefusedDisabled = "sso_disabled" // the account is deactivated
	SSORefusedLinked   = "sso_linked"   // the email's account is linked to another identity
	SSORefusedReplay   = "sso_replay"   // the login's state was used already
)

func ssoRefused(reason, format string, args ...any) *Error {
	e := Errorf(EForbidden, format, args...)
	e.Details = []Detail{{Field: reason, Message: e.Message}}
	return e
}

// SSOLogin logs in a person a single sign-on provider vouched for, and returns the user and
// the secret for the login cookie. The rules:
//
//   - the identity must have an email address in an allowed domain and, when groups are
//     configured, be in one of them;
//   - an account already linked to this issuer and subject is the one logged in (its email
//     follows the provider's);
//   - else an account with the same email is linked to it, unless the provider says the
//     email is not verified, or that account is linked to another subject;
//   - else a facilitator account is created, with no password (it logs in only this way
//     until an admin sets one);
//   - when an admin claim is configured, the role follows it at every login;
//   - a deactivated account is refused.
func (s *Service) SSOLogin(ctx context.Context, pol SSOPolicy, id Identity) (*User, string, error) {
	if id.Issuer == "" || id.Subject == "" {
		return nil, "", Errorf(EBadRequest, "The identity has no issuer or subject.")
	}
	email := normEmail(id.Email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return nil, "", ssoRefused(SSORefusedEmail, "Your organisation's account has no usable email address; ask your IT department.")
	}
	domain := email[strings.LastIndexByte(email, '@')+1:]
	if len(pol.AllowedDomains) > 0 && !slices.ContainsFunc(pol.AllowedDomains, func(d string) bool {
		return strings.EqualFold(strings.TrimSpace(d), domain)
	}) {
		return nil, "", ssoRefused(SSORefusedDomain, "Accounts from %s may not log in here.", domain)
	}
	if len(pol.AllowedGroups) > 0 && !slices.ContainsFunc(id.Groups, func(g string) bool { return slices.Contains(pol.AllowedGroups, g) }) {
		return nil, "", ssoRefused(SSORefusedGroup, "Your account is in none of the groups that may log in here; ask your IT department.")
	}

	u, err := s.userBySSO(ctx, id.Issuer, id.Subject)
	if err != nil {
		return nil, "", err
	}
	if u == nil {
		u, err = s.e.UserByEmail(ctx, email)
		if errors.Is(err, ErrNotFound) {
			u, err = nil, nil
		}
		if err != nil {
			return nil, "", engineErr(err)
		}
		if u != nil && u.SSOSubject != "" {
			return nil, "", ssoRefused(SSORefusedLinked, "The account %s is linked to another sign-on identity. Ask an administrator.", email)
		}
		if u != nil && id.EmailVerified != nil && !*id.EmailVerified {
			return nil, "", ssoRefused(SSORefusedEmail, "Your organisation has not verified the email %s, so it cannot be linked to the account with it.", email)
		}
	}
	if u == nil {
		nu := User{ID: "u" + NewID(8), Email: email, Name: ssoName(id.Name), Role: RoleFacilitator,
			CreatedAt: s.now(), SSOIssuer: id.Issuer, SSOSubject: id.Subject}
		if id.Admin != nil && *id.Admin {
			nu.Role = RoleAdmin
		}
		err := s.e.CreateUser(ctx, nu)
		if errors.Is(err, ErrConflict) { // the same person, logging in twice at once
			return nil, "", Errorf(EConflict, "The account is being created; try again.")
		}
		if err != nil {
			return nil, "", engineErr(err)
		}
		s.log.Info("account created by single sign-on", "user", nu.ID, "role", nu.Role)
		u = &nu
	} else {
		if u.Disabled {
			return nil, "", ssoRefused(SSORefusedDisabled, "This account is deactivated. Ask an administrator.")
		}
		changed := *u
		changed.SSOIssuer, changed.SSOSubject = id.Issuer, id.Subject
		if changed.Email != email {
			if other, err := s.e.UserByEmail(ctx, email); err == nil && other.ID != u.ID {
				return nil, "", ssoRefused(SSORefusedLinked, "Another account has the email %s. Ask an administrator.", email)
			}
			changed.Email = email
		}
		if changed.Name == "" {
			changed.Name = ssoName(id.Name)
		}
		if id.Admin != nil {
			changed.Role = RoleFacilitator
			if *id.Admin {
				changed.Role = RoleAdmin
			}
		}
		if changed != *u {
			if err := s.e.UpdateUser(ctx, changed); err != nil {
				return nil, "", engineErr(err)
			}
			u = &changed
		}
	}
	secret, err := s.startLogin(ctx, u)
	return u, secret, err
}

// userBySSO finds the account linked to an issuer and subject, or nil. Accounts are few (the
// facilitators of one organisation), so they are scanned.
func (s *Service) userBySSO(ctx context.Context, issuer, subject string) (*User, error) {
	us, err := s.e.Users(ctx)
	if err != nil {
		return nil, engineErr(err)
	}
	for i := range us {
		if us[i].SSOIssuer == issuer && us[i].SSOSubject == subject {
			return &us[i], nil
		}
	}
	return nil, nil
}

func ssoName(n string) string {
	n = strings.TrimSpace(n)
	if utf8.RuneCountInString(n) > 100 {
		n = string([]rune(n)[:100])
	}
	return n
}

// ClaimOnce records that a one-time secret (a single sign-on login's state) is used; a
// second claim within ttl is refused (EForbidden, SSORefusedReplay). Instances sharing an
// engine share the record.
func (s *Service) ClaimOnce(ctx context.Context, kind, secret string, ttl time.Duration) error {
	ok, _, err := s.e.Allow(ctx, "once:"+kind+":"+HashSecret(secret), 1, ttl, 1)
	if err != nil {
		return engineErr(err)
	}
	if !ok {
		return ssoRefused(SSORefusedReplay, "This login link was used already. Start the login again.")
	}
	return nil
}
