package forumtest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pejl/internal/forum"
)

// ---- accounts ----

func testUsers(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	u1 := forum.User{ID: "u1", Email: "anna@example.dk", Name: "Anna", Role: forum.RoleFacilitator, PasswordHash: "$2a$hash1", CreatedAt: T0}
	u2 := forum.User{ID: "u2", Email: "bo@example.dk", Name: "Bo", Role: forum.RoleAdmin, PasswordHash: "$2a$hash2", CreatedAt: T0.Add(time.Minute)}
	noErr(t, "CreateUser", e.CreateUser(ctx, u1))
	noErr(t, "CreateUser", e.CreateUser(ctx, u2))
	for _, email := range []string{"anna@example.dk", "ANNA@Example.dk"} {
		err := e.CreateUser(ctx, forum.User{ID: "u3", Email: email, Role: forum.RoleFacilitator, CreatedAt: T0})
		wantErr(t, "CreateUser with a taken email "+email, err, forum.ErrConflict)
	}
	if _, err := e.User(ctx, "u3"); !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("the refused user was stored: %v", err)
	}

	got, err := e.User(ctx, "u1")
	if err != nil || !sameJSON(got, u1) {
		t.Errorf("User(u1) = %s, %v", mustJSON(got), err)
	}
	got, err = e.UserByEmail(ctx, "bo@example.dk")
	if err != nil || !sameJSON(got, u2) {
		t.Errorf("UserByEmail = %s, %v", mustJSON(got), err)
	}
	_, err = e.User(ctx, "nobody")
	wantErr(t, "User(unknown)", err, forum.ErrNotFound)
	_, err = e.UserByEmail(ctx, "nobody@example.dk")
	wantErr(t, "UserByEmail(unknown)", err, forum.ErrNotFound)

	users, err := e.Users(ctx)
	noErr(t, "Users", err)
	slices.SortFunc(users, func(a, b forum.User) int { return strings.Compare(a.ID, b.ID) })
	if !sameJSON(users, []forum.User{u1, u2}) {
		t.Errorf("Users = %s", mustJSON(users))
	}

	u1.Name, u1.Role, u1.PasswordHash = "Anna B", forum.RoleAdmin, "$2a$hash3"
	noErr(t, "UpdateUser", e.UpdateUser(ctx, u1))
	if got, _ := e.User(ctx, "u1"); !sameJSON(got, u1) {
		t.Errorf("after UpdateUser, User = %s, want %s", mustJSON(got), mustJSON(u1))
	}
	u1.Email = "anna.b@example.dk"
	noErr(t, "UpdateUser with a new email", e.UpdateUser(ctx, u1))
	if got, err := e.UserByEmail(ctx, "anna.b@example.dk"); err != nil || got.ID != "u1" {
		t.Errorf("UserByEmail(new email) = %v, %v", got, err)
	}
	_, err = e.UserByEmail(ctx, "anna@example.dk")
	wantErr(t, "UserByEmail(old email)", err, forum.ErrNotFound)
	noErr(t, "CreateUser with the freed email", e.CreateUser(ctx, forum.User{ID: "u4", Email: "anna@example.dk", Role: forum.RoleFacilitator, CreatedAt: T0}))
}

func testTokens(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	t1 := forum.Token{ID: "t1", UserID: "u1", Name: "CI", Hash: "th1", CreatedAt: T0}
	t2 := forum.Token{ID: "t2", UserID: "u1", Name: "Script", Hash: "th2", CreatedAt: T0.Add(time.Second)}
	t3 := forum.Token{ID: "t3", UserID: "u2", Name: "Bo's", Hash: "th3", CreatedAt: T0}
	for _, tok := range []forum.Token{t1, t2, t3} {
		noErr(t, "CreateToken", e.CreateToken(ctx, tok))
	}
	got, err := e.TokenByHash(ctx, "th1")
	if err != nil || !sameJSON(got, t1) {
		t.Errorf("TokenByHash = %s, %v", mustJSON(got), err)
	}
	_, err = e.TokenByHash(ctx, "unknown")
	wantErr(t, "TokenByHash(unknown)", err, forum.ErrNotFound)

	tokens := func(user string) []forum.Token {
		t.Helper()
		ts, err := e.Tokens(ctx, user)
		noErr(t, "Tokens", err)
		slices.SortFunc(ts, func(a, b forum.Token) int { return strings.Compare(a.ID, b.ID) })
		return ts
	}
	if ts := tokens("u1"); !sameJSON(ts, []forum.Token{t1, t2}) {
		t.Errorf("Tokens(u1) = %s", mustJSON(ts))
	}
	if ts := tokens("u9"); len(ts) != 0 {
		t.Errorf("Tokens(u9) = %s, want none", mustJSON(ts))
	}

	wantErr(t, "DeleteToken of another user's token", e.DeleteToken(ctx, "u2", "t1"), forum.ErrNotFound)
	if _, err := e.TokenByHash(ctx, "th1"); err != nil {
		t.Errorf("the refused delete removed the token: %v", err)
	}
	noErr(t, "DeleteToken", e.DeleteToken(ctx, "u1", "t1"))
	_, err = e.TokenByHash(ctx, "th1")
	wantErr(t, "TokenByHash after delete", err, forum.ErrNotFound)
	if ts := tokens("u1"); !sameJSON(ts, []forum.Token{t2}) {
		t.Errorf("Tokens(u1) after delete = %s", mustJSON(ts))
	}
	wantErr(t, "DeleteToken twice", e.DeleteToken(ctx, "u1", "t1"), forum.ErrNotFound)
	wantErr(t, "DeleteToken(unknown)", e.DeleteToken(ctx, "u1", "t9"), forum.ErrNotFound)
}

func testLogins(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	l1 := forum.Login{Hash: "lh1", UserID: "u1", ExpiresAt: now.Add(time.Hour)}
	noErr(t, "CreateLogin", e.CreateLogin(ctx, l1))
	got, err := e.LoginByHash(ctx, "lh1")
	if err != nil || !sameJSON(got, l1) {
		t.Errorf("LoginByHash = %s, %v", mustJSON(got), err)
	}
	_, err = e.LoginByHash(ctx, "unknown")
	wantErr(t, "LoginByHash(unknown)", err, forum.ErrNotFound)

	// An expired login may be gone or still returned (the Service checks ExpiresAt).
	l2 := forum.Login{Hash: "lh2", UserID: "u1", ExpiresAt: now.Add(-time.Hour)}
	noErr(t, "CreateLogin (expired)", e.CreateLogin(ctx, l2))
	if got, err := e.LoginByHash(ctx, "lh2"); err == nil && !sameJSON(got, l2) {
		t.Errorf("LoginByHash(expired) = %s", mustJSON(got))
	} else if err != nil && !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("LoginByHash(expired): %v", err)
	}

	noErr(t, "DeleteLogin", e.DeleteLogin(ctx, "lh1"))
	_, err = e.LoginByHash(ctx, "lh1")
	wantErr(t, "LoginByHash after delete", err, forum.ErrNotFound)
}

func testCharters(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	c1 := forum.StoredCharter{ID: "ch1", Owner: "u1", Source: "# Et charter\n\n## A\n\n- a\n", CreatedAt: T0}
	c2 := forum.StoredCharter{ID: "ch2", Owner: "u2", Source: "# To\n", CreatedAt: T0.Add(time.Minute)}
	noErr(t, "SaveCharter", e.SaveCharter(ctx, c1))
	again := c1
	again.CreatedAt = T0.Add(time.Hour)
	noErr(t, "SaveCharter with the same id and source", e.SaveCharter(ctx, again))
	changed := c1
	changed.Source += "- b\n"
	wantErr(t, "SaveCharter with the same id, another source", e.SaveCharter(ctx, changed), forum.ErrConflict)
	got, err := e.Charter(ctx, "ch1")
	if err != nil || !sameJSON(got, c1) {
		t.Errorf("Charter = %s, %v; want the first one, unchanged: %s", mustJSON(got), err, mustJSON(c1))
	}
	_, err = e.Charter(ctx, "nope")
	wantErr(t, "Charter(unknown)", err, forum.ErrNotFound)
	noErr(t, "SaveCharter", e.SaveCharter(ctx, c2))
	all, err := e.Charters(ctx)
	noErr(t, "Charters", err)
	slices.SortFunc(all, func(a, b forum.StoredCharter) int { return strings.Compare(a.ID, b.ID) })
	if !sameJSON(all, []forum.StoredCharter{c1, c2}) {
		t.Errorf("Charters = %s", mustJSON(all))
	}
}

// ---- limiter, presence, broker ----

func testLimiter(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	key := "test:" + forum.NewID(6)
	for i := range 3 {
		// Peek sees the room and takes nothing, however often it is asked.
		for range 5 {
			if ok, _, err := e.Peek(ctx, key, 1, time.Minute, 3); err != nil || !ok {
				t.Fatalf("peek before event %d: ok %v, %v; want allowed", i+1, ok, err)
			}
		}
		ok, _, err := e.Allow(ctx, key, 1, time.Minute, 3)
		if err != nil || !ok {
			t.Fatalf("event %d within the burst: ok %v, %v", i+1, ok, err)
		}
	}
	ok, retry, err := e.Peek(ctx, key, 1, time.Minute, 3)
	noErr(t, "Peek", err)
	if ok || retry <= 0 || retry > time.Minute {
		t.Errorf("peek past the burst: ok %v retryAfter %v; want refused, 0 < retryAfter ≤ 1m", ok, retry)
	}
	ok, retry, err = e.Allow(ctx, key, 1, time.Minute, 3)
	noErr(t, "Allow", err)
	if ok || retry <= 0 || retry > time.Minute {
		t.Errorf("event past the burst: ok %v retryAfter %v; want refused, 0 < retryAfter ≤ 1m", ok, retry)
	}
	ok, _, err = e.Allow(ctx, key+"-other", 1, time.Minute, 3)
	if err != nil || !ok {
		t.Errorf("another key: ok %v, %v; want allowed", ok, err)
	}

	// A fast rate refills: after the refused event, one is allowed again after retryAfter.
	fast := key + "-fast"
	for range 2 {
		_, _, _ = e.Allow(ctx, fast, 20, time.Second, 2)
	}
	ok, retry, _ = e.Allow(ctx, fast, 20, time.Second, 2)
	if ok || retry <= 0 || retry > 100*time.Millisecond {
		t.Fatalf("fast key past its burst: ok %v retryAfter %v; want refused, retryAfter ≤ 100ms", ok, retry)
	}
	time.Sleep(retry + 20*time.Millisecond)
	if ok, _, _ = e.Allow(ctx, fast, 20, time.Second, 2); !ok {
		t.Errorf("fast key after retryAfter: refused, want allowed")
	}

	// Refund gives an event back: a full bucket has room for one more.
	slow := key + "-refund"
	for range 3 {
		_, _, _ = e.Allow(ctx, slow, 1, time.Hour, 3)
	}
	if ok, _, _ := e.Peek(ctx, slow, 1, time.Hour, 3); ok {
		t.Fatalf("refund key: room after the burst")
	}
	noErr(t, "Refund", e.Refund(ctx, slow, 1, time.Hour, 3))
	if ok, _, _ := e.Allow(ctx, slow, 1, time.Hour, 3); !ok {
		t.Errorf("after a refund: refused, want one more allowed")
	}
	if ok, _, _ := e.Allow(ctx, slow, 1, time.Hour, 3); ok {
		t.Errorf("after a refund: two more allowed, want one")
	}
}

func testSharedKey(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	name := "test:" + forum.NewID(6)
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := e.SharedKey(ctx, name, time.Hour)
			noErr(t, "SharedKey", err)
			keys[i] = k
		})
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("SharedKey call %d = %x, want the 32 bytes all calls agree on (%x)", i, k, keys[0])
		}
	}
	other, err := e.SharedKey(ctx, name+"-other", time.Hour)
	noErr(t, "SharedKey", err)
	if bytes.Equal(other, keys[0]) {
		t.Errorf("two names share one key")
	}
}

func testPresence(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	sid := "presence-" + forum.NewID(4)
	check := func(what string, wantTotal int64, want map[string]int64) {
		t.Helper()
		total, groups, err := e.Presence(ctx, sid)
		noErr(t, "Presence", err)
		if total != wantTotal || !sameJSON(Counts(groups), want) {
			t.Errorf("%s: Presence = %d %v, want %d %v", what, total, groups, wantTotal, want)
		}
	}
	check("nobody", 0, map[string]int64{})
	noErr(t, "SetPresence", e.SetPresence(ctx, sid, "i1", 3, map[string]int64{"g1": 2, "g2": 1}, time.Minute))
	noErr(t, "SetPresence", e.SetPresence(ctx, sid, "i2", 4, map[string]int64{"g1": 1}, time.Minute))
	check("two instances", 7, map[string]int64{"g1": 3, "g2": 1})
	noErr(t, "SetPresence", e.SetPresence(ctx, sid, "i1", 1, map[string]int64{"g1": 1}, time.Minute))
	check("an instance's counts replaced", 5, map[string]int64{"g1": 2})
	if total, _, err := e.Presence(ctx, sid+"-other"); err != nil || total != 0 {
		t.Errorf("another session: %d, %v", total, err)
	}

	noErr(t, "SetPresence", e.SetPresence(ctx, sid, "i3", 10, map[string]int64{"g2": 10}, 300*time.Millisecond))
	check("a third, short-lived instance", 15, map[string]int64{"g1": 2, "g2": 10})
	deadline := time.Now().Add(5 * time.Second)
	for {
		total, _, err := e.Presence(ctx, sid)
		noErr(t, "Presence", err)
		if total == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the short-lived instance's counts did not expire: total %d", total)
		}
		time.Sleep(50 * time.Millisecond)
	}
	check("after expiry", 5, map[string]int64{"g1": 2})
}

func testBroker(t *testing.T, e forum.Engine) {
	ctx := t.Context()
	sid := "broker-" + forum.NewID(4)
	sub := func(ctx context.Context, session string) chan forum.Event {
		t.Helper()
		ch := make(chan forum.Event, 16)
		noErr(t, "Subscribe", e.Subscribe(ctx, session, func(ev forum.Event) {
			select {
			case ch <- ev:
			default:
			}
		}))
		return ch
	}
	recv := func(what string, ch chan forum.Event, want forum.Event) {
		t.Helper()
		select {
		case got := <-ch:
			if got != want {
				t.Errorf("%s: got %+v, want %+v", what, got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no event within 5s", what)
		}
	}
	quiet := func(what string, ch chan forum.Event, d time.Duration) {
		t.Helper()
		select {
		case got := <-ch:
			t.Errorf("%s: unexpected event %+v", what, got)
		case <-time.After(d):
		}
	}

	ctx1, cancel1 := context.WithCancel(ctx)
	defer cancel1()
	ch1 := sub(ctx1, sid)
	ch2 := sub(ctx, sid)
	other := sub(ctx, sid+"-other")

	ev := forum.Event{Kind: forum.EventState, Session: sid, Version: 7}
	noErr(t, "Publish", e.Publish(ctx, ev))
	recv("first subscriber", ch1, ev)
	recv("second subscriber", ch2, ev)

	ev2 := forum.Event{Kind: forum.EventComment, Session: sid, Version: 8, Comment: "c1"}
	noErr(t, "Publish", e.Publish(ctx, ev2))
	recv("first subscriber, comment event", ch1, ev2)
	recv("second subscriber, comment event", ch2, ev2)

	cancel1()
	time.Sleep(100 * time.Millisecond)
	ev3 := forum.Event{Kind: forum.EventDeleted, Session: sid}
	noErr(t, "Publish", e.Publish(ctx, ev3))
	recv("second subscriber after the first cancelled", ch2, ev3)
	quiet("cancelled subscriber", ch1, 200*time.Millisecond)
	quiet("subscriber of another session", other, 0)

	noErr(t, "Publish with no subscriber", e.Publish(ctx, forum.Event{Kind: forum.EventState, Session: "nobody-listens"}))
}
