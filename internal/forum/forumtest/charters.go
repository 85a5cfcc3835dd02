package forumtest

import (
	"strings"
	"testing"

	"pejl/internal/charter"
	"pejl/internal/forum"
)

const teamCharter = `---
id: team
---
# Teamets spilleregler

## Samarbejde

- Vi siger det højt, når vi har brug for hjælp.
- Vi giver hinanden ærlig feedbak.

### Møder

- Vi starter til tiden.
`

// testSvcCharterVersion: a typo fixed is a new version with the same ids, a later version
// counts on, a changed structure is refused line by line (in Danish too), and sessions on
// every version of a charter are compared together.
func testSvcCharterVersion(t *testing.T, h *Harness) {
	ctx := t.Context()
	v1, err := h.Svc.ImportCharter(ctx, h.Owner, []byte(teamCharter))
	noErr(t, "ImportCharter", err)
	fixed := strings.Replace(teamCharter, "feedbak", "feedback", 1)
	v2, err := h.Svc.NewCharterVersion(ctx, h.Owner, v1.ID, []byte(fixed))
	noErr(t, "NewCharterVersion", err)
	if v2.ID != "team-v2" || v2.Family != "team" || v2.Version != 2 || v2.Builtin {
		t.Errorf("v2 = %s family %q version %d", v2.ID, v2.Family, v2.Version)
	}
	if st, _, ok := v2.Statement("s1-2"); !ok || st.Text != "Vi giver hinanden ærlig feedback." {
		t.Errorf("s1-2 in v2 = %+v", st)
	}
	if st, _, _ := v1.Statement("s1-2"); st.Text != "Vi giver hinanden ærlig feedbak." {
		t.Errorf("v1 changed in place: %+v", st)
	}
	// Read back from the engine (a fresh parse): the version's id, not the front matter's.
	got, err := forum.NewService(h.E, forum.Config{}).Charter(ctx, "team-v2")
	noErr(t, "Charter v2", err)
	if got.ID != "team-v2" || got.Family != "team" || got.Version != 2 || got.Sections[0].Statements[1].Text != "Vi giver hinanden ærlig feedback." {
		t.Errorf("stored v2 = %s %q %d", got.ID, got.Family, got.Version)
	}
	// The same correction again is the same version; a correction of v2 is v3.
	again, err := h.Svc.NewCharterVersion(ctx, h.Owner, v1.ID, []byte(fixed))
	noErr(t, "the same correction", err)
	if again.ID != "team-v2" {
		t.Errorf("the same correction made %s", again.ID)
	}
	v3, err := h.Svc.NewCharterVersion(ctx, h.Owner, "team-v2", []byte(strings.Replace(fixed, "Møder", "Vores møder", 1)))
	noErr(t, "v3", err)
	if v3.ID != "team-v3" || v3.Sections[1].Title != "Vores møder" {
		t.Errorf("v3 = %s %q", v3.ID, v3.Sections[1].Title)
	}

	// An imported charter that took the next version's id: the version moves on to v5.
	_, err = h.Svc.ImportCharter(ctx, h.Other, []byte(strings.Replace(teamCharter, "id: team", "id: team-v4", 1)))
	noErr(t, "import team-v4", err)
	v5, err := h.Svc.NewCharterVersion(ctx, h.Owner, "team-v3", []byte(strings.Replace(fixed, "tiden", "tiden.", 1)))
	noErr(t, "v5", err)
	if v5.ID != "team-v5" || v5.Version != 5 {
		t.Errorf("after a taken id: %s", v5.ID)
	}

	// A structure change: a statement added (the section at line 6) and a level changed (line 12).
	changed := strings.Replace(fixed, "### Møder", "## Møder", 1)
	changed = strings.Replace(changed, "- Vi giver", "- Et nyt udsagn.\n- Vi giver", 1)
	_, err = h.Svc.NewCharterVersion(ctx, h.Owner, "team", []byte(changed))
	fe, ok := err.(*forum.Error)
	if !ok || fe.Code != forum.EInvalidCharter || len(fe.Details) != 2 {
		t.Fatalf("structure change: %v", err)
	}
	if fe.Details[0].Line != 6 || !strings.Contains(fe.Details[0].MessageDA, "3 udsagn") || fe.Details[1].Line != 12 || !strings.Contains(fe.Details[1].MessageDA, "niveau") {
		t.Errorf("details %+v", fe.Details)
	}
	_, err = h.Svc.NewCharterVersion(ctx, h.Owner, "team", []byte(fixed+"\n## Ekstra\n"))
	wantCode(t, "a section added", err, forum.EInvalidCharter)
	_, err = h.Svc.NewCharterVersion(ctx, h.Owner, "team", []byte("# Kun en titel\n"))
	wantCode(t, "sections removed", err, forum.EInvalidCharter)
	_, err = h.Svc.NewCharterVersion(ctx, h.Owner, "team", []byte("no title\n"))
	wantCode(t, "invalid Markdown", err, forum.EInvalidCharter)
	_, err = h.Svc.NewCharterVersion(ctx, h.Owner, "nope", []byte(fixed))
	wantCode(t, "unknown charter", err, forum.ENotFound)
	_, err = h.Svc.NewCharterVersion(ctx, nil, "team", []byte(fixed))
	wantCode(t, "no actor", err, forum.EUnauthenticated)

	// The built-in charter can be corrected too.
	b, _ := charter.BuiltinByID(CharterID)
	bv, err := h.Svc.NewCharterVersion(ctx, h.Owner, CharterID, []byte(strings.Replace(b.Source, "Respekt", "Gensidig respekt", 1)))
	noErr(t, "built-in version", err)
	if bv.ID != CharterID+"-v2" || bv.Builtin || bv.StatementCount() != b.StatementCount() {
		t.Errorf("built-in v2 = %s builtin=%v", bv.ID, bv.Builtin)
	}

	// Sessions on v1 and v3 are compared together, under either version.
	s1, err := h.Svc.CreateSession(ctx, h.Owner, forum.NewSession{Title: "Første", CharterID: "team"})
	noErr(t, "session v1", err)
	s3, err := h.Svc.CreateSession(ctx, h.Owner, forum.NewSession{Title: "Tredje", CharterID: "team-v3"})
	noErr(t, "session v3", err)
	for _, id := range []string{"team", "team-v3"} {
		cmp, err := h.Svc.Compare(ctx, h.Owner, id, nil)
		noErr(t, "Compare "+id, err)
		if len(cmp.Sessions) != 2 {
			t.Errorf("compare %s: %d sessions, want both versions' sessions", id, len(cmp.Sessions))
		}
		cmp, err = h.Svc.Compare(ctx, h.Owner, id, []string{s1.ID, s3.ID})
		noErr(t, "Compare named "+id, err)
		if len(cmp.Sessions) != 2 {
			t.Errorf("compare named %s: %d sessions", id, len(cmp.Sessions))
		}
	}
}
