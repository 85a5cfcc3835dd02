package sso

import (
	"testing"
	"time"
)

// TestIdentity: the claims Pejl reads, as Microsoft Entra ID and others send them.
func TestIdentity(t *testing.T) {
	p, err := New(Config{Issuer: "https://login.example.test/t/v2.0", ClientID: "c", RedirectURL: "https://pejl.test/cb", AdminClaim: "roles=Pejl.Admin"})
	if err != nil {
		t.Fatal(err)
	}
	// Entra without the email claim: the UPN in preferred_username; roles a list.
	id := p.identity("iss", "sub", map[string]any{"preferred_username": "mette@kommune.dk", "name": "Mette",
		"roles": []any{"Other", "Pejl.Admin"}, "groups": []any{"g1", 7, "g2"}})
	if id.Email != "mette@kommune.dk" || id.Name != "Mette" || id.Admin == nil || !*id.Admin || id.EmailVerified != nil ||
		len(id.Groups) != 2 || id.Groups[1] != "g2" {
		t.Errorf("entra identity %+v", id)
	}
	// The email claim wins; a string claim; email_verified as a string.
	id = p.identity("iss", "sub", map[string]any{"email": "a@b.dk", "preferred_username": "x@y.dk", "roles": "Reader", "email_verified": "false"})
	if id.Email != "a@b.dk" || id.Admin == nil || *id.Admin || id.EmailVerified == nil || *id.EmailVerified {
		t.Errorf("identity %+v", id)
	}
	// A username that is not an address gives no email.
	if id := p.identity("iss", "sub", map[string]any{"preferred_username": "mette"}); id.Email != "" {
		t.Errorf("email %q from a plain username", id.Email)
	}
	// Without an admin claim configured, Admin is nil (roles are Pejl's).
	p2, _ := New(Config{Issuer: "https://i.test", ClientID: "c", RedirectURL: "https://pejl.test/cb"})
	if id := p2.identity("iss", "sub", map[string]any{"roles": "Pejl.Admin"}); id.Admin != nil {
		t.Errorf("admin %v without an admin claim", *id.Admin)
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []Config{
		{Issuer: "https://i.test", RedirectURL: "https://p.test/cb"},                                     // no client id
		{Issuer: "https://i.test", ClientID: "c"},                                                        // no redirect
		{Issuer: "not a url", ClientID: "c", RedirectURL: "https://p.test/cb"},                           // issuer
		{Issuer: "https://i.test", ClientID: "c", RedirectURL: "https://p.test/cb", AdminClaim: "roles"}, // claim=value
	} {
		if c.Check() == nil {
			t.Errorf("%+v passes Check", c)
		}
	}
	if (Config{}).Check() != nil || (Config{Issuer: "https://i.test", ClientID: "c", RedirectURL: "http://localhost:8080/cb"}).Check() != nil {
		t.Errorf("a valid configuration fails Check")
	}
}

func TestPending(t *testing.T) {
	now := time.Now()
	pd := Pending{State: "s", Nonce: "n", Verifier: "v", Next: "/host", Expires: now.Add(time.Minute)}
	if got, ok := DecodePending(pd.Encode(), now); !ok || got.State != "s" || got.Next != "/host" {
		t.Errorf("round trip: %+v %v", got, ok)
	}
	if _, ok := DecodePending(pd.Encode(), now.Add(2*time.Minute)); ok {
		t.Errorf("an expired login decodes")
	}
	for _, bad := range []string{"", "!!", "e30", Pending{State: "s", Expires: now.Add(time.Minute)}.Encode()} {
		if _, ok := DecodePending(bad, now); ok {
			t.Errorf("%q decodes", bad)
		}
	}
}
