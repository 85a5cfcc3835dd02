package redisstore

import "time"

// SetQuiet sets how long a new Store's event receiver waits before it pings, and returns
// a function that puts the old value back.
func SetQuiet(d time.Duration) func() {
	old := quiet
	quiet = d
	return func() { quiet = old }
}

// LoseConfirmation makes the broker wait for the answer to a subscription PING that was
// lost with its connection, for the session's channel (which must be subscribed).
func LoseConfirmation(s *Store, sessionID string) {
	b := s.broker
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.topics[s.sk(sessionID).events()]
	b.pending["lost-"+sessionID] = append(b.pending["lost-"+sessionID], t)
}

// BrokerHolds returns how many channels the broker keeps and how many confirmations it
// waits for.
func BrokerHolds(s *Store) (topics, pending int) {
	b := s.broker
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.topics), len(b.pending)
}
