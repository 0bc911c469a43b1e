package loomcli

import (
	"context"
	"github.com/loom-fs/loom/xlator/xlatortest"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// waitFor polls cond for up to five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// SIGHUP before the mount is ready is ignored; once mounted it reloads
// (each SIGHUP once) and the mount goes on; SIGTERM still stops.
func TestStopperSIGHUPReloads(t *testing.T) {
	var logs xlatortest.SyncBuffer
	s, ctx := newStopper(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)))
	var mu sync.Mutex
	var reloaded []string
	s.reload = func(mp string) (any, error) {
		mu.Lock()
		defer mu.Unlock()
		reloaded = append(reloaded, mp)
		return reloadReply{Top: "dht", Volumes: 3}, nil
	}
	calls := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(reloaded)
	}
	self := os.Getpid()

	syscall.Kill(self, syscall.SIGHUP)
	waitFor(t, "SIGHUP before the mount logged", func() bool { return strings.Contains(logs.String(), "SIGHUP before the mount is ready") })
	if ctx.Err() != nil || calls() != 0 || s.signal() != nil {
		t.Fatalf("SIGHUP before the mount: ctx %v, %d reloads, signal %v", ctx.Err(), calls(), s.signal())
	}

	s.mounted(nil, "/mnt/v")
	for i := 1; i <= 2; i++ {
		syscall.Kill(self, syscall.SIGHUP)
		waitFor(t, "reload after SIGHUP", func() bool { return calls() == i })
	}
	waitFor(t, "reload logged", func() bool { return strings.Contains(logs.String(), "SIGHUP: reloaded") })
	if ctx.Err() != nil || s.signal() != nil || reloaded[0] != "/mnt/v" {
		t.Fatalf("after SIGHUP: ctx %v, signal %v, reloaded %v", ctx.Err(), s.signal(), reloaded)
	}

	syscall.Kill(self, syscall.SIGTERM)
	waitFor(t, "SIGTERM stops", func() bool { return ctx.Err() != nil })
	if s.signal() != syscall.SIGTERM {
		t.Errorf("signal() = %v, want SIGTERM", s.signal())
	}
	s.stop()
}

// A failed reload is logged; the mount goes on.
func TestStopperSIGHUPReloadFails(t *testing.T) {
	var logs xlatortest.SyncBuffer
	s, ctx := newStopper(context.Background(), slog.New(slog.NewTextHandler(&logs, nil)))
	s.reload = func(string) (any, error) { return nil, os.ErrInvalid }
	s.mounted(nil, "/mnt/v")
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, "failure logged", func() bool { return strings.Contains(logs.String(), "reload failed; the old graph keeps serving") })
	if ctx.Err() != nil {
		t.Fatal("a failed reload stopped the mount")
	}
	s.stop()
}
