// Command centrifuge is the benchmark's reference server, built on
// github.com/centrifugal/centrifuge the way its README and examples build one: a Node with
// its in-memory broker, the library's WebSocket handler and JSON protocol, server-side
// channel subscriptions and RPC. It implements the load generator's scenario in
// centrifuge's own protocol:
//
//   - connect (data {"role":"participant"|"facilitator"}) is the hello; the connect reply
//     is the welcome. Everyone is subscribed server-side to "session"; facilitators also
//     to "fac".
//   - RPC "vote" {activity, statement, value} stores the vote in memory and replies (the
//     ack); RPC "goto" {section} publishes the new state into "session" (one encoding, to
//     every subscriber, by the library's hub); RPC "open" replies.
//   - Every 100 ms, each activity whose votes changed has its tally published into "fac".
//
// Like the floor, it keeps votes in memory only; it is the library's cost that is compared.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/centrifugal/centrifuge"

	"pejl/bench/peers/peertally"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8091", "listen address")
	stateBytes := flag.Int("state-bytes", 1500, "size of the state published on goto (padding), to match Pejl's")
	flag.Parse()
	if err := serve(*addr, *stateBytes); err != nil {
		fmt.Fprintln(os.Stderr, "centrifuge peer:", err)
		os.Exit(1)
	}
}

func serve(addr string, stateBytes int) error {
	node, err := centrifuge.New(centrifuge.Config{LogLevel: centrifuge.LogLevelError,
		LogHandler: func(e centrifuge.LogEntry) { log.Printf("centrifuge: %s %v", e.Message, e.Fields) }})
	if err != nil {
		return err
	}
	t := peertally.New()
	var nextID atomic.Int64
	var version atomic.Int64

	node.OnConnecting(func(ctx context.Context, e centrifuge.ConnectEvent) (centrifuge.ConnectReply, error) {
		var d struct {
			Role string `json:"role"`
		}
		_ = json.Unmarshal(e.Data, &d)
		subs := map[string]centrifuge.SubscribeOptions{"session": {}}
		if d.Role == "facilitator" {
			subs["fac"] = centrifuge.SubscribeOptions{}
		}
		user := "p" + strconv.FormatInt(nextID.Add(1), 10)
		if d.Role == "facilitator" {
			user = "f" + user
		}
		return centrifuge.ConnectReply{Credentials: &centrifuge.Credentials{UserID: user}, Subscriptions: subs}, nil
	})

	node.OnConnect(func(client *centrifuge.Client) {
		facilitator := strings.HasPrefix(client.UserID(), "f")
		client.OnRPC(func(e centrifuge.RPCEvent, cb centrifuge.RPCCallback) {
			var m struct {
				Activity  string          `json:"activity"`
				Statement string          `json:"statement"`
				Value     json.RawMessage `json:"value"`
				Section   string          `json:"section"`
			}
			if err := json.Unmarshal(e.Data, &m); err != nil {
				cb(centrifuge.RPCReply{}, centrifuge.ErrorBadRequest)
				return
			}
			switch {
			case e.Method == "vote" && !facilitator:
				t.Vote(client.UserID(), m.Activity, m.Statement, m.Value)
				cb(centrifuge.RPCReply{}, nil)
			case e.Method == "goto" && facilitator:
				v := version.Add(1)
				if _, err := node.Publish("session", stateMessage(v, m.Section, stateBytes)); err != nil {
					cb(centrifuge.RPCReply{}, centrifuge.ErrorInternal)
					return
				}
				cb(centrifuge.RPCReply{}, nil)
			case e.Method == "open" && facilitator:
				cb(centrifuge.RPCReply{}, nil)
			default:
				cb(centrifuge.RPCReply{}, centrifuge.ErrorPermissionDenied)
			}
		})
	})

	if err := node.Run(); err != nil {
		return err
	}
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for range tick.C {
			for _, b := range t.Changed() {
				_, _ = node.Publish("fac", b)
			}
		}
	}()

	mux := http.NewServeMux()
	mux.Handle("/connection/websocket", centrifuge.NewWebsocketHandler(node, centrifuge.WebsocketConfig{
		ReadBufferSize:     1024,
		WriteBufferSize:    4096,
		UseWriteBufferPool: true,
		CheckOrigin:        func(*http.Request) bool { return true },
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("/tally", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(t.View())
	})
	log.Printf("centrifuge peer listening on %s", addr)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return srv.ListenAndServe()
}

// stateMessage is {"type":"state","version":v,"session":{"current_section":…,"pad":"…"}}
// of about size bytes, like Pejl's snapshot of a section.
func stateMessage(v int64, section string, size int) []byte {
	head := `{"type":"state","version":` + strconv.FormatInt(v, 10) + `,"session":{"current_section":` + strconv.Quote(section) + `,"pad":"`
	pad := max(0, size-len(head)-3)
	return []byte(head + strings.Repeat("x", pad) + `"}}`)
}

// ---- votes, in memory (the same as the floor's) ----
