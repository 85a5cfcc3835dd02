package export_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"pejl/internal/export"
	"pejl/internal/forum"
)

// longStatement is a ranking item of 150 characters; the report must print all of it.
var longStatement = "Vi giver hinanden tydelig og rettidig feedback, også når det er svært, og vi følger op på aftaler, så alle ved, hvor de står i hverdagen" + strings.Repeat("x", 0)

const layoutCharter = `---
id: layout-test
language: da
---
# Prøvegrundlag

## Værdier

- Kort udsagn
- ` + "%LONG%" + `

## Gensidige krav

Tekst uden udsagn.

### Som leder kan du forvente

- at der er et ledelsesrum

### Til gengæld forventes du

- at du er tydelig
`

func pdfLayoutText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext -layout: %v", err)
	}
	return string(out)
}

// TestPDFLayout reads the report back: a 150-character ranking item in full (no "…"), the
// points explained without jargon, emoji left out cleanly, "Ingen svar", contents nested as
// the charter, and unused activities left out on request.
func TestPDFLayout(t *testing.T) {
	t.Parallel()
	long := longStatement
	for len([]rune(long)) < 150 {
		long += "."
	}
	if n := len([]rune(long)); n != 150 {
		t.Fatalf("the long statement has %d characters", n)
	}
	ctx := context.Background()
	svc := newService(t)
	actor := &forum.User{ID: "u-mette", Role: forum.RoleFacilitator, Email: "mette@example.dk"}
	ch, err := svc.ImportCharter(ctx, actor, []byte(strings.Replace(layoutCharter, "%LONG%", long, 1)))
	must(t, err)
	sess, err := svc.CreateSession(ctx, actor, forum.NewSession{Title: "Temadag om ledelsesgrundlaget", CharterID: ch.ID})
	must(t, err)
	rank, err := svc.AddActivity(ctx, actor, sess.ID, forum.NewActivity{Kind: forum.KindRank, Section: "s1", Prompt: "Hvad er vigtigst?", K: 2})
	must(t, err)
	unused, err := svc.AddActivity(ctx, actor, sess.ID, forum.NewActivity{Kind: forum.KindWords, Section: "s4", Prompt: "Ubrugt ordsky"})
	must(t, err)
	for _, id := range []string{rank.ID, "s1-comments"} {
		_, err := svc.Do(ctx, actor, sess.ID, forum.Command{Type: "open", Activity: id})
		must(t, err)
	}
	sess, err = svc.Session(ctx, actor, sess.ID)
	must(t, err)
	p, _, err := svc.Hello(ctx, sess, "", "", "")
	must(t, err)
	_, err = svc.Vote(ctx, sess.ID, p, forum.VoteIn{ClientID: "v1", Activity: rank.ID, Value: json.RawMessage(`["s1-2","s1-1"]`)})
	must(t, err)
	_, err = svc.AddComment(ctx, sess.ID, p, forum.CommentIn{ClientID: "c1", Activity: "s1-comments", Text: "Godt 👍🏽 arbejde 🎉!"})
	must(t, err)

	var buf bytes.Buffer
	must(t, export.PDF(ctx, &buf, svc, sess))
	text := pdfText(t, buf.Bytes())
	if testing.Verbose() {
		t.Log(pdfLayoutText(t, buf.Bytes()))
	}
	flat := strings.Join(strings.Fields(text), " ")
	if !strings.Contains(flat, long) {
		t.Errorf("the report lacks the 150-character ranking item in full")
	}
	for _, bad := range []string{"…", "Borda", "Ingen svar endnu", "arbejde ?", "arbejde !"} {
		if strings.Contains(flat, bad) {
			t.Errorf("the report holds %q", bad)
		}
	}
	for _, want := range []string{"Godt arbejde!", "Point: 1. plads giver 2 point, 2. plads 1 point.", "Ingen svar", "Ubrugt ordsky"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// The contents nest as the charter: the subsections under "Gensidige krav", indented.
	layout := pdfLayoutText(t, buf.Bytes())
	indent := func(title string) int {
		m := regexp.MustCompile(`(?m)^( *)· *` + regexp.QuoteMeta(title)).FindStringSubmatch(layout)
		if m == nil {
			t.Fatalf("the contents lack %q:\n%s", title, layout[:min(len(layout), 3000)])
		}
		return len(m[1])
	}
	top, parent, sub1, sub2 := indent("Værdier"), indent("Gensidige krav"), indent("Som leder kan du forvente"), indent("Til gengæld forventes du")
	if parent != top || sub1 <= parent || sub2 != sub1 {
		t.Errorf("contents indents: Værdier %d, Gensidige krav %d, subsections %d and %d", top, parent, sub1, sub2)
	}
	if i, j := regexp.MustCompile(`·\s+Gensidige krav`).FindStringIndex(layout), strings.Index(layout, "Som leder kan du forvente"); i == nil || j < i[0] {
		t.Errorf("the subsections do not follow their parent in the contents")
	}

	buf.Reset()
	must(t, export.PDFWith(ctx, &buf, svc, sess, export.PDFOptions{OmitUnused: true}))
	flat = strings.Join(strings.Fields(pdfText(t, buf.Bytes())), " ")
	if strings.Contains(flat, "Ubrugt ordsky") || strings.Contains(flat, "at du er tydelig") {
		t.Errorf("with OmitUnused the report still prints unused activities")
	}
	if !strings.Contains(flat, long) || !strings.Contains(flat, "Godt arbejde!") {
		t.Errorf("with OmitUnused the report lost used activities")
	}
	if strings.Contains(flat, unused.ID) {
		t.Errorf("an activity id in the report")
	}
}
