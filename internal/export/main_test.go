package export_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	benchCleanup()
	os.Exit(code)
}
