package live

import (
	"sync"

	"pejl/internal/forum"
)

// A lane runs the messages of one participant (or of one facilitator in one session) on
// this instance one after another, in the order the sockets were read: messages of one
// socket take effect in the order sent (DESIGN rule 8), and so do messages resent on a new
// socket after a reconnect, since they queue behind whatever the old socket's reader had
// taken in. Different lanes run in parallel.
//
// A lane holds no goroutine while it is empty: the reader that queues the first message
// runs it (conn.readLoop), until the queue is empty. A lane lives while a
// socket holds it or a message waits in it (Hub.lanes).
type lane struct {
	key  laneKey
	refs int // sockets holding the lane; under Hub.lanesMu

	mu      sync.Mutex
	queue   []task
	running bool
	space   chan struct{} // a signal after a message leaves a full queue

	// pending are votes handed to the engine and not yet answered; the running goroutine's.
	pending []pendingVote
	// wrote is the socket whose answers were queued and not yet written; the running
	// goroutine's (noteWrite, flushWrites).
	wrote *conn
}

// pendingVote is a vote of a socket on the lane, waiting for the engine.
type pendingVote struct {
	c  *conn
	id string
	pv forum.PendingVote
}

type laneKey struct {
	session, who string
	facilitator  bool
}

// task is one frame read from a socket, to be decoded and handled.
type task struct {
	c    *conn
	data []byte
}

// lanePipeline bounds the votes of a lane handed to the engine and not yet answered.
const lanePipeline = 16

// laneDepth bounds the messages waiting in one lane; past it, the socket's reader waits
// (and TCP pushes back on the client), so that one fast client cannot take every slot.
const laneDepth = 64

// acquireLane returns the lane for key, making one if needed, and counts the caller.
func (h *Hub) acquireLane(key laneKey) *lane {
	h.lanesMu.Lock()
	defer h.lanesMu.Unlock()
	l := h.lanes[key]
	if l == nil {
		l = &lane{key: key, space: make(chan struct{}, 1)}
		h.lanes[key] = l
	}
	l.refs++
	return l
}

// releaseLane gives back a socket's hold on the lane; messages still queued run on.
func (h *Hub) releaseLane(l *lane) {
	h.lanesMu.Lock()
	defer h.lanesMu.Unlock()
	l.refs--
	h.dropLaneLocked(l)
}

// dropLaneLocked forgets a lane that no socket holds and that has nothing to do.
func (h *Hub) dropLaneLocked(l *lane) {
	if l.refs > 0 {
		return
	}
	l.mu.Lock()
	idle := !l.running && len(l.queue) == 0
	l.mu.Unlock()
	if idle && h.lanes[l.key] == l {
		delete(h.lanes, l.key)
	}
}

// push queues a task, waiting while the lane is full; queued is false if the hub gave up
// on work meanwhile (Shutdown ran out of time). start: the lane was idle, and the caller
// is to run it (run).
func (l *lane) push(h *Hub, t task) (queued, start bool) {
	for {
		l.mu.Lock()
		if len(l.queue) < laneDepth {
			l.queue = append(l.queue, t)
			start = !l.running
			l.running = true
			l.mu.Unlock()
			return true, start
		}
		l.mu.Unlock()
		select {
		case <-l.space:
		case <-h.workCtx.Done():
			return false, false
		}
	}
}

// run handles the queued tasks in order until the queue is empty. Votes in a row are
// handed to the engine one after another and answered together (settle) when something
// else comes, when lanePipeline of them wait, or when the queue is empty.
func (l *lane) run(h *Hub) {
	for {
		l.mu.Lock()
		if len(l.queue) == 0 {
			if len(l.pending) > 0 {
				l.mu.Unlock()
				l.settle()
				continue
			}
			l.running = false
			l.queue, l.pending = nil, nil // an idle lane keeps no buffer
			l.mu.Unlock()
			h.lanesMu.Lock()
			h.dropLaneLocked(l)
			h.lanesMu.Unlock()
			return
		}
		t := l.queue[0]
		l.queue[0] = task{}
		l.queue = l.queue[1:]
		l.mu.Unlock()
		select {
		case l.space <- struct{}{}:
		default:
		}
		t.c.handleTask(l, t.data)
		if len(l.pending) >= lanePipeline {
			l.settle()
		} else if len(l.pending) == 0 {
			l.flushWrites()
		}
	}
}

// noteWrite records that an answer was queued on c; it is written by flushWrites, or
// before answers to another socket of the lane are queued.
func (l *lane) noteWrite(c *conn) {
	if l.wrote != nil && l.wrote != c {
		l.wrote.writeNow()
	}
	l.wrote = c
}

// flushWrites writes the answers queued since the last flush.
func (l *lane) flushWrites() {
	if l.wrote != nil {
		l.wrote.writeNow()
		l.wrote = nil
	}
}

// settle answers the pending votes, in the order they were started.
func (l *lane) settle() {
	for i, p := range l.pending {
		v, err := p.pv.Wait(p.c.hub.workCtx)
		p.c.reply(p.id, v, "", err)
		p.c.taskDone()
		l.pending[i] = pendingVote{}
	}
	l.pending = l.pending[:0]
	l.flushWrites()
}
