// Package forumtest holds the contract suites every engine must pass — RunEngine for the
// forum.Engine contract in forum/store.go, RunService for forum.Service end to end over an
// engine — and the fixtures they use. An engine's own tests call both:
//
//	func TestEngine(t *testing.T)  { forumtest.RunEngine(t, newEngine) }
//	func TestService(t *testing.T) { forumtest.RunService(t, newEngine) }
//
// newEngine makes a fresh, empty engine for one subtest and closes it in t.Cleanup.
//
// Where store.go leaves a choice open, RunEngine holds engines to these readings:
//
//   - documents are copies: changing a session passed to or returned by the engine does not
//     change what it stores;
//   - a VoteResult that did not apply carries the unchanged version; every applied op gets a
//     version of its own (strictly increasing);
//   - a repeated ClientID is VoteDuplicate even if the activity closed since;
//   - AddParticipant of an id already added changes nothing (nil or ErrConflict), and of an
//     unknown session is ErrNotFound; a vote in a deleted session brings nothing back
//     (an error, or VoteClosed);
//   - reads of a missing session's collections (tallies, votes, comments, counts, scans)
//     are empty or ErrNotFound; single records (Session, Comment, ParticipantByToken,
//     Version, SessionIDByCode) are ErrNotFound;
//   - a duplicate AddComment leaves the version alone; a failed Upvote (unknown comment)
//     records no client id;
//   - UpdateUser may change the email: UserByEmail then finds the new one, not the old;
//   - DeleteToken of a token already deleted is ErrNotFound;
//   - a tally may keep fields that went back to zero.
package forumtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"pejl/internal/forum"
)

// T0 is the fixtures' clock: every time they make is T0 plus an offset, in UTC and whole
// milliseconds, so that it survives any encoding an engine uses.
var T0 = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

// Activity ids of the fixture session.
const (
	ActScale    = "a-scale"    // scale 1–5 over statements st1, st2, st3; open
	ActChoice   = "a-choice"   // choice of o1, o2, o3, at most 2; open
	ActClosed   = "a-closed"   // scale 1–5 over st1; closed
	ActComments = "a-comments" // comments; open
)

var (
	codeSeq  atomic.Int64
	codeBase = rand.Int64N(100000000)
)

// NewCode returns an 8-digit session code no other fixture used in this process.
func NewCode() string {
	return fmt.Sprintf("%08d", (codeBase+codeSeq.Add(1)*7919)%100000000)
}

// NewSession returns a session document, not yet stored, with the fixture activities, the
// groups "g1" and "g2", and a fresh id and code.
func NewSession(owner string) *forum.Session {
	n := codeSeq.Add(1)
	return &forum.Session{
		ID:                 fmt.Sprintf("sess%d%s", n, forum.NewID(4)),
		Code:               NewCode(),
		Title:              "Fixture " + fmt.Sprint(n),
		CharterID:          "fixture-charter",
		Language:           "da",
		Owner:              owner,
		State:              forum.StateLive,
		CurrentSection:     "s1",
		Groups:             []forum.Group{{ID: "g1", Label: "Ledere"}, {ID: "g2", Label: "Medarbejdere"}},
		AnonymityThreshold: 5,
		CreatedAt:          T0,
		Activities: []forum.Activity{
			{ID: ActScale, Kind: forum.KindScale, Section: "s1", Prompt: "Hvor godt?",
				Statements: []string{"st1", "st2", "st3"}, Min: 1, Max: 5,
				State: forum.ActivityOpen, Results: forum.ResultsHidden},
			{ID: ActChoice, Kind: forum.KindChoice, Section: "s1", Prompt: "Vælg",
				Options:    []forum.Option{{ID: "o1", Label: "En"}, {ID: "o2", Label: "To"}, {ID: "o3", Label: "Tre"}},
				MaxChoices: 2, State: forum.ActivityOpen, Results: forum.ResultsHidden},
			{ID: ActClosed, Kind: forum.KindScale, Section: "s1", Prompt: "Lukket",
				Statements: []string{"st1"}, Min: 1, Max: 5,
				State: forum.ActivityClosed, Results: forum.ResultsHidden},
			{ID: ActComments, Kind: forum.KindComments, Section: "s1", Prompt: "Kommentér",
				State: forum.ActivityOpen, Results: forum.ResultsHidden},
		},
	}
}

// CreateSession stores a fixture session in e and returns it (with Rev set).
func CreateSession(t TB, e forum.Engine, owner string) *forum.Session {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	s := NewSession(owner)
	if err := e.CreateSession(context.Background(), s); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	return s
}

// MakeVote builds the vote a Service would build: the value in normal form and its
// contribution to the tally, per group too when group is not "". It panics on a value the
// activity does not accept (fixtures only make valid ones).
func MakeVote(sess *forum.Session, participant, group, activity, statement string, value any, at time.Duration) forum.Vote {
	a, ok := sess.Activity(activity)
	if !ok {
		panic("forumtest: no activity " + activity)
	}
	raw, err := json.Marshal(value)
	if err != nil {
		panic(err)
	}
	v, contrib, err := forum.ValueOf(a, statement, raw)
	if err != nil {
		panic(fmt.Sprintf("forumtest: %s %s %s: %v", activity, statement, raw, err))
	}
	if group != "" {
		for _, d := range slices.Clone(contrib) {
			contrib = append(contrib, forum.Delta{Field: "g/" + group + "/" + d.Field, N: d.N})
		}
	}
	if a.Kind != forum.KindScale {
		statement = ""
	}
	return forum.Vote{Participant: participant, Group: group, Activity: activity, Statement: statement,
		Value: v, UpdatedAt: T0.Add(at), Contrib: contrib}
}

// ScaleOp is a VoteOp on the fixture's scale activity.
func ScaleOp(sess *forum.Session, clientID, participant, statement string, value int) forum.VoteOp {
	return forum.VoteOp{ClientID: clientID, Vote: MakeVote(sess, participant, "", ActScale, statement, value, 0)}
}

// NewComment returns a comment by participant on the fixture's comments activity.
func NewComment(participant, text string, at time.Duration) forum.Comment {
	return forum.Comment{ID: "c" + forum.NewID(6), Activity: ActComments, Participant: participant,
		Text: text, CreatedAt: T0.Add(at)}
}

// TallyOf sums the contributions of votes to one activity's tally, without "_v" and
// without zero fields.
func TallyOf(votes []forum.Vote, activity string) map[string]int64 {
	out := map[string]int64{}
	for _, v := range votes {
		if v.Activity != activity {
			continue
		}
		for _, d := range v.Contrib {
			out[d.Field] += d.N
		}
	}
	return Counts(out)
}

// Counts returns a tally without "_v" and without zero fields, for comparing.
func Counts(tally map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for f, n := range tally {
		if f != "_v" && n != 0 {
			out[f] = n
		}
	}
	return out
}

// TB is what the fixtures need of *testing.T, *testing.B and *rapid.T.
type TB interface {
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// sameJSON reports whether two values encode to the same JSON.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// notFoundOrEmpty checks a read of something that was deleted or never existed: either
// ErrNotFound or no error.
func notFoundOrEmpty(t TB, what string, err error) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	if err != nil && !errors.Is(err, forum.ErrNotFound) {
		t.Errorf("%s: err = %v, want nil or ErrNotFound", what, err)
	}
}

func wantErr(t TB, what string, err, want error) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

func noErr(t TB, what string, err error) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func voteKey(v forum.Vote) string {
	return v.Participant + "|" + v.Activity + "|" + v.Statement
}

// allVotes collects ScanVotes sorted by participant, activity and statement.
func allVotes(t TB, e forum.Engine, sessionID string) []forum.Vote {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	var out []forum.Vote
	noErr(t, "ScanVotes", e.ScanVotes(context.Background(), sessionID, func(v forum.Vote) error {
		out = append(out, v)
		return nil
	}))
	slices.SortFunc(out, func(a, b forum.Vote) int { return strings.Compare(voteKey(a), voteKey(b)) })
	return out
}

func statusName(s forum.VoteStatus) string {
	switch s {
	case forum.VoteApplied:
		return "applied"
	case forum.VoteDuplicate:
		return "duplicate"
	case forum.VoteClosed:
		return "closed"
	}
	return fmt.Sprintf("status(%d)", int(s))
}
