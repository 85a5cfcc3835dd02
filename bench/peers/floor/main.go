// Command floor is the benchmark's floor: the least a WebSocket server must do for the
// load generator's scenario, on gorilla/websocket and nothing else. It speaks the subset
// of Pejl's live protocol the generator uses (hello → welcome, vote → ack, goto → state
// to everyone, open → ack, tally to facilitators at most every 100 ms), keeps votes in
// memory only (no durability, no rules, no rate limit), and encodes each broadcast once
// (a PreparedMessage) for every socket. Whatever Pejl costs above this is the price of
// its features; nothing can be cheaper than this on the same machine.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"pejl/bench/peers/peertally"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	stateBytes := flag.Int("state-bytes", 1500, "size of the state message broadcast on goto (padding), to match Pejl's")
	flag.Parse()
	s := &server{parts: map[*conn]struct{}{}, facs: map[*conn]struct{}{}, tally: peertally.New(), stateBytes: *stateBytes}
	go s.tallyLoop()
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/tally", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.tally.View())
	})
	mux.HandleFunc("/ws/participant", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, false) })
	mux.HandleFunc("/ws/facilitator", func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, true) })
	log.Printf("floor listening on %s", *addr)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	WriteBufferPool: &sync.Pool{},
	CheckOrigin:     func(*http.Request) bool { return true },
}

type server struct {
	mu         sync.Mutex
	parts      map[*conn]struct{}
	facs       map[*conn]struct{}
	version    int64
	nextID     atomic.Int64
	tally      *peertally.Tally
	stateBytes int
}

type conn struct {
	ws   *websocket.Conn
	send chan *websocket.PreparedMessage
	raw  chan []byte
	quit chan struct{}
	once sync.Once
	id   string
	fac  bool
}

func (c *conn) stop() { c.once.Do(func() { close(c.quit) }) }

// enqueue never blocks: a full queue drops the connection (as Pejl does).
func (c *conn) enqueueRaw(b []byte) {
	select {
	case c.raw <- b:
	default:
		c.stop()
	}
}

func (c *conn) enqueue(pm *websocket.PreparedMessage) {
	select {
	case c.send <- pm:
	default:
		c.stop()
	}
}

func (s *server) serve(w http.ResponseWriter, r *http.Request, fac bool) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &conn{ws: ws, send: make(chan *websocket.PreparedMessage, 64), raw: make(chan []byte, 64),
		quit: make(chan struct{}), fac: fac, id: "p" + strconv.FormatInt(s.nextID.Add(1), 10)}
	// Like gorilla's chat example: both pumps on their own goroutines, and the handler
	// returns, so that net/http's per-request state is not kept alive for the socket.
	go s.write(c)
	go s.read(c)
}

func (s *server) write(c *conn) {
	defer c.ws.Close()
	for {
		select {
		case <-c.quit:
			return
		case b := <-c.raw:
			_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if c.ws.WriteMessage(websocket.TextMessage, b) != nil {
				c.stop()
				return
			}
		case pm := <-c.send:
			_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if c.ws.WritePreparedMessage(pm) != nil {
				c.stop()
				return
			}
		}
	}
}

type inMsg struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Activity  string          `json:"activity"`
	Statement string          `json:"statement"`
	Value     json.RawMessage `json:"value"`
	Section   string          `json:"section"`
}

func (s *server) read(c *conn) {
	defer func() {
		s.mu.Lock()
		delete(s.parts, c)
		delete(s.facs, c)
		s.mu.Unlock()
		c.stop()
	}()
	c.ws.SetReadLimit(16 << 10)
	hello := false
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var m inMsg
		if json.Unmarshal(data, &m) != nil {
			c.enqueueRaw([]byte(`{"type":"error","code":"bad_message"}`))
			continue
		}
		switch {
		case m.Type == "hello" && !hello:
			hello = true
			s.mu.Lock()
			if c.fac {
				s.facs[c] = struct{}{}
			} else {
				s.parts[c] = struct{}{}
			}
			v := s.version
			s.mu.Unlock()
			c.enqueueRaw([]byte(`{"type":"welcome","participant":"` + c.id + `","version":` + strconv.FormatInt(v, 10) + `}`))
		case !hello:
			c.enqueueRaw([]byte(`{"type":"error","code":"bad_message"}`))
			return
		case m.Type == "vote" && !c.fac:
			s.tally.Vote(c.id, m.Activity, m.Statement, m.Value)
			c.enqueueRaw(ack(m.ID))
		case m.Type == "goto" && c.fac:
			s.broadcastState(m.Section)
			c.enqueueRaw(ack(m.ID))
		case m.Type == "open" && c.fac:
			c.enqueueRaw(ack(m.ID))
		default:
			c.enqueueRaw([]byte(`{"type":"error","id":` + strconv.Quote(m.ID) + `,"code":"forbidden"}`))
		}
	}
}

func ack(id string) []byte { return []byte(`{"type":"ack","id":` + strconv.Quote(id) + `}`) }

// broadcastState encodes the new state once and queues it on every socket.
func (s *server) broadcastState(section string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	b := stateMessage(s.version, section, s.stateBytes)
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return
	}
	for c := range s.parts {
		c.enqueue(pm)
	}
	for c := range s.facs {
		c.enqueue(pm)
	}
}

// stateMessage is {"type":"state","version":v,"session":{"current_section":…,"pad":"…"}}
// of about size bytes, like Pejl's snapshot of a section.
func stateMessage(v int64, section string, size int) []byte {
	head := `{"type":"state","version":` + strconv.FormatInt(v, 10) + `,"session":{"current_section":` + strconv.Quote(section) + `,"pad":"`
	pad := max(0, size-len(head)-3)
	return []byte(head + strings.Repeat("x", pad) + `"}}`)
}

// tallyLoop sends each changed activity's tally to the facilitators at most every 100 ms.
func (s *server) tallyLoop() {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for range t.C {
		for _, b := range s.tally.Changed() {
			pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
			if err != nil {
				continue
			}
			s.mu.Lock()
			for c := range s.facs {
				c.enqueue(pm)
			}
			s.mu.Unlock()
		}
	}
}

// ---- votes, in memory ----

// tally keeps every participant's current vote per (activity, statement) and the counts.
// A JSON array value counts as words (the canary), anything else as a scale value.
