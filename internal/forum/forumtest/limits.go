package forumtest

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"pejl/internal/forum"
)

// limitedService is a Service over h's engine with other limits.
func limitedService(t *testing.T, h *Harness, l forum.Limits) *forum.Service {
	svc := forum.NewService(h.E, forum.Config{PublicURL: "https://pejl.test/", Now: h.Clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BatchWindow: time.Millisecond, Limits: l})
	t.Cleanup(svc.Close)
	return svc
}

// Finding: parallel logins were all checked, because the limit was only peeked at before
// the slow password check. Now each attempt is counted first, atomically.
func testSvcLoginLimitConcurrent(t *testing.T, h *Harness) {
	ctx := t.Context()
	hash, err := bcrypt.GenerateFromPassword([]byte("the-right-password"), bcrypt.MinCost)
	noErr(t, "bcrypt", err)
	u := *h.Owner
	u.PasswordHash = string(hash)
	noErr(t, "UpdateUser", h.E.UpdateUser(ctx, u))

	attempt := func(n int, addr func(i int) string) (wrong, limited int64) {
		var w, l atomic.Int64
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, _, err := h.Svc.Login(ctx, u.Email, fmt.Sprintf("wrong-password-%d", i), addr(i))
				switch codeOf(err) {
				case forum.EInvalidCredentials:
					w.Add(1)
				case forum.ERateLimited:
					l.Add(1)
				default:
					t.Errorf("login %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		return w.Load(), l.Load()
	}
	// 100 at once from one address: at most the account's limit is checked.
	wrong, limited := attempt(100, func(int) string { return "198.51.100.7" })
	if max := int64(forum.DefaultLimits.LoginPerAccount); wrong > max || wrong+limited != 100 {
		t.Errorf("100 parallel logins: %d checked, %d rate_limited; want at most %d checked", wrong, limited, max)
	}
	if _, _, err := h.Svc.Login(ctx, u.Email, "the-right-password", "198.51.100.8"); codeOf(err) != forum.ERateLimited {
		t.Errorf("right password past the limit: %v, want rate_limited", err)
	}

	// Spread over many addresses (a rotating X-Forwarded-For): the account's limit holds.
	v := *h.Other
	v.PasswordHash = string(hash)
	noErr(t, "UpdateUser", h.E.UpdateUser(ctx, v))
	u = v
	wrong, _ = attempt(60, func(i int) string { return fmt.Sprintf("203.0.113.%d", i) })
	if wrong > int64(forum.DefaultLimits.LoginPerAccount) {
		t.Errorf("60 parallel logins from 60 addresses: %d checked, want at most %d", wrong, forum.DefaultLimits.LoginPerAccount)
	}

	// A right password gives its attempt back: an admin logging in often is never limited.
	a := *h.Admin
	a.PasswordHash = string(hash)
	noErr(t, "UpdateUser", h.E.UpdateUser(ctx, a))
	for i := range 3 * forum.DefaultLimits.LoginPerAccount {
		if _, _, err := h.Svc.Login(ctx, a.Email, "the-right-password", "192.0.2.1"); err != nil {
			t.Fatalf("right password, login %d: %v", i+1, err)
		}
	}
}

// Finding: past the wrong-code limit every lookup from the address was refused, so one
// device behind a venue's NAT locked the room out.
func testSvcJoinGuessingKeepsTheRoom(t *testing.T, h *Harness) {
	ctx := t.Context()
	s := h.Session(t)
	other := h.Session(t)
	const venue = "192.0.2.77"
	if _, err := h.Svc.JoinLookup(ctx, s.Code, venue); err != nil {
		t.Fatalf("first person in the room: %v", err)
	}
	wrong := 0
	for i := 0; i < 40; i++ {
		code := fmt.Sprintf("%06d", 100000+i)
		if code == s.Code || code == other.Code {
			continue
		}
		_, err := h.Svc.JoinLookup(ctx, code, venue)
		if codeOf(err) == forum.EUnknownCode {
			wrong++
			continue
		}
		wantCode(t, "wrong code past the limit", err, forum.ERateLimited)
		// During the flood the room keeps joining with its code, by lookup and by socket.
		if _, err := h.Svc.JoinLookup(ctx, s.Code, venue); err != nil {
			t.Fatalf("right code during a wrong-code flood (after %d wrong): %v", wrong, err)
		}
		noErr(t, "GuardJoin during the flood", h.Svc.GuardJoin(ctx, s.Code, venue))
	}
	if wrong != forum.DefaultLimits.JoinGuessesPerAddress {
		t.Errorf("%d wrong codes answered unknown_code, want %d", wrong, forum.DefaultLimits.JoinGuessesPerAddress)
	}
	// A guesser past the limit learns nothing: a code nobody there joined with is refused
	// like a wrong one.
	_, err := h.Svc.JoinLookup(ctx, other.Code, venue)
	wantCode(t, "another session's code past the limit", err, forum.ERateLimited)
	if _, err := h.Svc.JoinLookup(ctx, other.Code, "192.0.2.78"); err != nil {
		t.Errorf("another address: %v", err)
	}
}

// Finding: 10,000 new participants from one address in seconds.
func testSvcNewParticipantsPerAddress(t *testing.T, h *Harness) {
	s := h.Session(t)
	svc := limitedService(t, h, forum.Limits{NewParticipantsPerAddress: 250, ParticipantsPerSession: 600})
	join := func(n int, addr string) (joined, refused int64, codes map[string]int) {
		ctx := forum.WithClientAddr(t.Context(), addr)
		var j, r atomic.Int64
		var mu sync.Mutex
		codes = map[string]int{}
		var wg sync.WaitGroup
		work := make(chan struct{})
		for range 16 {
			wg.Go(func() {
				for range work {
					_, _, err := svc.Hello(ctx, s, "", "", "")
					if err == nil {
						j.Add(1)
						continue
					}
					r.Add(1)
					mu.Lock()
					codes[codeOf(err)]++
					mu.Unlock()
				}
			})
		}
		for range n {
			work <- struct{}{}
		}
		close(work)
		wg.Wait()
		return j.Load(), r.Load(), codes
	}
	// 200 people behind one NAT all join.
	if j, r, codes := join(200, "198.51.100.200"); j != 200 {
		t.Fatalf("200 from one address: %d joined, %d refused %v", j, r, codes)
	}
	// A flood from one address is refused past the cap.
	j, r, codes := join(10000, "198.51.100.66")
	if j != 250 || r != 10000-250 || codes[forum.ERateLimited] != int(r) {
		t.Errorf("10,000 from one address: %d joined, %d refused %v; want 250 joined, the rest rate_limited", j, r, codes)
	}
	// The session's own cap holds across addresses.
	j, _, codes = join(200, "198.51.100.67")
	total, _, err := h.E.ParticipantCounts(t.Context(), s.ID)
	noErr(t, "ParticipantCounts", err)
	if total != 600 || j != 150 || codes[forum.ESessionFull] != 50 {
		t.Errorf("session cap 600: %d in all, the last address joined %d (refused %v)", total, j, codes)
	}
}

// Finding: two sockets posting comments flooded every phone; 900 distinct words made a
// 25 KB tally frame.
func testSvcCommentAndWordBounds(t *testing.T, h *Harness) {
	ctx := t.Context()
	s, _, _, _, words, comments := votingSession(t, h)
	svc := limitedService(t, h, forum.Limits{CommentsPerParticipant: 5, CommentsPerSession: 8, WordsPerActivity: 4})
	p1, p2 := h.Join(t, s, "", ""), h.Join(t, s, "", "")
	post := func(p *forum.Participant, id string) error {
		_, err := svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: id, Activity: comments, Text: "Hej " + id})
		return err
	}
	for i := range 5 {
		noErr(t, "comment within the limit", post(p1, fmt.Sprintf("c%d", i)))
	}
	err := post(p1, "c5")
	wantCode(t, "6th comment in a minute", err, forum.ERateLimited)
	for i := range 3 {
		noErr(t, "another participant's comment", post(p2, fmt.Sprintf("d%d", i)))
	}
	wantCode(t, "comment past the session's limit", post(p2, "d3"), forum.ERateLimited)

	vote := func(p *forum.Participant, id string, w ...string) error {
		_, err := svc.Vote(ctx, s.ID, p, forum.VoteIn{ClientID: id, Activity: words, Value: []byte(mustJSON(w))})
		return err
	}
	noErr(t, "words", vote(p1, "w1", "tillid", "mod", "dialog"))
	noErr(t, "a fourth word", vote(p2, "w2", "ro"))
	p3 := h.Join(t, s, "", "")
	wantCode(t, "a fifth distinct word", vote(p3, "w3", "kaos"), forum.EInvalidValue)
	noErr(t, "a word the cloud has", vote(p3, "w4", "tillid"))
	tally, err := h.E.Tally(ctx, s.ID, words)
	noErr(t, "Tally", err)
	if tally["w/kaos"] != 0 || tally["w/tillid"] != 2 {
		t.Errorf("tally %v", tally)
	}
}

// Finding 9: two instances starting together on an empty engine each printed an admin
// password, and only one worked. Exactly one CreateFirstAdmin call creates the account.
func testSvcFirstAdminOnce(t *testing.T, h *Harness) {
	var created atomic.Int64
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			ok, err := h.Svc.CreateFirstAdmin(t.Context(), "first@pejl.test", fmt.Sprintf("password-of-instance-%d", i))
			noErr(t, "CreateFirstAdmin", err)
			if ok {
				created.Add(1)
			}
		})
	}
	wg.Wait()
	if created.Load() != 1 {
		t.Errorf("%d instances think they made the first admin, want 1", created.Load())
	}
}

// Finding 9: weak passwords, control characters in comments, a group id that collides with
// the merged group.
func testSvcInputHygiene(t *testing.T, h *Harness) {
	ctx := t.Context()
	for _, pw := range []string{"          ", "aaaaaaaaaaaa", "abababababab", "good-pass\x00word", strings.Repeat("æ", 37)} {
		_, err := h.Svc.CreateUser(ctx, h.Admin, forum.NewUser{Email: "weak@pejl.test", Password: pw})
		wantCode(t, fmt.Sprintf("password %q", pw), err, forum.EBadRequest)
	}
	if _, err := h.Svc.CreateUser(ctx, h.Admin, forum.NewUser{Email: "ok@pejl.test", Password: "Æbler og pærer 12"}); err != nil {
		t.Errorf("a good password: %v", err)
	}

	s, _, _, _, _, comments := votingSession(t, h)
	p := h.Join(t, s, "", "")
	c, err := h.Svc.AddComment(ctx, s.ID, p, forum.CommentIn{ClientID: "k1", Activity: comments, Text: "Hej\x00 med\x1b[31m dig\tigen\r\nny linje\x7f"})
	noErr(t, "AddComment", err)
	if c.Text != "Hej med[31m dig igen\nny linje" {
		t.Errorf("comment text %q still holds control characters", c.Text)
	}

	_, err = h.Svc.CreateSession(ctx, h.Owner, forum.NewSession{Title: "T", CharterID: CharterID,
		Groups: []forum.Group{{ID: "other", Label: "Andre"}, {ID: "leder", Label: "Leder"}}})
	wantCode(t, "group id other", err, forum.EBadRequest)
}
