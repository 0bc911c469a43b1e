package client_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	_ "github.com/loom-fs/loom/translators/features/locks"
	"github.com/loom-fs/loom/translators/protocol/client"
	"github.com/loom-fs/loom/translators/protocol/server"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// startLockServer exports storage/posix under features/locks as "brick".
func startLockServer(t *testing.T) *server.Server {
	t.Helper()
	specs := []xlator.VolumeSpec{
		xlatortest.PosixSpec("posix", t.TempDir()),
		{Name: "brick", Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: "posix"}}},
		{Name: "server", Type: server.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "brick"}},
			Options: opts("transport.socket.listen-address", "127.0.0.1", "transport.socket.listen-port", "0")},
	}
	return xlatortest.Build(t, specs).Top().(*server.Server)
}

func createFD(t *testing.T, c xlator.Translator, name string) *xlator.FD {
	t.Helper()
	fd := xlator.NewFD(xlator.RootLoc().Child(name), syscall.O_RDWR|syscall.O_CREAT, false)
	fd.Loc.GFID = xlator.NewGFID()
	if _, err := c.Create(context.Background(), xlator.RootCall(), fd, 0o644, 0); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return fd
}

func openFD(t *testing.T, c xlator.Translator, name string) *xlator.FD {
	t.Helper()
	loc := xlator.RootLoc().Child(name)
	st, _, err := c.Lookup(context.Background(), xlator.RootCall(), loc, nil)
	if err != nil {
		t.Fatalf("lookup %s: %v", name, err)
	}
	loc.GFID = st.GFID
	fd := xlator.NewFD(loc, syscall.O_RDWR, false)
	if err := c.Open(context.Background(), xlator.RootCall(), fd); err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	return fd
}

// Two connections with the same lock owner number are different
// clients: their locks conflict. When one connection goes away, its
// locks are released on the server and the other's waiter gets the lock.
func TestLocksReleasedWithConnection(t *testing.T) {
	s := startLockServer(t)
	a := startClient(t, s)
	bg := xlatortest.Build(t, []xlator.VolumeSpec{clientSpec(t, s)})
	b := bg.Top().(*client.Client)
	ctx := context.Background()
	fa := createFD(t, a, "shared")
	fb := openFD(t, b, "shared")
	same := &xlator.Call{LockOwner: 42}
	wl := xlator.Flock{Type: xlator.WriteLock, Owner: 42}
	if _, err := a.Lk(ctx, same, fa, xlator.LkSet, wl); err != nil {
		t.Fatalf("lock through A: %v", err)
	}
	if _, err := b.Lk(ctx, same, fb, xlator.LkSet, wl); err != syscall.EAGAIN {
		t.Fatalf("try-lock through B while A holds it: %v, want EAGAIN", err)
	}
	got := make(chan error, 1)
	go func() {
		_, err := b.Lk(ctx, same, fb, xlator.LkSetWait, wl)
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("B's wait ended while A holds the lock: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	a.Fini() // A's connection ends without unlocking
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("B's wait: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("B did not get the lock after A's connection ended")
	}
}

// An inodelk unlock does not wait for the server (a one-way request), yet
// a lock this client asks for right after it, with another owner, never
// finds the range still held: the server runs the unlock first. The same
// holds for entrylk.
func TestUnlockOneWayThenLock(t *testing.T) {
	s := startLockServer(t)
	c := startClient(t, s)
	ctx := context.Background()
	root := xlator.RootLoc()
	for i := range 200 {
		owner := &xlator.Call{LockOwner: uint64(2*i + 1)}
		next := &xlator.Call{LockOwner: uint64(2*i + 2)}
		wl := xlator.Flock{Type: xlator.WriteLock}
		if err := c.Inodelk(ctx, owner, "d", root, xlator.LkSet, wl); err != nil {
			t.Fatalf("round %d: inodelk: %v", i, err)
		}
		if err := c.Inodelk(ctx, owner, "d", root, xlator.LkSet, xlator.Flock{Type: xlator.Unlock}); err != nil {
			t.Fatalf("round %d: unlock: %v", i, err)
		}
		if err := c.Inodelk(ctx, next, "d", root, xlator.LkSet, wl); err != nil {
			t.Fatalf("round %d: try-lock by another owner right after the unlock: %v", i, err)
		}
		if err := c.Inodelk(ctx, next, "d", root, xlator.LkSet, xlator.Flock{Type: xlator.Unlock}); err != nil {
			t.Fatalf("round %d: unlock: %v", i, err)
		}
		if err := c.Entrylk(ctx, owner, "d", root, "n", xlator.EntryLockNB, xlator.EntryWrite); err != nil {
			t.Fatalf("round %d: entrylk: %v", i, err)
		}
		if err := c.Entrylk(ctx, owner, "d", root, "n", xlator.EntryUnlock, xlator.EntryWrite); err != nil {
			t.Fatalf("round %d: entry unlock: %v", i, err)
		}
		if err := c.Entrylk(ctx, next, "d", root, "n", xlator.EntryLockNB, xlator.EntryWrite); err != nil {
			t.Fatalf("round %d: entry try-lock by another owner right after the unlock: %v", i, err)
		}
		if err := c.Entrylk(ctx, next, "d", root, "n", xlator.EntryUnlock, xlator.EntryWrite); err != nil {
			t.Fatalf("round %d: entry unlock: %v", i, err)
		}
	}
}

// An unlock that no later request carries still reaches the server
// promptly (oneWayDelay): another client's waiting lock is granted.
func TestDeferredUnlockLeavesAlone(t *testing.T) {
	s := startLockServer(t)
	a, b := startClient(t, s), startClient(t, s)
	ctx := context.Background()
	root := xlator.RootLoc()
	wl := xlator.Flock{Type: xlator.WriteLock}
	for i := range 20 {
		// B's unlock of the round before may still be on its way:
		// wait for it.
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := a.Inodelk(actx, &xlator.Call{LockOwner: 1}, "d", root, xlator.LkSetWait, wl)
		cancel()
		if err != nil {
			t.Fatalf("round %d: lock through A: %v", i, err)
		}
		if err := a.Inodelk(ctx, &xlator.Call{LockOwner: 1}, "d", root, xlator.LkSet, xlator.Flock{Type: xlator.Unlock}); err != nil {
			t.Fatalf("round %d: unlock through A: %v", i, err)
		}
		// A sends nothing more; B's blocking lock waits for A's unlock.
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		start := time.Now()
		err = b.Inodelk(wctx, &xlator.Call{LockOwner: 2}, "d", root, xlator.LkSetWait, wl)
		cancel()
		// The unlock leaves within oneWayDelay (0.5 ms); half a second
		// allows for a loaded machine, while a wait for A's next ping
		// (a quarter of ping-timeout) would exceed it.
		if took := time.Since(start); err != nil || took > 500*time.Millisecond {
			t.Fatalf("round %d: B's waiting lock after A's unlock: %v after %v", i, err, took)
		}
		if err := b.Inodelk(ctx, &xlator.Call{LockOwner: 2}, "d", root, xlator.LkSet, xlator.Flock{Type: xlator.Unlock}); err != nil {
			t.Fatalf("round %d: unlock through B: %v", i, err)
		}
	}
}
