package memstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"pejl/internal/forum"
	"pejl/internal/forum/forumtest"
	"pejl/internal/memstore"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// open opens a store in dir, closed at the end of the test.
func open(t testing.TB, dir string, opts memstore.Options) *memstore.Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := memstore.Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newEngine(t *testing.T) forum.Engine { return open(t, t.TempDir(), memstore.Options{}) }

func TestEngine(t *testing.T) { forumtest.RunEngine(t, newEngine) }

func TestService(t *testing.T) { forumtest.RunService(t, newEngine) }

// ---- reopening ----

// dump is everything a store shows of its state, through the contract, in a stable form.
func dump(t testing.TB, s *memstore.Store) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	put := func(what string, v any, err error) {
		if err != nil {
			t.Fatalf("dump %s: %v", what, err)
		}
		j, _ := json.Marshal(v)
		fmt.Fprintf(&b, "%s: %s\n", what, j)
	}
	sessions, err := s.Sessions(ctx, "")
	put("sessions", sessions, err)
	for _, sess := range sessions {
		id, err := s.SessionIDByCode(ctx, sess.Code)
		put("code "+sess.Code, id, err)
		epoch, version, err := s.Version(ctx, sess.ID)
		put("version", []any{epoch, version}, err)
		total, groups, err := s.ParticipantCounts(ctx, sess.ID)
		put("counts", []any{total, groups}, err)
		var ps []forum.Participant
		err = s.ScanParticipants(ctx, sess.ID, func(p forum.Participant) error { ps = append(ps, p); return nil })
		slices.SortFunc(ps, func(a, b forum.Participant) int { return strings.Compare(a.ID, b.ID) })
		put("participants", ps, err)
		var votes []forum.Vote
		err = s.ScanVotes(ctx, sess.ID, func(v forum.Vote) error { votes = append(votes, v); return nil })
		slices.SortFunc(votes, func(a, b forum.Vote) int {
			return strings.Compare(a.Participant+a.Activity+a.Statement, b.Participant+b.Activity+b.Statement)
		})
		put("votes", votes, err)
		for _, a := range sess.Activities {
			tally, err := s.Tally(ctx, sess.ID, a.ID)
			put("tally "+a.ID, tally, err)
			if want := forumtest.TallyOf(votes, a.ID); !sameJSON(forumtest.Counts(tally), want) {
				t.Fatalf("tally of %s = %v, but its votes add up to %v", a.ID, tally, want)
			}
		}
		var cs []forum.Comment
		err = s.ScanComments(ctx, sess.ID, func(c forum.Comment) error { cs = append(cs, c); return nil })
		put("comments", cs, err)
		members := map[string]bool{}
		for _, v := range votes {
			members[v.Participant] = true
		}
		for _, c := range cs {
			members[c.Participant] = true
		}
		for _, p := range ps {
			members[p.ID] = true
		}
		for _, p := range slices.Sorted(mapsKeys(members)) {
			up, err := s.Upvoted(ctx, sess.ID, p)
			put("upvoted "+p, up, err)
			mine, err := s.ParticipantComments(ctx, sess.ID, p)
			put("comments of "+p, mine, err)
		}
	}
	users, err := s.Users(ctx)
	put("users", users, err)
	for _, u := range users {
		ts, err := s.Tokens(ctx, u.ID)
		put("tokens "+u.ID, ts, err)
	}
	charters, err := s.Charters(ctx)
	put("charters", charters, err)
	return b.String()
}

func mapsKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// workload changes a store in every way the contract allows, deterministically for a
// seed: sessions created, saved (activities opened and closed) and deleted, participants,
// votes (with repeats and replacements), comments, upvotes, flags, accounts, charters.
func workload(t testing.TB, e forum.Engine, seed uint64, steps int) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var sessions []*forum.Session
	var comments []string
	pick := func() *forum.Session { return sessions[rng.IntN(len(sessions))] }
	must := func(what string, err error) {
		if err != nil {
			t.Errorf("workload step %s: %v", what, err)
			runtime.Goexit() // also right on a goroutine of the test's own
		}
	}
	for step := range steps {
		if len(sessions) == 0 || rng.IntN(40) == 0 {
			s := forumtest.NewSession(fmt.Sprintf("u%d", rng.IntN(3)))
			s.CreatedAt = forumtest.T0.Add(time.Duration(step) * time.Second)
			must("create", e.CreateSession(ctx, s))
			sessions = append(sessions, s)
			continue
		}
		s := pick()
		p := fmt.Sprintf("p%d", rng.IntN(12))
		group := []string{"g1", "g2", ""}[len(p)%3]
		switch r := rng.IntN(100); {
		case r < 55:
			n := 1 + rng.IntN(8)
			ops := make([]forum.VoteOp, n)
			for i := range ops {
				pp := fmt.Sprintf("p%d", rng.IntN(12))
				id := fmt.Sprintf("m%d", rng.IntN(30))
				if rng.IntN(3) == 0 {
					ops[i] = forum.VoteOp{ClientID: id, Vote: forumtest.MakeVote(s, pp, group, forumtest.ActChoice, "", []string{"o1", "o2", "o3"}[1+rng.IntN(2):], 0)}
				} else {
					ops[i] = forum.VoteOp{ClientID: id, Vote: forumtest.MakeVote(s, pp, group, forumtest.ActScale, []string{"st1", "st2", "st3"}[rng.IntN(3)], 1+rng.IntN(5), time.Duration(step))}
				}
			}
			_, err := e.ApplyVotes(ctx, s.ID, ops)
			must("votes", err)
		case r < 65:
			err := e.AddParticipant(ctx, s.ID, forum.Participant{ID: p, TokenHash: "h-" + p, Group: group, JoinedAt: forumtest.T0})
			must("participant", err)
		case r < 75:
			c := forumtest.NewComment(p, fmt.Sprintf("kommentar %d æøå", step), time.Duration(step)*time.Second)
			dup, _, err := e.AddComment(ctx, s.ID, fmt.Sprintf("m%d", rng.IntN(30)), c)
			must("comment", err)
			if !dup {
				comments = append(comments, s.ID+"/"+c.ID)
			}
		case r < 82 && len(comments) > 0:
			sid, cid, _ := strings.Cut(comments[rng.IntN(len(comments))], "/")
			_, _, err := e.Upvote(ctx, sid, p, cid, fmt.Sprintf("m%d", rng.IntN(30)))
			if !errors.Is(err, forum.ErrNotFound) {
				must("upvote", err)
			}
		case r < 86 && len(comments) > 0:
			sid, cid, _ := strings.Cut(comments[rng.IntN(len(comments))], "/")
			yes := rng.IntN(2) == 0
			_, err := e.SetCommentFlags(ctx, sid, cid, &yes, nil)
			if !errors.Is(err, forum.ErrNotFound) {
				must("flags", err)
			}
		case r < 93:
			cur, err := e.Session(ctx, s.ID)
			must("session", err)
			a := &cur.Activities[rng.IntN(len(cur.Activities))]
			a.State = []string{forum.ActivityOpen, forum.ActivityClosed}[rng.IntN(2)]
			cur.Title = fmt.Sprintf("Titel %d", step)
			_, err = e.SaveSession(ctx, cur)
			must("save", err)
		case r < 95 && len(sessions) > 1:
			must("delete", e.DeleteSession(ctx, s.ID))
			sessions = slices.DeleteFunc(sessions, func(x *forum.Session) bool { return x.ID == s.ID })
		case r < 97:
			u := forum.User{ID: fmt.Sprintf("u%d", step), Email: fmt.Sprintf("u%d@example.dk", step), Role: forum.RoleFacilitator, CreatedAt: forumtest.T0}
			must("user", e.CreateUser(ctx, u))
			must("token", e.CreateToken(ctx, forum.Token{ID: fmt.Sprintf("t%d", step), UserID: u.ID, Hash: fmt.Sprintf("th%d", step), CreatedAt: forumtest.T0}))
			must("login", e.CreateLogin(ctx, forum.Login{Hash: fmt.Sprintf("lh%d", step), UserID: u.ID, ExpiresAt: time.Now().Add(time.Hour)}))
		default:
			must("charter", e.SaveCharter(ctx, forum.StoredCharter{ID: fmt.Sprintf("ch%d", step%5), Source: fmt.Sprintf("# %d\n", step%5), CreatedAt: forumtest.T0}))
		}
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := memstore.Open(dir, memstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	workload(t, s, 1, 600)
	before := dump(t, s)
	epochs := map[string]string{}
	sessions, _ := s.Sessions(context.Background(), "")
	for _, sess := range sessions {
		epochs[sess.ID], _, _ = s.Version(context.Background(), sess.ID)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for round := range 2 {
		s := open(t, dir, memstore.Options{})
		if after := dump(t, s); after != before {
			t.Fatalf("round %d: state after reopening differs:\n%s", round, diff(before, after))
		}
		for id, epoch := range epochs {
			if got, _, _ := s.Version(context.Background(), id); got != epoch {
				t.Errorf("epoch of %s = %q after reopening, want %q", id, got, epoch)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	// The logins and the rest of the accounts came back too.
	s = open(t, dir, memstore.Options{})
	if _, err := s.LoginByHash(context.Background(), "lh-none"); err == nil {
		t.Errorf("an unknown login was found")
	}
	n := 0
	users, _ := s.Users(context.Background())
	for _, u := range users {
		step := strings.TrimPrefix(u.ID, "u")
		if l, err := s.LoginByHash(context.Background(), "lh"+step); err == nil && l.UserID == u.ID {
			n++
		}
	}
	if n != len(users) || n == 0 {
		t.Errorf("%d of %d users' logins came back", n, len(users))
	}
}

// diff returns the first differing lines of two dumps.
func diff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\nbefore: %.400s\nafter:  %.400s", i, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines before, %d after", len(al), len(bl))
}

func TestCompaction(t *testing.T) {
	dir := t.TempDir()
	s, err := memstore.Open(dir, memstore.Options{Logger: quiet, CompactBytes: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	// Writers in parallel while snapshots are taken.
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() { workload(t, s, uint64(10+w), 250) })
	}
	wg.Wait()
	before := dump(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "state.snap")); err != nil {
		t.Fatalf("no snapshot after compaction: %v", err)
	}
	journals, _ := filepath.Glob(filepath.Join(dir, "journal-*.log"))
	// The current generation's file appears with its first record, so a compaction right at
	// the end may leave none: the snapshot then holds everything.
	if len(journals) > 2 {
		t.Errorf("journals after compaction: %v; want at most the current one and one being compacted", journals)
	}
	if slices.Contains(journals, filepath.Join(dir, "journal-00000001.log")) {
		t.Errorf("the first journal was not removed: %v", journals)
	}
	s = open(t, dir, memstore.Options{CompactBytes: 8 << 10})
	if after := dump(t, s); after != before {
		t.Fatalf("state after compaction and reopening differs:\n%s", diff(before, after))
	}
	// And it keeps going: more writes, another reopen.
	workload(t, s, 99, 200)
	before = dump(t, s)
	s.Close()
	s = open(t, dir, memstore.Options{})
	if after := dump(t, s); after != before {
		t.Fatalf("second reopen differs:\n%s", diff(before, after))
	}
}

func TestLockedDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := memstore.Open(dir, memstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if s2, err := memstore.Open(dir, memstore.Options{Logger: quiet}); err == nil {
		s2.Close()
		t.Fatalf("a second Open of the same directory succeeded")
	} else if !strings.Contains(err.Error(), "in use") {
		t.Errorf("second Open: %v; want an error that says the directory is in use", err)
	}
	s.Close()
	s = open(t, dir, memstore.Options{})
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping after reopening: %v", err)
	}
}

func TestClosed(t *testing.T) {
	s, err := memstore.Open(t.TempDir(), memstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sess := forumtest.CreateSession(t, s, "u1")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	if err := s.Ping(ctx); err == nil {
		t.Errorf("Ping after Close: nil")
	}
	if _, err := s.ApplyVotes(ctx, sess.ID, []forum.VoteOp{forumtest.ScaleOp(sess, "m1", "p1", "st1", 3)}); err == nil || forum.ErrorCode(err) != forum.EUnavailable {
		t.Errorf("ApplyVotes after Close: %v, want unavailable", err)
	}
	if err := s.Subscribe(ctx, sess.ID, func(forum.Event) {}); err == nil {
		t.Errorf("Subscribe after Close: nil")
	}
}

// ---- damaged files ----

// lastJournal returns the path of the newest journal in dir.
func lastJournal(t *testing.T, dir string) string {
	t.Helper()
	js, _ := filepath.Glob(filepath.Join(dir, "journal-*.log"))
	if len(js) == 0 {
		t.Fatalf("no journal in %s", dir)
	}
	slices.Sort(js)
	return js[len(js)-1]
}

// votesIn writes n votes, one ApplyVotes call (one record) each, and closes the store.
func votesIn(t *testing.T, dir string, n int) *forum.Session {
	t.Helper()
	s, err := memstore.Open(dir, memstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sess := forumtest.CreateSession(t, s, "u1")
	for i := range n {
		_, err := s.ApplyVotes(context.Background(), sess.ID, []forum.VoteOp{forumtest.ScaleOp(sess, "m", fmt.Sprintf("p%d", i), "st1", 1+i%5)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return sess
}

func countVotes(t *testing.T, s *memstore.Store, sessionID string) int {
	t.Helper()
	n := 0
	if err := s.ScanVotes(context.Background(), sessionID, func(forum.Vote) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	tally, _ := s.Tally(context.Background(), sessionID, forumtest.ActScale)
	if tally["s/st1/n"] != int64(n) || tally["_v"] != int64(n) {
		t.Fatalf("tally %v does not count the %d votes once each", tally, n)
	}
	return n
}

func TestTornTail(t *testing.T) {
	tests := []struct {
		name      string
		damage    func(data []byte) []byte
		wantVotes int
	}{
		{"garbage appended", func(d []byte) []byte { return append(d, []byte("\x17garbage that is no record at all \xff\xfe")...) }, 10},
		{"zeros appended", func(d []byte) []byte { return append(d, make([]byte, 4096)...) }, 10},
		{"a header without its record", func(d []byte) []byte { return append(d, 0xF7, 'P', 'J', 0x01, 200, 0, 0, 0) }, 10},
		{"the last record cut in half", func(d []byte) []byte { return d[:len(d)-40] }, 9},
		{"the last record's end scrambled", func(d []byte) []byte {
			d = slices.Clone(d)
			d[len(d)-3] ^= 0xFF
			return d
		}, 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sess := votesIn(t, dir, 10)
			path := lastJournal(t, dir)
			data, _ := os.ReadFile(path)
			if err := os.WriteFile(path, tc.damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			s, err := memstore.Open(dir, memstore.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			if err != nil {
				t.Fatalf("Open with a torn tail: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			if !strings.Contains(logs.String(), "torn") {
				t.Errorf("no warning about the torn tail in the log:\n%s", logs.String())
			}
			if n := countVotes(t, s, sess.ID); n != tc.wantVotes {
				t.Errorf("%d votes after reopening, want %d", n, tc.wantVotes)
			}
			// The store goes on: new records land after the cut, and survive another reopen.
			_, err = s.ApplyVotes(context.Background(), sess.ID, []forum.VoteOp{forumtest.ScaleOp(sess, "m", "new", "st1", 5)})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			s2 := open(t, dir, memstore.Options{})
			if n := countVotes(t, s2, sess.ID); n != tc.wantVotes+1 {
				t.Errorf("%d votes after the second reopening, want %d", n, tc.wantVotes+1)
			}
		})
	}
}

func TestDamagedMidFile(t *testing.T) {
	dir := t.TempDir()
	votesIn(t, dir, 10)
	path := lastJournal(t, dir)
	data, _ := os.ReadFile(path)
	data[40] ^= 0x55 // inside the first record
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := memstore.Open(dir, memstore.Options{Logger: quiet})
	if err == nil {
		s.Close()
		t.Fatalf("Open of a journal damaged in the middle succeeded")
	}
	if !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Open: %v; want an error that says the journal is damaged", err)
	}
}

func TestDamagedSnapshot(t *testing.T) {
	dir := t.TempDir()
	s, err := memstore.Open(dir, memstore.Options{Logger: quiet, CompactBytes: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	workload(t, s, 5, 300)
	s.Close()
	path := filepath.Join(dir, "state.snap")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no snapshot: %v", err)
	}
	data[len(data)/2] ^= 0x55
	os.WriteFile(path, data, 0o600)
	if s, err := memstore.Open(dir, memstore.Options{Logger: quiet}); err == nil {
		s.Close()
		t.Fatalf("Open with a damaged snapshot succeeded")
	}
}

// ---- kill -9 ----

const (
	crashDirEnv     = "PEJL_MEMSTORE_CRASH_DIR"
	crashSessionEnv = "PEJL_MEMSTORE_CRASH_SESSION"
	crashRoundEnv   = "PEJL_MEMSTORE_CRASH_ROUND"
	crashWorkers    = 4
	crashBatch      = 8
)

// crashOp is op i of worker w in a round: a new participant each, so every vote stays.
func crashOp(sess *forum.Session, round string, w, i int) forum.VoteOp {
	return forumtest.ScaleOp(sess, fmt.Sprintf("m%d", i), fmt.Sprintf("r%s-w%d-p%d", round, w, i), "st1", 1+(w+i)%5)
}

// execSelf runs this test binary again, running only the tests that match pattern, with
// env added to the environment.
func execSelf(t *testing.T, pattern string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run="+pattern, "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// crashComment is the comment worker w adds with its batch b in a round.
func crashComment(round string, w, b int) (clientID string, c forum.Comment) {
	c = forumtest.NewComment(fmt.Sprintf("r%s-w%d", round, w), fmt.Sprintf("kommentar %d", b), 0)
	c.ID = fmt.Sprintf("c-r%s-w%d-b%d", round, w, b)
	return fmt.Sprintf("c%d", b), c
}

// TestCrashChild is the child of TestKill9: it votes and comments until killed, printing
// "acked w b" once worker w's batch b of votes and its comment are acknowledged.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestKill9")
	}
	s, err := memstore.Open(dir, memstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sess, err := s.Session(context.Background(), os.Getenv(crashSessionEnv))
	if err != nil {
		t.Fatal(err)
	}
	round := os.Getenv(crashRoundEnv)
	var mu sync.Mutex
	var wg sync.WaitGroup
	deadline := time.Now().Add(30 * time.Second)
	for w := range crashWorkers {
		wg.Go(func() {
			for b := 0; time.Now().Before(deadline); b++ {
				ops := make([]forum.VoteOp, crashBatch)
				for k := range ops {
					ops[k] = crashOp(sess, round, w, b*crashBatch+k)
				}
				if _, err := s.ApplyVotes(context.Background(), sess.ID, ops); err != nil {
					fmt.Fprintln(os.Stderr, "ApplyVotes:", err)
					return
				}
				id, c := crashComment(round, w, b)
				if _, _, err := s.AddComment(context.Background(), sess.ID, id, c); err != nil {
					fmt.Fprintln(os.Stderr, "AddComment:", err)
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "acked %d %d\n", w, b)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestKill9(t *testing.T) {
	dir := t.TempDir()
	s, err := memstore.Open(dir, memstore.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sess := forumtest.CreateSession(t, s, "u1")
	s.Close()

	total := 0             // votes of earlier rounds
	for round := range 2 { // the second round kills a store that replayed the first's journal
		cmd := execSelf(t, "^TestCrashChild$", crashDirEnv+"="+dir, crashSessionEnv+"="+sess.ID, fmt.Sprintf("%s=%d", crashRoundEnv, round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := make([]int, crashWorkers) // batches acknowledged per worker
		for i := range acked {
			acked[i] = -1
		}
		lines, killed := 0, false
		buf := make([]byte, 0, 4096)
		chunk := make([]byte, 4096)
		for {
			n, err := out.Read(chunk)
			buf = append(buf, chunk[:n]...)
			for {
				i := bytes.IndexByte(buf, '\n')
				if i < 0 {
					break
				}
				var w, b int
				if _, err := fmt.Sscanf(string(buf[:i]), "acked %d %d", &w, &b); err == nil {
					acked[w] = max(acked[w], b)
					lines++
				}
				buf = buf[i+1:]
			}
			if !killed && lines >= 150+round*50 {
				cmd.Process.Kill() // SIGKILL
				killed = true
			}
			if err != nil {
				break
			}
		}
		_ = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: the child ended before it was killed, after %d acks; stderr:\n%s", round, lines, stderr.String())
		}

		s := open(t, dir, memstore.Options{})
		have := map[string]forum.Vote{}
		err = s.ScanVotes(context.Background(), sess.ID, func(v forum.Vote) error { have[v.Participant] = v; return nil })
		if err != nil {
			t.Fatal(err)
		}
		lost := 0
		var resend []forum.VoteOp
		for w := range crashWorkers {
			for i := range (acked[w] + 1) * crashBatch {
				op := crashOp(sess, fmt.Sprint(round), w, i)
				if v, ok := have[op.Vote.Participant]; !ok || string(v.Value) != string(op.Vote.Value) {
					lost++
				}
				resend = append(resend, op)
			}
		}
		comments := map[string]forum.Comment{}
		err = s.ScanComments(context.Background(), sess.ID, func(c forum.Comment) error { comments[c.ID] = c; return nil })
		if err != nil {
			t.Fatal(err)
		}
		for w := range crashWorkers {
			for b := range acked[w] + 1 {
				_, c := crashComment(fmt.Sprint(round), w, b)
				if got, ok := comments[c.ID]; !ok || got.Text != c.Text {
					lost++
				}
			}
		}
		if lost > 0 {
			t.Fatalf("round %d: %d acknowledged votes or comments lost after kill -9 (acked batches %v)", round, lost, acked)
		}
		n := countVotes(t, s, sess.ID) // every vote counted once
		if n < len(resend)+total {
			t.Fatalf("round %d: %d votes, fewer than the %d acknowledged", round, n, len(resend))
		}
		// Resending what was acknowledged changes nothing: the ids were kept too.
		res, err := s.ApplyVotes(context.Background(), sess.ID, resend)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Status != forum.VoteDuplicate {
				t.Fatalf("round %d: resent op %d: status %d, want duplicate", round, i, r.Status)
			}
		}
		if n2 := countVotes(t, s, sess.ID); n2 != n {
			t.Fatalf("round %d: resending changed the count from %d to %d", round, n, n2)
		}
		t.Logf("round %d: %d votes acknowledged before the kill, %d found", round, len(resend), n-total)
		total = n
		s.Close()
	}
}

// ---- benchmark ----

// BenchmarkApplyVotes: parallel batches of 256 votes on one session, each batch returning
// once fsynced; reports votes/s.
func BenchmarkApplyVotes(b *testing.B) {
	s := open(b, b.TempDir(), memstore.Options{})
	sess := forumtest.CreateSession(b, s, "u1")
	const batch = 256
	var worker atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		w := worker.Add(1)
		// The votes are made up front; only the ids change per batch.
		votes := make([]forum.Vote, 4*batch)
		for i := range votes {
			votes[i] = forumtest.MakeVote(sess, fmt.Sprintf("w%d-p%d", w, i), "g1", forumtest.ActScale, "st1", 1+i%5, 0)
		}
		ops := make([]forum.VoteOp, batch)
		for n := 0; pb.Next(); n++ {
			id := fmt.Sprint(n)
			for k := range ops {
				ops[k] = forum.VoteOp{ClientID: id, Vote: votes[(n*batch+k)%len(votes)]}
			}
			if _, err := s.ApplyVotes(context.Background(), sess.ID, ops); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "votes/s")
}

// TestDeletionLeavesNoTrace: after a deletion and after a retention sweep, the comment texts
// are in no file of the data directory (the journal is compacted at once), as grep -a sees
// it.
func TestDeletionLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	forumtest.RunDeletion(t, open(t, dir, memstore.Options{}), dir, "198.51.100.23")
}
