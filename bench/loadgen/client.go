package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// client is one socket of the generator: one reader goroutine, writes under a mutex.
// It is deliberately lean (no decoding of what it does not need) so that the generator
// costs the shared machine as little as possible.
type client struct {
	idx   int
	ws    *websocket.Conn
	proto protocol

	wmu sync.Mutex
	seq uint32 // under wmu

	pmu     sync.Mutex
	pending map[uint32]pendingMsg // seq → what is waiting for its ack

	welcomed chan struct{}
	welcome  []byte // the welcome frame; set before welcomed is closed
	refused  atomic.Pointer[string]
	done     chan struct{}
	err      error // why the reader stopped; set before done is closed

	round    atomic.Int64 // the last section-change round this participant saw
	onEvent  func(c *client, ev event, at time.Duration)
	statAcks uint8 // bit i: statement i had an acknowledged vote; under pmu
	statSent uint8 // bit i: a vote on statement i was sent; under pmu
	last     [3]lastVote
	// lastAnswer is the highest seq answered so far; under pmu.
	lastAnswer uint32

	// A phone that comes back (-scenario failover): nil for a socket that just ends.
	rd      *redial
	down    bool // under wmu: the socket is gone and messages wait in the outbox
	closing atomic.Bool
	inst    atomic.Int32 // the instance the socket is on
}

// redial is what a reconnecting phone needs: where it may go, and what it reports. It
// mirrors the web client (frontend/src/lib/live): on an unexpected close it waits a full-
// jitter exponential backoff (500 ms base, 15 s cap), connects to another instance, says
// hello with its resume token (so it stays the same participant), and once welcomed
// resends its outbox, in order and with the same ids.
type redial struct {
	urls []string
	src  int // source host to bind
	rng  *rand.Rand
	// onBack is called by the reader when the phone is welcomed again.
	// same: the welcome gave back the resume token sent (the same participant).
	onBack func(c *client, from int, lostAt, backAt time.Duration, welcome []byte, resent int, same bool)
	// onFail counts a failed attempt by kind.
	onFail func(kind string)
}

// lastVote is the newest vote sent on one statement; under pmu.
type lastVote struct {
	seq   uint32
	val   int8
	acked bool
}

type pendingMsg struct {
	at        time.Duration // intended send time (since the run's clock base)
	statement int8          // 0..2 for background votes; -1 otherwise
	frame     []byte        // the message, kept for a resend (reconnecting phones only)
	value     int8
	canary    int32 // canary vote number, 0 for others
	probe     bool  // an order probe's vote (not in the ack latencies)
	ack       chan event
}

// dialer makes websocket dialers bound to a source address on 127.0.0.x, so that the
// sockets spread over many addresses (as phones behind many NATs would).
func dialer(srcHost int) *websocket.Dialer {
	nd := &net.Dialer{Timeout: 10 * time.Second}
	if srcHost > 0 {
		nd.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(srcHost))}
	}
	return &websocket.Dialer{
		NetDialContext:   nd.DialContext,
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   2048,
		WriteBufferSize:  1024,
		WriteBufferPool:  &sync.Pool{},
	}
}

type dialErr struct {
	status int
	err    error
}

func (e *dialErr) Error() string {
	if e.status != 0 {
		return fmt.Sprintf("upgrade refused: HTTP %d", e.status)
	}
	return e.err.Error()
}

func dialClient(ctx context.Context, idx, srcHost int, url string, hdr http.Header, p protocol,
	onEvent func(*client, event, time.Duration)) (*client, error) {
	ws, resp, err := dialer(srcHost).DialContext(ctx, url, hdr)
	if err != nil {
		de := &dialErr{err: err}
		if resp != nil {
			de.status = resp.StatusCode
			_ = resp.Body.Close()
		}
		return nil, de
	}
	c := &client{idx: idx, ws: ws, proto: p, pending: map[uint32]pendingMsg{},
		welcomed: make(chan struct{}), done: make(chan struct{}), onEvent: onEvent}
	return c, nil
}

// start runs the reader.
func (c *client) start(clock *clock) {
	go c.read(clock)
}

func (c *client) read(clock *clock) {
	welcomed := false
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			if c.rd != nil && welcomed && !c.closing.Load() && c.reconnect(clock) {
				continue
			}
			c.err = err
			close(c.done)
			return
		}
		at := clock.now()
		c.proto.parse(data, func(ev event) {
			switch ev.kind {
			case evWelcome:
				if !welcomed {
					welcomed = true
					c.welcome = ev.raw
					close(c.welcomed)
				}
				return
			case evPing:
				_ = c.write(c.proto.pong())
				return
			case evError:
				if !welcomed && ev.seq <= 1 {
					code := ev.code
					c.refused.Store(&code)
				}
			}
			c.onEvent(c, ev, at)
		})
	}
}

func (c *client) write(b []byte) error {
	if b == nil {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// send registers a pending message (so that its ack cannot overtake the registration)
// and writes it. build gets the message's seq.
func (c *client) send(p pendingMsg, build func(seq uint32) []byte) (uint32, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.seq++
	seq := c.seq
	b := build(seq)
	if c.rd != nil {
		p.frame = b
	}
	c.pmu.Lock()
	c.pending[seq] = p
	c.pmu.Unlock()
	if c.down {
		return seq, nil // in the outbox; resent once the phone is back
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		if c.rd != nil {
			// The socket is broken: the reader notices, reconnects and resends.
			c.down = true
			_ = c.ws.Close()
			return seq, nil
		}
		c.pmu.Lock()
		delete(c.pending, seq)
		c.pmu.Unlock()
		return seq, err
	}
	return seq, nil
}

// reconnect brings a phone back after its socket closed unexpectedly (see redial). It runs
// on the reader goroutine, which is the only one that replaces c.ws (under wmu). It returns
// false when the phone gave up (bounded: 10 attempts) or is being closed.
func (c *client) reconnect(clock *clock) bool {
	lostAt := clock.now()
	rd := c.rd
	c.wmu.Lock()
	c.down = true
	_ = c.ws.Close()
	c.wmu.Unlock()
	token := resumeToken(c.welcome)
	hello, _ := json.Marshal(map[string]string{"type": "hello", "participant": token})
	n := len(rd.urls)
	from := int(c.inst.Load())
	for attempt := range 10 {
		ceil := min(15*time.Second, 500*time.Millisecond<<attempt)
		time.Sleep(time.Duration(rd.rng.Int64N(int64(ceil))))
		if c.closing.Load() {
			return false
		}
		// Round-robin over the other instances, starting at one that depends on the phone.
		next := from
		if n > 1 {
			next = (from + 1 + (c.idx+2+attempt)%(n-1)) % n
		}
		ws, welcome, kind := c.dialHello(rd.urls[next], hello)
		if ws == nil {
			rd.onFail(kind)
			continue
		}
		c.wmu.Lock()
		if c.closing.Load() {
			c.wmu.Unlock()
			_ = ws.Close()
			return false
		}
		c.ws, c.down = ws, false
		c.welcome = welcome
		c.inst.Store(int32(next))
		c.pmu.Lock()
		outbox := make([]uint32, 0, len(c.pending))
		for seq, p := range c.pending {
			if p.frame != nil {
				outbox = append(outbox, seq)
			}
		}
		slices.Sort(outbox)
		frames := make([][]byte, len(outbox))
		for i, seq := range outbox {
			frames[i] = c.pending[seq].frame
		}
		c.pmu.Unlock()
		ok := true
		for _, f := range frames {
			_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if ws.WriteMessage(websocket.TextMessage, f) != nil {
				ok = false
				break
			}
		}
		if !ok {
			c.down = true
			_ = ws.Close()
			c.wmu.Unlock()
			rd.onFail("resend")
			continue
		}
		c.wmu.Unlock()
		rd.onBack(c, from, lostAt, clock.now(), welcome, len(frames), token != "" && resumeToken(welcome) == token)
		return true
	}
	return false
}

// resumeToken reads the participant's resume token from a welcome.
func resumeToken(welcome []byte) string {
	var w struct {
		Participant string `json:"participant"`
	}
	_ = json.Unmarshal(welcome, &w)
	return w.Participant
}

// dialHello opens a socket to url, says hello and reads until the welcome (10 s at most).
// On failure it returns a nil socket and the kind of failure.
func (c *client) dialHello(url string, hello []byte) (*websocket.Conn, []byte, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, resp, err := dialer(c.rd.src).DialContext(ctx, url, nil)
	if err != nil {
		de := &dialErr{err: err}
		if resp != nil {
			de.status = resp.StatusCode
			_ = resp.Body.Close()
		}
		return nil, nil, dialKind(de)
	}
	_ = ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := ws.WriteMessage(websocket.TextMessage, hello); err != nil {
		_ = ws.Close()
		return nil, nil, "send_hello"
	}
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			_ = ws.Close()
			return nil, nil, "no_welcome"
		}
		var welcome []byte
		refused := ""
		c.proto.parse(data, func(ev event) {
			switch ev.kind {
			case evWelcome:
				welcome = ev.raw
			case evError:
				refused = "refused_" + ev.code
			}
		})
		switch {
		case welcome != nil:
			_ = ws.SetReadDeadline(time.Time{})
			return ws, welcome, ""
		case refused != "":
			_ = ws.Close()
			return nil, nil, refused
		}
	}
}

// take removes and returns the pending message with that seq.
func (c *client) take(seq uint32) (pendingMsg, bool) {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	p, ok := c.pending[seq]
	if ok {
		delete(c.pending, seq)
	}
	return p, ok
}

// hello sends the first message and waits for the welcome.
func (c *client) hello(ctx context.Context, facilitator bool) error {
	c.wmu.Lock()
	c.seq++
	seq := c.seq
	c.wmu.Unlock()
	if err := c.write(c.proto.hello(seq, facilitator)); err != nil {
		return fmt.Errorf("send hello: %w", err)
	}
	select {
	case <-c.welcomed:
		return nil
	case <-c.done:
		if r := c.refused.Load(); r != nil {
			return fmt.Errorf("refused: %s", *r)
		}
		return fmt.Errorf("closed before welcome: %w", c.err)
	case <-ctx.Done():
		if r := c.refused.Load(); r != nil {
			return fmt.Errorf("refused: %s", *r)
		}
		return errors.New("no welcome in time")
	}
}

// command sends a facilitator command and waits for its ack.
func (c *client) command(ctx context.Context, clock *clock, typ, field, val string) (time.Duration, error) {
	ch := make(chan event, 1)
	sent := clock.now()
	_, err := c.send(pendingMsg{at: sent, statement: -1, ack: ch}, func(seq uint32) []byte {
		return c.proto.command(seq, typ, field, val)
	})
	if err != nil {
		return 0, err
	}
	select {
	case ev := <-ch:
		if ev.kind == evError {
			return 0, fmt.Errorf("%s %s: error %s", typ, val, ev.code)
		}
		return clock.now() - sent, nil
	case <-c.done:
		return 0, fmt.Errorf("%s: socket closed: %v", typ, c.err)
	case <-ctx.Done():
		return 0, fmt.Errorf("%s %s: no ack in time", typ, val)
	}
}

// close sends a close frame and closes the socket; the reader ends.
func (c *client) close() {
	c.closing.Store(true)
	c.wmu.Lock()
	ws := c.ws
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	c.wmu.Unlock()
	t := time.NewTimer(time.Second)
	select {
	case <-c.done:
	case <-t.C:
	}
	t.Stop()
	c.wmu.Lock()
	_ = c.ws.Close()
	c.wmu.Unlock()
}

// closeCode is the close code the server sent, 0 for none.
func (c *client) closeCode() int {
	var ce *websocket.CloseError
	if errors.As(c.err, &ce) {
		return ce.Code
	}
	return 0
}

// clock measures everything in one process from one monotonic base: no clock sync.
type clock struct{ base time.Time }

func (k *clock) now() time.Duration { return time.Since(k.base) }
