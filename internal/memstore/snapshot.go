package memstore

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"pejl/internal/forum"
)

// The snapshot, state.snap, is the whole state as a sequence of frames (the journal's
// framing, seq 0): a header naming the journal generation that continues it, the
// sessions (each followed by its members and comments in chunks), the accounts, and an
// end frame. It is written to a temporary file, fsynced and renamed over the old one, so
// it is always whole.

const (
	snapName   = "state.snap"
	snapTemp   = "state.snap.tmp"
	snapChunk  = 512
	snapHeader = "pejl-memstore-snapshot"
)

type snapRecord struct {
	T string `json:"t"` // hdr, sess, members, comments, accounts, end

	Format  string `json:"format,omitempty"`
	Gen     uint64 `json:"gen,omitempty"`
	NextSeq uint64 `json:"next_seq,omitempty"`

	S        string                      `json:"s,omitempty"`
	Session  *forum.Session              `json:"session,omitempty"`
	Epoch    string                      `json:"epoch,omitempty"`
	Version  int64                       `json:"version,omitempty"`
	Tallies  map[string]map[string]int64 `json:"tallies,omitempty"`
	Members  []snapMember                `json:"members,omitempty"`
	Comments []forum.Comment             `json:"comments,omitempty"`

	Users    []forum.User          `json:"users,omitempty"`
	Tokens   []forum.Token         `json:"tokens,omitempty"`
	Logins   []forum.Login         `json:"logins,omitempty"`
	Charters []forum.StoredCharter `json:"charters,omitempty"`

	Count int `json:"count,omitempty"` // end: the number of sessions
}

type snapMember struct {
	ID       string             `json:"id"`
	P        *forum.Participant `json:"p,omitempty"`
	Votes    []forum.Vote       `json:"votes,omitempty"`
	Seen     []string           `json:"seen,omitempty"`
	Upvoted  []string           `json:"upvoted,omitempty"`
	Comments []string           `json:"comments,omitempty"`
}

// writeSnapshot writes st as the snapshot that the journal generation gen continues, and
// makes it durable. Logins expired at now are left out.
func writeSnapshot(dir string, st *state, gen, nextSeq uint64, now time.Time) (err error) {
	tmp := filepath.Join(dir, snapTemp)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("memstore: writing the snapshot: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	var frame []byte
	put := func(r *snapRecord) error {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("memstore: encoding the snapshot: %w", err)
		}
		frame = appendFrame(frame[:0], 0, b)
		_, err = w.Write(frame)
		return err
	}
	if err := put(&snapRecord{T: "hdr", Format: snapHeader, Gen: gen, NextSeq: nextSeq}); err != nil {
		return err
	}
	for _, id := range slices.Sorted(maps.Keys(st.sessions)) {
		ss := st.sessions[id]
		if err := put(&snapRecord{T: "sess", S: id, Session: ss.doc, Epoch: ss.epoch, Version: ss.version, Tallies: ss.tallies}); err != nil {
			return err
		}
		var chunk []snapMember
		for pid, m := range ss.members {
			sm := snapMember{ID: pid, P: m.p, Comments: m.comments}
			for _, v := range m.votes {
				sm.Votes = append(sm.Votes, v)
			}
			for c := range m.seen {
				sm.Seen = append(sm.Seen, c)
			}
			for c := range m.upvoted {
				sm.Upvoted = append(sm.Upvoted, c)
			}
			chunk = append(chunk, sm)
			if len(chunk) == snapChunk {
				if err := put(&snapRecord{T: "members", S: id, Members: chunk}); err != nil {
					return err
				}
				chunk = chunk[:0]
			}
		}
		if len(chunk) > 0 {
			if err := put(&snapRecord{T: "members", S: id, Members: chunk}); err != nil {
				return err
			}
		}
		for i := 0; i < len(ss.comments); i += snapChunk {
			if err := put(&snapRecord{T: "comments", S: id, Comments: ss.comments[i:min(i+snapChunk, len(ss.comments))]}); err != nil {
				return err
			}
		}
	}
	acc := &snapRecord{T: "accounts"}
	for _, u := range st.users {
		acc.Users = append(acc.Users, u)
	}
	for _, t := range st.tokens {
		acc.Tokens = append(acc.Tokens, t)
	}
	for _, l := range st.logins {
		if l.ExpiresAt.After(now) {
			acc.Logins = append(acc.Logins, l)
		}
	}
	for _, c := range st.charters {
		acc.Charters = append(acc.Charters, c)
	}
	if err := put(acc); err != nil {
		return err
	}
	if err := put(&snapRecord{T: "end", Count: len(st.sessions)}); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("memstore: writing the snapshot: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("memstore: syncing the snapshot: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("memstore: writing the snapshot: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, snapName)); err != nil {
		return fmt.Errorf("memstore: installing the snapshot: %w", err)
	}
	return syncDir(dir)
}

// readSnapshot loads the snapshot, if there is one. gen is 0 when there is none.
func readSnapshot(dir string) (st *state, gen, nextSeq uint64, err error) {
	path := filepath.Join(dir, snapName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return newState(), 0, 1, nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("memstore: reading the snapshot: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("memstore: the snapshot %s is damaged: %s", path, fmt.Sprintf(format, args...))
	}
	st = newState()
	var hdr [frameHeader]byte
	var payload []byte
	for n := 0; ; n++ {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, 0, 0, bad("it ends after %d frames without an end frame", n)
		}
		size := binary.LittleEndian.Uint32(hdr[4:8])
		if [4]byte(hdr[:4]) != frameMagic || size == 0 || size > maxPayload {
			return nil, 0, 0, bad("frame %d has a bad header", n)
		}
		payload = slices.Grow(payload[:0], int(size))[:size]
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, 0, 0, bad("frame %d is cut short", n)
		}
		crc := crc32.Update(crc32.Update(0, castagnoli, hdr[12:20]), castagnoli, payload)
		if crc != binary.LittleEndian.Uint32(hdr[8:12]) {
			return nil, 0, 0, bad("frame %d fails its checksum", n)
		}
		var rec snapRecord
		if err := json.Unmarshal(payload, &rec); err != nil {
			return nil, 0, 0, bad("frame %d: %v", n, err)
		}
		if n == 0 {
			if rec.T != "hdr" || rec.Format != snapHeader || rec.Gen == 0 {
				return nil, 0, 0, bad("it does not start with a header")
			}
			gen, nextSeq = rec.Gen, rec.NextSeq
			continue
		}
		if rec.T == "end" {
			if rec.Count != len(st.sessions) {
				return nil, 0, 0, bad("it holds %d sessions, its end frame says %d", len(st.sessions), rec.Count)
			}
			return st, gen, nextSeq, nil
		}
		if err := st.restore(&rec); err != nil {
			return nil, 0, 0, bad("frame %d: %v", n, err)
		}
	}
}

// restore adds one snapshot frame to the state.
func (st *state) restore(r *snapRecord) error {
	switch r.T {
	case "sess":
		if r.Session == nil {
			return errors.New("a session frame without its session")
		}
		ss := newSession(r.Session, r.Epoch)
		ss.version = r.Version
		for a, t := range r.Tallies {
			if t == nil {
				t = map[string]int64{}
			}
			ss.tallies[a] = t
		}
		st.sessions[r.S] = ss
		st.codes[r.Session.Code] = r.S
	case "members":
		ss := st.sessions[r.S]
		if ss == nil {
			return fmt.Errorf("members of an unknown session %q", r.S)
		}
		for _, sm := range r.Members {
			m := ss.member(sm.ID)
			m.p = sm.P
			if sm.P != nil {
				ss.tokens[sm.P.TokenHash] = sm.ID
				ss.total++
				if sm.P.Group != "" {
					ss.groups[sm.P.Group]++
				}
			}
			for _, v := range sm.Votes {
				m.votes[voteKey(v.Activity, v.Statement)] = v
			}
			for _, c := range sm.Seen {
				m.seen[c] = struct{}{}
			}
			for _, c := range sm.Upvoted {
				m.upvoted[c] = struct{}{}
			}
			m.comments = sm.Comments
		}
	case "comments":
		ss := st.sessions[r.S]
		if ss == nil {
			return fmt.Errorf("comments of an unknown session %q", r.S)
		}
		for _, c := range r.Comments {
			ss.commentIdx[c.ID] = len(ss.comments)
			ss.comments = append(ss.comments, c)
		}
	case "accounts":
		for _, u := range r.Users {
			st.users[u.ID] = u
			st.emails[foldEmail(u.Email)] = u.ID
		}
		for _, t := range r.Tokens {
			st.tokens[t.ID] = t
			st.byHash[t.Hash] = t.ID
		}
		for _, l := range r.Logins {
			st.logins[l.Hash] = l
		}
		for _, c := range r.Charters {
			st.charters[c.ID] = c
		}
	default:
		return fmt.Errorf("unknown frame kind %q", r.T)
	}
	return nil
}
