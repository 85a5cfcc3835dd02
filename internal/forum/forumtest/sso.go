package forumtest

import (
	"testing"
	"time"

	"pejl/internal/forum"
)

// testSvcSSO: single sign-on creates an account on first login and finds it by issuer and
// subject after; links an existing account by email unless the email is unverified or the
// account is linked to someone else; refuses other domains and groups, deactivated
// accounts and a replayed state; the admin claim sets the role both ways.
func testSvcSSO(t *testing.T, h *Harness) {
	ctx := t.Context()
	const iss = "https://login.example.test/tenant/v2.0"
	pol := forum.SSOPolicy{AllowedDomains: []string{"Pejl.test", "kommune.test"}}
	yes, no := true, false
	refused := func(what string, err error, reason string) {
		t.Helper()
		fe, ok := err.(*forum.Error)
		if !ok || fe.Code != forum.EForbidden || len(fe.Details) != 1 || fe.Details[0].Field != reason {
			t.Errorf("%s: got %v, want forbidden with reason %s", what, err, reason)
		}
	}

	// First login: a new facilitator without a password, logged in.
	u, secret, err := h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-mette", Email: " Mette@Kommune.test", Name: "Mette Hansen"})
	noErr(t, "SSOLogin new", err)
	if u.Email != "mette@kommune.test" || u.Role != forum.RoleFacilitator || u.Name != "Mette Hansen" || u.PasswordHash != "" || u.SSOSubject != "sub-mette" {
		t.Errorf("new account %+v", u)
	}
	if secret == "" {
		t.Errorf("no login secret")
	}
	if _, _, err := h.Svc.Login(ctx, "mette@kommune.test", "", "192.0.2.1"); forum.ErrorCode(err) != forum.EInvalidCredentials {
		t.Errorf("password login of an SSO-only account: %v", err)
	}
	// Again, with a changed email: the same account, found by subject, email updated.
	u2, _, err := h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-mette", Email: "mette.hansen@kommune.test"})
	noErr(t, "SSOLogin again", err)
	if u2.ID != u.ID || u2.Email != "mette.hansen@kommune.test" || u2.Name != "Mette Hansen" {
		t.Errorf("second login %+v, want account %s with the new email", u2, u.ID)
	}
	// The same subject from another issuer is another person.
	u3, _, err := h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: "https://other.test", Subject: "sub-mette", Email: "m3@kommune.test"})
	noErr(t, "SSOLogin other issuer", err)
	if u3.ID == u.ID {
		t.Errorf("another issuer's subject got the same account")
	}

	// Linking by email: the existing facilitator keeps id and password, and is linked.
	owner, _, err := h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-owner", Email: "OWNER@pejl.test", EmailVerified: &yes})
	noErr(t, "SSOLogin link", err)
	if owner.ID != h.Owner.ID || owner.SSOSubject != "sub-owner" {
		t.Errorf("linked %+v, want %s", owner, h.Owner.ID)
	}
	// … but not to a second subject, and not on an unverified email.
	_, _, err = h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-impostor", Email: "owner@pejl.test"})
	refused("a second subject for a linked email", err, forum.SSORefusedLinked)
	_, _, err = h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-x", Email: "other@pejl.test", EmailVerified: &no})
	refused("an unverified email", err, forum.SSORefusedEmail)
	if o, _ := h.E.User(ctx, h.Other.ID); o.SSOSubject != "" {
		t.Errorf("the unverified login linked the account: %+v", o)
	}

	// Domains, groups, no email.
	_, _, err = h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-y", Email: "someone@gmail.test"})
	refused("another domain", err, forum.SSORefusedDomain)
	_, _, err = h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-y", Email: "someone@sub.kommune.test"})
	refused("a subdomain", err, forum.SSORefusedDomain)
	_, _, err = h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-y", Email: "not an address"})
	refused("no email", err, forum.SSORefusedEmail)
	gpol := forum.SSOPolicy{AllowedGroups: []string{"g-hr"}}
	_, _, err = h.Svc.SSOLogin(ctx, gpol, forum.Identity{Issuer: iss, Subject: "sub-z", Email: "z@any.test", Groups: []string{"g-it"}})
	refused("outside the groups", err, forum.SSORefusedGroup)
	if _, _, err := h.Svc.SSOLogin(ctx, gpol, forum.Identity{Issuer: iss, Subject: "sub-z", Email: "z@any.test", Groups: []string{"g-it", "g-hr"}}); err != nil {
		t.Errorf("in an allowed group: %v", err)
	}
	if us, _ := h.E.Users(ctx); len(us) != 6 {
		t.Errorf("%d accounts, want 6 (3 + Mette, m3, z): refused logins must create none", len(us))
	}

	// The admin claim makes an admin, and taking it away makes a facilitator again.
	a, _, err := h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-mette", Email: "mette.hansen@kommune.test", Admin: &yes})
	noErr(t, "SSOLogin admin", err)
	if a.Role != forum.RoleAdmin {
		t.Errorf("role %q with the admin claim", a.Role)
	}
	a, _, err = h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-mette", Email: "mette.hansen@kommune.test", Admin: &no})
	noErr(t, "SSOLogin not admin", err)
	if a.Role != forum.RoleFacilitator {
		t.Errorf("role %q without the admin claim", a.Role)
	}

	// A deactivated account is refused.
	_, err = h.Svc.SetUserDisabled(ctx, h.Admin, u.ID, true)
	noErr(t, "SetUserDisabled", err)
	_, _, err = h.Svc.SSOLogin(ctx, pol, forum.Identity{Issuer: iss, Subject: "sub-mette", Email: "mette.hansen@kommune.test"})
	refused("deactivated", err, forum.SSORefusedDisabled)

	// A state is claimed once.
	noErr(t, "ClaimOnce", h.Svc.ClaimOnce(ctx, "sso-state", "state-1", 10*time.Minute))
	refused("a replayed state", h.Svc.ClaimOnce(ctx, "sso-state", "state-1", 10*time.Minute), forum.SSORefusedReplay)
	noErr(t, "ClaimOnce another", h.Svc.ClaimOnce(ctx, "sso-state", "state-2", 10*time.Minute))
}
