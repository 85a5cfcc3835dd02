package redisstore

import "time"

// SetQuiet sets how long a new Store's event receiver waits before it pings, and returns
// a function that puts the old value back.
func SetQuiet(d time.Duration) func() {
	old := quiet
	quiet = d
	return func() { quiet = old }
}
