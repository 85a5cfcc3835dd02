package export_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"pejl/internal/export"
	"pejl/internal/forum"
)

// direct seeds a session straight through the engine (AddParticipant, ApplyVotes,
// AddComment), for sizes where going through the Service one vote at a time would take
// minutes. The values and tally contributions are made by forum.ValueOf, as the Service
// makes them.
type direct struct {
	svc   *forum.Service
	e     forum.Engine
	actor *forum.User
	sess  *forum.Session
	parts []forum.Participant
	ops   []forum.VoteOp
	n     int
}

func newDirect(tb testing.TB, svc *forum.Service, title, lang string, groups []forum.Group) *direct {
	tb.Helper()
	d := &direct{svc: svc, e: engineOf(svc), actor: &forum.User{ID: "u-mette", Role: forum.RoleFacilitator}}
	sess, err := svc.CreateSession(context.Background(), d.actor, forum.NewSession{Title: title, CharterID: builtin,
		Language: lang, Groups: groups})
	must(tb, err)
	d.sess = sess
	return d
}

func (d *direct) addActivity(tb testing.TB, in forum.NewActivity) string {
	tb.Helper()
	a, err := d.svc.AddActivity(context.Background(), d.actor, d.sess.ID, in)
	must(tb, err)
	return a.ID
}

// openAll opens every activity (votes are only stored for open ones).
func (d *direct) openAll(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	sess, err := d.svc.Session(ctx, d.actor, d.sess.ID)
	must(tb, err)
	for _, a := range sess.Activities {
		_, err := d.svc.Do(ctx, d.actor, sess.ID, forum.Command{Type: "open", Activity: a.ID})
		must(tb, err)
	}
	d.sess, err = d.svc.Session(ctx, d.actor, sess.ID)
	must(tb, err)
}

func (d *direct) join(tb testing.TB, group string, at time.Time) forum.Participant {
	d.n++
	p := forum.Participant{ID: fmt.Sprintf("p%07d", d.n), TokenHash: forum.HashSecret(strconv.Itoa(d.n)), Group: group, JoinedAt: at}
	must(tb, d.e.AddParticipant(context.Background(), d.sess.ID, p))
	d.parts = append(d.parts, p)
	return p
}

func (d *direct) vote(tb testing.TB, p forum.Participant, activity, statement string, value any, at time.Time) {
	a, ok := d.sess.Activity(activity)
	if !ok {
		tb.Fatalf("no activity %s", activity)
	}
	raw, _ := json.Marshal(value)
	val, contrib, err := forum.ValueOf(a, statement, raw)
	must(tb, err)
	if p.Group != "" {
		for _, c := range contrib[:len(contrib):len(contrib)] {
			contrib = append(contrib, forum.Delta{Field: "g/" + p.Group + "/" + c.Field, N: c.N})
		}
	}
	d.n++
	d.ops = append(d.ops, forum.VoteOp{ClientID: "v" + strconv.Itoa(d.n), Vote: forum.Vote{Participant: p.ID, Group: p.Group,
		Activity: activity, Statement: statement, Value: val, UpdatedAt: at, Contrib: contrib}})
	if len(d.ops) >= 4096 {
		d.flush(tb)
	}
}

func (d *direct) flush(tb testing.TB) {
	if len(d.ops) == 0 {
		return
	}
	res, err := d.e.ApplyVotes(context.Background(), d.sess.ID, d.ops)
	must(tb, err)
	for _, r := range res {
		if r.Status != forum.VoteApplied {
			tb.Fatalf("a seeded vote was not applied: %v", r.Status)
		}
	}
	d.ops = d.ops[:0]
}

func (d *direct) comment(tb testing.TB, p forum.Participant, activity, statement, text string, at time.Time) forum.Comment {
	d.n++
	c := forum.Comment{ID: fmt.Sprintf("c%08d", d.n), Activity: activity, Statement: statement, Participant: p.ID,
		Group: p.Group, Text: text, CreatedAt: at}
	_, _, err := d.e.AddComment(context.Background(), d.sess.ID, "c"+strconv.Itoa(d.n), c)
	must(tb, err)
	return c
}

// benchCleanup removes what seed10k left on disk; TestMain calls it.
var benchCleanup = func() {}

var (
	bigOnce sync.Once
	bigSvc  *forum.Service
	bigSess *forum.Session
)

// seed10k: 10,000 participants in three groups, 20 activities with votes (the charter's 10
// scale activities over 37 statements, and 4 choice, 3 ranking and 3 word activities), every
// participant answering all of them (470,000 votes), and 50,000 comments.
func seed10k(b *testing.B) (*forum.Service, *forum.Session) {
	bigOnce.Do(func() {
		start := time.Now()
		// The seeded engine lives for the whole process (benchmarks may run several times
		// with -count), in a directory removed at the end.
		dir, err := os.MkdirTemp("", "pejl-bench-export-")
		must(b, err)
		benchCleanup = func() { os.RemoveAll(dir) }
		svc := serviceOn(openEngineDir(b, dir))
		d := newDirect(b, svc, "Ledelsesdag for hele kommunen", "da",
			[]forum.Group{{ID: "leder", Label: "Leder"}, {ID: "medarbejder", Label: "Medarbejder"}, {ID: "politiker", Label: "Politiker"}})
		var choice, rank, words []string
		for i := range 4 {
			choice = append(choice, d.addActivity(b, forum.NewActivity{Kind: forum.KindChoice, Section: "s7",
				Prompt: fmt.Sprintf("Valg %d", i+1), MaxChoices: 2,
				Options: []forum.Option{{Label: "Tillid"}, {Label: "Dialog"}, {Label: "Ansvar"}, {Label: "Mod"}}}))
		}
		for i := range 3 {
			rank = append(rank, d.addActivity(b, forum.NewActivity{Kind: forum.KindRank, Section: "s6",
				Prompt: fmt.Sprintf("Rangering %d", i+1), K: 3, Scope: "charter"}))
		}
		for i := range 3 {
			words = append(words, d.addActivity(b, forum.NewActivity{Kind: forum.KindWords, Section: "s2",
				Prompt: fmt.Sprintf("Ord %d", i+1)}))
		}
		d.openAll(b)
		rng := rand.New(rand.NewPCG(1, 2))
		at := time.Date(2025, 11, 25, 13, 0, 0, 0, time.UTC)
		groups := []string{"leder", "medarbejder", "politiker", ""}
		var allStatements []string
		for _, a := range d.sess.Activities {
			if a.Kind == forum.KindScale {
				allStatements = append(allStatements, a.Statements...)
			}
		}
		vocab := []string{"tillid", "dialog", "ansvar", "mod", "respekt", "åbenhed", "ro", "retning", "nærvær", "faglighed"}
		for i := range 10_000 {
			p := d.join(b, groups[i%4], at)
			for _, a := range d.sess.Activities {
				switch a.Kind {
				case forum.KindScale:
					for _, st := range a.Statements {
						d.vote(b, p, a.ID, st, 1+rng.IntN(5), at)
					}
				}
			}
			for _, id := range choice {
				d.vote(b, p, id, "", []string{"o" + strconv.Itoa(1+rng.IntN(4))}, at)
			}
			for _, id := range rank {
				perm := rng.Perm(len(allStatements))
				d.vote(b, p, id, "", []string{allStatements[perm[0]], allStatements[perm[1]], allStatements[perm[2]]}, at)
			}
			for _, id := range words {
				d.vote(b, p, id, "", []string{vocab[rng.IntN(len(vocab))], vocab[rng.IntN(len(vocab))]}, at)
			}
		}
		d.flush(b)
		var commentActs []string
		for _, a := range d.sess.Activities {
			if a.Kind == forum.KindComments {
				commentActs = append(commentActs, a.ID)
			}
		}
		// Comments one call each, from several goroutines so that they share fsyncs.
		authors := make([]forum.Participant, 50_000)
		for i := range authors {
			authors[i] = d.parts[rng.IntN(len(d.parts))]
		}
		var wg sync.WaitGroup
		for w := range 32 {
			wg.Go(func() {
				for i := w; i < len(authors); i += 32 {
					c := forum.Comment{ID: fmt.Sprintf("c%08d", i), Activity: commentActs[i%len(commentActs)],
						Participant: authors[i].ID, Group: authors[i].Group, CreatedAt: at.Add(time.Duration(i) * time.Millisecond),
						Text: fmt.Sprintf("Kommentar %d: vi skal tale mere åbent om ledelse, også når det er svært – ”tillid” kræver tid.", i)}
					if _, _, err := d.e.AddComment(context.Background(), d.sess.ID, "bc"+strconv.Itoa(i), c); err != nil {
						panic(err)
					}
				}
			})
		}
		wg.Wait()
		bigSvc, bigSess = svc, d.sess
		b.Logf("seeded 10,000 participants, %d votes, 50,000 comments in %v", d.n-10_000, time.Since(start).Round(time.Millisecond))
	})
	return bigSvc, bigSess
}

// peakMemory runs fn and samples, every 5 ms, the heap above what it was at the start:
// heap is every heap object (garbage not yet collected included), live is the heap that the
// latest garbage collection found reachable — what the export holds on to.
func peakMemory(fn func()) (heap, live uint64) {
	runtime.GC()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() (uint64, uint64) {
		metrics.Read(samples)
		return samples[0].Value.Uint64(), samples[1].Value.Uint64()
	}
	baseHeap, baseLive := read()
	var peakHeap, peakLive atomic.Uint64
	note := func() {
		h, l := read()
		if h > baseHeap && h-baseHeap > peakHeap.Load() {
			peakHeap.Store(h - baseHeap)
		}
		if l > baseLive && l-baseLive > peakLive.Load() {
			peakLive.Store(l - baseLive)
		}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				note()
			}
		}
	}()
	fn()
	close(stop)
	<-done
	note()
	return peakHeap.Load(), peakLive.Load()
}

// BenchmarkExport10k exports a 10,000-participant session (GOALS G6): CSV ≤ 2 s, XLSX ≤ 10 s,
// ≤ 100 MB extra memory. ns/op is the wall clock; cpu-s/op the process's CPU time for it
// (the GC's included). peak-live-MB is the most heap the export held (reachable at a
// garbage collection) above the start; peak-heap-MB also counts garbage not yet collected,
// which the collector lets grow with the engine's own heap; B/op is all it allocated.
func BenchmarkExport10k(b *testing.B) {
	svc, sess := seed10k(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		fn   func(w io.Writer) error
	}{
		{"VotesCSV", func(w io.Writer) error { return export.VotesCSV(ctx, w, svc, sess, export.CSVOptions{Rows: raw}) }},
		// The default rows (no person) are held once to be put in an order of their own.
		{"VotesCSVDefault", func(w io.Writer) error { return export.VotesCSV(ctx, w, svc, sess, export.CSVOptions{}) }},
		{"CommentsCSV", func(w io.Writer) error {
			return export.CommentsCSV(ctx, w, svc, sess, export.CSVOptions{Semicolon: true, Rows: raw})
		}},
		{"XLSX", func(w io.Writer) error { return export.XLSX(ctx, w, svc, sess, raw) }},
		{"XLSXDefault", func(w io.Writer) error { return export.XLSX(ctx, w, svc, sess, forum.RowOptions{}) }},
		{"JSON", func(w io.Writer) error { return export.JSON(ctx, w, svc, sess, raw) }},
		{"PDF", func(w io.Writer) error { return export.PDF(ctx, w, svc, sess) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var peakH, peakL uint64
			var size int64
			var cpu time.Duration
			for b.Loop() {
				cw := &countingWriter{}
				c0 := cpuTime()
				h, l := peakMemory(func() {
					if err := bc.fn(cw); err != nil {
						b.Fatal(err)
					}
				})
				cpu += cpuTime() - c0
				peakH, peakL = max(peakH, h), max(peakL, l)
				size = cw.n
			}
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(peakH)/1e6, "peak-heap-MB")
			b.ReportMetric(float64(peakL)/1e6, "peak-live-MB")
			b.ReportMetric(float64(size)/1e6, "output-MB")
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used: on a shared, loaded
// machine it says more about an export's cost than the wall clock does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
