// Package memstore is Pejl's embedded engine: the whole state in memory, durable in a
// data directory, fan-out within the process. It implements forum.Engine for a single
// instance with nothing else installed.
//
// Durability: every mutation is a record in an append-only journal (journal.go), written
// by one goroutine with group commit; a call that changes something returns only once its
// record is fsynced, and a call that finds nothing to change (a duplicate) returns only
// once everything it saw is. Open replays the snapshot and the journal; a torn tail left
// by a crash is cut off with a warning, damage before the tail is an error. When the
// journal passes Options.CompactBytes the store writes a snapshot (snapshot.go) and starts
// a fresh journal. A flock on the directory keeps a second process out.
//
// After a journal write or fsync fails the store refuses every write (ErrUnavailable) and
// Ping fails: what is in memory may then hold changes that are not on disk. Every second it
// then tries to recover as a restart would, without one: once the directory takes a test
// write again (space is back), it reloads the state from the snapshot and the journal (a
// torn tail cut off) and opens the journal again. Ping also fails while a journal write has
// been stuck for longer than Options.StallAfter (a frozen disk).
package memstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"pejl/internal/forum"
)

var _ forum.Engine = (*Store)(nil)

// Options configure a Store. The zero value is usable.
type Options struct {
	// Logger receives the store's warnings (a torn journal tail dropped) and errors (a
	// failed write). Default slog.Default().
	Logger *slog.Logger
	// Now is the clock for login expiry, rate limits and presence. Default time.Now.
	Now func() time.Time
	// CompactBytes is the journal size past which the store writes a snapshot and starts
	// a fresh journal. Default 64 MiB.
	CompactBytes int64
	// SyncDelay is how long the journal writer waits after the first pending record before
	// it writes and fsyncs, to gather more into one fsync. Default 0: records pending while
	// an fsync runs already share the next one.
	SyncDelay time.Duration
	// StallAfter is how long a journal write may take before Ping reports the store as not
	// ready. Default 2s.
	StallAfter time.Duration
	// RecoverEvery is how often a store whose journal failed tries to recover. Default 1s.
	RecoverEvery time.Duration
}

// Store is the embedded engine. It is safe for concurrent use.
type Store struct {
	dir  string
	opts Options
	log  *slog.Logger
	lock *os.File

	mu     sync.RWMutex
	st     *state
	closed bool

	j *journal

	compactCh chan struct{}
	compactMu sync.Mutex // one compaction at a time
	quit      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	broker   broker
	limiter  limiter
	shared   sharedKeys
	presence presence
}

// Open opens (creating if needed) the data directory dir, loads the state it holds and
// starts the journal writer. Only one Store, in one process, may have a directory open.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CompactBytes <= 0 {
		opts.CompactBytes = 64 << 20
	}
	if opts.StallAfter <= 0 {
		opts.StallAfter = 2 * time.Second
	}
	if opts.RecoverEvery <= 0 {
		opts.RecoverEvery = time.Second
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("memstore: creating the data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, opts: opts, log: opts.Logger, lock: lock,
		compactCh: make(chan struct{}, 1), quit: make(chan struct{})}
	s.broker.init()
	s.limiter.init()
	s.presence.init()
	start := time.Now()
	st, gen, nextSeq, err := load(dir, s.log)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.st = st
	s.j, err = openJournal(dir, gen, nextSeq, s.log, opts.CompactBytes, opts.SyncDelay, s.askCompaction)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.wg.Add(1)
	go s.compactLoop()
	s.log.Info("memstore: opened", "dir", dir, "sessions", len(st.sessions), "journal", journalName(gen),
		"took", time.Since(start).Round(time.Millisecond))
	return s, nil
}

// lockDir takes an exclusive flock on dir/LOCK, held until the file is closed.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("memstore: opening the lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("memstore: the data directory %s is in use by another Pejl process (it holds %s); stop it or choose another PEJL_DATA_DIR", dir, path)
		}
		return nil, fmt.Errorf("memstore: locking %s: %w", path, err)
	}
	return f, nil
}

// load reads the snapshot and replays the journals after it. It returns the state, the
// journal generation to append to and the next batch seq.
func load(dir string, log *slog.Logger) (*state, uint64, uint64, error) {
	_ = os.Remove(filepath.Join(dir, snapTemp)) // an unfinished snapshot
	st, snapGen, nextSeq, err := readSnapshot(dir)
	if err != nil {
		return nil, 0, 0, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("memstore: reading the data directory: %w", err)
	}
	var gens []uint64
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), "journal-")
		if !ok {
			continue
		}
		name, ok = strings.CutSuffix(name, ".log")
		g, err := strconv.ParseUint(name, 10, 64)
		if !ok || err != nil || g == 0 {
			continue
		}
		if g < snapGen {
			// Already in the snapshot: left over from a compaction cut short.
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return nil, 0, 0, fmt.Errorf("memstore: removing an old journal: %w", err)
			}
			continue
		}
		gens = append(gens, g)
	}
	slices.Sort(gens)
	for i, g := range gens {
		want := snapGen + uint64(i)
		if snapGen == 0 {
			want = 1 + uint64(i)
		}
		if g != want {
			return nil, 0, 0, fmt.Errorf("memstore: %s is missing from %s (the journal after the snapshot must be whole)", journalName(want), dir)
		}
	}
	lastSeq := nextSeq - 1
	for i, g := range gens {
		if err := replayFile(filepath.Join(dir, journalName(g)), st, &lastSeq, i == len(gens)-1, log); err != nil {
			return nil, 0, 0, err
		}
	}
	gen := max(snapGen, 1)
	if len(gens) > 0 {
		gen = gens[len(gens)-1]
	}
	return st, gen, lastSeq + 1, nil
}

// replayFile applies one journal file's records to st. lastSeq is the seq of the last
// record applied before (updated). In the last file a damaged tail is what a crash in the
// middle of a write leaves: it is cut off, with a warning. Damage anywhere else — or a
// damaged record followed by records of a later group commit, which was written only after
// the damaged one had been fsynced — is an error.
func replayFile(path string, st *state, lastSeq *uint64, last bool, log *slog.Logger) error {
	buf, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("memstore: reading the journal: %w", err)
	}
	off, n := 0, 0
	for off < len(buf) {
		seq, payload, next, ok := parseFrame(buf, off)
		if !ok {
			break
		}
		if seq < *lastSeq {
			return fmt.Errorf("memstore: %s is damaged: record %d at offset %d is out of order", path, n, off)
		}
		var r record
		if err := json.Unmarshal(payload, &r); err != nil {
			return fmt.Errorf("memstore: %s: record %d at offset %d: %w", path, n, off, err)
		}
		if err := st.replay(&r); err != nil {
			return fmt.Errorf("memstore: %s: record %d (%s) at offset %d does not apply: %w", path, n, r.T, off, err)
		}
		*lastSeq = seq
		off, n = next, n+1
	}
	if off == len(buf) {
		return nil
	}
	if !last {
		return fmt.Errorf("memstore: %s is damaged at offset %d (record %d), and it is not the last journal", path, off, n)
	}
	if later, ok := maxSeqAfter(buf, off+1); ok && later > *lastSeq+1 {
		return fmt.Errorf("memstore: %s is damaged at offset %d (record %d): intact records of later writes follow, so this is not a torn tail; restore the data directory from a backup or move the damaged journal away", path, off, n)
	}
	log.Warn("memstore: dropping a torn journal tail (a write cut short by a crash; it was never acknowledged)",
		"file", path, "offset", off, "bytes", len(buf)-off, "records", n)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("memstore: truncating the torn tail: %w", err)
	}
	defer f.Close()
	if err := f.Truncate(int64(off)); err != nil {
		return fmt.Errorf("memstore: truncating the torn tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("memstore: truncating the torn tail: %w", err)
	}
	return nil
}

// Close commits pending writes, stops the store's goroutines (subscriptions end) and
// releases the directory.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		err := s.j.close()
		close(s.quit)
		s.broker.close()
		s.wg.Wait()
		if lerr := s.lock.Close(); err == nil {
			err = lerr
		}
		s.closeErr = err
		s.log.Info("memstore: closed", "dir", s.dir)
	})
	return s.closeErr
}

// Ping reports whether the store takes writes: not closed, the journal not failed, and no
// journal write stuck for longer than StallAfter.
func (s *Store) Ping(ctx context.Context) error {
	s.mu.RLock()
	closed, j := s.closed, s.j
	s.mu.RUnlock()
	if closed {
		return errClosed
	}
	if err := j.failed(); err != nil {
		return err
	}
	if d := j.stalledFor(time.Now()); d > s.opts.StallAfter {
		return fmt.Errorf("memstore: a journal write has been stuck for %v: %w", d.Round(time.Millisecond), forum.ErrUnavailable)
	}
	return nil
}

func (s *Store) now() time.Time { return s.opts.Now() }

// write runs one mutation: fn changes the state under the lock and reports whether it
// changed anything; if it did, rec is journaled. Either way write returns once everything
// fn saw is durable, so that no caller acknowledges what a crash could still take back.
func (s *Store) write(ctx context.Context, rec *record, fn func(st *state) (changed bool, err error)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: %w (%v)", forum.ErrUnavailable, err)
	}
	payload, err := encode(rec)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	if err := s.j.failed(); err != nil {
		s.mu.Unlock()
		return err
	}
	changed, err := fn(s.st)
	j := s.j
	var b *batch
	switch {
	case err != nil:
	case changed:
		b, err = j.append(payload)
	default:
		b = j.tail()
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return j.wait(ctx, b)
}

// durable waits until everything in the state now is durable (for reads whose answer the
// caller acknowledges, like SeenClientID).
func (s *Store) durable(ctx context.Context) error {
	s.mu.RLock()
	j := s.j
	b := j.tail()
	s.mu.RUnlock()
	return j.wait(ctx, b)
}

// ---- compaction ----

func (s *Store) askCompaction() {
	select {
	case s.compactCh <- struct{}{}:
	default:
	}
}

// compactLoop compacts when asked, and recovers a failed journal; one goroutine does both,
// so that they never overlap.
func (s *Store) compactLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(s.opts.RecoverEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-s.compactCh:
			if err := s.compact(); err != nil {
				// The journals stay; the next compaction tries again.
				s.log.Error("memstore: compaction failed", "dir", s.dir, "err", err)
			}
			s.j.compactionDone()
		case <-tick.C:
			s.recoverJournal()
		}
	}
}

// recoverJournal brings a store whose journal failed back, as a restart would: once the
// directory takes a test write, the failed journal is closed, the state is loaded again from
// the snapshot and the journals (what the failed write left torn is cut off; what it left
// whole is kept — the caller was told "unavailable", which means "maybe stored"), and a new
// journal writer starts. Until then writes stay refused.
func (s *Store) recoverJournal() {
	s.mu.RLock()
	failed := !s.closed && s.j.failed() != nil
	s.mu.RUnlock()
	if !failed {
		return
	}
	if err := probeDir(s.dir); err != nil {
		return // still no space (or still failing): try again later
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.j.failed() == nil {
		return
	}
	_ = s.j.close() // its error is the failure we are recovering from
	st, gen, nextSeq, err := load(s.dir, s.log)
	if err != nil {
		s.log.Error("memstore: recovering the journal: reloading failed; writes stay refused", "dir", s.dir, "err", err)
		return
	}
	j, err := openJournal(s.dir, gen, nextSeq, s.log, s.opts.CompactBytes, s.opts.SyncDelay, s.askCompaction)
	if err != nil {
		s.log.Error("memstore: recovering the journal: reopening failed; writes stay refused", "dir", s.dir, "err", err)
		return
	}
	s.st, s.j = st, j
	s.log.Warn("memstore: the journal works again; state reloaded from disk, writes accepted", "dir", s.dir,
		"sessions", len(st.sessions), "journal", journalName(gen))
}

// probeDir writes, fsyncs and removes a small file in dir: whether writes work there now.
func probeDir(dir string) error {
	path := filepath.Join(dir, "probe.tmp")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(make([]byte, 64<<10))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	_ = os.Remove(path)
	return err
}

// compact writes a snapshot of the state and removes the journals it covers. Only the
// copy of the state holds the lock; encoding and writing happen beside live traffic.
// Compactions run one at a time (compactMu).
func (s *Store) compact() error {
	s.compactMu.Lock()
	defer s.compactMu.Unlock()
	start := time.Now()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if err := s.j.failed(); err != nil {
		s.mu.Unlock()
		return err
	}
	locked := time.Now()
	snap := s.st.snapshot()
	gen, nextSeq := s.j.rotate()
	s.mu.Unlock()
	held := time.Since(locked)
	if err := writeSnapshot(s.dir, snap, gen, nextSeq, s.now()); err != nil {
		return err
	}
	for g := gen - 1; g > 0; g-- {
		err := os.Remove(filepath.Join(s.dir, journalName(g)))
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			s.log.Warn("memstore: removing a compacted journal", "err", err)
			return err
		}
	}
	s.log.Info("memstore: compacted", "dir", s.dir, "sessions", len(snap.sessions), "journal", journalName(gen),
		"took", time.Since(start).Round(time.Millisecond), "locked", held.Round(time.Microsecond))
	return nil
}

// newEpoch returns a random epoch for a new session.
func newEpoch() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
