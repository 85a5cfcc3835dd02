package memstore

import (
	"encoding/json"
	"fmt"

	"pejl/internal/forum"
)

// record is one journaled mutation: its inputs, which replay feeds to the same mutation
// on the same state, so that it has the same effect.
type record struct {
	T string `json:"t"` // one of the rec* kinds

	S           string             `json:"s,omitempty"` // session id
	Session     *forum.Session     `json:"session,omitempty"`
	Epoch       string             `json:"epoch,omitempty"`
	Participant *forum.Participant `json:"participant,omitempty"`
	Ops         []forum.VoteOp     `json:"ops,omitempty"`
	ClientID    string             `json:"cid,omitempty"`
	Comment     *forum.Comment     `json:"comment,omitempty"`
	PID         string             `json:"pid,omitempty"`
	CommentID   string             `json:"cmt,omitempty"`
	Hidden      *bool              `json:"hidden,omitempty"`
	Starred     *bool              `json:"starred,omitempty"`

	User    *forum.User          `json:"user,omitempty"`
	Token   *forum.Token         `json:"token,omitempty"`
	UserID  string               `json:"uid,omitempty"`
	TokenID string               `json:"tid,omitempty"`
	Login   *forum.Login         `json:"login,omitempty"`
	Hash    string               `json:"hash,omitempty"`
	Charter *forum.StoredCharter `json:"charter,omitempty"`
}

// Record kinds.
const (
	recCreateSession = "cs"
	recSaveSession   = "ss"
	recDeleteSession = "ds"
	recParticipant   = "ap"
	recVotes         = "v"
	recComment       = "c"
	recUpvote        = "u"
	recFlags         = "f"
	recCreateUser    = "cu"
	recUpdateUser    = "uu"
	recCreateToken   = "ct"
	recDeleteToken   = "dt"
	recCreateLogin   = "cl"
	recDeleteLogin   = "dl"
	recCharter       = "ch"
)

func encode(r *record) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("memstore: encoding a %s record: %w", r.T, err)
	}
	return b, nil
}

// replay applies a journal record to the state. A record was journaled only because its
// mutation succeeded on the state before it, so any failure here means the files do not
// belong together (or a bug): it is reported, never skipped.
func (st *state) replay(r *record) error {
	need := func(ok bool) error {
		if !ok {
			return replayErr("a %q record lacks its data", r.T)
		}
		return nil
	}
	switch r.T {
	case recCreateSession:
		if err := need(r.Session != nil); err != nil {
			return err
		}
		return st.createSession(r.Session, r.Epoch)
	case recSaveSession:
		if err := need(r.Session != nil); err != nil {
			return err
		}
		_, _, err := st.saveSession(r.Session)
		return err
	case recDeleteSession:
		st.deleteSession(r.S)
		return nil
	case recParticipant:
		if err := need(r.Participant != nil); err != nil {
			return err
		}
		_, err := st.addParticipant(r.S, *r.Participant)
		return err
	case recVotes:
		ss := st.sessions[r.S]
		if ss == nil {
			return forum.ErrNotFound
		}
		for i := range r.Ops {
			ss.applyVote(&r.Ops[i])
		}
		return nil
	case recComment:
		if err := need(r.Comment != nil); err != nil {
			return err
		}
		dup, _, err := st.addComment(r.S, r.ClientID, *r.Comment)
		if err == nil && dup {
			return replayErr("comment %s is a duplicate", r.Comment.ID)
		}
		return err
	case recUpvote:
		_, _, _, err := st.upvote(r.S, r.PID, r.CommentID, r.ClientID)
		return err
	case recFlags:
		_, err := st.setCommentFlags(r.S, r.CommentID, r.Hidden, r.Starred)
		return err
	case recCreateUser:
		if err := need(r.User != nil); err != nil {
			return err
		}
		return st.createUser(*r.User)
	case recUpdateUser:
		if err := need(r.User != nil); err != nil {
			return err
		}
		return st.updateUser(*r.User)
	case recCreateToken:
		if err := need(r.Token != nil); err != nil {
			return err
		}
		return st.createToken(*r.Token)
	case recDeleteToken:
		return st.deleteToken(r.UserID, r.TokenID)
	case recCreateLogin:
		if err := need(r.Login != nil); err != nil {
			return err
		}
		st.logins[r.Login.Hash] = *r.Login
		return nil
	case recDeleteLogin:
		delete(st.logins, r.Hash)
		return nil
	case recCharter:
		if err := need(r.Charter != nil); err != nil {
			return err
		}
		_, err := st.saveCharter(*r.Charter)
		return err
	}
	return replayErr("unknown record kind %q", r.T)
}
