package forum_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/memstore"
)

const allerod = "allerod-ledelsesgrundlag"

type cmpClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *cmpClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
	return c.t
}

func cmpService(t *testing.T) *forum.Service {
	t.Helper()
	e, err := memstore.Open(t.TempDir(), memstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := &cmpClock{t: time.Date(2025, 9, 1, 9, 0, 0, 0, time.UTC)}
	svc := forum.NewService(e, forum.Config{Now: clock.now})
	t.Cleanup(func() { svc.Close(); e.Close() })
	return svc
}

// cmpMembers is a group of a session and what its members answer on s2-1 (and value+1,
// capped at 5, on s2-2).
type cmpMembers struct {
	id, label string
	n, value  int
}

func cmpSession(t *testing.T, svc *forum.Service, actor *forum.User, title, charterID string, groups []cmpMembers, ungrouped, ungroupedValue int) *forum.Session {
	t.Helper()
	return cmpSessionWith(t, svc, actor, title, charterID, groups, ungrouped, ungroupedValue, nil)
}

// cmpSessionWith is cmpSession with an anonymity threshold (nil for the default).
func cmpSessionWith(t *testing.T, svc *forum.Service, actor *forum.User, title, charterID string, groups []cmpMembers, ungrouped, ungroupedValue int, threshold *int) *forum.Session {
	t.Helper()
	ctx := context.Background()
	var gs []forum.Group
	for _, g := range groups {
		gs = append(gs, forum.Group{ID: g.id, Label: g.label})
	}
	sess, err := svc.CreateSession(ctx, actor, forum.NewSession{Title: title, CharterID: charterID, Groups: gs, AnonymityThreshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	if charterID != allerod {
		return sess
	}
	if _, err := svc.Do(ctx, actor, sess.ID, forum.Command{Type: "open", Activity: "s2-scale"}); err != nil {
		t.Fatal(err)
	}
	if sess, err = svc.Session(ctx, actor, sess.ID); err != nil {
		t.Fatal(err)
	}
	n := 0
	vote := func(group string, value int) {
		p, _, err := svc.Hello(ctx, sess, "", "", group)
		if err != nil {
			t.Fatal(err)
		}
		for st, v := range map[string]int{"s2-1": value, "s2-2": min(value+1, 5)} {
			n++
			if _, err := svc.Vote(ctx, sess.ID, p, forum.VoteIn{ClientID: "v" + strconv.Itoa(n), Activity: "s2-scale",
				Statement: st, Value: json.RawMessage(strconv.Itoa(v))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, g := range groups {
		for range g.n {
			vote(g.id, g.value)
		}
	}
	for range ungrouped {
		vote("", ungroupedValue)
	}
	return sess
}

func statement(t *testing.T, c *forum.Comparison, id string) forum.ComparedStatement {
	t.Helper()
	for _, s := range c.Statements {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no statement %s in the comparison", id)
	return forum.ComparedStatement{}
}

func wantStat(t *testing.T, what string, r forum.StatementResult, counts map[int]int64) {
	t.Helper()
	var n, sum int64
	for v := 1; v <= 5; v++ {
		if got := r.Counts[strconv.Itoa(v)]; got != counts[v] {
			t.Errorf("%s: count of %d = %d, want %d", what, v, got, counts[v])
		}
		n += counts[v]
		sum += counts[v] * int64(v)
	}
	if r.N != n {
		t.Errorf("%s: n = %d, want %d", what, r.N, n)
	}
	if n == 0 {
		if r.Mean != nil {
			t.Errorf("%s: mean = %v, want null", what, *r.Mean)
		}
		return
	}
	want := forum.Round2(float64(sum) / float64(n))
	if r.Mean == nil || *r.Mean != want {
		t.Errorf("%s: mean = %v, want %v", what, r.Mean, want)
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	svc := cmpService(t)
	ctx := context.Background()
	mette := &forum.User{ID: "u-mette", Role: forum.RoleFacilitator}
	other := &forum.User{ID: "u-other", Role: forum.RoleFacilitator}
	admin := &forum.User{ID: "u-admin", Role: forum.RoleAdmin}

	// Three workshops of Mette's on the charter. "Medarbejder" has 4 people in each of the
	// first two and 3 in the third: 11 in all, but never 5 in one session.
	s1 := cmpSession(t, svc, mette, "Rådhuset", allerod,
		[]cmpMembers{{"leder", "Leder", 5, 4}, {"medarbejder", "Medarbejder", 4, 2}}, 0, 0)
	s2 := cmpSession(t, svc, mette, "Børn og unge", allerod,
		[]cmpMembers{{"l", "leder ", 6, 5}, {"m", "Medarbejder", 4, 1}}, 1, 3)
	s3 := cmpSession(t, svc, mette, "Teknik og miljø", allerod,
		[]cmpMembers{{"leder", "Leder", 2, 3}, {"medarbejder", "Medarbejder", 3, 1}}, 0, 0)
	// Not in Mette's comparison: someone else's session, and one on another charter.
	theirs := cmpSession(t, svc, other, "Andres forløb", allerod, []cmpMembers{{"leder", "Leder", 5, 1}}, 0, 0)
	ch, err := svc.ImportCharter(ctx, mette, []byte("---\nid: lille\n---\n# Lille\n\n## Et afsnit\n\n- Et udsagn\n"))
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := cmpSession(t, svc, mette, "Andet grundlag", ch.ID, nil, 0, 0)

	c, err := svc.Compare(ctx, mette, allerod, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range c.Sessions {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, ",") != strings.Join([]string{s1.ID, s2.ID, s3.ID}, ",") {
		t.Fatalf("sessions = %v, want Mette's three on the charter, oldest first", ids)
	}
	if c.Sessions[0].Participants != 9 || c.Sessions[1].Participants != 11 || c.Sessions[0].Title != "Rådhuset" {
		t.Errorf("sessions = %+v", c.Sessions)
	}
	if c.Charter.ID != allerod || len(c.Statements) != 37 {
		t.Errorf("charter %q with %d statements", c.Charter.ID, len(c.Statements))
	}

	s21 := statement(t, c, "s2-1")
	if s21.SectionTitle != "Værdigrundlag" || s21.Text != "Respekt" {
		t.Errorf("s2-1 = %q / %q", s21.SectionTitle, s21.Text)
	}
	wantStat(t, "s1", s21.Sessions[s1.ID], map[int]int64{4: 5, 2: 4})
	wantStat(t, "s2", s21.Sessions[s2.ID], map[int]int64{5: 6, 1: 4, 3: 1})
	wantStat(t, "s3", s21.Sessions[s3.ID], map[int]int64{3: 2, 1: 3})
	// Pooled from pooled counts: (5·4 + 4·2 + 6·5 + 4·1 + 3 + 2·3 + 3·1) / 25 = 74/25 = 2.96,
	// not the mean of the three means.
	wantStat(t, "pooled", s21.Pooled, map[int]int64{1: 7, 2: 4, 3: 3, 4: 5, 5: 6})
	if *s21.Pooled.Mean != 2.96 {
		t.Errorf("pooled mean = %v, want 2.96", *s21.Pooled.Mean)
	}
	wantStat(t, "s2-2 pooled", statement(t, c, "s2-2").Pooled, map[int]int64{5: 11, 3: 4, 2: 7, 4: 3})
	// A statement nobody rated.
	wantStat(t, "s7-1 pooled", statement(t, c, "s7-1").Pooled, nil)

	// Groups: "Leder" shows from s2 only (labels match whatever their case and spaces): in
	// s1 the total minus its 5 leaders would be exactly the 4 employees, so the leaders are
	// suppressed there too (secondary suppression); in s2 the 4 employees hide with the one
	// participant without a group. In s3 the 2 leaders and 3 employees were merged into
	// "other", which reached 5 there; "Medarbejder" never reached 5 in a session and never
	// shows.
	if len(c.Groups) != 2 {
		t.Fatalf("groups = %+v, want leder and other", c.Groups)
	}
	leder, oth := c.Groups[0], c.Groups[1]
	if leder.ID != "leder" || leder.Label != "leder" || leder.Members != 6 || strings.Join(leder.Sessions, ",") != s2.ID {
		t.Errorf("leder = %+v", leder)
	}
	if oth.ID != forum.OtherGroup || oth.Label != "Øvrige" || oth.Members != 5 || strings.Join(oth.Sessions, ",") != s3.ID {
		t.Errorf("other = %+v", oth)
	}
	wantStat(t, "leder", s21.Groups["leder"], map[int]int64{5: 6})
	wantStat(t, "other", s21.Groups[forum.OtherGroup], map[int]int64{3: 2, 1: 3})
	for _, s := range c.Statements {
		if len(s.Groups) != 2 {
			t.Errorf("%s has groups %v", s.ID, s.Groups)
		}
	}
	for _, s := range c.Statements {
		for id := range s.Groups {
			if id != "leder" && id != forum.OtherGroup {
				t.Errorf("%s shows group %q", s.ID, id)
			}
		}
	}
	b, _ := json.Marshal(c)
	if strings.Contains(string(b), `"Medarbejder"`) || strings.Contains(string(b), `"medarbejder"`) {
		t.Errorf("the comparison names the group that never had 5 members")
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal(b, &shape); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"charter", "sessions", "groups", "statements"} {
		if _, ok := shape[k]; !ok {
			t.Errorf("the comparison's JSON lacks %q", k)
		}
	}

	// Named sessions come in the order given (duplicates once).
	c, err = svc.Compare(ctx, mette, allerod, []string{s2.ID, s1.ID, s2.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sessions) != 2 || c.Sessions[0].ID != s2.ID || c.Sessions[1].ID != s1.ID {
		t.Errorf("named sessions = %+v", c.Sessions)
	}
	wantStat(t, "named pooled", statement(t, c, "s2-1").Pooled, map[int]int64{4: 5, 2: 4, 5: 6, 1: 4, 3: 1})

	// Someone else's session is not found; one on another charter is a bad request.
	if _, err := svc.Compare(ctx, mette, allerod, []string{s1.ID, theirs.ID}); forum.ErrorCode(err) != forum.ENotFound {
		t.Errorf("another facilitator's session: %v, want not_found", err)
	}
	if _, err := svc.Compare(ctx, mette, allerod, []string{elsewhere.ID}); forum.ErrorCode(err) != forum.EBadRequest ||
		!strings.Contains(forum.ErrorMessage(err), "another charter") {
		t.Errorf("a session on another charter: %v, want bad_request", err)
	}
	if _, err := svc.Compare(ctx, mette, "no-such-charter", nil); forum.ErrorCode(err) != forum.ENotFound {
		t.Errorf("unknown charter: %v, want not_found", err)
	}
	if _, err := svc.Compare(ctx, nil, allerod, nil); forum.ErrorCode(err) != forum.EUnauthenticated {
		t.Errorf("no actor: %v, want unauthenticated", err)
	}
	// The other charter's comparison has just its one session.
	if c, err := svc.Compare(ctx, mette, ch.ID, nil); err != nil || len(c.Sessions) != 1 || len(c.Statements) != 1 {
		t.Errorf("other charter: %v, %+v", err, c)
	}
	// An admin sees everyone's sessions.
	if c, err := svc.Compare(ctx, admin, allerod, nil); err != nil || len(c.Sessions) != 4 {
		t.Errorf("admin: %v, %d sessions, want 4", err, len(c.Sessions))
	}
	// A facilitator with no sessions on the charter gets an empty comparison.
	if c, err := svc.Compare(ctx, &forum.User{ID: "u-new"}, allerod, nil); err != nil || len(c.Sessions) != 0 || len(c.Statements) != 37 || c.Statements[0].Pooled.N != 0 {
		t.Errorf("no sessions: %v, %+v", err, c)
	}
}

// TestCompareThresholdPerSession: each session's own threshold decides its groups.
func TestCompareThresholdPerSession(t *testing.T) {
	t.Parallel()
	svc := cmpService(t)
	ctx := context.Background()
	mette := &forum.User{ID: "u-mette"}
	three := 3
	s1 := cmpSessionWith(t, svc, mette, "Lav tærskel", allerod, []cmpMembers{{"leder", "Leder", 3, 4}}, 0, 0, &three)
	cmpSession(t, svc, mette, "Standard", allerod, []cmpMembers{{"leder", "Leder", 3, 2}}, 0, 0)
	c, err := svc.Compare(ctx, mette, allerod, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Groups) != 1 || c.Groups[0].Members != 3 || c.Groups[0].Sessions[0] != s1.ID {
		t.Fatalf("groups = %+v, want Leder from the first session only", c.Groups)
	}
	wantStat(t, "leder", statement(t, c, "s2-1").Groups["leder"], map[int]int64{4: 3})
}
