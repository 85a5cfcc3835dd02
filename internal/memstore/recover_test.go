package memstore

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"pejl/internal/forum"
	"pejl/internal/forum/forumtest"
)

// smallDisk returns a directory on a 4 MiB tmpfs of its own (unmounted at the end), so that
// the test can fill the disk for real. It needs root (as .ci/run has).
func smallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount a small tmpfs (this test fills a disk; run it as root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	return dir
}

func waitReady(t *testing.T, s *Store, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for s.Ping(t.Context()) != nil {
		if time.Since(start) > within {
			t.Fatalf("not ready %v after the disk had room again: %v", within, s.Ping(t.Context()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// Finding 7: after a full disk the embedded engine stayed unavailable until restarted.
func TestFullDiskRecoversWithoutRestart(t *testing.T) {
	dir := smallDisk(t)
	s, err := Open(filepath.Join(dir, "data"), Options{Logger: quietLogger(), RecoverEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	kept := forumtest.CreateSession(t, s, "u1")

	// Fill the disk; writes then fail, and the store says it is not ready.
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	filler.Close()
	lost := forumtest.NewSession("u1")
	lost.Title = strings.Repeat("x", 200<<10) // bigger than what may be left
	if err := s.CreateSession(ctx, lost); !errors.Is(err, forum.ErrUnavailable) {
		t.Fatalf("a write on a full disk: %v, want ErrUnavailable", err)
	}
	if s.Ping(ctx) == nil {
		t.Fatal("Ping says ready with a full disk")
	}
	time.Sleep(200 * time.Millisecond)
	if s.Ping(ctx) == nil {
		t.Fatal("ready again while the disk is still full")
	}

	// Space comes back: ready again within a second, without a restart.
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	took := waitReady(t, s, time.Second)
	t.Logf("ready again %v after the space came back", took.Round(time.Millisecond))
	if _, err := s.Session(ctx, kept.ID); err != nil {
		t.Fatalf("the session written before the full disk: %v", err)
	}
	again := forumtest.CreateSession(t, s, "u1")

	// And what it holds now survives a restart.
	s.Close()
	s2, err := Open(filepath.Join(dir, "data"), Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	for _, id := range []string{kept.ID, again.ID} {
		if _, err := s2.Session(ctx, id); err != nil {
			t.Errorf("session %s after a restart: %v", id, err)
		}
	}
}

// Finding 7: during a disk stall readiness stayed 200 while every vote failed.
func TestStalledDiskIsNotReady(t *testing.T) {
	s, err := Open(t.TempDir(), Options{Logger: quietLogger(), StallAfter: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	writeHook = func() {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release
	}
	defer func() { writeHook = nil }()
	done := make(chan error, 1)
	go func() { done <- s.CreateSession(t.Context(), forumtest.NewSession("u1")) }()
	<-entered
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping at once: %v, want ready (a write may take a moment)", err)
	}
	time.Sleep(150 * time.Millisecond)
	if err := s.Ping(t.Context()); !errors.Is(err, forum.ErrUnavailable) {
		t.Fatalf("Ping during a stall: %v, want unavailable", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping after the stall: %v", err)
	}
}
