package liveclient

import (
	"encoding/json"
	"fmt"
)

// The message types of the protocol, written from the spec (spec/api-v1.md, "Live:
// WebSocket", and docs/api.md) rather than from the server's own types, so
// that the tests that use this package check the wire format as a stranger reads it.

// Message is any message from the server. Every concrete type below implements it.
type Message interface {
	MessageType() string
}

// Group is one of a session's groups.
type Group struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// Statement is a charter statement.
type Statement struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Section is the current section of a snapshot.
type Section struct {
	ID         string      `json:"id"`
	Title      string      `json:"title"`
	Body       string      `json:"body"`
	Statements []Statement `json:"statements"`
}

// Option is a choice or rank option.
type Option struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// StatementResult is a scale activity's result for one statement.
type StatementResult struct {
	Counts   map[string]int64 `json:"counts"`
	N        int64            `json:"n"`
	Mean     *float64         `json:"mean"`
	Withheld bool             `json:"withheld"`
}

// Comment is a comment as the socket sends it.
type Comment struct {
	ID          string `json:"id"`
	Activity    string `json:"activity"`
	Statement   string `json:"statement"`
	Text        string `json:"text"`
	Upvotes     int64  `json:"upvotes"`
	Hidden      bool   `json:"hidden"`
	Starred     bool   `json:"starred"`
	Pending     bool   `json:"pending"`
	CreatedAt   string `json:"created_at"`
	Participant string `json:"participant"`
	Group       string `json:"group"`
	Mine        bool   `json:"mine"`
	Upvoted     bool   `json:"upvoted"`
}

// Results is the union of the results objects of every kind (spec "Shapes").
type Results struct {
	Statements map[string]StatementResult `json:"statements"` // scale
	Options    map[string]int64           `json:"options"`    // choice
	Points     map[string]int64           `json:"points"`     // rank
	Words      map[string]int64           `json:"words"`      // words
	Comments   []Comment                  `json:"comments"`   // comments
	N          int64                      `json:"n"`
	// Withheld: fewer than MinResponses answered some item, whose figures are left out.
	Withheld     bool  `json:"withheld"`
	MinResponses int64 `json:"min_responses"`
}

// Activity is an activity, with its tally when the server sends one.
type Activity struct {
	ID         string   `json:"id"`
	Kind       string   `json:"kind"`
	Section    string   `json:"section"`
	Prompt     string   `json:"prompt"`
	Statements []string `json:"statements"`
	Min        int      `json:"min"`
	Max        int      `json:"max"`
	Labels     []string `json:"labels"`
	Options    []Option `json:"options"`
	MaxChoices int      `json:"max_choices"`
	K          int      `json:"k"`
	State      string   `json:"state"`
	Results    string   `json:"results"`
	Tally      *Results `json:"tally"`
}

// Snapshot is a participant's view of the session (welcome.session, state.session).
type Snapshot struct {
	ID             string     `json:"id"`
	Title          string     `json:"title"`
	State          string     `json:"state"`
	Language       string     `json:"language"`
	Groups         []Group    `json:"groups"`
	CurrentSection *string    `json:"current_section"`
	Section        *Section   `json:"section"`
	Activities     []Activity `json:"activities"`
}

// Activity returns the snapshot's activity with that id, or nil.
func (s *Snapshot) Activity(id string) *Activity {
	for i := range s.Activities {
		if s.Activities[i].ID == id {
			return &s.Activities[i]
		}
	}
	return nil
}

// MineVote is one of the participant's votes.
type MineVote struct {
	Activity  string          `json:"activity"`
	Statement string          `json:"statement"`
	Value     json.RawMessage `json:"value"`
}

// MineComment is one of the participant's comments.
type MineComment struct {
	ID        string `json:"id"`
	Activity  string `json:"activity"`
	Statement string `json:"statement"`
	Text      string `json:"text"`
}

// Mine is the participant's own votes and comments.
type Mine struct {
	Votes    []MineVote    `json:"votes"`
	Comments []MineComment `json:"comments"`
	Upvoted  []string      `json:"upvoted"`
}

// PresenceCounts are connected participants, in all and per visible group.
type PresenceCounts struct {
	Count  int64            `json:"count"`
	Groups map[string]int64 `json:"groups"`
}

// Welcome answers hello.
type Welcome struct {
	Participant string   `json:"participant"` // resume token (participants)
	Epoch       string   `json:"epoch"`
	Version     int64    `json:"version"`
	Session     Snapshot `json:"session"`
	Mine        *Mine    `json:"mine"` // participants
	// Facilitators:
	Activities []Activity      `json:"activities"`
	Presence   *PresenceCounts `json:"presence"`
	Comments   []Comment       `json:"comments"`
	// The presenter screen: each shown comments activity's comment ids in wall order.
	Walls map[string][]string `json:"walls"`
}

// Wall is the presenter screen's comment wall of one activity: ids in the order shown.
type Wall struct {
	Activity string   `json:"activity"`
	Comments []string `json:"comments"`
}

// State is the session after a change (or answers resync).
type State struct {
	Epoch      string     `json:"epoch"`
	Version    int64      `json:"version"`
	Session    Snapshot   `json:"session"`
	Activities []Activity `json:"activities"` // facilitators
	Mine       *Mine      `json:"mine"`       // a participant's resync
}

// Ack accepts a message.
type Ack struct {
	ID        string `json:"id"`
	Version   int64  `json:"version"`
	CommentID string `json:"comment_id"`
}

// ErrorMsg refuses a message (ID set) or reports a problem. It is an error.
type ErrorMsg struct {
	ID      string `json:"id"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *ErrorMsg) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Tally is an activity's coalesced results.
type Tally struct {
	Activity string  `json:"activity"`
	Version  int64   `json:"version"`
	Results  Results `json:"results"`
	Groups   []struct {
		Group   struct{ ID, Label string } `json:"group"`
		Results Results                    `json:"results"`
	} `json:"groups"`
}

// CommentMsg is a comment to upsert by id (or remove, when Hidden and no text).
type CommentMsg struct {
	Comment Comment `json:"comment"`
}

// Presence is the facilitators' count of connected participants.
type Presence struct {
	PresenceCounts
}

// Beacon carries the version of the newest state.
type Beacon struct {
	Epoch   string `json:"epoch"`
	Version int64  `json:"version"`
}

// Pong answers ping.
type Pong struct{}

// Alert tells facilitators about lost data.
type Alert struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Epoch   string `json:"epoch"`
}

// Unknown is a message of a type this package does not know.
type Unknown struct {
	Type string
	Raw  json.RawMessage
}

func (*Welcome) MessageType() string    { return "welcome" }
func (*State) MessageType() string      { return "state" }
func (*Ack) MessageType() string        { return "ack" }
func (*ErrorMsg) MessageType() string   { return "error" }
func (*Tally) MessageType() string      { return "tally" }
func (*CommentMsg) MessageType() string { return "comment" }
func (*Presence) MessageType() string   { return "presence" }
func (*Beacon) MessageType() string     { return "beacon" }
func (*Pong) MessageType() string       { return "pong" }
func (*Alert) MessageType() string      { return "alert" }
func (*Wall) MessageType() string       { return "wall" }
func (u *Unknown) MessageType() string  { return u.Type }

// Decode parses one server frame into its typed message.
func Decode(data []byte) (Message, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("liveclient: bad frame: %w", err)
	}
	var m Message
	switch head.Type {
	case "welcome":
		m = &Welcome{}
	case "state":
		m = &State{}
	case "ack":
		m = &Ack{}
	case "error":
		m = &ErrorMsg{}
	case "tally":
		m = &Tally{}
	case "comment":
		m = &CommentMsg{}
	case "presence":
		m = &Presence{}
	case "beacon":
		m = &Beacon{}
	case "pong":
		return &Pong{}, nil
	case "alert":
		m = &Alert{}
	case "wall":
		m = &Wall{}
	default:
		return &Unknown{Type: head.Type, Raw: append(json.RawMessage(nil), data...)}, nil
	}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("liveclient: bad %s: %w", head.Type, err)
	}
	return m, nil
}
