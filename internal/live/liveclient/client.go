// Package liveclient is a Go client for Pejl's live WebSocket protocol, for tests and the
// load generator. A Conn has one reader goroutine: acks and errors that answer a message
// sent with Vote, Comment, Upvote, Command or Do go to that call; everything else is
// delivered to Next (or to Options.Handler).
package liveclient

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Options configure a connection.
type Options struct {
	// Header is sent with the upgrade: Origin, Cookie, Authorization.
	Header http.Header
	// Dialer; default a websocket.Dialer with a 10s handshake timeout.
	Dialer *websocket.Dialer
	// Buffer is how many messages wait for Next; default 1024. When it is full the reader
	// waits, and the server will see a slow client.
	Buffer int
	// Handler, when set, is called on the reader goroutine with every message that does
	// not answer a pending call, instead of queueing it for Next. It must not block long.
	Handler func(Message)
}

// DialError is a failed upgrade, with the HTTP status and body when there was a response.
type DialError struct {
	StatusCode int
	Body       string
	Err        error
}

func (e *DialError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("liveclient: upgrade refused: %d %s", e.StatusCode, e.Body)
	}
	return fmt.Sprintf("liveclient: dial: %v", e.Err)
}

func (e *DialError) Unwrap() error { return e.Err }

// Conn is one live socket.
type Conn struct {
	ws      *websocket.Conn
	opts    Options
	wmu     sync.Mutex
	in      chan Message
	done    chan struct{}
	err     error // why the reader stopped; set before done is closed
	closeMu sync.Once

	mu      sync.Mutex
	waiting map[string][]chan Message // id → calls waiting for their ack/error
	hello   chan Message              // a pending Hello, if any
}

// Dial opens a socket. url is ws:// or wss://.
func Dial(ctx context.Context, url string, opts Options) (*Conn, error) {
	d := opts.Dialer
	if d == nil {
		d = &websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096}
	}
	ws, resp, err := d.DialContext(ctx, url, opts.Header)
	if err != nil {
		de := &DialError{Err: err}
		if resp != nil {
			de.StatusCode = resp.StatusCode
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			_ = resp.Body.Close()
			de.Body = string(b)
		}
		return nil, de
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	c := &Conn{ws: ws, opts: opts, in: make(chan Message, opts.Buffer), done: make(chan struct{}),
		waiting: map[string][]chan Message{}}
	go c.read()
	return c, nil
}

func (c *Conn) read() {
	defer close(c.in)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			c.err = err
			close(c.done)
			c.mu.Lock()
			for id, ws := range c.waiting {
				for _, w := range ws {
					close(w)
				}
				delete(c.waiting, id)
			}
			c.mu.Unlock()
			return
		}
		m, err := Decode(data)
		if err != nil {
			m = &Unknown{Type: "invalid", Raw: append(json.RawMessage(nil), data...)}
		}
		if c.answer(m) {
			continue
		}
		if c.opts.Handler != nil {
			c.opts.Handler(m)
			continue
		}
		c.in <- m
	}
}

// answer hands acks and errors to the call waiting for them, and the welcome (or an
// error without id) to a pending Hello.
func (c *Conn) answer(m Message) bool {
	var id string
	switch m := m.(type) {
	case *Ack:
		id = m.ID
	case *ErrorMsg:
		id = m.ID
	case *Welcome:
	default:
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if id == "" {
		if c.hello != nil {
			c.hello <- m
			c.hello = nil
			return true
		}
		return false
	}
	ws := c.waiting[id]
	if len(ws) == 0 {
		return false
	}
	ws[0] <- m
	if len(ws) == 1 {
		delete(c.waiting, id)
	} else {
		c.waiting[id] = ws[1:]
	}
	return true
}

// Err is why the connection ended (a *websocket.CloseError carries the close code), or
// nil while it is open.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// CloseCode returns the close code the server sent, or 0 (also while open, or when the
// connection broke without a close frame).
func (c *Conn) CloseCode() int {
	var ce *websocket.CloseError
	if errors.As(c.Err(), &ce) {
		return ce.Code
	}
	return 0
}

// WaitClosed waits until the connection ends and returns the close code (0 for none).
func (c *Conn) WaitClosed(ctx context.Context) (int, error) {
	select {
	case <-c.done:
		return c.CloseCode(), nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// Close sends a normal close frame and closes the socket.
func (c *Conn) Close() error {
	var err error
	c.closeMu.Do(func() {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		t := time.NewTimer(time.Second)
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
		err = c.ws.Close()
		go func() { // let the reader finish if a full Buffer keeps it
			for range c.in {
			}
		}()
		t = time.NewTimer(2 * time.Second) // a Handler that never returns keeps the reader
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
	})
	return err
}

// Send writes one message (any JSON-encodable value).
func (c *Conn) Send(msg any) error {
	b, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	return c.SendRaw(b)
}

// SendRaw writes one text frame as is.
func (c *Conn) SendRaw(data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

// SendFrame writes one frame of the given type (websocket.BinaryMessage, PingMessage …) as
// is, for tests of what a broken or hostile client sends.
func (c *Conn) SendFrame(messageType int, data []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if messageType == websocket.PingMessage {
		return c.ws.WriteControl(messageType, data, time.Now().Add(10*time.Second))
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(messageType, data)
}

// Next returns the next message that was not an answer to a call. It returns the
// connection's end (see Err) once it is closed and every message was read.
func (c *Conn) Next(ctx context.Context) (Message, error) {
	select {
	case m, ok := <-c.in:
		if !ok {
			return nil, c.err
		}
		return m, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Messages is the channel Next reads; it is closed when the connection ends.
func (c *Conn) Messages() <-chan Message { return c.in }

// HelloMsg is the first message. Facilitator sockets leave every field empty.
type HelloMsg struct {
	Participant string `json:"participant,omitempty"`
	Name        string `json:"name,omitempty"`
	Group       string `json:"group,omitempty"`
	// View "presenter" on a facilitator socket: the projector's share (forum.ForPresenter).
	View string `json:"view,omitempty"`
}

// Hello says hello and waits for the welcome; a refusal is returned as *ErrorMsg, a
// closed socket as its close error.
func (c *Conn) Hello(ctx context.Context, h HelloMsg) (*Welcome, error) {
	ch := make(chan Message, 1)
	c.mu.Lock()
	c.hello = ch
	c.mu.Unlock()
	err := c.Send(struct {
		Type string `json:"type"`
		HelloMsg
	}{"hello", h})
	if err != nil {
		return nil, err
	}
	select {
	case m := <-ch:
		if e, ok := m.(*ErrorMsg); ok {
			return nil, e
		}
		return m.(*Welcome), nil
	case <-c.done:
		return nil, c.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Do sends a message with an id and waits for the ack (returned) or the error (returned
// as *ErrorMsg). msg must encode to a JSON object carrying that id.
func (c *Conn) Do(ctx context.Context, id string, msg any) (*Ack, error) {
	ch := make(chan Message, 1)
	c.mu.Lock()
	select {
	case <-c.done:
		c.mu.Unlock()
		return nil, c.err
	default:
	}
	c.waiting[id] = append(c.waiting[id], ch)
	c.mu.Unlock()
	if err := c.Send(msg); err != nil {
		c.forget(id, ch)
		return nil, err
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return nil, c.err
		}
		if e, ok := m.(*ErrorMsg); ok {
			return nil, e
		}
		return m.(*Ack), nil
	case <-ctx.Done():
		c.forget(id, ch)
		return nil, ctx.Err()
	}
}

func (c *Conn) forget(id string, ch chan Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ws := c.waiting[id]
	for i, w := range ws {
		if w == ch {
			ws = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(c.waiting, id)
	} else {
		c.waiting[id] = ws
	}
}

// NewID returns a fresh message id.
func NewID() string {
	b := make([]byte, 9)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Vote sends a vote and waits for its ack. statement is for scale activities ("" for
// the others); value is the vote's value (a number, or a list of ids or words).
func (c *Conn) Vote(ctx context.Context, id, activity, statement string, value any) error {
	_, err := c.Do(ctx, id, map[string]any{"type": "vote", "id": id, "activity": activity,
		"statement": statement, "value": value})
	return err
}

// Comment sends a comment and returns the new comment's id ("" for a repeated id).
func (c *Conn) Comment(ctx context.Context, id, activity, statement, text string) (string, error) {
	m := map[string]any{"type": "comment", "id": id, "activity": activity, "text": text}
	if statement != "" {
		m["statement"] = statement
	}
	ack, err := c.Do(ctx, id, m)
	if err != nil {
		return "", err
	}
	return ack.CommentID, nil
}

// Upvote upvotes a comment.
func (c *Conn) Upvote(ctx context.Context, id, comment string) error {
	_, err := c.Do(ctx, id, map[string]any{"type": "upvote", "id": id, "comment": comment})
	return err
}

// Command sends a facilitator message (goto, open, close, show_results, hide_results,
// moderate, end) with the given fields and waits for its ack. fields["id"] is used as the
// id when set, else a fresh one.
func (c *Conn) Command(ctx context.Context, typ string, fields map[string]any) error {
	m := map[string]any{}
	for k, v := range fields {
		m[k] = v
	}
	m["type"] = typ
	id, _ := m["id"].(string)
	if id == "" {
		id = NewID()
		m["id"] = id
	}
	_, err := c.Do(ctx, id, m)
	return err
}
