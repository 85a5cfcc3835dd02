package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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
	c.pmu.Lock()
	c.pending[seq] = p
	c.pmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.ws.WriteMessage(websocket.TextMessage, build(seq)); err != nil {
		c.pmu.Lock()
		delete(c.pending, seq)
		c.pmu.Unlock()
		return seq, err
	}
	return seq, nil
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
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	c.wmu.Unlock()
	t := time.NewTimer(time.Second)
	select {
	case <-c.done:
	case <-t.C:
	}
	t.Stop()
	_ = c.ws.Close()
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
