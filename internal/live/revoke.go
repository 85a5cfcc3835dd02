package live

import (
	"context"
	"time"

	"pejl/internal/forum"
)

// Revocation: a facilitator's socket lives only as long as the credential it was opened
// with gives access to its session. The hub listens for forum.EventRevoke (logout, token
// deleted, account deactivated, password changed, logins ended, session unshared) on every
// instance and checks the affected sockets again at once; it also checks every facilitator
// socket each RecheckEvery, for what needs no event (expiry) and for events lost on the way
// (delivery is at most once). A socket whose access has ended is closed with 4503 at once,
// without sending what is queued.

// watchRevocations runs until the hub stops.
func (h *Hub) watchRevocations() {
	defer h.roomWG.Done()
	events := make(chan forum.Event, 64)
	onEvent := func(ev forum.Event) {
		if ev.Kind != forum.EventRevoke {
			return
		}
		select {
		case events <- ev:
		default: // full: the next periodic check finds it
		}
	}
	// Subscribe until it holds (the engine may be down at start).
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		err := h.eng.Subscribe(h.ctx, forum.RevokeChannel, onEvent)
		if err == nil {
			break
		}
		h.log.Warn("live: subscribing to revocations; trying again", "err", err)
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
	tick := time.NewTicker(h.cfg.RecheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case ev := <-events:
			h.recheck(func(c *conn) bool {
				return (ev.User != "" && c.user != nil && c.user.ID == ev.User) || (ev.Target != "" && c.sessionID == ev.Target)
			})
		case <-tick.C:
			h.recheck(func(*conn) bool { return true })
		}
	}
}

// recheck authorises again the facilitator sockets that match and closes those whose
// access has ended. A check the engine cannot answer leaves the socket open.
func (h *Hub) recheck(match func(*conn) bool) {
	h.mu.Lock()
	var list []*conn
	for c := range h.conns {
		if c.facilitator && c.cred != nil && !c.stopped() && match(c) {
			list = append(list, c)
		}
	}
	h.mu.Unlock()
	for _, c := range list {
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.OpTimeout)
		_, err := h.svc.Reauthorize(ctx, *c.cred, c.sessionID)
		cancel()
		if forum.AccessEnded(err) {
			c.stop(CloseForbidden, "access ended", false)
		}
	}
}
