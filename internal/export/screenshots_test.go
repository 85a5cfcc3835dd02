package export_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"pejl/internal/export"
	"pejl/internal/forum"
)

// workshop seeds the afternoon of ../shared/WORKSHOP.md through the engine: 100 people
// (58 leaders, 38 employee representatives, 4 without a group), every statement rated,
// comments in every section (two starred, one hidden), a ranking and a word activity.
func workshop(tb testing.TB, svc *forum.Service) *forum.Session {
	tb.Helper()
	d := newDirect(tb, svc, "Ledelsesdag i rådhussalen, 25. november", "da",
		[]forum.Group{{ID: "leder", Label: "Leder"}, {ID: "medarbejder", Label: "Medarbejder"}})
	rank := d.addActivity(tb, forum.NewActivity{Kind: forum.KindRank, Section: "s6",
		Prompt: "Vælg de tre udsagn, vi skal arbejde mest med", K: 3, Scope: "charter"})
	words := d.addActivity(tb, forum.NewActivity{Kind: forum.KindWords, Section: "s2",
		Prompt: "Hvilket ord beskriver vores dialog i dag?"})
	d.openAll(tb)
	rng := rand.New(rand.NewPCG(25, 11))
	at := time.Date(2025, 11, 25, 13, 10, 0, 0, time.UTC)
	var people []forum.Participant
	for i := range 100 {
		g := "leder"
		switch {
		case i >= 96:
			g = ""
		case i >= 58:
			g = "medarbejder"
		}
		people = append(people, d.join(tb, g, at))
	}
	// Each statement has its own level; leaders see things a little brighter.
	var statements []string
	for _, a := range d.sess.Activities {
		if a.Kind != forum.KindScale {
			continue
		}
		for _, st := range a.Statements {
			statements = append(statements, st)
			level := 2.2 + rng.Float64()*2.2
			for _, p := range people {
				x := level + rng.NormFloat64()*0.9
				if p.Group == "leder" {
					x += 0.35
				}
				v := min(5, max(1, int(x+0.5)))
				d.vote(tb, p, a.ID, st, v, at)
			}
		}
	}
	for i, p := range people {
		if i%5 == 4 {
			continue
		}
		perm := rng.Perm(len(statements))
		top := []string{statements[perm[0]%6+18], statements[perm[1]%10+20], statements[perm[2]]}
		if top[0] == top[1] || top[1] == top[2] || top[0] == top[2] {
			top = top[:1]
		}
		d.vote(tb, p, rank, "", top, at)
	}
	vocab := []string{"tillid", "tillid", "tillid", "åben", "åben", "ærlig", "nysgerrig", "respekt", "respekt", "tryg", "forsigtig", "engageret", "engageret", "engageret", "god"}
	for _, p := range people[:80] {
		d.vote(tb, p, words, "", []string{vocab[rng.IntN(len(vocab))]}, at)
	}
	d.flush(tb)
	texts := map[string][]string{
		"s2-comments": {
			"Vi er gode til respekt i møderne, men åbenheden forsvinder, når der skal spares.",
			"Troværdighed handler om, at vi gør det, vi siger – også når det er upopulært.",
			"Jeg savner, at ledelsen fortæller, hvorfor beslutningerne bliver truffet.",
			"Det er nemmere at være åben i eget team end på tværs af afdelingerne.",
			"Sigurd i lønningskontoret svarer aldrig på mails",
		},
		"s4-comments": {
			"Udviklingsforløbene er gode, men der er sjældent tid til at bruge det, man lærer.",
			"Ledelsesrummet er større, end mange tror – vi skal turde bruge det.",
			"Evaluering af ledere sker for sjældent og for uformelt.",
		},
		"s8-comments": {
			"Anerkendelse fylder for lidt i hverdagen – et ”godt gået” betyder meget.",
			"Forventningerne til medarbejderne er ikke altid klare, især ved nye opgaver.",
		},
		"s11-comments": {
			"Medarbejderne hører ofte om beslutninger i lokalavisen før internt.",
			"Intranettet bruges ikke – vi skal tale mere sammen i stedet.",
		},
	}
	var starred, hidden []string
	for act, list := range texts {
		for i, text := range list {
			c := d.comment(tb, people[rng.IntN(len(people))], act, "", text, at.Add(time.Duration(i)*time.Minute))
			for j := range (len(list) - i) * 3 {
				_, _, err := d.e.Upvote(context.Background(), d.sess.ID, people[j].ID, c.ID, "up-"+c.ID+"-"+strconv.Itoa(j))
				must(tb, err)
			}
			switch {
			case act == "s2-comments" && i == 2, act == "s8-comments" && i == 0:
				starred = append(starred, c.ID)
			case act == "s2-comments" && i == 4:
				hidden = append(hidden, c.ID)
			}
		}
	}
	ctx := context.Background()
	for _, id := range starred {
		_, err := svc.Do(ctx, d.actor, d.sess.ID, forum.Command{Type: "moderate", Comment: id, Action: "star"})
		must(tb, err)
	}
	for _, id := range hidden {
		_, err := svc.Do(ctx, d.actor, d.sess.ID, forum.Command{Type: "moderate", Comment: id, Action: "hide"})
		must(tb, err)
	}
	_, err := svc.Do(ctx, d.actor, d.sess.ID, forum.Command{Type: "end"})
	must(tb, err)
	sess, err := svc.Session(ctx, d.actor, d.sess.ID)
	must(tb, err)
	return sess
}

// TestRenderReportScreenshots renders the first two pages of a realistic report into
// docs/screenshots/report-page-1.png and -2.png. It runs only with PEJL_SCREENSHOTS=1:
//
//	PEJL_SCREENSHOTS=1 go test ./internal/export/ -run TestRenderReportScreenshots
//
// PEJL_REPORT_PDF=path also keeps the whole PDF.
func TestRenderReportScreenshots(t *testing.T) {
	if os.Getenv("PEJL_SCREENSHOTS") != "1" {
		t.Skip("set PEJL_SCREENSHOTS=1 to render docs/screenshots/report-page-*.png")
	}
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Fatal("pdftoppm is needed; install it with: apt-get install -y poppler-utils")
	}
	svc := newService(t)
	sess := workshop(t, svc)
	var buf bytes.Buffer
	must(t, export.PDF(context.Background(), &buf, svc, sess))
	dir := t.TempDir()
	pdf := filepath.Join(dir, "report.pdf")
	must(t, os.WriteFile(pdf, buf.Bytes(), 0o644))
	if keep := os.Getenv("PEJL_REPORT_PDF"); keep != "" {
		must(t, os.WriteFile(keep, buf.Bytes(), 0o644))
	}
	out := filepath.Join("..", "..", "docs", "screenshots")
	must(t, os.MkdirAll(out, 0o755))
	for page := 1; page <= 2; page++ {
		n := strconv.Itoa(page)
		cmd := exec.Command(pdftoppm, "-png", "-r", "60", "-f", n, "-l", n, "-singlefile", pdf,
			filepath.Join(out, "report-page-"+n))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v: %s", err, b)
		}
	}
}
