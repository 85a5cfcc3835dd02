package live

import (
	"bufio"
	"net"
	"net/http"
	"sync"
	"time"
)

// batchConn is a socket's network connection under gorilla's Conn. While the writer holds
// a batch open (begin … flush), the frames gorilla writes are gathered and go out in one
// write: several acks queued at once cost one system call instead of one each. Outside a
// batch every write goes straight through. gorilla writes whole frames under its own lock
// (also the pong and close replies its reader sends), so frames never interleave in the
// buffer. The buffer is pooled: an idle socket holds none.
type batchConn struct {
	net.Conn
	mu       sync.Mutex
	batching bool
	wait     time.Duration // how long the batch's write may take
	buf      *[]byte
	err      error     // the first error of a gathered write, reported by flush
	deadline time.Time // the write deadline set last
}

// batchFlushAt: a batch this large is written at once, whatever is still queued.
const batchFlushAt = 16 << 10

var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.batching {
		return b.Conn.Write(p)
	}
	if b.buf == nil {
		b.buf = batchBufs.Get().(*[]byte)
	}
	*b.buf = append(*b.buf, p...)
	if len(*b.buf) >= batchFlushAt {
		b.writeLocked()
	}
	return len(p), b.err
}

// SetWriteDeadline sets the deadline of direct writes; in a batch, the batch's write
// sets its own (gorilla sets one before every frame, which would cost a timer update
// each).
func (b *batchConn) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.batching {
		return nil
	}
	b.deadline = t
	return b.Conn.SetWriteDeadline(t)
}

// begin opens a batch whose writes may take wait each.
func (b *batchConn) begin(wait time.Duration) {
	b.mu.Lock()
	b.batching, b.wait = true, wait
	b.mu.Unlock()
}

// flush writes what the batch gathered and closes the batch.
func (b *batchConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.batching {
		return nil
	}
	b.writeLocked()
	b.batching = false
	if b.buf != nil {
		*b.buf = (*b.buf)[:0]
		if cap(*b.buf) <= 4*batchFlushAt {
			batchBufs.Put(b.buf)
		}
		b.buf = nil
	}
	return b.err
}

func (b *batchConn) writeLocked() {
	if b.buf == nil {
		return // nothing was written in the batch
	}
	if b.err == nil && len(*b.buf) > 0 {
		// The deadline moves only when it would move by more than an eighth of the wait:
		// a write may take at least 7/8 of it, and most writes update no timer.
		if dl := time.Now().Add(b.wait); dl.Sub(b.deadline) > b.wait/8 {
			b.deadline = dl
			_ = b.Conn.SetWriteDeadline(dl)
		}
		_, b.err = b.Conn.Write(*b.buf)
	}
	*b.buf = (*b.buf)[:0]
}

// batchHijacker hands gorilla's Upgrader a batchConn when it hijacks the connection.
type batchHijacker struct {
	http.ResponseWriter
	conn *batchConn
}

func (w *batchHijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &batchConn{Conn: nc}
	return w.conn, brw, nil
}
