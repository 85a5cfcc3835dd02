package main

import (
	"testing"

	"pejl/internal/redisstore/redistest"
)

// TestMain stops the test Redis (if one was started) when the tests end.
func TestMain(m *testing.M) { redistest.Main(m) }
