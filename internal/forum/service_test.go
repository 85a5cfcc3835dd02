package forum_test

// Service rules over the real embedded engine: command ids, upvote rules, the join and
// login limits, sharing and group masking.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/memstore"
)

func newService(t *testing.T, now ...func() time.Time) *forum.Service {
	t.Helper()
	st, err := memstore.Open(t.TempDir(), memstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := forum.Config{PublicURL: "http://pejl.test", PasswordCost: 4}
	if len(now) > 0 {
		cfg.Now = now[0]
	}
	svc := forum.NewService(st, cfg)
	t.Cleanup(func() { svc.Close(); _ = st.Close() })
	return svc
}

func mustUser(t *testing.T, svc *forum.Service, admin *forum.User, email, role string) *forum.User {
	t.Helper()
	u, err := svc.CreateUser(context.Background(), admin, forum.NewUser{Email: email, Password: "a-long-password", Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func bootstrap(t *testing.T, now ...func() time.Time) (*forum.Service, *forum.User) {
	t.Helper()
	svc := newService(t, now...)
	ctx := context.Background()
	if err := svc.EnsureAdmin(ctx, "admin@pejl.test", "a-long-password"); err != nil {
		t.Fatal(err)
	}
	admin, _, err := svc.Login(ctx, "admin@pejl.test", "a-long-password", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return svc, admin
}

func code(err error) string { return forum.ErrorCode(err) }

func TestCommandIDsAcrossSockets(t *testing.T) {
	svc, admin := bootstrap(t)
	ctx := context.Background()
	s, err := svc.CreateSession(ctx, admin, forum.NewSession{Title: "T", CharterID: "allerod-ledelsesgrundlag"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Do(ctx, admin, s.ID, forum.Command{ID: "f3", Type: "show_results", Activity: "s2-scale"}); err != nil {
		t.Fatal(err)
	}
	// The same id again, now with other content (as after a reconnect): acknowledged, no change.
	if _, err := svc.Do(ctx, admin, s.ID, forum.Command{ID: "f3", Type: "hide_results", Activity: "s2-scale"}); err != nil {
		t.Fatal(err)
	}
	got, _ := svc.Session(ctx, admin, s.ID)
	if a, _ := got.Activity("s2-scale"); a.Results != forum.ResultsShown {
		t.Fatalf("a repeated command id changed the session: results %s", a.Results)
	}
	if _, err := svc.Do(ctx, admin, s.ID, forum.Command{ID: "f4", Type: "hide_results", Activity: "s2-scale"}); err != nil {
		t.Fatal(err)
	}
	got, _ = svc.Session(ctx, admin, s.ID)
	if a, _ := got.Activity("s2-scale"); a.Results != forum.ResultsHidden {
		t.Fatalf("a new command id did not apply: results %s", a.Results)
	}
}

func TestUpvoteRules(t *testing.T) {
	svc, admin := bootstrap(t)
	ctx := context.Background()
	s, _ := svc.CreateSession(ctx, admin, forum.NewSession{Title: "T", CharterID: "allerod-ledelsesgrundlag"})
	p, _, err := svc.Hello(ctx, s, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Do(ctx, admin, s.ID, forum.Command{Type: "open", Activity: "s2-comments"}); err != nil {
		t.Fatal(err)
	}
	c, err := svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "c1", Activity: "s2-comments", Text: "Godt"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upvote(ctx, s.ID, p, "u1", c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Do(ctx, admin, s.ID, forum.Command{Type: "close", Activity: "s2-comments"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upvote(ctx, s.ID, p, "u2", c.ID); code(err) != forum.EActivityClosed {
		t.Fatalf("upvote on a closed activity: %v", err)
	}
	// The id accepted before is still acknowledged.
	if _, err := svc.Upvote(ctx, s.ID, p, "u1", c.ID); err != nil {
		t.Fatalf("resent upvote id: %v", err)
	}
	if _, err := svc.Do(ctx, admin, s.ID, forum.Command{Type: "end"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Upvote(ctx, s.ID, p, "u3", c.ID); code(err) != forum.ESessionEnded {
		t.Fatalf("upvote after the end: %v", err)
	}
	if _, err := svc.Upvote(ctx, s.ID, p, "u4", "nope"); code(err) != forum.EInvalidValue {
		t.Fatalf("upvote of an unknown comment: %v", err)
	}
}

func TestJoinGuessingLimit(t *testing.T) {
	svc, admin := bootstrap(t)
	ctx := context.Background()
	s, _ := svc.CreateSession(ctx, admin, forum.NewSession{Title: "T", CharterID: "allerod-ledelsesgrundlag"})
	// 200 people behind one address join with the right code.
	for i := range 200 {
		if _, err := svc.JoinLookup(ctx, s.Code, "10.0.0.1"); err != nil {
			t.Fatalf("right code %d from one address: %v", i, err)
		}
	}
	wrong := "000000"
	if wrong == s.Code {
		wrong = "000001"
	}
	for i := range 20 {
		if _, err := svc.JoinLookup(ctx, wrong, "10.0.0.2"); code(err) != forum.EUnknownCode {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	_, err := svc.JoinLookup(ctx, wrong, "10.0.0.2")
	var fe *forum.Error
	if code(err) != forum.ERateLimited || !asErr(err, &fe) || fe.RetryAfter < 1 {
		t.Fatalf("21st wrong code: %v", err)
	}
	if _, err := svc.JoinLookup(ctx, s.Code, "10.0.0.2"); code(err) != forum.ERateLimited {
		t.Fatalf("right code past the limit: %v, want rate_limited", err)
	}
	if err := svc.GuardJoin(ctx, s.Code, "10.0.0.2"); code(err) != forum.ERateLimited {
		t.Fatalf("socket past the limit: %v, want rate_limited", err)
	}
	if _, err := svc.JoinLookup(ctx, s.Code, "10.0.0.3"); err != nil {
		t.Fatalf("another address: %v", err)
	}
}

func asErr(err error, target **forum.Error) bool {
	e, ok := err.(*forum.Error)
	if ok {
		*target = e
	}
	return ok
}

func TestLoginLimit(t *testing.T) {
	svc, _ := bootstrap(t)
	ctx := context.Background()
	// Successful logins do not count.
	for i := range 15 {
		if _, _, err := svc.Login(ctx, "admin@pejl.test", "a-long-password", "10.1.0.1"); err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
	}
	for i := range 10 {
		if _, _, err := svc.Login(ctx, "admin@pejl.test", fmt.Sprintf("wrong-%d-password", i), "10.1.0.2"); code(err) != forum.EInvalidCredentials {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	// Past the limit, even the right password is refused: the answer tells nothing.
	if _, _, err := svc.Login(ctx, "admin@pejl.test", "a-long-password", "10.1.0.3"); code(err) != forum.ERateLimited {
		t.Fatalf("right password past the account's limit: %v", err)
	}
}

func TestSharingAndGroupMasking(t *testing.T) {
	svc, admin := bootstrap(t)
	ctx := context.Background()
	anna := mustUser(t, svc, admin, "anna@pejl.test", forum.RoleFacilitator)
	bo := mustUser(t, svc, admin, "bo@pejl.test", forum.RoleFacilitator)
	thr := 5
	s, err := svc.CreateSession(ctx, anna, forum.NewSession{Title: "Delt", CharterID: "allerod-ledelsesgrundlag",
		Groups: []forum.Group{{ID: "leder", Label: "Leder"}, {ID: "dir", Label: "Direktion"}}, AnonymityThreshold: &thr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, bo, s.ID); code(err) != forum.ENotFound {
		t.Fatalf("bo sees anna's session before sharing: %v", err)
	}
	shared := []string{"BO@pejl.test"}
	if _, err := svc.UpdateSession(ctx, bo, s.ID, forum.SessionPatch{SharedWith: &shared}); code(err) != forum.ENotFound {
		t.Fatalf("bo shares anna's session: %v", err)
	}
	if _, err := svc.UpdateSession(ctx, anna, s.ID, forum.SessionPatch{SharedWith: &[]string{"nobody@pejl.test"}}); code(err) != forum.EBadRequest {
		t.Fatalf("sharing with an unknown email: %v", err)
	}
	if _, err := svc.UpdateSession(ctx, anna, s.ID, forum.SessionPatch{SharedWith: &shared}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Session(ctx, bo, s.ID); err != nil {
		t.Fatalf("bo after sharing: %v", err)
	}
	list, _ := svc.Sessions(ctx, bo)
	if len(list) != 1 || list[0].ID != s.ID {
		t.Fatalf("bo's list: %+v", list)
	}
	if _, err := svc.UpdateSession(ctx, bo, s.ID, forum.SessionPatch{SharedWith: &[]string{}}); code(err) != forum.EForbidden {
		t.Fatalf("bo changes the sharing: %v", err)
	}

	// Five leaders and one director comment: the director's group never shows, and neither
	// do the leaders', since the one comment without a label would be the director's.
	if _, err := svc.Do(ctx, anna, s.ID, forum.Command{Type: "open", Activity: "s2-comments"}); err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		g := "leder"
		if i == 5 {
			g = "dir"
		}
		p, _, err := svc.Hello(ctx, s, "", "", g)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "c", Activity: "s2-comments", Text: "Tekst " + g}); err != nil {
			t.Fatal(err)
		}
	}
	cs, err := svc.FacilitatorComments(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	view, err := svc.View(ctx, anna, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(view)
	for _, c := range cs {
		if c.Group == "dir" {
			t.Fatalf("a group of one shows in the facilitator's comments: %+v", c)
		}
	}
	if strings.Contains(string(b), `"group":"dir"`) || strings.Contains(string(b), `"group":"leder"`) {
		t.Fatalf("a group shows in the facilitator view, and with it the director's comment: %s", b)
	}
	// Four people without a group comment too: the unlabelled comments are now five
	// people's, and the leaders' label shows.
	for range 4 {
		p, _, err := svc.Hello(ctx, s, "", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "c", Activity: "s2-comments", Text: "Uden gruppe"}); err != nil {
			t.Fatal(err)
		}
	}
	cs, err = svc.FacilitatorComments(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	labels := map[string]int{}
	for _, c := range cs {
		labels[c.Group]++
	}
	if labels["leder"] != 5 || labels[""] != 5 || len(labels) != 2 {
		t.Fatalf("comment labels = %v, want 5 leder and 5 without", labels)
	}
	view, err = svc.View(ctx, anna, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(view)
	if !strings.Contains(string(b), `"group":"leder"`) || strings.Contains(string(b), `"group":"dir"`) {
		t.Fatalf("the facilitator view's labels: %s", b)
	}
}
