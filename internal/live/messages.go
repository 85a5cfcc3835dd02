package live

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"pejl/internal/forum"
)

// Message types, client → server.
const (
	typeHello        = "hello"
	typeVote         = "vote"
	typeComment      = "comment"
	typeUpvote       = "upvote"
	typeResync       = "resync"
	typePing         = "ping"
	typeGoto         = "goto"
	typeOpen         = "open"
	typeClose        = "close"
	typeShowResults  = "show_results"
	typeHideResults  = "hide_results"
	typeModerate     = "moderate"
	typeEnd          = "end"
	typePresent      = "present"
	typeTimer        = "timer"
	typePublish      = "publish"
	typeRound        = "round"
	typeModerateWord = "moderate_word"
)

// inMsg is every client message, flat: each type uses some of the fields. Unknown fields
// are ignored (clients may add their own).
type inMsg struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	// hello
	Participant string `json:"participant"`
	// View "presenter" on a facilitator socket: the projector, given only what the room
	// may see (forum.ForPresenter).
	View  string `json:"view"`
	Name  string `json:"name"`
	Group string `json:"group"`
	// vote, comment, open/close/show_results/hide_results
	Activity  string          `json:"activity"`
	Statement string          `json:"statement"`
	Value     json.RawMessage `json:"value"`
	Text      string          `json:"text"`
	// vote: take the answer back instead (value is ignored)
	Retract bool `json:"retract"`
	// upvote, moderate: a comment id
	Comment string `json:"comment"`
	// goto
	Section string `json:"section"`
	// moderate
	Action string `json:"action"`
	// present
	Stage string `json:"stage"`
	Page  int    `json:"page"`
	// timer
	Seconds int  `json:"seconds"`
	Close   bool `json:"close"`
	// moderate_word
	Word string `json:"word"`
}

// kind says what a message is allowed to be, once decoded.
type kind int

const (
	kindHello kind = iota
	kindParticipant
	kindFacilitator
	kindControl // resync, ping: no id, change nothing
)

var msgKinds = map[string]kind{
	typeHello:        kindHello,
	typeVote:         kindParticipant,
	typeComment:      kindParticipant,
	typeUpvote:       kindParticipant,
	typeResync:       kindControl,
	typePing:         kindControl,
	typeGoto:         kindFacilitator,
	typeOpen:         kindFacilitator,
	typeClose:        kindFacilitator,
	typeShowResults:  kindFacilitator,
	typeHideResults:  kindFacilitator,
	typeModerate:     kindFacilitator,
	typeEnd:          kindFacilitator,
	typePresent:      kindFacilitator,
	typeTimer:        kindFacilitator,
	typePublish:      kindFacilitator,
	typeRound:        kindFacilitator,
	typeModerateWord: kindFacilitator,
}

// decodeError is a message that cannot be handled; id is the message's id when it could
// be read, so that the error answers it.
type decodeError struct {
	id  string
	msg string
}

func (e *decodeError) Error() string { return e.msg }

// decode parses one text frame. A frame that is not one JSON object of a known type, or
// whose id is missing or too long where one is needed, is a *decodeError (answered with
// error bad_message; the connection stays usable).
func decode(data []byte) (*inMsg, kind, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, 0, &decodeError{msg: "Each frame must hold one JSON object."}
	}
	if !utf8.Valid(data) {
		return nil, 0, &decodeError{msg: "Frames must be UTF-8."}
	}
	var err error
	m, ok := decodeFast(data)
	if !ok {
		m = inMsg{}
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		var probe struct {
			ID json.RawMessage `json:"id"`
		}
		id := ""
		if json.Unmarshal(data, &probe) == nil {
			var s string
			if json.Unmarshal(probe.ID, &s) == nil && len(s) <= forum.MaxClientID {
				id = s
			}
		}
		return nil, 0, &decodeError{id: id, msg: "The message is not valid: each field must have the documented JSON type."}
	}
	if len(m.ID) > forum.MaxClientID {
		return nil, 0, &decodeError{msg: "A message id may be at most 64 characters."}
	}
	k, ok := msgKinds[m.Type]
	if !ok {
		return nil, 0, &decodeError{id: m.ID, msg: "Unknown message type \"" + clip(m.Type, 32) + "\"."}
	}
	if (k == kindParticipant || k == kindFacilitator) && m.ID == "" {
		return nil, 0, &decodeError{msg: "A \"" + m.Type + "\" message needs an \"id\" (1–64 characters)."}
	}
	return &m, k, nil
}

// clip shortens s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ---- server → client ----

type ackMsg struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Version int64  `json:"version,omitempty"`
	// CommentID is the id of the comment an ack of "comment" created.
	CommentID string `json:"comment_id,omitempty"`
}

// appendAck appends the JSON of ackMsg{Type: "ack", ID: id, Version: version,
// CommentID: commentID} to b, as json.Marshal would write it (TestAppendAck): the answer
// to every vote, so it is written without reflection.
func appendAck(b []byte, id string, version int64, commentID string) []byte {
	b = append(b, `{"type":"ack","id":`...)
	b = appendJSONString(b, id)
	if version != 0 {
		b = append(b, `,"version":`...)
		b = strconv.AppendInt(b, version, 10)
	}
	if commentID != "" {
		b = append(b, `,"comment_id":`...)
		b = appendJSONString(b, commentID)
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string with encoding/json's escaping: quotes,
// backslashes and control characters; <, > and & as \u003c, \u003e, \u0026; U+2028 and
// U+2029; invalid UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

type errorMsg struct {
	Type    string `json:"type"`
	ID      string `json:"id,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

type participantWelcome struct {
	Type        string          `json:"type"`
	Participant string          `json:"participant"`
	Epoch       string          `json:"epoch"`
	Version     int64           `json:"version"`
	Session     json.RawMessage `json:"session"`
	Mine        *forum.Mine     `json:"mine"`
	Now         int64           `json:"now"`
}

type facilitatorWelcome struct {
	Type       string               `json:"type"`
	Epoch      string               `json:"epoch"`
	Version    int64                `json:"version"`
	Session    json.RawMessage      `json:"session"`
	Activities []forum.ActivityView `json:"activities"`
	Presence   *presenceBody        `json:"presence"`
	Comments   []forum.Comment      `json:"comments"`
	// Walls: for the presenter screen, each comments activity's comment ids in the order
	// the wall shows them (forum.ForPresenter); the screen neither filters nor sorts.
	Walls map[string][]string `json:"walls,omitempty"`
	Now   int64               `json:"now"`
}

// wallMsg gives the presenter screen one comments activity's wall again: the ids of the
// comments the room sees, in the order they are shown. Sent after every change to it.
type wallMsg struct {
	Type     string   `json:"type"`
	Activity string   `json:"activity"`
	Comments []string `json:"comments"`
}

type stateMsg struct {
	Type    string          `json:"type"`
	Epoch   string          `json:"epoch"`
	Version int64           `json:"version"`
	Session json.RawMessage `json:"session"`
	// facilitator only: every activity of the session (tallies come as "tally")
	Activities []forum.Activity `json:"activities,omitempty"`
	// participant resync only
	Mine *forum.Mine `json:"mine,omitempty"`
	// Now is the server's clock (Unix milliseconds) when the message was made, so that
	// clients show a timer's deadline alike whatever their own clocks say.
	Now int64 `json:"now"`
}

type tallyMsg struct {
	Type     string        `json:"type"`
	Activity string        `json:"activity"`
	Version  int64         `json:"version"`
	Results  forum.Results `json:"results"`
	// facilitator only: results per group that passes the anonymity rule
	Groups []forum.GroupResults `json:"groups,omitempty"`
	// facilitator only: how many have answered (see forum.Answered)
	Respondents *int64 `json:"respondents,omitempty"`
}

// commentBody is a comment as a socket client sees it. For participants the author is
// left out; a hidden comment is only {"id","hidden":true}.
type commentBody struct {
	ID          string    `json:"id"`
	Activity    string    `json:"activity,omitempty"`
	Statement   string    `json:"statement,omitempty"`
	Text        string    `json:"text,omitempty"`
	Upvotes     int64     `json:"upvotes"`
	Hidden      bool      `json:"hidden"`
	Starred     bool      `json:"starred"`
	Pending     bool      `json:"pending,omitempty"` // waits for approval: facilitators and its author
	CreatedAt   time.Time `json:"created_at,omitzero"`
	Participant string    `json:"participant,omitempty"` // facilitators only
	Group       string    `json:"group,omitempty"`       // facilitators only
	Mine        bool      `json:"mine,omitempty"`
	Upvoted     bool      `json:"upvoted,omitempty"`
}

type commentMsg struct {
	Type    string `json:"type"`
	Comment any    `json:"comment"` // commentBody, or hiddenComment for participants
}

// hiddenComment tells participants to remove a comment.
type hiddenComment struct {
	ID     string `json:"id"`
	Hidden bool   `json:"hidden"`
}

type presenceBody struct {
	Count  int64            `json:"count"`
	Groups map[string]int64 `json:"groups"`
}

type presenceMsg struct {
	Type string `json:"type"`
	presenceBody
}

type beaconMsg struct {
	Type    string `json:"type"`
	Epoch   string `json:"epoch"`
	Version int64  `json:"version"`
}

// alertMsg tells facilitators something is wrong with the session's data.
type alertMsg struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Epoch   string `json:"epoch,omitempty"`
}

var pongFrame = mustJSON(struct {
	Type string `json:"type"`
}{"pong"})

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only for values of our own types
	}
	return b
}

func fullComment(c *forum.Comment) commentBody {
	return commentBody{ID: c.ID, Activity: c.Activity, Statement: c.Statement, Text: c.Text,
		Upvotes: c.Upvotes, Hidden: c.Hidden, Starred: c.Starred, Pending: c.Pending,
		CreatedAt:   c.CreatedAt,
		Participant: c.Participant, Group: c.Group}
}

// publicComment is the comment as participants see it: without its author, and only
// its id when hidden.
func publicComment(c *forum.Comment, mine, upvoted bool) any {
	if c.Hidden {
		return hiddenComment{ID: c.ID, Hidden: true}
	}
	b := fullComment(c)
	b.Participant, b.Group = "", ""
	b.Mine, b.Upvoted = mine, upvoted
	return b
}

// serverNow is the server's clock for a message's "now", in Unix milliseconds.
func serverNow() int64 { return time.Now().UnixMilli() }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// decodeFast parses the frames phones send most — a vote, compact or spaced, with the
// fields "type", "id", "activity", "statement", "value" (a number or null) and "retract"
// (true or false) — without reflection: ok is false for anything else (another key, a
// key twice, an escape in a string, a value of another shape), which json.Unmarshal then
// decodes as before. FuzzDecode checks that both agree wherever decodeFast answers.
func decodeFast(data []byte) (m inMsg, ok bool) {
	p := fastParser{b: data}
	if !p.take('{') {
		return m, false
	}
	var seen uint8
	if p.take('}') {
		p.space()
		return m, p.i == len(p.b)
	}
	for {
		key, ok := p.str()
		if !ok || !p.take(':') {
			return m, false
		}
		var bit uint8
		var dst *string
		switch key {
		case "type":
			bit, dst = 1, &m.Type
		case "id":
			bit, dst = 2, &m.ID
		case "activity":
			bit, dst = 4, &m.Activity
		case "statement":
			bit, dst = 8, &m.Statement
		case "value":
			bit = 16
		case "retract":
			bit = 32
		default:
			return m, false
		}
		if seen&bit != 0 {
			return m, false // encoding/json keeps the last; leave such frames to it
		}
		seen |= bit
		switch {
		case dst != nil:
			if *dst, ok = p.str(); !ok {
				return m, false
			}
		case bit == 16:
			if m.Value, ok = p.scalar(); !ok {
				return m, false
			}
		default:
			if m.Retract, ok = p.boolean(); !ok {
				return m, false
			}
		}
		if p.take(',') {
			continue
		}
		if p.take('}') {
			p.space()
			return m, p.i == len(p.b)
		}
		return m, false
	}
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// take skips white space and then c, if c is next.
func (p *fastParser) take(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters (the frame is valid UTF-8).
func (p *fastParser) str() (string, bool) {
	if !p.take('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		case c == '\\' || c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// scalar reads null or an integer of at most 9 digits (no fraction, no exponent).
func (p *fastParser) scalar() (json.RawMessage, bool) {
	p.space()
	if bytes.HasPrefix(p.b[p.i:], []byte("null")) {
		p.i += 4
		return json.RawMessage("null"), true // as json.Unmarshal keeps it
	}
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	n := p.i - digits
	if n == 0 || n > 9 || (n > 1 && p.b[digits] == '0') {
		return nil, false
	}
	return json.RawMessage(p.b[start:p.i]), true
}

func (p *fastParser) boolean() (bool, bool) {
	p.space()
	switch {
	case bytes.HasPrefix(p.b[p.i:], []byte("true")):
		p.i += 4
		return true, true
	case bytes.HasPrefix(p.b[p.i:], []byte("false")):
		p.i += 5
		return false, true
	}
	return false, false
}
