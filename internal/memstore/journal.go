package memstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"pejl/internal/forum"
)

// The journal: every mutation is one record, appended to journal-<gen>.log. A record is a
// frame:
//
//	magic [4]byte  0xF7 'P' 'J' 0x01 (0xF7 never occurs in the JSON payload)
//	length uint32  of the payload, little endian
//	crc    uint32  CRC-32C of seq and payload
//	seq    uint64  the group commit (batch) that wrote the record
//	payload        the record, JSON
//
// One writer goroutine owns the file. Callers append records to the open batch under the
// store's lock (so the journal's order is the order in which the state changed) and wait
// for the batch; the writer takes every batch gathered while it was busy, writes them,
// fsyncs once and releases all their callers together: group commit.

const (
	frameHeader = 20
	maxPayload  = 1 << 30
)

var (
	frameMagic = [4]byte{0xF7, 'P', 'J', 0x01}
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
)

// appendFrame appends one framed record to dst.
func appendFrame(dst []byte, seq uint64, payload []byte) []byte {
	var h [frameHeader]byte
	copy(h[:4], frameMagic[:])
	binary.LittleEndian.PutUint32(h[4:8], uint32(len(payload)))
	binary.LittleEndian.PutUint64(h[12:20], seq)
	crc := crc32.Update(0, castagnoli, h[12:20])
	crc = crc32.Update(crc, castagnoli, payload)
	binary.LittleEndian.PutUint32(h[8:12], crc)
	dst = append(dst, h[:]...)
	return append(dst, payload...)
}

// parseFrame reads the frame at buf[off:]. ok is false unless a whole, intact frame is there.
func parseFrame(buf []byte, off int) (seq uint64, payload []byte, next int, ok bool) {
	if len(buf)-off < frameHeader || [4]byte(buf[off:off+4]) != frameMagic {
		return 0, nil, 0, false
	}
	n := int(binary.LittleEndian.Uint32(buf[off+4 : off+8]))
	if n == 0 || n > maxPayload || n > len(buf)-off-frameHeader {
		return 0, nil, 0, false
	}
	crc := binary.LittleEndian.Uint32(buf[off+8 : off+12])
	payload = buf[off+frameHeader : off+frameHeader+n]
	got := crc32.Update(0, castagnoli, buf[off+12:off+20])
	if crc32.Update(got, castagnoli, payload) != crc {
		return 0, nil, 0, false
	}
	return binary.LittleEndian.Uint64(buf[off+12 : off+20]), payload, off + frameHeader + n, true
}

// maxSeqAfter returns the highest batch seq of any intact frame in buf[from:], and whether
// there is one.
func maxSeqAfter(buf []byte, from int) (uint64, bool) {
	var max uint64
	found := false
	for off := from; off+frameHeader <= len(buf); off++ {
		if buf[off] != frameMagic[0] {
			continue
		}
		if seq, _, _, ok := parseFrame(buf, off); ok {
			found = true
			if seq > max {
				max = seq
			}
		}
	}
	return max, found
}

func journalName(gen uint64) string { return fmt.Sprintf("journal-%08d.log", gen) }

// errClosed is returned by writes after Close.
var errClosed = fmt.Errorf("memstore: closed: %w", forum.ErrUnavailable)

// batch is one group commit: the frames of every record appended while the writer was busy.
type batch struct {
	gen  uint64
	seq  uint64
	buf  []byte
	done chan struct{} // closed once the batch is durable, or failed (err)
	err  error
}

type journal struct {
	dir          string
	log          *slog.Logger
	compactBytes int64
	syncDelay    time.Duration
	onCompact    func() // asks for a compaction; must not block

	mu         sync.Mutex
	gen        uint64   // generation that new records go to
	nextSeq    uint64   // seq of the next batch
	queue      []*batch // batches not yet taken by the writer, oldest first
	last       *batch   // the newest batch that holds records
	err        error    // sticky: once a write or fsync failed, the journal takes nothing more
	closed     bool
	compacting bool

	commits atomic.Int64 // fsyncs that made batches durable
	writing atomic.Int64 // unix nanoseconds when the write in progress began; 0 when none

	// Owned by the writer goroutine (and by openJournal before it starts).
	f       *os.File
	fileGen uint64
	size    int64

	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

// openJournal opens journal-<gen>.log for appending (creating it if needed) and starts the
// writer.
func openJournal(dir string, gen, nextSeq uint64, log *slog.Logger, compactBytes int64, syncDelay time.Duration, onCompact func()) (*journal, error) {
	path := filepath.Join(dir, journalName(gen))
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("memstore: opening the journal: %w", err)
	}
	if errors.Is(statErr, os.ErrNotExist) {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("memstore: opening the journal: %w", err)
	}
	j := &journal{dir: dir, log: log, compactBytes: compactBytes, syncDelay: syncDelay, onCompact: onCompact,
		gen: gen, nextSeq: nextSeq, f: f, fileGen: gen, size: fi.Size(),
		wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go j.run()
	return j, nil
}

// append adds a record to the open batch and returns the batch to wait for. The caller
// holds the store's lock, so records are journaled in the order the state changed.
func (j *journal) append(payload []byte) (*batch, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return nil, j.err
	}
	if j.closed {
		return nil, errClosed
	}
	var b *batch
	if n := len(j.queue); n > 0 && j.queue[n-1].gen == j.gen {
		b = j.queue[n-1]
	} else {
		b = &batch{gen: j.gen, seq: j.nextSeq, done: make(chan struct{})}
		j.nextSeq++
		j.queue = append(j.queue, b)
	}
	b.buf = appendFrame(b.buf, b.seq, payload)
	j.last = b
	select {
	case j.wake <- struct{}{}:
	default:
	}
	return b, nil
}

// tail returns the newest batch with records (nil if none): once it is durable, so is
// every record appended before now.
func (j *journal) tail() *batch {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.last
}

// writeHook, when set (tests only), runs before each journal write: a stand-in for a disk
// that freezes.
var writeHook func()

// stalledFor returns how long the write in progress has taken (0 when none).
func (j *journal) stalledFor(now time.Time) time.Duration {
	if at := j.writing.Load(); at != 0 {
		return now.Sub(time.Unix(0, at))
	}
	return 0
}

// failed returns the sticky write error, if any.
func (j *journal) failed() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// rotate makes records appended from now on go to the next generation's file and returns
// that generation and its first batch seq. The caller holds the store's lock, so the state
// it sees is exactly what the files before that generation hold.
func (j *journal) rotate() (gen, nextSeq uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.gen++
	return j.gen, j.nextSeq
}

func (j *journal) compactionDone() {
	j.mu.Lock()
	j.compacting = false
	j.mu.Unlock()
}

// wait blocks until b is durable (nil b: nothing to wait for).
func (j *journal) wait(ctx context.Context, b *batch) error {
	if b == nil {
		return nil
	}
	select {
	case <-b.done:
		return b.err
	case <-ctx.Done():
		return fmt.Errorf("memstore: waiting for the journal: %w (%v)", forum.ErrUnavailable, ctx.Err())
	}
}

func (j *journal) run() {
	defer close(j.done)
	var delay *time.Timer
	for {
		select {
		case <-j.wake:
		case <-j.quit:
			j.flush()
			return
		}
		if j.syncDelay > 0 {
			if delay == nil {
				delay = time.NewTimer(j.syncDelay)
			} else {
				delay.Reset(j.syncDelay)
			}
			select {
			case <-delay.C:
			case <-j.quit:
				delay.Stop()
			}
		}
		j.flush()
	}
}

// flush commits every queued batch with one fsync (one per file when a generation ends).
func (j *journal) flush() {
	j.mu.Lock()
	q := j.queue
	j.queue = nil
	err := j.err
	j.mu.Unlock()
	if len(q) == 0 {
		return
	}
	if err == nil {
		j.writing.Store(time.Now().UnixNano())
		if writeHook != nil {
			writeHook()
		}
		err = j.write(q)
		j.writing.Store(0)
		if err != nil {
			err = fmt.Errorf("memstore: journal write failed: %w (%v)", forum.ErrUnavailable, err)
			j.mu.Lock()
			if j.err == nil {
				j.err = err
			}
			j.mu.Unlock()
			j.log.Error("memstore: the journal cannot be written; writes are refused until it works again", "dir", j.dir, "err", err)
		}
	}
	if err == nil {
		j.commits.Add(1)
	}
	for _, b := range q {
		b.err = err
		b.buf = nil
		close(b.done)
	}
	if err == nil && j.size > j.compactBytes {
		j.mu.Lock()
		ask := !j.compacting && !j.closed && j.fileGen == j.gen
		if ask {
			j.compacting = true
		}
		j.mu.Unlock()
		if ask {
			j.onCompact()
		}
	}
}

func (j *journal) write(q []*batch) error {
	dirty := false
	for _, b := range q {
		if b.gen != j.fileGen {
			if dirty {
				if err := j.f.Sync(); err != nil {
					return err
				}
				dirty = false
			}
			if err := j.switchFile(b.gen); err != nil {
				return err
			}
		}
		n, err := j.f.Write(b.buf)
		j.size += int64(n)
		if err != nil {
			return err
		}
		dirty = true
	}
	return j.f.Sync()
}

// switchFile closes the current (fsynced) file and starts the generation's file.
func (j *journal) switchFile(gen uint64) error {
	f, err := os.OpenFile(filepath.Join(j.dir, journalName(gen)), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if err := syncDir(j.dir); err != nil {
		f.Close()
		return err
	}
	old := j.f
	j.f, j.fileGen, j.size = f, gen, 0
	return old.Close()
}

// close commits what is queued, stops the writer and closes the file.
func (j *journal) close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.mu.Unlock()
	close(j.quit)
	<-j.done
	err := j.f.Close()
	if ferr := j.failed(); ferr != nil {
		return ferr
	}
	return err
}

// syncDir fsyncs a directory, so that files created or renamed in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("memstore: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("memstore: syncing %s: %w", dir, err)
	}
	return nil
}
