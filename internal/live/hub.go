// Package live is Pejl's WebSocket transport: the participant and facilitator sockets of
// spec/api-v1.md ("Live: WebSocket") with Pejl's additions, as docs/api.md documents them.
//
// The protocol, with an example of every message and the close codes, is in docs/api.md.
//
// Ownership (DESIGN rules 8–10): the Hub owns every connection and every room. A
// connection has one reader goroutine (handed over to a fresh goroutine after each
// message, so an idle socket's stack stays at 2–4 KiB) and one writer goroutine, which
// runs only while there is something to write (never two at once), and a bounded send
// queue; whoever publishes to a connection never blocks, and a connection whose queue is
// full is closed with 4000 (reconnect). Together these keep an idle participant socket
// near 10 KiB (GOALS G2; BenchmarkIdleConnectionMemory measures it). A room is one
// goroutine per session served by this instance: it
// subscribes to the engine's Broker for the session while it has sockets, rebuilds and
// encodes each snapshot once per audience on a state event, polls the session version to
// push coalesced tallies (at most every FacilitatorTallyEvery / ParticipantTallyEvery per
// activity, only when changed), keeps presence, and sends the version beacon. The same
// encoded bytes (a websocket.PreparedMessage) are written to every socket of an audience.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"pejl/internal/forum"
)

// Config is what a Hub needs. Zero fields take the defaults given with each.
type Config struct {
	// Service holds the rules; required.
	Service *forum.Service
	// Engine is the storage engine under Service, for what the hub reads and writes
	// beside the rules (events, versions, tallies, presence); required.
	Engine Engine
	// Logger; default slog.Default().
	Logger *slog.Logger
	// Instance names this process in presence counts; default "local".
	Instance string
	// CheckOrigin decides whether a browser upgrade's Origin is allowed. The server passes
	// its allowlist check; nil allows only same-host origins (gorilla's default check).
	CheckOrigin func(r *http.Request) bool
	// SendQueue is the per-connection queue length in messages; default 64. A connection
	// whose queue is full is closed with 4000.
	SendQueue int
	// ReadLimit is the largest frame accepted, in bytes; default 16 KiB (larger → 1009).
	ReadLimit int64
	// PingPeriod is how often the server pings (default 25s); PongWait how long it waits
	// for any frame or pong before dropping the connection (default 60s); WriteWait how
	// long one write may take (default 10s).
	PingPeriod, PongWait, WriteWait time.Duration
	// Rate and Burst limit the messages one connection may send; default 20/s, burst 40.
	// Beyond that: error rate_limited once, and close 4002 if it goes on for a second.
	Rate  rate.Limit
	Burst int
	// HelloTimeout is how long a new socket may take to send hello; default 10s (→ 4003).
	HelloTimeout time.Duration
	// BeaconEvery is the period of the version beacon; default 10s.
	BeaconEvery time.Duration
	// StateCheckEvery is how often a room compares the stored session with what it last
	// sent, to repair a lost pub/sub event; default 2s.
	StateCheckEvery time.Duration
	// FacilitatorTallyEvery is both the tally polling period and the shortest interval
	// between two tallies of one activity to facilitators; default 100ms.
	// ParticipantTallyEvery is the shortest interval to participants; default 500ms.
	FacilitatorTallyEvery, ParticipantTallyEvery time.Duration
	// PresenceEvery is how often a room refreshes its presence record even when nothing
	// changed; default 10s (the record lives 3 periods).
	PresenceEvery time.Duration
	// ShutdownWindow is the time over which Shutdown spreads the closing of sockets;
	// default 5s, shortened to half of what the Shutdown context leaves.
	ShutdownWindow time.Duration
	// OpTimeout bounds one engine call made for a client message; default 5s.
	OpTimeout time.Duration
	// RecheckEvery is how often every facilitator socket is authorised again, besides the
	// checks revocation events trigger; default 30s.
	RecheckEvery time.Duration
	// MaxInFlight bounds the client messages being handled at once on this instance;
	// past it, sockets are read no further until a slot frees (backpressure through TCP)
	// instead of piling up work. Default 4096.
	MaxInFlight int
	// Registerer receives the hub's metrics; nil registers none.
	Registerer prometheus.Registerer
}

func (c *Config) defaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Instance == "" {
		c.Instance = "local"
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 64
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = 16 << 10
	}
	def(&c.PingPeriod, 25*time.Second)
	def(&c.PongWait, 60*time.Second)
	def(&c.WriteWait, 10*time.Second)
	if c.Rate <= 0 {
		c.Rate = 20
	}
	if c.Burst <= 0 {
		c.Burst = 40
	}
	def(&c.HelloTimeout, 10*time.Second)
	def(&c.BeaconEvery, 10*time.Second)
	def(&c.StateCheckEvery, 2*time.Second)
	def(&c.FacilitatorTallyEvery, 100*time.Millisecond)
	def(&c.ParticipantTallyEvery, 500*time.Millisecond)
	def(&c.PresenceEvery, 10*time.Second)
	def(&c.ShutdownWindow, 5*time.Second)
	def(&c.OpTimeout, 5*time.Second)
	def(&c.RecheckEvery, 30*time.Second)
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 4096
	}
}

// Engine is what the hub needs of the storage engine: the session's events, its version,
// the tallies and single comments it pushes (shaped for each audience by forum's rules), and
// presence. Every forum.Engine has these methods; their contracts are in forum/store.go.
type Engine interface {
	Subscribe(ctx context.Context, sessionID string, fn func(forum.Event)) error
	Publish(ctx context.Context, ev forum.Event) error
	Version(ctx context.Context, id string) (epoch string, version int64, err error)
	Tally(ctx context.Context, sessionID, activityID string) (map[string]int64, error)
	Comment(ctx context.Context, sessionID, commentID string) (*forum.Comment, error)
	SetPresence(ctx context.Context, sessionID, instance string, total int64, groups map[string]int64, ttl time.Duration) error
	Presence(ctx context.Context, sessionID string) (total int64, groups map[string]int64, err error)
}

// Hub serves the live sockets of this instance.
type Hub struct {
	cfg      Config
	svc      *forum.Service
	eng      Engine
	log      *slog.Logger
	upgrader websocket.Upgrader
	met      *metrics

	// ctx ends when Shutdown is done; rooms and their engine calls derive from it.
	ctx    context.Context
	cancel context.CancelFunc
	// workCtx is the parent of every client message's handling; it ends only when
	// Shutdown runs out of time.
	workCtx    context.Context
	workCancel context.CancelFunc

	mu       sync.Mutex
	draining bool
	conns    map[*conn]struct{}
	rooms    map[string]*room

	// slots holds one token per client message being handled (Config.MaxInFlight).
	slots chan struct{}
	// lanes run the messages of one participant or facilitator in order (lane.go).
	lanesMu sync.Mutex
	lanes   map[laneKey]*lane

	connWG sync.WaitGroup // connection goroutines and their message handlers
	roomWG sync.WaitGroup // room goroutines
}

// New makes a Hub. It starts no goroutine until a socket connects.
func New(cfg Config) *Hub {
	if cfg.Service == nil || cfg.Engine == nil {
		panic("live: Config.Service and Config.Engine are required")
	}
	cfg.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	workCtx, workCancel := context.WithCancel(context.Background())
	h := &Hub{
		cfg: cfg, svc: cfg.Service, eng: cfg.Engine, log: cfg.Logger,
		ctx: ctx, cancel: cancel, workCtx: workCtx, workCancel: workCancel,
		conns: map[*conn]struct{}{},
		rooms: map[string]*room{},
		lanes: map[laneKey]*lane{},
		met:   newMetrics(cfg.Registerer),
		slots: make(chan struct{}, cfg.MaxInFlight),
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   512, // votes are ~150 bytes; larger frames take a few reads
		WriteBufferSize:  4096,
		WriteBufferPool:  &sync.Pool{},
		CheckOrigin:      cfg.CheckOrigin,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			code := "bad_request"
			if status == http.StatusForbidden {
				code = "forbidden"
			}
			writeHTTPError(w, status, code, "The WebSocket upgrade failed: "+reason.Error())
		},
	}
	h.roomWG.Add(1)
	go h.watchRevocations()
	return h
}

// Connections returns the number of open sockets.
func (h *Hub) Connections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// ServeParticipant upgrades a participant's socket for the session with that join code.
// The caller has checked the Origin already (the upgrader checks it again). An unknown
// code is answered after the upgrade with close 4500, so that browsers, which cannot read
// a failed upgrade's status, learn to stop.
func (h *Hub) ServeParticipant(w http.ResponseWriter, r *http.Request, code string) {
	if h.refuseDraining(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.OpTimeout)
	sessionID, err := h.svc.SessionIDByCode(ctx, code)
	cancel()
	h.serve(w, r, &conn{sessionID: sessionID, reqCtx: forum.ClientContext(r.Context())}, err)
}

// ServeFacilitator upgrades the socket of a facilitator (or presenter screen) for a
// session. The caller has authenticated user and checked the Origin. A session the user
// may not see is answered like a missing one, after the upgrade, with close 4500.
func (h *Hub) ServeFacilitator(w http.ResponseWriter, r *http.Request, user *forum.User, sessionID string) {
	if user == nil {
		writeHTTPError(w, http.StatusUnauthorized, "unauthenticated", "Log in first.")
		return
	}
	if h.refuseDraining(w) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.OpTimeout)
	_, err := h.svc.Session(ctx, user, sessionID)
	cancel()
	c := &conn{sessionID: sessionID, user: user, facilitator: true}
	if cred, ok := forum.CredentialFrom(r.Context()); ok {
		c.cred = &cred
	}
	h.serve(w, r, c, err)
}

// refuseDraining answers 503 while the hub shuts down, before any engine call.
func (h *Hub) refuseDraining(w http.ResponseWriter) bool {
	if !h.isDraining() {
		return false
	}
	writeHTTPError(w, http.StatusServiceUnavailable, "unavailable", "The server is restarting; connect again in a moment.")
	return true
}

// serve upgrades the socket after the session lookup: a session that is unknown (or that
// the user may not see) is upgraded and closed with 4500; any other lookup failure is a
// 503 without an upgrade, so that the client retries.
func (h *Hub) serve(w http.ResponseWriter, r *http.Request, c *conn, lookupErr error) {
	closeCode := 0
	if lookupErr != nil {
		if closeCodeFor(lookupErr) != CloseSessionGone {
			writeHTTPError(w, http.StatusServiceUnavailable, "unavailable", forum.ErrorMessage(forum.ErrUnavailable))
			return
		}
		closeCode = CloseSessionGone
	}
	hj := &batchHijacker{ResponseWriter: w}
	ws, err := h.upgrader.Upgrade(hj, r, nil)
	if err != nil {
		return // the upgrader answered
	}
	h.mu.Lock()
	if h.draining {
		h.mu.Unlock()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(CloseRestart, "server restarting"), time.Now().Add(time.Second))
		_ = ws.Close()
		return
	}
	c.init(h, ws, hj.conn)
	h.conns[c] = struct{}{}
	h.connWG.Add(1) // the reader's
	h.mu.Unlock()
	h.met.connections.WithLabelValues(c.role()).Inc()
	c.start()
	if closeCode != 0 {
		c.stop(closeCode, "unknown session", false)
	}
}

func (h *Hub) isDraining() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.draining
}

func (h *Hub) removeConn(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	h.met.connections.WithLabelValues(c.role()).Dec()
}

// Shutdown stops new upgrades (they get 503), asks every socket to reconnect with 1012,
// spreading the closes over ShutdownWindow (or half of what ctx leaves), answers every
// message already being handled before a socket's close frame, and returns when every
// socket and room is gone — or ctx ends, then it drops what is left and returns ctx.Err().
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.draining = true
	conns := make([]*conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()

	window := h.cfg.ShutdownWindow
	if dl, ok := ctx.Deadline(); ok {
		window = min(window, time.Until(dl)/2)
	}
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	hurry := false
	for i, c := range conns {
		if !hurry && len(conns) > 1 && window > 0 {
			at := start.Add(window * time.Duration(i) / time.Duration(len(conns)))
			if d := time.Until(at); d > 0 {
				timer.Reset(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
					hurry = true
				}
			}
		}
		c.stop(CloseRestart, "server restarting", true)
	}

	done := make(chan struct{})
	go func() {
		h.connWG.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
		h.workCancel()
		h.mu.Lock()
		for c := range h.conns {
			_ = c.ws.Close()
		}
		h.mu.Unlock()
		<-done
	}
	h.cancel()
	h.workCancel()
	h.roomWG.Wait()
	return err
}

// writeHTTPError answers a request that is not upgraded, in the API's error shape.
func writeHTTPError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "2")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// errRoomGone is returned to a joiner whose room could not load the session.
var errRoomGone = errors.New("live: room stopped")
