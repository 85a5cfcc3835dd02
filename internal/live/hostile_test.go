package live

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"pejl/internal/live/liveclient"
)

// Finding 9: binary frames were accepted, and control pings were not rate limited.
func TestBinaryFramesAndPingFloodsEndTheSocket(t *testing.T) {
	in, sess := newEnv(t, Config{})
	ctx := ctxT(t, 10*time.Second)

	p, _ := in.participant(ctx, sess, liveclient.HelloMsg{})
	if err := p.SendFrame(websocket.BinaryMessage, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	if code, _ := p.WaitClosed(ctx); code != websocket.CloseUnsupportedData {
		t.Fatalf("binary frame: closed with %d, want %d", code, websocket.CloseUnsupportedData)
	}

	q, _ := in.participant(ctx, sess, liveclient.HelloMsg{})
	sent := 0
	for range 500 {
		if q.SendFrame(websocket.PingMessage, []byte("x")) != nil {
			break
		}
		sent++
	}
	if code, _ := q.WaitClosed(ctx); code != CloseRateLimited {
		t.Fatalf("%d control pings at once: closed with %d, want %d", sent, code, CloseRateLimited)
	}
}
