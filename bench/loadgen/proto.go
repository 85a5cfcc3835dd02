package main

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The generator speaks two wire protocols. Pejl's own (spec/api-v1.md, "Live: WebSocket"),
// which the floor peer speaks too, and centrifuge's JSON client protocol, for the reference
// peer built on github.com/centrifugal/centrifuge. A protocol only frames messages and
// classifies what arrives; the scenario is the same for every target.

type evKind int

const (
	evOther   evKind = iota
	evWelcome        // the handshake is done
	evAck            // a message with our seq was accepted
	evError          // a message with our seq (0: none) was refused
	evState          // a new session state (after goto)
	evTally          // a tally (facilitator)
	evPing           // an application-level ping that must be answered (centrifuge)
)

type event struct {
	kind evKind
	seq  uint32 // ack/error: the seq of the message it answers (0: none or not ours)
	code string // error code
	raw  []byte // state/tally: the message (for centrifuge: the publication's data)
}

type protocol interface {
	// hello is the first message on a socket. seq identifies it for protocols whose
	// handshake reply carries an id.
	hello(seq uint32, facilitator bool) []byte
	// vote is a vote on a statement (scale) or with a raw JSON value.
	vote(seq uint32, activity, statement string, value []byte) []byte
	// command is a facilitator message with one field, e.g. goto/section.
	command(seq uint32, typ, field, val string) []byte
	// parse classifies one frame (which may hold several messages).
	parse(frame []byte, fn func(event))
	// pong answers an evPing.
	pong() []byte
}

// ---- Pejl (and the floor peer) ----

type pejlProto struct{}

func (pejlProto) hello(uint32, bool) []byte { return []byte(`{"type":"hello"}`) }

// Message ids are "m<seq>": unique per participant (every participant of a run is new).
func (pejlProto) vote(seq uint32, activity, statement string, value []byte) []byte {
	b := make([]byte, 0, 96+len(value))
	b = append(b, `{"type":"vote","id":"m`...)
	b = strconv.AppendUint(b, uint64(seq), 10)
	b = append(b, `","activity":`...)
	b = strconv.AppendQuote(b, activity)
	if statement != "" {
		b = append(b, `,"statement":`...)
		b = strconv.AppendQuote(b, statement)
	}
	b = append(b, `,"value":`...)
	b = append(b, value...)
	return append(b, '}')
}

func (pejlProto) command(seq uint32, typ, field, val string) []byte {
	b := make([]byte, 0, 64)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, typ)
	b = append(b, `,"id":"m`...)
	b = strconv.AppendUint(b, uint64(seq), 10)
	b = append(b, '"')
	if field != "" {
		b = append(b, ',')
		b = strconv.AppendQuote(b, field)
		b = append(b, ':')
		b = strconv.AppendQuote(b, val)
	}
	return append(b, '}')
}

func (pejlProto) pong() []byte { return nil }

var typePrefix = []byte(`{"type":"`)

// parse reads the type from the front of the frame when the server wrote it first (Pejl's
// messages are Go structs with Type first), and falls back to decoding otherwise. Big
// frames (state) are never decoded here: the scenario looks only for the section id.
func (pejlProto) parse(frame []byte, fn func(event)) {
	var typ, id, code string
	if bytes.HasPrefix(frame, typePrefix) {
		rest := frame[len(typePrefix):]
		if i := bytes.IndexByte(rest, '"'); i >= 0 {
			typ = string(rest[:i])
		}
	}
	if typ == "" || typ == "ack" || typ == "error" {
		var m struct {
			Type string `json:"type"`
			ID   string `json:"id"`
			Code string `json:"code"`
		}
		if json.Unmarshal(frame, &m) != nil {
			fn(event{kind: evOther})
			return
		}
		typ, id, code = m.Type, m.ID, m.Code
	}
	switch typ {
	case "welcome":
		fn(event{kind: evWelcome, raw: frame})
	case "ack":
		fn(event{kind: evAck, seq: seqOf(id)})
	case "error":
		fn(event{kind: evError, seq: seqOf(id), code: code})
	case "state":
		fn(event{kind: evState, raw: frame})
	case "tally":
		fn(event{kind: evTally, raw: frame})
	default:
		fn(event{kind: evOther})
	}
}

// seqOf reads "m<seq>"; 0 for anything else.
func seqOf(id string) uint32 {
	if len(id) < 2 || id[0] != 'm' {
		return 0
	}
	n, err := strconv.ParseUint(id[1:], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// ---- centrifuge's JSON protocol (github.com/centrifugal/protocol) ----
//
// hello → {"id":1,"connect":{"data":{"role":…}}}; the connect reply is the welcome, and
// the peer subscribes the connection server-side to "session" (and "fac" for the
// facilitator). vote/goto/open are RPCs; their reply is the ack. A goto publishes the new
// state into "session"; tallies are published into "fac". Replies may be batched into one
// frame, one per line. An empty object is the server's ping; the client answers {}.

type centrifugeProto struct{}

func (centrifugeProto) hello(seq uint32, facilitator bool) []byte {
	role := "participant"
	if facilitator {
		role = "facilitator"
	}
	b := []byte(`{"id":`)
	b = strconv.AppendUint(b, uint64(seq), 10)
	return append(b, `,"connect":{"data":{"role":"`+role+`"}}}`...)
}

func (centrifugeProto) vote(seq uint32, activity, statement string, value []byte) []byte {
	b := make([]byte, 0, 112+len(value))
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, uint64(seq), 10)
	b = append(b, `,"rpc":{"method":"vote","data":{"activity":`...)
	b = strconv.AppendQuote(b, activity)
	if statement != "" {
		b = append(b, `,"statement":`...)
		b = strconv.AppendQuote(b, statement)
	}
	b = append(b, `,"value":`...)
	b = append(b, value...)
	return append(b, "}}}"...)
}

func (centrifugeProto) command(seq uint32, typ, field, val string) []byte {
	b := []byte(`{"id":`)
	b = strconv.AppendUint(b, uint64(seq), 10)
	b = append(b, `,"rpc":{"method":`...)
	b = strconv.AppendQuote(b, typ)
	b = append(b, `,"data":{`...)
	if field != "" {
		b = strconv.AppendQuote(b, field)
		b = append(b, ':')
		b = strconv.AppendQuote(b, val)
	}
	return append(b, "}}}"...)
}

func (centrifugeProto) pong() []byte { return []byte(`{}`) }

var (
	cfIDPrefix   = []byte(`{"id":`)
	cfPushPrefix = []byte(`{"push":{"channel":"`)
	cfError      = []byte(`"error":`)
	cfConnect    = []byte(`"connect":`)
)

func (centrifugeProto) parse(frame []byte, fn func(event)) {
	for len(frame) > 0 {
		line := frame
		if i := bytes.IndexByte(frame, '\n'); i >= 0 {
			line, frame = frame[:i], frame[i+1:]
		} else {
			frame = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		parseCentrifugeLine(line, fn)
	}
}

func parseCentrifugeLine(line []byte, fn func(event)) {
	switch {
	case bytes.Equal(line, []byte("{}")):
		fn(event{kind: evPing})
	case bytes.HasPrefix(line, cfIDPrefix):
		rest := line[len(cfIDPrefix):]
		end := 0
		for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
			end++
		}
		n, _ := strconv.ParseUint(string(rest[:end]), 10, 32)
		rest = rest[end:]
		switch {
		case bytes.HasPrefix(rest, []byte(","+string(cfError))):
			var m struct {
				Error struct {
					Code int `json:"code"`
				} `json:"error"`
			}
			_ = json.Unmarshal(line, &m)
			fn(event{kind: evError, seq: uint32(n), code: "centrifuge_" + strconv.Itoa(m.Error.Code)})
		case bytes.HasPrefix(rest, []byte(","+string(cfConnect))):
			fn(event{kind: evWelcome, seq: uint32(n), raw: line})
		default:
			fn(event{kind: evAck, seq: uint32(n)})
		}
	case bytes.HasPrefix(line, cfPushPrefix):
		rest := line[len(cfPushPrefix):]
		switch {
		case bytes.HasPrefix(rest, []byte(`session"`)):
			// The state: the scenario only looks for the section id in it.
			fn(event{kind: evState, raw: line})
		case bytes.HasPrefix(rest, []byte(`fac"`)):
			var m struct {
				Push struct {
					Pub struct {
						Data json.RawMessage `json:"data"`
					} `json:"pub"`
				} `json:"push"`
			}
			if json.Unmarshal(line, &m) == nil && len(m.Push.Pub.Data) > 0 {
				fn(event{kind: evTally, raw: m.Push.Pub.Data})
				return
			}
			fn(event{kind: evOther})
		default:
			fn(event{kind: evOther})
		}
	default:
		fn(event{kind: evOther})
	}
}
