package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"pejl/internal/forum"
)

const builtin = "allerod-ledelsesgrundlag"

// Comments every fixture writes.
const (
	commentFormula = `=HYPERLINK("http://evil.example/x","Klik her")`
	commentScript  = `<script>alert("ærlig")</script> Åbenhed – også når det er svært`
	commentStarred = "Vi skal blive bedre til at give hinanden ros – især på tværs af afdelinger."
	commentHidden  = "Kurt Kofoed på 2. sal lytter aldrig"
	commentEmoji   = "Godt møde 👍🏻 tak for i dag"
	commentPlus    = "+1 til det med tillid"
)

// fixture is a session seeded through the Service, as a workshop would fill it.
type fixture struct {
	svc    *forum.Service
	actor  *forum.User
	sess   *forum.Session
	tokens []string
	// parts are the participants in joining order; group by id.
	parts []*forum.Participant
	// votes are the scale votes cast: statement → values.
	votes map[string][]int
	// groupVotes: group id → statement → values.
	groupVotes map[string]map[string][]int
	// nvotes counts every current vote (scale and others).
	nvotes   int
	choice   string                    // the choice activity's id
	comments map[string]*forum.Comment // by text
}

// groupSpec says how many participants join into a group ("" for none).
type groupSpec struct {
	id, label string
	members   int
}

func newService(t testing.TB) *forum.Service {
	t.Helper()
	svc := serviceOn(openEngine(t))
	t.Cleanup(svc.Close)
	return svc
}

// engines remembers the engine under each Service serviceOn made (for seeding directly).
var engines sync.Map // *forum.Service → forum.Engine

// serviceOn makes a Service over an engine with a fixed clock.
func serviceOn(e forum.Engine) *forum.Service {
	now := time.Date(2025, 11, 25, 13, 30, 0, 0, time.UTC)
	svc := forum.NewService(e, forum.Config{PublicURL: "https://pejl.example.dk", Now: func() time.Time { return now }})
	engines.Store(svc, e)
	return svc
}

// engineOf returns the engine under a Service made by serviceOn.
func engineOf(svc *forum.Service) forum.Engine {
	e, _ := engines.Load(svc)
	return e.(forum.Engine)
}

// seed creates a session on the built-in charter with the given groups (plus ungrouped
// participants), opens the Værdigrundlag section's activities and an extra choice activity,
// and has everyone vote, comment and upvote; then the facilitator stars and hides.
func seed(t testing.TB, svc *forum.Service, lang string, groups []groupSpec, ungrouped int) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{svc: svc, actor: &forum.User{ID: "u-mette", Role: forum.RoleFacilitator, Email: "mette@example.dk"},
		votes: map[string][]int{}, groupVotes: map[string]map[string][]int{}, comments: map[string]*forum.Comment{}}
	var gs []forum.Group
	for _, g := range groups {
		gs = append(gs, forum.Group{ID: g.id, Label: g.label})
	}
	sess, err := svc.CreateSession(ctx, f.actor, forum.NewSession{Title: "Ledelsesdag i Allerød – forår", CharterID: builtin,
		Language: lang, Groups: gs})
	must(t, err)
	// An extra choice activity in the same section.
	choice, err := svc.AddActivity(ctx, f.actor, sess.ID, forum.NewActivity{Kind: forum.KindChoice, Section: "s2",
		Prompt: "Hvilken værdi skal vi arbejde mest med?", MaxChoices: 1,
		Options: []forum.Option{{ID: "respekt", Label: "Respekt"}, {ID: "aabenhed", Label: "Åbenhed"}, {ID: "tillid", Label: "Troværdighed"}}})
	must(t, err)
	f.choice = choice.ID
	for _, id := range []string{"s2-scale", "s2-comments", "s4-scale", choice.ID} {
		_, err := svc.Do(ctx, f.actor, sess.ID, forum.Command{Type: "open", Activity: id})
		must(t, err)
	}
	sess, err = svc.Session(ctx, f.actor, sess.ID)
	must(t, err)
	f.sess = sess

	join := func(group string) {
		p, tok, err := svc.Hello(ctx, sess, "", "", group)
		must(t, err)
		f.parts = append(f.parts, p)
		f.tokens = append(f.tokens, tok)
	}
	for _, g := range groups {
		for range g.members {
			join(g.id)
		}
	}
	for range ungrouped {
		join("")
	}
	n := 0
	vote := func(p *forum.Participant, act, st string, value any) {
		raw, _ := json.Marshal(value)
		n++
		_, err := svc.Vote(ctx, sess.ID, p, forum.VoteIn{ClientID: "v" + strconv.Itoa(n), Activity: act, Statement: st, Value: raw})
		must(t, err)
	}
	for i, p := range f.parts {
		for j, st := range []string{"s2-1", "s2-2", "s2-3"} {
			v := (i+j)%5 + 1
			vote(p, "s2-scale", st, v)
			f.votes[st] = append(f.votes[st], v)
			if p.Group != "" {
				if f.groupVotes[p.Group] == nil {
					f.groupVotes[p.Group] = map[string][]int{}
				}
				f.groupVotes[p.Group][st] = append(f.groupVotes[p.Group][st], v)
			}
			f.nvotes++
		}
		if i%2 == 0 { // half of them also rate the first statement of s4
			vote(p, "s4-scale", "s4-1", 4)
			f.votes["s4-1"] = append(f.votes["s4-1"], 4)
			f.nvotes++
		}
		vote(p, f.choice, "", []string{[]string{"respekt", "aabenhed", "tillid"}[i%3]})
		f.nvotes++
	}
	// A vote replaced: the first participant changes their mind on s2-1; the export has only
	// the current vote.
	if len(f.parts) > 0 {
		vote(f.parts[0], "s2-scale", "s2-1", 5)
		f.votes["s2-1"][0] = 5
		if g := f.parts[0].Group; g != "" {
			f.groupVotes[g]["s2-1"][0] = 5
		}
	}
	texts := []string{commentFormula, commentScript, commentStarred, commentHidden, commentEmoji, commentPlus}
	for i, text := range texts {
		p := f.parts[i%len(f.parts)]
		st := ""
		if i == 1 {
			st = "s2-2"
		}
		n++
		c, err := svc.AddComment(ctx, sess.ID, p, forum.CommentIn{ClientID: "c" + strconv.Itoa(n), Activity: "s2-comments", Statement: st, Text: text})
		must(t, err)
		f.comments[text] = c
	}
	// Upvotes: the formula comment gets 3, the plus comment 2.
	for i := range 3 {
		n++
		_, err := svc.Upvote(ctx, sess.ID, f.parts[(i+1)%len(f.parts)], "u"+strconv.Itoa(n), f.comments[commentFormula].ID)
		must(t, err)
	}
	for i := range 2 {
		n++
		_, err := svc.Upvote(ctx, sess.ID, f.parts[(i+2)%len(f.parts)], "u"+strconv.Itoa(n), f.comments[commentPlus].ID)
		must(t, err)
	}
	_, err = svc.Do(ctx, f.actor, sess.ID, forum.Command{Type: "moderate", Comment: f.comments[commentStarred].ID, Action: "star"})
	must(t, err)
	_, err = svc.Do(ctx, f.actor, sess.ID, forum.Command{Type: "moderate", Comment: f.comments[commentHidden].ID, Action: "hide"})
	must(t, err)
	_, err = svc.Do(ctx, f.actor, sess.ID, forum.Command{Type: "end"})
	must(t, err)
	f.sess, err = svc.Session(ctx, f.actor, sess.ID)
	must(t, err)
	return f
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func counts(vals []int) map[int]int {
	m := map[int]int{}
	for _, v := range vals {
		m[v]++
	}
	return m
}

func mean(vals []int) float64 {
	s := 0
	for _, v := range vals {
		s += v
	}
	return forum.Round2(float64(s) / float64(len(vals)))
}

// meanDA writes a mean as the Danish report does.
func meanDA(m float64) string {
	return strconv.FormatFloat(m, 'f', 2, 64)[:1] + "," + strconv.FormatFloat(m, 'f', 2, 64)[2:]
}

// pdfText extracts a PDF's text with Debian's pdftotext.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	path, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatal("pdftotext is needed to read the PDF report back; install it with: apt-get install -y poppler-utils")
	}
	cmd := exec.Command(path, "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, stderr.String())
	}
	return out.String()
}

func fmtCounts(m map[int]int) string { return fmt.Sprint(m) }

// raw asks the row exports for everything a facilitator may ask for (pseudonyms, hidden
// comments), so that tests can tell whose rows are whose; TestRowsCarryNoPerson checks the
// default.
var raw = forum.RowOptions{Pseudonyms: true, Hidden: true}
