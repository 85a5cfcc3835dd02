package live

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/time/rate"

	"pejl/internal/forum"
)

const (
	// closeGrace is how long the writer waits for the peer's close frame after its own.
	closeGrace = 2 * time.Second
	// closeWriteWait bounds writing a close frame (a slow client must not hold us).
	closeWriteWait = time.Second
	// rateProbation: after error rate_limited, a client still over the limit this long
	// later is closed (4002); one that stays under the limit this long is forgiven.
	rateProbation = time.Second
	rateForgive   = 10 * time.Second
	// stallForgive is how long after the server held a socket back (Config.MaxInFlight)
	// its messages are not rate limited: they queued up because of us.
	stallForgive = 2 * time.Second
)

// frame is one message to write: a prepared broadcast shared by many connections, or
// bytes for one connection.
type frame struct {
	pm   *websocket.PreparedMessage
	data []byte
}

// conn is one socket. Goroutines: one reader (readLoop, which hands reading over to a
// fresh goroutine after each message, so that an idle socket's reader keeps a minimal
// stack); one writer while there is something to write (writeRun, started by kick, never
// two at once). Messages after the hello are handled on the socket's lane (lane.go), in
// the order read, run by the reader that queued the first of them. Nobody closes send.
// Memory matters here: GOALS G2 allows 12 KiB per idle socket.
type conn struct {
	hub        *Hub
	ws         *websocket.Conn
	bc         *batchConn // under ws: gathers the frames of one writer run into one write
	send       chan *frame
	readerDone chan struct{}
	idle       chan struct{} // a signal when inflight drops to zero

	wstate    atomic.Int32 // writerIdle, writerRunning, writerDone
	queued    atomic.Int32 // frames put in send and not yet taken out
	pingDue   atomic.Bool
	pingTimer *time.Timer

	stopOnce    sync.Once
	closeCode   int    // written before closing is set
	closeReason string // idem
	graceful    bool   // idem: answer in-flight messages and flush the queue first
	closing     atomic.Bool
	inflight    atomic.Int32
	stalledAt   atomic.Int64 // unix nanoseconds of the last wait for a work slot

	facilitator bool
	presenter   bool // a facilitator socket that serves the projector (hello view "presenter")
	sessionID   string
	user        *forum.User
	reqCtx      func(context.Context) context.Context // adds what the upgrade request carried (the client address)
	cred        *forum.Credential                     // what a facilitator authenticated with (see revoke.go)

	// Reader-owned.
	lim       *rate.Limiter
	limitedAt time.Time
	lastOver  time.Time
	helloDone bool
	readDL    time.Time // the read deadline set last (extendRead)

	// Set by the reader during hello, before any handler starts; read-only after.
	room *room
	part *forum.Participant
	lane *lane

	ackMu sync.Mutex
	acked *idSet // facilitator message ids already acknowledged
}

const (
	writerIdle int32 = iota
	writerRunning
	writerDone
)

func (c *conn) init(h *Hub, ws *websocket.Conn, bc *batchConn) {
	c.hub = h
	c.ws = ws
	c.bc = bc
	c.send = make(chan *frame, h.cfg.SendQueue)
	c.readerDone = make(chan struct{})
	c.idle = make(chan struct{}, 1)
	c.lim = rate.NewLimiter(h.cfg.Rate, h.cfg.Burst)
	c.pingTimer = time.AfterFunc(h.cfg.PingPeriod, func() {
		c.pingDue.Store(true)
		c.kick()
	})
}

// start sets the socket up and starts its reader. The caller holds h.connWG for it.
func (c *conn) start() {
	h := c.hub
	c.ws.SetReadLimit(h.cfg.ReadLimit)
	_ = c.ws.SetReadDeadline(time.Now().Add(h.cfg.HelloTimeout))
	c.ws.SetPongHandler(func(string) error {
		if c.helloDone {
			c.extendRead(time.Now())
		}
		return nil
	})
	// Control pings count against the socket's message rate like any message; past it the
	// socket is closed (4002) instead of answering every one.
	c.ws.SetPingHandler(func(data string) error {
		if !c.lim.Allow() {
			c.hub.met.rateLimited.Inc()
			c.stop(CloseRateLimited, "rate limited", false)
			return nil
		}
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(h.cfg.WriteWait))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			return err
		}
		return nil
	})
	go c.readLoop()
}

func (c *conn) role() string {
	if c.facilitator {
		return "facilitator"
	}
	return "participant"
}

// stop decides that the connection ends, with a close code (closeNone: send no close
// frame). Only the first call counts. It never blocks.
func (c *conn) stop(code int, reason string, graceful bool) {
	c.stopOnce.Do(func() {
		c.closeCode, c.closeReason, c.graceful = code, clip(reason, closeReasonMaxBytes), graceful
		c.closing.Store(true)
		if code != closeNone {
			c.hub.met.disconnects.WithLabelValues(strconv.Itoa(code)).Inc()
		}
		c.kick()
	})
}

func (c *conn) stopped() bool { return c.closing.Load() }

// enqueue hands a frame to the writer without blocking. A full queue ends the
// connection with 4000; enqueue then reports false.
func (c *conn) enqueue(f *frame) bool {
	if f == nil {
		return true
	}
	select {
	case c.send <- f:
		c.queued.Add(1)
		c.kick()
		return true
	default:
		c.hub.met.slow.Inc()
		c.stop(CloseSlow, "slow client: send queue full", false)
		return false
	}
}

// enqueueAnswer queues the answer to one of the client's own messages, on the socket's
// lane; the lane writes it (lane.flushWrites) once the messages it is handling are
// answered, so that answers given together go out in one write. Unlike a broadcast, it
// waits while the queue is full: the client sent faster than it reads its answers, so the
// lane (and with it the socket's reader) waits and TCP pushes back on the client. A queue
// that does not move for WriteWait ends the connection with 4000.
func (c *conn) enqueueAnswer(f *frame) {
	if f == nil {
		return
	}
	select {
	case c.send <- f:
	default:
		if c.closing.Load() && !c.graceful {
			return // nobody writes any more; the client resends after reconnecting
		}
		c.kick() // a writer takes what is queued
		t := time.NewTimer(c.hub.cfg.WriteWait)
		select {
		case c.send <- f:
			t.Stop()
		case <-t.C:
			c.hub.met.slow.Inc()
			c.stop(CloseSlow, "slow client: answers not read", false)
			return
		}
	}
	c.queued.Add(1)
	c.lane.noteWrite(c)
}

// writeNow writes what is queued on the calling goroutine (a lane's), unless a writer
// runs already (it takes what was queued) or the socket is closing (a writer of its own
// finishes it): a lane's answers need no goroutine started for them.
func (c *conn) writeNow() {
	if c.closing.Load() {
		c.kick()
		return
	}
	if c.wstate.CompareAndSwap(writerIdle, writerRunning) {
		c.hub.connWG.Add(1)
		c.writeRun(true)
	}
}

func (c *conn) sendJSON(v any) {
	c.enqueue(c.hub.frameOf(v, false))
}

func (c *conn) sendError(id, code, message string) {
	c.sendJSON(errorMsg{Type: "error", ID: id, Code: code, Message: message})
}

// reply answers a message that changes something: ack, or error with the mapped code.
func (c *conn) reply(id string, version int64, commentID string, err error) {
	if err != nil {
		code, msg := socketError(err)
		if forum.ErrorCode(err) == forum.EInternal { // storage trouble is logged where it happens
			c.hub.log.Error("live: message failed", "session", c.sessionID, "err", err)
		}
		c.enqueueAnswer(c.hub.frameOf(errorMsg{Type: "error", ID: id, Code: code, Message: msg}, false))
		return
	}
	c.enqueueAnswer(&frame{data: appendAck(make([]byte, 0, 48+len(id)+len(commentID)), id, version, commentID)})
}

// ---- writer ----

// kick makes sure a writer runs. It starts one only while the socket is not finished;
// then a count of connWG is always held (by the reader, or by the run that will finish),
// so the Add is safe while Shutdown waits.
func (c *conn) kick() {
	if c.wstate.CompareAndSwap(writerIdle, writerRunning) {
		c.hub.connWG.Add(1)
		go c.writeRun(false)
	}
}

// writeRun writes queued frames and due pings until there is nothing left, then ends; a
// stopped socket is finished (close frame, close). The stop check comes first, so a
// busy queue cannot delay a close. Inline, it runs on a lane's goroutine (writeNow) and
// leaves finishing a stopped socket to a writer of its own.
func (c *conn) writeRun(inline bool) {
	defer c.hub.connWG.Done()
	wait := c.hub.cfg.WriteWait
	batch := 0 // frames gathered in the open batch (batchConn)
	for {
		if c.closing.Load() {
			if batch > 0 {
				_ = c.bc.flush()
			}
			if inline {
				c.wstate.Store(writerIdle)
				c.kick()
				return
			}
			c.pingTimer.Stop()
			c.finish()
			c.wstate.Store(writerDone)
			return
		}
		select {
		case f := <-c.send:
			c.queued.Add(-1)
			if batch == 0 {
				c.bc.begin(wait)
			}
			batch++
			err := c.write(f)
			if err == nil && batch >= cap(c.send) {
				batch = 0
				err = c.bc.flush()
			}
			if err != nil {
				c.stop(closeNone, "", false)
			}
			continue
		default:
		}
		if batch > 0 {
			// Everything queued is gathered: one write for all of it.
			batch = 0
			if err := c.bc.flush(); err != nil {
				c.stop(closeNone, "", false)
			}
			continue
		}
		if c.pingDue.Swap(false) {
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wait)); err != nil {
				c.stop(closeNone, "", false)
			}
			c.pingTimer.Reset(c.hub.cfg.PingPeriod)
			continue
		}
		// Idle. Whoever queues, stops or pings after the Store sees writerIdle and starts
		// a run; whatever came before it is seen by the checks below (atomics are
		// sequentially consistent).
		c.wstate.Store(writerIdle)
		if c.queued.Load() <= 0 && !c.closing.Load() && !c.pingDue.Load() {
			return
		}
		if !c.wstate.CompareAndSwap(writerIdle, writerRunning) {
			return // another run took over
		}
	}
}

func (c *conn) write(f *frame) error {
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteWait))
	if f.pm != nil {
		return c.ws.WritePreparedMessage(f.pm)
	}
	return c.ws.WriteMessage(websocket.TextMessage, f.data)
}

// finish runs on the writer once stop was called: for a graceful stop it waits for the
// messages being handled and writes what is queued; then the close frame, a short wait
// for the peer's, and the socket is closed (which ends the reader).
func (c *conn) finish() {
	if c.graceful {
		c.drain()
	}
	if c.closeCode != closeNone {
		_ = c.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(c.closeCode, c.closeReason), time.Now().Add(closeWriteWait))
		t := time.NewTimer(closeGrace)
		select {
		case <-c.readerDone:
		case <-t.C:
		}
		t.Stop()
	}
	_ = c.ws.Close()
}

func (c *conn) drain() {
	deadline := time.NewTimer(c.hub.cfg.OpTimeout + time.Second)
	defer deadline.Stop()
	for {
		if c.inflight.Load() == 0 {
			for range cap(c.send) {
				select {
				case f := <-c.send:
					if c.write(f) != nil {
						return
					}
				default:
					return
				}
			}
			return
		}
		select {
		case f := <-c.send:
			if c.write(f) != nil {
				return
			}
		case <-c.idle:
		case <-deadline.C:
			return
		}
	}
}

// ---- reader ----

// readLoop reads one message, handles it, and hands reading over to a fresh goroutine:
// a goroutine parked in a read needs a 2 KiB stack, but one whose stack once grew (JSON,
// a hello's engine calls) keeps 4–8 KiB, as Go shrinks a stack only while at most a
// quarter of it is in use. Starting a goroutine costs far less than a message. When the
// message starts its lane's run (lane.push), this goroutine runs the lane after handing
// reading over: the message is handled where it was read, with no hand-off to a worker.
func (c *conn) readLoop() {
	h := c.hub
	defer h.connWG.Done()
	mt, data, err := c.ws.ReadMessage()
	if err != nil {
		c.readFailed(err)
		c.readerExit()
		return
	}
	if mt != websocket.TextMessage {
		// The protocol is JSON in text frames; a binary frame is a broken client.
		c.stop(websocket.CloseUnsupportedData, "binary frames are not accepted", false)
	}
	run := c.handleFrame(data)
	h.connWG.Add(1) // this goroutine's count is still held
	go c.readLoop()
	if run != nil {
		run.run(h)
	}
}

// handleFrame handles a frame read from the socket; it returns the lane to run when the
// frame was queued on an idle lane (the caller runs it).
func (c *conn) handleFrame(data []byte) *lane {
	h := c.hub
	if c.stopped() && (!c.graceful || !c.helloDone) {
		return nil // closing: read on until the peer's close frame
	}
	if c.helloDone {
		c.extendRead(time.Now())
	}
	if !c.allow(data) {
		return nil
	}
	if c.helloDone {
		// Decoding and handling happen on the socket's lane, after the frames read before.
		return c.work(data)
	}
	m, k, err := decode(data)
	if err != nil {
		var de *decodeError
		errors.As(err, &de)
		h.met.messages.WithLabelValues("invalid").Inc()
		c.sendError(de.id, codeBadMessage, de.msg)
		return nil
	}
	h.met.messages.WithLabelValues(m.Type).Inc()
	switch {
	case m.Type == typePing:
		c.enqueue(&frame{data: pongFrame})
	case k == kindHello:
		c.hello(m)
	default:
		c.sendError(m.ID, codeBadMessage, "The first message must be \"hello\".")
		c.stop(CloseProtocol, "hello must come first", true)
	}
	return nil
}

func (c *conn) readFailed(err error) {
	var ne net.Error
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		// gorilla has sent 1009. Read away the rest of the frame so that closing the
		// socket does not reset it before the client has read the close frame.
		nc := c.ws.UnderlyingConn()
		_ = nc.SetReadDeadline(time.Now().Add(closeGrace))
		_, _ = io.Copy(io.Discard, io.LimitReader(nc, 1<<20))
		c.hub.met.disconnects.WithLabelValues(strconv.Itoa(CloseTooBig)).Inc()
		c.stop(closeNone, "", false)
	case !c.helloDone && errors.As(err, &ne) && ne.Timeout():
		c.stop(CloseProtocol, "no hello in time", false)
	default:
		c.stop(closeNone, "", false)
	}
}

func (c *conn) readerExit() {
	c.stop(closeNone, "", false)
	close(c.readerDone)
	if c.room != nil {
		c.room.leave(c)
	}
	if c.lane != nil {
		c.hub.releaseLane(c.lane)
	}
	c.hub.removeConn(c)
}

// allow applies the per-connection rate limit: over it, the first message gets error
// rate_limited and is dropped; messages still over the limit a second later close the
// connection with 4002. Dropped messages get no answer (their ids stay unanswered, and
// the client resends them after reconnecting).
func (c *conn) allow(data []byte) bool {
	now := time.Now()
	if c.lim.AllowN(now, 1) {
		return true
	}
	if stalled := c.stalledAt.Load(); stalled != 0 && now.Sub(time.Unix(0, stalled)) < stallForgive {
		return true // a burst that built up while the server held the socket back
	}
	if c.limitedAt.IsZero() || now.Sub(c.lastOver) > rateForgive {
		c.limitedAt, c.lastOver = now, now
		id := ""
		var probe struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(data, &probe) == nil && len(probe.ID) <= forum.MaxClientID {
			id = probe.ID
		}
		c.hub.met.rateLimited.Inc()
		c.sendError(id, codeRateLimited, "Too many messages: at most 20 a second. This one was dropped; slow down.")
		return false
	}
	c.lastOver = now
	if now.Sub(c.limitedAt) >= rateProbation {
		c.stop(CloseRateLimited, "rate limited", false)
	}
	return false
}

// hello identifies the socket and sends its welcome.
func (c *conn) hello(m *inMsg) {
	h := c.hub
	ctx, cancel := context.WithTimeout(h.workCtx, h.cfg.OpTimeout)
	defer cancel()
	r, err := h.joinRoom(ctx, c.sessionID)
	if err != nil {
		c.refuse(m, err)
		return
	}
	if c.facilitator {
		c.presenter = m.View == "presenter"
		err = r.joinFacilitator(ctx, c)
	} else {
		err = c.helloParticipant(ctx, r, m)
	}
	if err != nil {
		h.releaseRoom(r)
		c.refuse(m, err)
		return
	}
	c.room = r
	key := laneKey{session: c.sessionID, facilitator: c.facilitator}
	if c.facilitator {
		key.who = c.user.ID
	} else {
		key.who = c.part.ID
	}
	c.lane = h.acquireLane(key)
	c.helloDone = true
	c.extendRead(time.Now())
}

// readDeadlineSlack: the read deadline (PongWait from the last message or pong) is moved
// on only when it would move by more than this, sparing a timer update per message.
const readDeadlineSlack = time.Second

// extendRead moves the read deadline to PongWait from now (reader-owned).
func (c *conn) extendRead(now time.Time) {
	dl := now.Add(c.hub.cfg.PongWait)
	if dl.Sub(c.readDL) < readDeadlineSlack {
		return
	}
	c.readDL = dl
	_ = c.ws.SetReadDeadline(dl)
}

func (c *conn) helloParticipant(ctx context.Context, r *room, m *inMsg) error {
	sess := r.session()
	if c.reqCtx != nil {
		ctx = c.reqCtx(ctx)
	}
	p, token, err := c.hub.svc.Hello(ctx, sess, m.Participant, m.Name, m.Group)
	if err != nil {
		return err
	}
	mine, err := c.hub.svc.Mine(ctx, c.sessionID, p.ID)
	if err != nil {
		return err
	}
	c.part = p
	return r.addParticipant(c, token, mine)
}

// refuse answers a hello that cannot be accepted. A wrong name or group may be
// corrected in another hello; everything else ends the socket.
func (c *conn) refuse(m *inMsg, err error) {
	if errors.Is(err, errRoomGone) {
		c.stop(CloseUnavailable, "try again", true)
		return
	}
	code, msg := socketError(err)
	switch forum.ErrorCode(err) {
	case forum.EInvalidValue, forum.EBadRequest:
		c.sendError(m.ID, code, msg)
		return
	case forum.ENotFound, forum.EUnknownCode:
		c.stop(CloseSessionGone, "unknown session", true)
		return
	}
	// The error goes out before the close frame (a graceful stop flushes the queue).
	c.sendError(m.ID, code, msg)
	switch cc := closeCodeFor(err); cc {
	case CloseSessionEnded:
		c.stop(cc, "session ended", true)
	case CloseForbidden:
		c.stop(cc, "forbidden", true)
	default:
		c.stop(CloseUnavailable, "storage unavailable", true)
	}
}

// route answers what needs no engine at once and returns the handler for the rest (nil
// when the message is answered).
func (c *conn) route(m *inMsg, k kind) func(context.Context, *inMsg) {
	switch k {
	case kindHello:
		c.sendError(m.ID, codeBadMessage, "This socket has said hello already.")
	case kindControl:
		if m.Type == typePing {
			c.enqueue(&frame{data: pongFrame})
			return nil
		}
		return c.resync
	case kindParticipant:
		if c.facilitator {
			c.sendError(m.ID, codeForbidden, "A facilitator socket does not vote, comment or upvote.")
			return nil
		}
		return c.handleParticipant
	case kindFacilitator:
		if !c.facilitator {
			c.sendError(m.ID, codeForbidden, "Only the facilitator may do that.")
			return nil
		}
		if c.wasAcked(m.ID) {
			c.reply(m.ID, 0, "", nil)
			return nil
		}
		return c.handleFacilitator
	}
	return nil
}

// work queues a frame that came after the hello on the socket's lane, which decodes and
// handles it after the frames read before it (in order); it returns the lane when the
// caller is to run it (the lane was idle). The reader hands reading over before it runs
// the lane, so that a slow engine never keeps the socket from answering pings. At most
// Config.MaxInFlight frames wait or are handled at once on the instance, and at most
// laneDepth per lane: past that, the reader waits, and the socket is read no further
// meanwhile (TCP pushes back on the clients) — an overload slows answers down instead of
// piling up work. Once the connection is closing, messages are answered unavailable
// instead (the client resends them after reconnecting).
func (c *conn) work(data []byte) *lane {
	c.inflight.Add(1)
	h := c.hub
	select {
	case h.slots <- struct{}{}:
	default:
		start := time.Now()
		select {
		case h.slots <- struct{}{}:
		case <-h.workCtx.Done():
			c.workDone()
			return nil
		}
		// The wait was ours: messages that queued up meanwhile are not the client's burst.
		c.stalledAt.Store(time.Now().UnixNano())
		h.met.backpressure.Observe(time.Since(start).Seconds())
	}
	h.connWG.Add(1)
	queued, start := c.lane.push(h, task{c: c, data: data})
	if !queued {
		c.taskDone()
		return nil
	}
	if start {
		return c.lane
	}
	return nil
}

func (c *conn) taskDone() {
	<-c.hub.slots
	c.workDone()
	c.hub.connWG.Done()
}

// handleTask decodes one frame and handles it, on the goroutine running the lane. A vote is checked and
// handed to the session's batcher at once and answered later, in order (lane.settle), so
// that votes of one socket in a row share a batch; anything else waits until the votes
// before it are answered.
func (c *conn) handleTask(l *lane, data []byte) {
	h := c.hub
	m, k, err := decode(data)
	if err == nil && m.Type == typeVote && !c.facilitator && !c.closing.Load() {
		h.met.votes.Inc()
		// A vote's time is bounded by the batcher (it always answers within the engine's
		// timeout), so it needs no timer of its own.
		pv := h.svc.StartVote(h.workCtx, c.sessionID, c.part, forum.VoteIn{ClientID: m.ID,
			Activity: m.Activity, Statement: m.Statement, Value: m.Value, Retract: m.Retract})
		l.pending = append(l.pending, pendingVote{c: c, id: m.ID, pv: pv})
		return
	}
	l.settle()
	defer c.taskDone()
	if err != nil {
		var de *decodeError
		errors.As(err, &de)
		h.met.messages.WithLabelValues("invalid").Inc()
		c.sendError(de.id, codeBadMessage, de.msg)
		return
	}
	h.met.messages.WithLabelValues(m.Type).Inc()
	fn := c.route(m, k)
	if fn == nil {
		return
	}
	if c.closing.Load() {
		if m.ID != "" {
			c.sendError(m.ID, codeUnavailable, "The server is restarting; send this again after reconnecting.")
		}
		return
	}
	ctx, cancel := context.WithTimeout(h.workCtx, h.cfg.OpTimeout)
	defer cancel()
	fn(ctx, m)
}

func (c *conn) workDone() {
	if c.inflight.Add(-1) == 0 {
		select {
		case c.idle <- struct{}{}:
		default:
		}
	}
}

func (c *conn) handleParticipant(ctx context.Context, m *inMsg) {
	svc := c.hub.svc
	switch m.Type {
	case typeVote:
		// Closing: answered unavailable before it gets here; otherwise handleTask starts it.
	case typeComment:
		cm, err := svc.AddComment(ctx, c.sessionID, c.part, forum.CommentIn{ClientID: m.ID,
			Activity: m.Activity, Statement: m.Statement, Text: m.Text})
		id := ""
		if cm != nil {
			id = cm.ID
		}
		c.reply(m.ID, 0, id, err)
	case typeUpvote:
		_, err := svc.Upvote(ctx, c.sessionID, c.part, m.ID, m.Comment)
		c.reply(m.ID, 0, "", err)
	}
}

func (c *conn) handleFacilitator(ctx context.Context, m *inMsg) {
	v, err := c.hub.svc.Do(ctx, c.user, c.sessionID, forum.Command{ID: m.ID, Type: m.Type, Section: m.Section,
		Activity: m.Activity, Comment: m.Comment, Action: m.Action, Stage: m.Stage, Page: m.Page,
		Seconds: m.Seconds, Close: m.Close, Word: m.Word})
	if err == nil {
		c.rememberAck(m.ID)
	}
	c.reply(m.ID, v, "", err)
}

// resync answers with a fresh state (a participant's with "mine") and asks the room to
// compare its state with the engine's at once.
func (c *conn) resync(ctx context.Context, _ *inMsg) {
	var mine *forum.Mine
	if !c.facilitator {
		var err error
		mine, err = c.hub.svc.Mine(ctx, c.sessionID, c.part.ID)
		if err != nil {
			code, msg := socketError(err)
			c.sendError("", code, msg)
			return
		}
	}
	c.room.sendState(c, mine)
	c.room.pokeState()
}

// ---- facilitator ids already acknowledged ----

const ackMemory = 256

// idSet remembers the last ackMemory ids.
type idSet struct {
	ids  map[string]struct{}
	ring [ackMemory]string
	next int
}

func (c *conn) wasAcked(id string) bool {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	if c.acked == nil {
		return false
	}
	_, ok := c.acked.ids[id]
	return ok
}

func (c *conn) rememberAck(id string) {
	c.ackMu.Lock()
	defer c.ackMu.Unlock()
	if c.acked == nil {
		c.acked = &idSet{ids: map[string]struct{}{}}
	}
	s := c.acked
	if _, ok := s.ids[id]; ok {
		return
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.ids[id] = struct{}{}
	s.next = (s.next + 1) % ackMemory
}
