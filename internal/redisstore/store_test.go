package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"pejl/internal/forum"
	"pejl/internal/forum/forumtest"
	"pejl/internal/redisstore"
	"pejl/internal/redisstore/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }

// newStore connects a Store to url under a key prefix of its own, so that tests sharing
// one Redis never see each other's keys; it is closed when the test ends.
func newStore(t testing.TB, url string) (*redisstore.Store, string) {
	t.Helper()
	prefix := "t" + forum.NewID(5)
	s, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: prefix, Instance: "test"})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, prefix
}

func newEngine(t *testing.T) forum.Engine {
	s, _ := newStore(t, redistest.URL(t))
	return s
}

func TestEngine(t *testing.T) { forumtest.RunEngine(t, newEngine) }

// rawClient is a plain client for looking at Redis from outside the Store.
func rawClient(t testing.TB, url string) *redis.Client {
	t.Helper()
	o, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	o.MaxRetries = -1
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// within fails the test if fn takes longer than d.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if took := time.Since(start); took > d {
		t.Errorf("%s took %v, want ≤ %v", what, took, d)
	}
}

func TestService(t *testing.T) { forumtest.RunService(t, newEngine) }

// TestDeletionLeavesNoTrace: after a deletion and after a retention sweep, the comment texts
// and the client address that guessed a wrong code are in no file of Redis's data
// directory (its AOF is rewritten; limiter keys hold a keyed hash), as grep -a sees it.
func TestDeletionLeavesNoTrace(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{AOF: true})
	s, _ := newStore(t, srv.URL())
	forumtest.RunDeletion(t, s, srv.Dir(), "198.51.100.23")
}
