package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"pejl/internal/forum"
	"pejl/internal/live/liveclient"
)

func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

func closeCodeOf(err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func TestParticipantVotesAndResumes(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 30*time.Second)

	p, w := in.participant(ctx, sess, liveclient.HelloMsg{Name: "Ida"})
	if w.Participant == "" || w.Epoch == "" || w.Version == 0 {
		t.Fatalf("welcome lacks token, epoch or version: %+v", w)
	}
	if w.Session.State != "lobby" || w.Session.CurrentSection != nil || w.Mine == nil || len(w.Mine.Votes) != 0 {
		t.Fatalf("welcome snapshot: %+v mine %+v", w.Session, w.Mine)
	}

	f, fw := in.facilitator(ctx, sess, liveclient.Options{})
	if len(fw.Activities) == 0 || fw.Presence == nil || fw.Comments == nil {
		t.Fatalf("facilitator welcome lacks activities, presence or comments: %+v", fw)
	}
	if fw.Participant != "" || fw.Mine != nil {
		t.Fatalf("facilitator welcome has participant fields")
	}

	// A vote before the activity is open.
	if err := p.Vote(ctx, "v0", scaleAct, "s1-1", 3); errCode(err) != "activity_closed" {
		t.Fatalf("vote on a closed activity: %v, want activity_closed", err)
	}

	openScale(t, ctx, f)
	st := waitFor(t, p, waitLong, func(s *liveclient.State) bool {
		a := s.Session.Activity(scaleAct)
		return a != nil && a.State == "open"
	})
	if st.Session.State != "live" || *st.Session.CurrentSection != "s1" || st.Session.Section == nil {
		t.Fatalf("state after goto/open: %+v", st.Session)
	}
	if st.Version <= w.Version {
		t.Fatalf("state version %d not above welcome version %d", st.Version, w.Version)
	}

	if err := p.Vote(ctx, "v1", scaleAct, "s1-1", 4); err != nil {
		t.Fatalf("vote: %v", err)
	}
	for _, bad := range []struct {
		statement string
		value     any
	}{{"s1-1", 9}, {"s1-1", 2.5}, {"s1-1", "x"}, {"s2-1", 3}, {"", 3}} { // null is "ved ikke", an answer
		if err := p.Vote(ctx, liveclient.NewID(), scaleAct, bad.statement, bad.value); errCode(err) != "invalid_value" {
			t.Errorf("vote %v: %v, want invalid_value", bad, err)
		}
	}
	if err := p.Vote(ctx, "v2", "no-such-activity", "", 1); errCode(err) != "unknown_activity" {
		t.Errorf("unknown activity: %v", err)
	}
	// The same id again, with another value: acknowledged, changes nothing.
	if err := p.Vote(ctx, "v1", scaleAct, "s1-1", 1); err != nil {
		t.Fatalf("repeated id: %v", err)
	}

	// Resume: the token brings back the same participant with their vote.
	_ = p.Close()
	p2, w2 := in.participant(ctx, sess, liveclient.HelloMsg{Participant: w.Participant})
	if w2.Participant != w.Participant {
		t.Fatalf("resume gave another token")
	}
	if len(w2.Mine.Votes) != 1 || w2.Mine.Votes[0].Statement != "s1-1" || string(w2.Mine.Votes[0].Value) != "4" {
		t.Fatalf("resumed mine: %+v", w2.Mine)
	}
	if a := w2.Session.Activity(scaleAct); a == nil || a.State != "open" {
		t.Fatalf("resumed snapshot lacks the open activity: %+v", w2.Session)
	}
	// The id used before the reconnect is still known.
	if err := p2.Vote(ctx, "v1", scaleAct, "s1-2", 5); err != nil {
		t.Fatal(err)
	}

	// A forged token is a fresh participant, never someone else.
	_, w3 := in.participant(ctx, sess, liveclient.HelloMsg{Participant: "forged-" + w.Participant[:10]})
	if w3.Participant == w.Participant || len(w3.Mine.Votes) != 0 {
		t.Fatalf("forged token: %+v", w3)
	}

	// Close the activity: votes are refused.
	command(t, ctx, f, "close", map[string]any{"activity": scaleAct})
	waitFor(t, p2, waitLong, func(s *liveclient.State) bool { return s.Session.Activity(scaleAct).State == "closed" })
	if err := p2.Vote(ctx, "v9", scaleAct, "s1-1", 2); errCode(err) != "activity_closed" {
		t.Fatalf("vote after close: %v", err)
	}
}

func TestVoteReplacedMovesTallies(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 30*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})

	if err := p.Vote(ctx, "a", scaleAct, "s1-3", 5); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f, waitLong, func(m *liveclient.Tally) bool {
		return m.Activity == scaleAct && scaleCount(m.Results, "s1-3", 5) == 1
	})
	if err := p.Vote(ctx, "b", scaleAct, "s1-3", 2); err != nil {
		t.Fatal(err)
	}
	m := waitFor(t, f, waitLong, func(m *liveclient.Tally) bool {
		return m.Activity == scaleAct && scaleCount(m.Results, "s1-3", 2) == 1
	})
	sr := m.Results.Statements["s1-3"]
	if sr.N != 1 || sr.Counts["5"] != 0 || sr.Mean == nil || *sr.Mean != 2 {
		t.Fatalf("after the replacing vote: %+v", sr)
	}
}

// failingTallies is an engine whose Tally fails while fail is set.
type failingTallies struct {
	forum.Engine
	fail atomic.Bool
}

func (e *failingTallies) Tally(ctx context.Context, sessionID, activityID string) (map[string]int64, error) {
	if e.fail.Load() {
		return nil, forum.ErrUnavailable
	}
	return e.Engine.Tally(ctx, sessionID, activityID)
}

// A tally that could not be read is read again once the engine answers, although no vote
// has moved the session version since.
func TestTallyCatchesUpAfterFailedRead(t *testing.T) {
	leakCheck(t)
	mem := openEngine(t, memEngine, t.TempDir())
	t.Cleanup(func() { _ = mem.Close() })
	eng := &failingTallies{Engine: mem}
	owner := &forum.User{ID: "u-" + forum.NewID(5), Email: "owner@example.dk", Role: forum.RoleFacilitator}
	in := newInstance(t, eng, owner, Config{}, "a")
	sess := in.newSession(nil)
	ctx := ctxT(t, 30*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})

	eng.fail.Store(true)
	if err := p.Vote(ctx, "a", scaleAct, "s1-3", 5); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // several polls fail meanwhile
	eng.fail.Store(false)
	m := waitFor(t, f, waitLong, func(m *liveclient.Tally) bool {
		return m.Activity == scaleAct && scaleCount(m.Results, "s1-3", 5) == 1
	})
	if m.Version == 0 {
		t.Errorf("the tally carries no version: %+v", m)
	}
}

func TestProtocolErrors(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 30*time.Second)
	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})

	// A participant sending a facilitator message.
	if err := p.Command(ctx, "goto", map[string]any{"section": "s1"}); errCode(err) != "forbidden" {
		t.Fatalf("participant goto: %v, want forbidden", err)
	}
	// Malformed JSON, a wrong type, an unknown type, a missing id: bad_message, and the
	// socket lives on.
	for _, raw := range []string{`{"type":"vote",`, `[1,2]`, `{"type":"vote","id":7}`, `{"type":"dance","id":"d1"}`, `{"type":"vote"}`, `hello`} {
		if err := p.SendRaw([]byte(raw)); err != nil {
			t.Fatal(err)
		}
		e := waitFor[*liveclient.ErrorMsg](t, p, waitLong, nil)
		if e.Code != "bad_message" {
			t.Fatalf("%s: %+v", raw, e)
		}
	}
	if err := p.Send(map[string]string{"type": "ping"}); err != nil {
		t.Fatal(err)
	}
	waitFor[*liveclient.Pong](t, p, waitLong, nil)
	if err := p.Vote(ctx, "ok", scaleAct, "s1-1", 3); errCode(err) != "activity_closed" {
		t.Fatalf("socket no longer usable after bad messages: %v", err)
	}
	// A second hello.
	if err := p.Send(map[string]string{"type": "hello"}); err != nil {
		t.Fatal(err)
	}
	if e := waitFor[*liveclient.ErrorMsg](t, p, waitLong, nil); e.Code != "bad_message" {
		t.Fatalf("second hello: %+v", e)
	}
	// Facilitators do not vote.
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	if err := f.Vote(ctx, "fv", scaleAct, "s1-1", 3); errCode(err) != "forbidden" {
		t.Fatalf("facilitator vote: %v", err)
	}
	// A goto to a section the charter lacks.
	if err := f.Command(ctx, "goto", map[string]any{"section": "s999"}); errCode(err) != "invalid_value" {
		t.Fatalf("goto nowhere: %v", err)
	}
}

func TestFirstMessageMustBeHello(t *testing.T) {
	in, sess := newEnv(t, Config{HelloTimeout: 300 * time.Millisecond})
	ctx := ctxT(t, 10*time.Second)

	c, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if code, _ := c.WaitClosed(ctx); code != CloseProtocol {
		t.Fatalf("silent socket closed with %d, want %d", code, CloseProtocol)
	}

	c2, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.Send(map[string]any{"type": "vote", "id": "x", "activity": scaleAct, "value": 1})
	if code, _ := c2.WaitClosed(ctx); code != CloseProtocol {
		t.Fatalf("vote before hello closed with %d", code)
	}
}

func TestUpgradeChecks(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 10*time.Second)

	_, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{Header: http.Header{"Origin": {"http://evil.example"}}})
	var de *liveclient.DialError
	if !errors.As(err, &de) || de.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v, want 403", err)
	}
	_, err = liveclient.Dial(ctx, in.wsURL("/api/v1/sessions/"+sess.ID+"/live"), liveclient.Options{Header: http.Header{"Origin": {allowed}}})
	if !errors.As(err, &de) || de.StatusCode != http.StatusUnauthorized {
		t.Fatalf("facilitator without credentials: %v, want 401", err)
	}
	// Someone else's session looks like none at all.
	c, err := liveclient.Dial(ctx, in.wsURL("/api/v1/sessions/"+sess.ID+"/live"),
		liveclient.Options{Header: http.Header{"Origin": {allowed}, "Authorization": {"Bearer stranger"}}})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := c.WaitClosed(ctx); code != CloseSessionGone {
		t.Fatalf("stranger: close %d, want %d", code, CloseSessionGone)
	}
	// An unknown code.
	c, err = in.dialParticipant(ctx, "99999999", liveclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := c.WaitClosed(ctx); code != CloseSessionGone {
		t.Fatalf("unknown code: close %d, want %d", code, CloseSessionGone)
	}
}

func TestOversizeFrame(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 10*time.Second)
	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})
	big := `{"type":"comment","id":"big","activity":"s1-comments","text":"` + strings.Repeat("x", 17<<10) + `"}`
	if err := p.SendRaw([]byte(big)); err != nil {
		t.Fatal(err)
	}
	if code, _ := p.WaitClosed(ctx); code != websocket.CloseMessageTooBig {
		t.Fatalf("oversize frame: close %d (%v), want 1009", code, p.Err())
	}
}

func TestFloodIsRateLimitedThenClosed(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 10*time.Second)
	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // send pings as fast as possible for up to 3 s
		defer wg.Done()
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-stop:
				return
			default:
			}
			if p.Send(map[string]string{"type": "ping"}) != nil {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	limited := 0
	for {
		m, err := p.Next(ctx)
		if err != nil {
			break
		}
		if e, ok := m.(*liveclient.ErrorMsg); ok && e.Code == "rate_limited" {
			limited++
		}
	}
	close(stop)
	wg.Wait()
	if limited != 1 {
		t.Errorf("got %d rate_limited errors, want exactly 1", limited)
	}
	if code := p.CloseCode(); code != CloseRateLimited {
		t.Fatalf("flood: close %d (%v), want %d", code, p.Err(), CloseRateLimited)
	}
}

func TestSlowClientIsDisconnectedOthersKeepReceiving(t *testing.T) {
	in, sess := newEnv(t, Config{SendQueue: 16, WriteWait: 5 * time.Second})
	ctx := ctxT(t, 40*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})

	// The slow one: says hello, then its reader is blocked (Buffer 1, Handler never returns
	// until released), with a tiny kernel receive buffer.
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseSlow := func() { releaseOnce.Do(func() { close(release) }) }
	slow, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{
		Dialer: &websocket.Dialer{NetDialContext: rcvBufDialer().DialContext, ReadBufferSize: 1024},
		Handler: func(liveclient.Message) {
			<-release
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	defer releaseSlow() // before Close, even when the test fails early
	if _, err := slow.Hello(ctx, liveclient.HelloMsg{}); err != nil {
		t.Fatal(err)
	}

	const n = 100
	t0 := time.Now()
	type counter struct {
		mu      sync.Mutex
		states  int
		section string
	}
	counts := make([]*counter, n)
	for i := range n {
		cnt := &counter{}
		counts[i] = cnt
		c, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{Handler: func(m liveclient.Message) {
			if st, ok := m.(*liveclient.State); ok && st.Session.CurrentSection != nil {
				cnt.mu.Lock()
				cnt.states++
				cnt.section = *st.Session.CurrentSection
				cnt.mu.Unlock()
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := c.Hello(ctx, liveclient.HelloMsg{}); err != nil {
			t.Fatal(err)
		}
	}

	// Every goto is a state of a few KiB to every participant (events that queue up while
	// the room works are coalesced into one state). As soon as the hub drops the slow
	// socket, it reads again (before its blocked write times out), so that it can read
	// the close frame.
	t.Logf("%d participants joined in %v", n, time.Since(t0))
	t0 = time.Now()
	sections := []string{"s1", "s2", "s3", "s4"}
	gotos, releasedAt := 0, -1
	for ; gotos < 200 && (releasedAt < 0 || gotos < releasedAt+3); gotos++ {
		command(t, ctx, f, "goto", map[string]any{"section": sections[gotos%len(sections)]})
		time.Sleep(5 * time.Millisecond)
		if releasedAt < 0 && counterValue(in.hub.met.slow) > 0 {
			releasedAt = gotos
			releaseSlow()
		}
	}
	if releasedAt < 0 {
		t.Fatal("the slow socket's queue never overflowed")
	}
	t.Logf("%d gotos in %v; the slow socket overflowed after %d", gotos, time.Since(t0), releasedAt+1)
	final := sections[(gotos-1)%len(sections)]
	// The others got the states, up to the last one.
	deadline := time.Now().Add(15 * time.Second)
	for {
		done, least := 0, gotos
		for _, c := range counts {
			c.mu.Lock()
			if c.section == final {
				done++
			}
			least = min(least, c.states)
			c.mu.Unlock()
		}
		if done == n {
			t.Logf("every reader got the final state; the fewest states one got: %d", least)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d participants got the final state", done, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, err := slow.WaitClosed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if code != CloseSlow {
		t.Fatalf("slow client: close %d (%v), want %d", code, slow.Err(), CloseSlow)
	}
}

func TestFacilitatorTallyFramesAreCoalesced(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 40*time.Second)

	var mu sync.Mutex
	var frames []time.Time
	var last *liveclient.Tally
	f, _ := in.facilitator(ctx, sess, liveclient.Options{Handler: func(m liveclient.Message) {
		if tm, ok := m.(*liveclient.Tally); ok && tm.Activity == scaleAct {
			mu.Lock()
			frames = append(frames, time.Now())
			last = tm
			mu.Unlock()
		}
	}})
	openScale(t, ctx, f)

	const parts, perPart = 50, 20 // 1,000 votes within one second
	conns := make([]*liveclient.Conn, parts)
	for i := range conns {
		conns[i], _ = in.participant(ctx, sess, liveclient.HelloMsg{})
	}
	statements := []string{"s1-1", "s1-2", "s1-3", "s1-4", "s1-5"}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, parts*perPart)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Second / perPart)
			defer tick.Stop()
			var vw sync.WaitGroup
			for j := range perPart {
				<-tick.C
				vw.Add(1)
				go func() {
					defer vw.Done()
					if err := c.Vote(ctx, liveclient.NewID(), scaleAct, statements[j%5], 1+(i+j)%5); err != nil {
						errs <- err
					}
				}()
			}
			vw.Wait()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("vote: %v", err)
	}
	took := time.Since(start)
	time.Sleep(1500 * time.Millisecond) // let the last tallies arrive

	mu.Lock()
	defer mu.Unlock()
	t.Logf("1000 votes acknowledged in %v; %d facilitator tally frames", took, len(frames))
	if len(frames) < 3 {
		t.Fatalf("only %d tally frames", len(frames))
	}
	for i := 10; i < len(frames); i++ {
		if span := frames[i].Sub(frames[i-10]); span < 950*time.Millisecond {
			t.Fatalf("11 tally frames within %v (frames %d–%d)", span, i-10, i)
		}
	}
	// The last frame holds every participant's current votes: 50 × 5 statements.
	var n int64
	for _, st := range statements {
		n += last.Results.Statements[st].N
	}
	if n != parts*5 {
		t.Fatalf("final tally counts %d votes, want %d", n, parts*5)
	}
}

func TestParticipantTalliesOnlyWhenShown(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 30*time.Second)
	one := 1 // results from the first answer, so that one phone's votes show
	if _, err := in.svc.UpdateSession(ctx, in.user, sess.ID, forum.SessionPatch{MinResponses: &one}); err != nil {
		t.Fatal(err)
	}
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)

	var mu sync.Mutex
	var tallies []*liveclient.Tally
	watcher, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{Handler: func(m liveclient.Message) {
		if tm, ok := m.(*liveclient.Tally); ok {
			mu.Lock()
			tallies = append(tallies, tm)
			mu.Unlock()
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	if _, err := watcher.Hello(ctx, liveclient.HelloMsg{}); err != nil {
		t.Fatal(err)
	}
	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})
	if err := p.Vote(ctx, "1", scaleAct, "s1-1", 5); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	mu.Lock()
	if len(tallies) != 0 {
		t.Fatalf("participant got a tally while results are hidden")
	}
	mu.Unlock()

	command(t, ctx, f, "show_results", map[string]any{"activity": scaleAct})
	st := waitFor(t, p, waitLong, func(s *liveclient.State) bool { return s.Session.Activity(scaleAct).Results == "shown" })
	if a := st.Session.Activity(scaleAct); a.Tally == nil || scaleCount(*a.Tally, "s1-1", 5) != 1 {
		t.Fatalf("state with shown results lacks the tally: %+v", a)
	}
	start := time.Now()
	for i := range 30 {
		if err := p.Vote(ctx, liveclient.NewID(), scaleAct, "s1-1", 1+i%2); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.Vote(ctx, "last", scaleAct, "s1-1", 3); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p, waitLong, func(m *liveclient.Tally) bool { return scaleCount(m.Results, "s1-1", 3) == 1 })
	elapsed := time.Since(start)
	mu.Lock()
	got := len(tallies)
	mu.Unlock()
	if max := int(elapsed/(500*time.Millisecond)) + 2; got > max || got == 0 {
		t.Fatalf("participant got %d tallies in %v, want 1..%d", got, elapsed, max)
	}
	// A newcomer's welcome carries the current tally.
	_, w := in.participant(ctx, sess, liveclient.HelloMsg{})
	if a := w.Session.Activity(scaleAct); a.Tally == nil || scaleCount(*a.Tally, "s1-1", 3) != 1 {
		t.Fatalf("newcomer's welcome: %+v", a)
	}
}

func TestBeaconAndResync(t *testing.T) {
	in, sess := newEnv(t, Config{BeaconEvery: 200 * time.Millisecond})
	ctx := ctxT(t, 20*time.Second)
	p, w := in.participant(ctx, sess, liveclient.HelloMsg{})
	b := waitFor[*liveclient.Beacon](t, p, waitLong, nil)
	if b.Epoch != w.Epoch || b.Version != w.Version {
		t.Fatalf("beacon %+v, welcome epoch %s version %d", b, w.Epoch, w.Version)
	}
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	st := waitFor(t, p, waitLong, func(s *liveclient.State) bool {
		return s.Session.Activity(scaleAct) != nil && s.Session.Activity(scaleAct).State == "open"
	})
	waitFor(t, p, waitLong, func(b *liveclient.Beacon) bool { return b.Version == st.Version })
	if err := p.Vote(ctx, "r1", scaleAct, "s1-4", 2); err != nil {
		t.Fatal(err)
	}
	// Votes do not move the beacon's version (it is the state's), so clients do not resync
	// on every vote.
	waitFor(t, p, waitLong, func(b *liveclient.Beacon) bool {
		if b.Version != st.Version {
			t.Fatalf("beacon version moved to %d after a vote (state %d)", b.Version, st.Version)
		}
		return true
	})
	if err := p.Send(map[string]string{"type": "resync"}); err != nil {
		t.Fatal(err)
	}
	rs := waitFor(t, p, waitLong, func(s *liveclient.State) bool { return s.Mine != nil })
	if rs.Version != st.Version || len(rs.Mine.Votes) != 1 || rs.Session.Activity(scaleAct) == nil {
		t.Fatalf("resync state: %+v", rs)
	}
}

func TestEndedSession(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 20*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	p, w := in.participant(ctx, sess, liveclient.HelloMsg{})
	if err := p.Vote(ctx, "e1", scaleAct, "s1-1", 4); err != nil {
		t.Fatal(err)
	}
	command(t, ctx, f, "end", nil)
	waitFor(t, p, waitLong, func(s *liveclient.State) bool { return s.Session.State == "ended" })
	if err := p.Vote(ctx, "e2", scaleAct, "s1-1", 2); errCode(err) != "session_ended" {
		t.Fatalf("vote after end: %v", err)
	}
	// The socket stays open: a ping is answered.
	_ = p.Send(map[string]string{"type": "ping"})
	waitFor[*liveclient.Pong](t, p, waitLong, nil)

	// A newcomer without a token is turned away; a returning one sees the thank-you.
	c, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Hello(ctx, liveclient.HelloMsg{}); errCode(err) != "session_ended" {
		t.Fatalf("hello to an ended session: %v", err)
	}
	if code, _ := c.WaitClosed(ctx); code != CloseSessionEnded {
		t.Fatalf("close %d, want %d", code, CloseSessionEnded)
	}
	_, w2 := in.participant(ctx, sess, liveclient.HelloMsg{Participant: w.Participant})
	if w2.Session.State != "ended" || len(w2.Mine.Votes) != 1 {
		t.Fatalf("returning participant: %+v %+v", w2.Session, w2.Mine)
	}
}

func TestDeletedSessionClosesSockets(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 20*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})
	if err := in.svc.DeleteSession(ctx, in.user, sess.ID); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*liveclient.Conn{f, p} {
		if code, _ := c.WaitClosed(ctx); code != CloseSessionGone {
			t.Fatalf("close %d, want %d", code, CloseSessionGone)
		}
	}
}

func TestComments(t *testing.T) {
	in, sess := newEnv(t, Config{})
	in.autoApprove(sess)
	ctx := ctxT(t, 20*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	command(t, ctx, f, "goto", map[string]any{"section": "s1"})
	command(t, ctx, f, "open", map[string]any{"activity": commentsAct})
	author, _ := in.participant(ctx, sess, liveclient.HelloMsg{})
	other, _ := in.participant(ctx, sess, liveclient.HelloMsg{})

	id, err := author.Comment(ctx, "c1", commentsAct, "s1-2", "<script>alert(1)</script> Godt!")
	if err != nil || id == "" {
		t.Fatalf("comment: %q %v", id, err)
	}
	if _, err := author.Comment(ctx, "c2", commentsAct, "", ""); errCode(err) != "invalid_value" {
		t.Fatalf("empty comment: %v", err)
	}
	fc := waitFor(t, f, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id })
	if fc.Comment.Text != "<script>alert(1)</script> Godt!" || fc.Comment.Participant == "" {
		t.Fatalf("facilitator's comment: %+v", fc.Comment)
	}
	mine := waitFor(t, author, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id })
	if !mine.Comment.Mine || mine.Comment.Participant != "" {
		t.Fatalf("author's comment: %+v", mine.Comment)
	}

	// Shown: everyone sees comments, without authors, and upvotes move.
	command(t, ctx, f, "show_results", map[string]any{"activity": commentsAct})
	st := waitFor(t, other, waitLong, func(s *liveclient.State) bool { return s.Session.Activity(commentsAct).Results == "shown" })
	if tl := st.Session.Activity(commentsAct).Tally; tl == nil || len(tl.Comments) != 1 || tl.Comments[0].Participant != "" {
		t.Fatalf("shown comments in state: %+v", tl)
	}
	if err := other.Upvote(ctx, "u1", id); err != nil {
		t.Fatal(err)
	}
	up := waitFor(t, other, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id && m.Comment.Upvotes == 1 })
	if up.Comment.Participant != "" || up.Comment.Mine {
		t.Fatalf("upvoted comment to another participant: %+v", up.Comment)
	}
	if err := other.Upvote(ctx, "u2", "c-nope"); errCode(err) != "invalid_value" {
		t.Fatalf("upvote of a missing comment: %v", err)
	}

	// Hidden: participants are told to remove it; the facilitator keeps the full text.
	command(t, ctx, f, "moderate", map[string]any{"comment": id, "action": "hide"})
	h := waitFor(t, other, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id && m.Comment.Hidden })
	if h.Comment.Text != "" {
		t.Fatalf("hidden comment carries its text to participants: %+v", h.Comment)
	}
	fh := waitFor(t, f, waitLong, func(m *liveclient.CommentMsg) bool { return m.Comment.ID == id && m.Comment.Hidden })
	if fh.Comment.Text == "" {
		t.Fatalf("facilitator lost the hidden comment's text")
	}
	_, w := in.participant(ctx, sess, liveclient.HelloMsg{})
	if tl := w.Session.Activity(commentsAct).Tally; tl == nil || len(tl.Comments) != 0 {
		t.Fatalf("newcomer sees a hidden comment: %+v", tl)
	}
	// A facilitator's repeated id is acknowledged again.
	command(t, ctx, f, "moderate", map[string]any{"id": "m1", "comment": id, "action": "star"})
	command(t, ctx, f, "moderate", map[string]any{"id": "m1", "comment": id, "action": "star"})
}

func TestPresence(t *testing.T) {
	in, other := newEnv(t, Config{})
	ctx := ctxT(t, 20*time.Second)
	sess := in.newSession([]forum.Group{{ID: "leder", Label: "Leder"}, {ID: "medarbejder", Label: "Medarbejder"}})
	f, fw := in.facilitator(ctx, sess, liveclient.Options{})
	if fw.Presence.Count != 0 {
		t.Fatalf("presence before anyone came: %+v", fw.Presence)
	}
	in.participant(ctx, other, liveclient.HelloMsg{}) // another session's sockets do not count
	for range 5 {
		in.participant(ctx, sess, liveclient.HelloMsg{Group: "medarbejder"})
	}
	lone, _ := in.participant(ctx, sess, liveclient.HelloMsg{Group: "leder"})
	// Groups under the anonymity threshold (5) are not shown on their own, nor by
	// subtraction: 6 connected minus 5 employees would be the one leader.
	p := waitFor(t, f, waitLong, func(p *liveclient.Presence) bool { return p.Count == 6 })
	if len(p.Groups) != 0 {
		t.Fatalf("presence groups: %+v", p.Groups)
	}
	_ = lone.Close()
	p = waitFor(t, f, waitLong, func(p *liveclient.Presence) bool { return p.Count == 5 })
	if len(p.Groups) != 1 || p.Groups["medarbejder"] != 5 {
		t.Fatalf("presence groups: %+v", p.Groups)
	}
	// A group that is not the session's.
	c, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Hello(ctx, liveclient.HelloMsg{Group: "nope"}); errCode(err) != "invalid_value" {
		t.Fatalf("hello with an unknown group: %v", err)
	}
	if _, err := c.Hello(ctx, liveclient.HelloMsg{Group: "leder"}); err != nil {
		t.Fatalf("a second hello after a refused one: %v", err)
	}
}

func TestShutdownAnswersInFlightThenCloses(t *testing.T) {
	in, sess := newEnv(t, Config{ShutdownWindow: 300 * time.Millisecond})
	ctx := ctxT(t, 30*time.Second)
	f, _ := in.facilitator(ctx, sess, liveclient.Options{})
	openScale(t, ctx, f)
	const n, votes = 20, 5
	conns := make([]*liveclient.Conn, n)
	tokens := make([]string, n)
	for i := range conns {
		var w *liveclient.Welcome
		conns[i], w = in.participant(ctx, sess, liveclient.HelloMsg{})
		tokens[i] = w.Participant
	}
	type result struct {
		conn int
		err  error
	}
	results := make(chan result, n*votes)
	var wg sync.WaitGroup
	for i, c := range conns {
		for j := range votes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := c.Vote(ctx, liveclient.NewID(), scaleAct, []string{"s1-1", "s1-2", "s1-3", "s1-4", "s1-5"}[j], 1+i%5)
				results <- result{i, err}
			}()
		}
	}
	time.Sleep(2 * time.Millisecond)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := in.hub.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	wg.Wait()
	close(results)
	// Every vote the server took on was answered before the close: the votes stored for
	// each participant are exactly the acknowledged ones. A vote that reached the socket
	// only as it closed gets unavailable, or no answer when it came after the close frame
	// (the client resends it after reconnecting).
	acked := make([]int, n)
	total := 0
	for r := range results {
		switch {
		case r.err == nil:
			acked[r.conn]++
			total++
		case errCode(r.err) == "unavailable", closeCodeOf(r.err) == CloseRestart:
		default:
			t.Errorf("vote: %v", r.err)
		}
	}
	t.Logf("%d of %d votes acknowledged before the close", total, n*votes)
	for i, tok := range tokens {
		p, err := in.eng.ParticipantByToken(ctx, sess.ID, forum.HashSecret(tok))
		if err != nil {
			t.Fatal(err)
		}
		mine, err := in.svc.Mine(ctx, sess.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine.Votes) != acked[i] {
			t.Errorf("participant %d: %d votes stored, %d acknowledged", i, len(mine.Votes), acked[i])
		}
	}
	for _, c := range append(conns, f) {
		if code, _ := c.WaitClosed(ctx); code != CloseRestart {
			t.Fatalf("close %d, want %d", code, CloseRestart)
		}
	}
	if in.hub.Connections() != 0 {
		t.Fatalf("%d connections after Shutdown", in.hub.Connections())
	}
	// No new upgrades.
	_, err := in.dialParticipant(ctx, sess.Code, liveclient.Options{})
	var de *liveclient.DialError
	if !errors.As(err, &de) || de.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after Shutdown: %v, want 503", err)
	}
}

func TestErrorTable(t *testing.T) {
	// Every socket code the spec lists is reachable from the table, and nothing maps
	// outside the spec's list.
	spec := map[string]bool{"bad_message": true, "unknown_activity": true, "activity_closed": true,
		"invalid_value": true, "rate_limited": true, "session_ended": true, "session_closed": true, "forbidden": true, "unavailable": true}
	seen := map[string]bool{}
	for _, code := range socketCodes {
		if !spec[code] {
			t.Errorf("socket code %q is not in the spec", code)
		}
		seen[code] = true
	}
	for code := range spec {
		if !seen[code] {
			t.Errorf("spec code %q is never produced by the table", code)
		}
	}
	if c, _ := socketError(errors.New("boom")); c != "unavailable" {
		t.Errorf("a plain error maps to %q", c)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello"}`, `{"type":"hello","participant":"tok","name":"Ida","group":"g1"}`,
		`{"type":"vote","id":"1","activity":"a","statement":"s","value":3}`,
		`{"type":"vote","id":"1","activity":"a","value":["o1","o2"]}`,
		`{"type":"comment","id":"c","activity":"a","text":"hej"}`, `{"type":"upvote","id":"u","comment":"c1"}`,
		`{"type":"goto","id":"g","section":"s1"}`, `{"type":"moderate","id":"m","comment":"c","action":"hide"}`,
		`{"type":"resync"}`, `{"type":"ping"}`, `{"type":"end","id":"e"}`,
		`{"type":7}`, `{`, `[]`, `null`, ``, `{}`, ` { "type" : "vote" , "id":"v","value": null , "retract" : true } `,
		`{"type":"vote","id":"v","value":-0}`, `{"type":"vote","id":"v","value":012}`, `{"type":"vote","value":1,"value":2}`,
		`{"type":"vote","id":"a\u0062","statement":"s","value":1.5}`, `{"Type":"vote"}`, `{"type":"vote","value":nullx}`, `{"type":"vote","id":"` + strings.Repeat("x", 65) + `"}`, "{\"type\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if fast, ok := decodeFast(bytes.TrimSpace(data)); ok && utf8.Valid(data) {
			var slow inMsg
			if err := json.Unmarshal(bytes.TrimSpace(data), &slow); err != nil {
				t.Fatalf("decodeFast accepted %q, json.Unmarshal did not: %v", data, err)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("decodeFast(%q) = %+v, json.Unmarshal %+v", data, fast, slow)
			}
		}
		m, k, err := decode(data)
		if err != nil {
			var de *decodeError
			if !errors.As(err, &de) || len(de.id) > 64 {
				t.Fatalf("decode error %T %v", err, err)
			}
			if m != nil {
				t.Fatal("message with an error")
			}
			return
		}
		if _, ok := msgKinds[m.Type]; !ok || msgKinds[m.Type] != k {
			t.Fatalf("unknown type %q accepted", m.Type)
		}
		if len(m.ID) > 64 || ((k == kindParticipant || k == kindFacilitator) && m.ID == "") {
			t.Fatalf("bad id %q accepted for %s", m.ID, m.Type)
		}
		if m.Value != nil && !json.Valid(m.Value) {
			t.Fatal("invalid value accepted")
		}
	})
}
