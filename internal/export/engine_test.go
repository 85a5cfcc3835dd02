package export_test

import (
	"testing"

	"pejl/internal/forum"
	"pejl/internal/memstore"
)

// openEngineDir opens the real embedded engine in dir; the caller closes it.
func openEngineDir(tb testing.TB, dir string) forum.Engine {
	tb.Helper()
	e, err := memstore.Open(dir, memstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// openEngine opens the embedded engine in a fresh directory, closed when the test ends.
func openEngine(tb testing.TB) forum.Engine {
	tb.Helper()
	e := openEngineDir(tb, tb.TempDir())
	tb.Cleanup(func() { e.Close() })
	return e
}
