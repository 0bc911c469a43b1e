package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/translators/protocol/server"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// A flush through a descriptor that never locked still releases the
// owner's POSIX locks taken through another descriptor of the same file
// before it returns: on an inode with locks the flush is not sent behind.
func TestFlushReleasesLocksBeforeReturning(t *testing.T) {
	s := startLockServer(t)
	a, b := startClient(t, s), startClient(t, s)
	ctx := context.Background()
	owner := &xlator.Call{LockOwner: 42}
	wl := xlator.Flock{Type: xlator.WriteLock, Owner: 42}
	for i := range 20 {
		name := fmt.Sprintf("locked-%d", i)
		locker := createFD(t, a, name)
		other := openFD(t, a, name)
		fb := openFD(t, b, name)
		if _, err := a.Lk(ctx, owner, locker, xlator.LkSet, wl); err != nil {
			t.Fatalf("lock through A: %v", err)
		}
		if err := a.Flush(ctx, owner, other); err != nil {
			t.Fatalf("flush of A's other descriptor: %v", err)
		}
		// No wait: the flush's reply came back, the lock is gone.
		if _, err := b.Lk(ctx, owner, fb, xlator.LkSet, wl); err != nil {
			t.Fatalf("round %d: try-lock through B right after A's flush: %v, want the lock", i, err)
		}
		for _, c := range []struct {
			x  xlator.Translator
			fd *xlator.FD
		}{{a, locker}, {a, other}, {b, fb}} {
			if err := c.x.Release(ctx, xlator.RootCall(), c.fd); err != nil {
				t.Fatalf("release: %v", err)
			}
		}
	}
}

// A flush sent behind (no lock on the inode yet) cannot release a lock
// the same owner takes right after it: the lock request waits until the
// flush has been answered.
func TestFlushBehindKeepsLaterLock(t *testing.T) {
	s := startLockServer(t)
	a, b := startClient(t, s), startClient(t, s)
	ctx := context.Background()
	owner := &xlator.Call{LockOwner: 7}
	wl := xlator.Flock{Type: xlator.WriteLock, Owner: 7}
	for i := range 100 {
		name := fmt.Sprintf("fresh-%d", i)
		first := createFD(t, a, name)
		second := openFD(t, a, name)
		fb := openFD(t, b, name)
		if err := a.Flush(ctx, owner, first); err != nil {
			t.Fatalf("flush: %v", err)
		}
		if _, err := a.Lk(ctx, owner, second, xlator.LkSet, wl); err != nil {
			t.Fatalf("lock through A: %v", err)
		}
		if _, err := b.Lk(ctx, owner, fb, xlator.LkSet, wl); err != syscall.EAGAIN {
			t.Fatalf("round %d: try-lock through B while A holds it: %v, want EAGAIN (the earlier flush released A's lock)", i, err)
		}
		for _, c := range []struct {
			x  xlator.Translator
			fd *xlator.FD
		}{{a, first}, {a, second}, {b, fb}} {
			if err := c.x.Release(ctx, xlator.RootCall(), c.fd); err != nil {
				t.Fatalf("release: %v", err)
			}
		}
	}
}

// A descriptor's flush and release, both sent behind (one-way requests),
// run on the server in order: the release never closes the server's
// descriptor before the flush ran (which would fail the flush with
// EBADF, logged by the server).
func TestFlushThenReleaseBehindInOrder(t *testing.T) {
	var logged xlatortest.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := xlatortest.BuildWith(t, []xlator.VolumeSpec{
		xlatortest.PosixSpec("posix", t.TempDir()),
		{Name: "brick", Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: "posix"}}},
		{Name: "server", Type: server.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "brick"}},
			Options: opts("transport.socket.listen-address", "127.0.0.1", "transport.socket.listen-port", "0")},
	}, xlator.BuildOptions{Log: log}).Top().(*server.Server)
	c := startClient(t, s)
	ctx := context.Background()
	call := xlator.RootCall()
	for i := range 300 {
		fd := createFD(t, c, fmt.Sprintf("f%d", i))
		if _, err := c.Write(ctx, call, fd, []byte("data"), 0); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := c.Flush(ctx, call, fd); err != nil {
			t.Fatalf("flush: %v", err)
		}
		if err := c.Release(ctx, call, fd); err != nil {
			t.Fatalf("release: %v", err)
		}
	}
	// One request that waits for its reply: the server ran every
	// one-way request sent before it.
	if _, _, err := c.Lookup(ctx, call, xlator.RootLoc().Child("f0"), nil); err != nil {
		t.Fatalf("lookup: %v", err)
	}
	if out := logged.String(); strings.Contains(out, "one-way request failed") {
		t.Errorf("requests sent behind failed:\n%s", out)
	}
}
