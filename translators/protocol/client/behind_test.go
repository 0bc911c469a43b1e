package client_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
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
