package locks_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// Inode locks: domains are independent, nested records of one owner
// count, unlock must match exactly, blocking waits.
func TestInodelk(t *testing.T) {
	l := newLocks(t)
	fd := create(t, l, "f")
	loc := &fd.Loc
	ctx := context.Background()
	a, b := caller("c1", 1), caller("c2", 1)
	ilk := func(c *xlator.Call, dom string, cmd xlator.LkCmd, lk xlator.Flock) error {
		return l.Inodelk(ctx, c, dom, loc, cmd, lk)
	}
	w := lock(xlator.WriteLock, 0, 100)
	if err := ilk(a, "replicate", xlator.LkSet, w); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "same range by another owner", ilk(b, "replicate", xlator.LkSet, lock(xlator.ReadLock, 50, 1)), syscall.EAGAIN)
	if err := ilk(b, "distribute", xlator.LkSet, w); err != nil {
		t.Fatalf("the same range in another domain: %v", err)
	}
	// POSIX locks are another space again.
	mustLk(t, l, b, fd, w)
	// Finodelk names the same inode.
	wantErrno(t, "finodelk over a's inodelk", l.Finodelk(ctx, b, "replicate", fd, xlator.LkSet, w), syscall.EAGAIN)

	// Nested: a takes the range again; one unlock leaves one record.
	if err := ilk(a, "replicate", xlator.LkSet, w); err != nil {
		t.Fatalf("nested lock: %v", err)
	}
	wantErrno(t, "unlock of a range a does not hold exactly", ilk(a, "replicate", xlator.LkSet, lock(xlator.Unlock, 0, 50)), syscall.EINVAL)
	wantErrno(t, "unlock by another owner", ilk(b, "replicate", xlator.LkSet, lock(xlator.Unlock, 0, 100)), syscall.EINVAL)
	if err := ilk(a, "replicate", xlator.LkSet, lock(xlator.Unlock, 0, 100)); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "after one of two unlocks", ilk(b, "replicate", xlator.LkSet, w), syscall.EAGAIN)

	// Blocking: b waits until a's last record goes.
	p := background(func() error { return ilk(b, "replicate", xlator.LkSetWait, lock(xlator.ReadLock, 99, 0)) })
	p.blocked(t, "b's inodelk")
	if err := l.Finodelk(ctx, a, "replicate", fd, xlator.LkSetWait, lock(xlator.Unlock, 0, 100)); err != nil {
		t.Fatal(err)
	}
	p.granted(t, "b's inodelk after a unlocked")

	// Cancelled wait.
	cctx, cancel := context.WithCancel(ctx)
	p = background(func() error { return l.Inodelk(cctx, a, "replicate", loc, xlator.LkSetWait, w) })
	p.blocked(t, "a behind b")
	cancel()
	wantErrno(t, "cancelled inodelk", p.result(t, "cancelled inodelk"), syscall.EINTR)

	wantErrno(t, "LkGet", ilk(a, "replicate", xlator.LkGet, w), syscall.EINVAL)
	wantErrno(t, "no GFID", l.Inodelk(ctx, a, "replicate", &xlator.Loc{Path: "/x"}, xlator.LkSet, w), syscall.EINVAL)
}

// Entry locks: names, the whole directory, read sharing, NB and blocking.
func TestEntrylk(t *testing.T) {
	l := newLocks(t)
	dir := mkdir(t, l, "d")
	ctx := context.Background()
	a, b := caller("c1", 1), caller("c2", 2)
	elk := func(c *xlator.Call, name string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
		return l.Entrylk(ctx, c, "dht", dir, name, cmd, typ)
	}
	if err := elk(a, "x", xlator.EntryLockNB, xlator.EntryWrite); err != nil {
		t.Fatal(err)
	}
	if err := elk(b, "y", xlator.EntryLockNB, xlator.EntryWrite); err != nil {
		t.Fatalf("another name: %v", err)
	}
	wantErrno(t, "the same name", elk(b, "x", xlator.EntryLockNB, xlator.EntryRead), syscall.EAGAIN)
	wantErrno(t, "the whole directory over a name lock", elk(b, "", xlator.EntryLockNB, xlator.EntryRead), syscall.EAGAIN)
	if err := l.Entrylk(ctx, b, "afr", dir, "x", xlator.EntryLockNB, xlator.EntryWrite); err != nil {
		t.Fatalf("the same name in another domain: %v", err)
	}
	// The whole directory, blocking, once both names are free.
	p := background(func() error { return elk(b, "", xlator.EntryLock, xlator.EntryWrite) })
	p.blocked(t, "whole-directory lock")
	if err := elk(a, "x", xlator.EntryUnlock, xlator.EntryWrite); err != nil {
		t.Fatal(err)
	}
	p.granted(t, "whole-directory lock after the other owner's name went")
	wantErrno(t, "a name under a whole-directory lock", elk(a, "z", xlator.EntryLockNB, xlator.EntryRead), syscall.EAGAIN)
	wantErrno(t, "unlock of a name a does not hold", elk(a, "z", xlator.EntryUnlock, xlator.EntryWrite), syscall.EINVAL)
	if err := l.Fentrylk(ctx, b, "dht", xlator.NewFD(dir, syscall.O_RDONLY, true), "", xlator.EntryUnlock, xlator.EntryWrite); err != nil {
		t.Fatal(err)
	}
	if err := elk(b, "y", xlator.EntryUnlock, xlator.EntryWrite); err != nil {
		t.Fatal(err)
	}
	// Read locks share, also with a whole-directory read lock.
	if err := elk(a, "", xlator.EntryLockNB, xlator.EntryRead); err != nil {
		t.Fatal(err)
	}
	if err := elk(b, "z", xlator.EntryLockNB, xlator.EntryRead); err != nil {
		t.Fatalf("read name lock under a read directory lock: %v", err)
	}
	wantErrno(t, "write name lock under a read directory lock", elk(b, "w", xlator.EntryLockNB, xlator.EntryWrite), syscall.EAGAIN)
	wantErrno(t, "bad type", elk(a, "q", xlator.EntryLockNB, 9), syscall.EINVAL)
}

// ReleaseClient drops all of a client's locks in every family, ends its
// waits with ENOTCONN, and grants what others waited for.
func TestReleaseClient(t *testing.T) {
	l := newLocks(t)
	fd := create(t, l, "f")
	dir := mkdir(t, l, "d")
	ctx := context.Background()
	gone, other, stays := caller("gone", 1), caller("other", 1), caller("stays", 5)
	w := lock(xlator.WriteLock, 0, 0)
	mustLk(t, l, gone, fd, w)
	if err := l.Inodelk(ctx, gone, "x", &fd.Loc, xlator.LkSet, w); err != nil {
		t.Fatal(err)
	}
	if err := l.Entrylk(ctx, gone, "x", dir, "n", xlator.EntryLockNB, xlator.EntryWrite); err != nil {
		t.Fatal(err)
	}
	g := create(t, l, "g")
	mustLk(t, l, stays, g, w)
	goneWait := setlkw(ctx, l, gone, g, w)
	goneWait.blocked(t, "the going client's wait")

	waits := []pending{
		setlkw(ctx, l, other, fd, w),
		background(func() error { return l.Inodelk(ctx, other, "x", &fd.Loc, xlator.LkSetWait, w) }),
		background(func() error { return l.Entrylk(ctx, other, "x", dir, "", xlator.EntryLock, xlator.EntryRead) }),
	}
	for _, p := range waits {
		p.blocked(t, "other client's wait")
	}
	var cr xlator.ClientReleaser = l
	cr.ReleaseClient("gone")
	for _, p := range waits {
		p.granted(t, "other client's wait after the release")
	}
	wantErrno(t, "the going client's own wait", goneWait.result(t, "going client's wait"), syscall.ENOTCONN)
	wantErrno(t, "stays keeps its lock", setlk(l, other, g, w), syscall.EAGAIN)
}

// Fini ends waits so that no caller hangs on a stopped graph.
func TestFiniEndsWaits(t *testing.T) {
	l := newLocks(t)
	fd := create(t, l, "f")
	mustLk(t, l, caller("", 1), fd, lock(xlator.WriteLock, 0, 0))
	p := setlkw(context.Background(), l, caller("", 2), fd, lock(xlator.WriteLock, 0, 0))
	p.blocked(t, "writer")
	if err := l.Fini(); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "wait at fini", p.result(t, "wait at fini"), syscall.ENOTCONN)
}

// A joined domain (xlator.JoinLockDomains) takes the range in each of its
// domains, in order, granted whole or not at all; its unlock releases
// every domain.
func TestInodelkJoinedDomains(t *testing.T) {
	l := newLocks(t)
	fd := create(t, l, "f")
	loc := &fd.Loc
	ctx := context.Background()
	a, b, c := caller("c1", 1), caller("c2", 1), caller("c3", 1)
	ilk := func(cl *xlator.Call, dom string, cmd xlator.LkCmd, lk xlator.Flock) error {
		return l.Inodelk(ctx, cl, dom, loc, cmd, lk)
	}
	both := xlator.JoinLockDomains("data", "meta")
	w, un := lock(xlator.WriteLock, 0, 0), lock(xlator.Unlock, 0, 0)

	// a holds meta: b's try of both fails and leaves data free.
	if err := ilk(a, "meta", xlator.LkSet, w); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "both domains while meta is held", ilk(b, both, xlator.LkSet, w), syscall.EAGAIN)
	if err := ilk(c, "data", xlator.LkSet, w); err != nil {
		t.Fatalf("data after a failed joined try: %v (the try kept it)", err)
	}
	if err := ilk(c, "data", xlator.LkSet, un); err != nil {
		t.Fatal(err)
	}

	// b waits for both, holding data while meta is busy.
	p := background(func() error { return ilk(b, both, xlator.LkSetWait, w) })
	p.blocked(t, "b's joined inodelk")
	waitFor(t, "b to hold data while it waits for meta", func() bool {
		err := ilk(c, "data", xlator.LkSet, w)
		if err == nil {
			ilk(c, "data", xlator.LkSet, un)
		}
		return errors.Is(err, syscall.EAGAIN)
	})
	if err := ilk(a, "meta", xlator.LkSet, un); err != nil {
		t.Fatal(err)
	}
	p.granted(t, "b's joined inodelk after a unlocked meta")
	wantErrno(t, "data under b's joined lock", ilk(c, "data", xlator.LkSet, w), syscall.EAGAIN)
	wantErrno(t, "meta under b's joined lock", ilk(c, "meta", xlator.LkSet, w), syscall.EAGAIN)

	// One joined unlock frees both.
	if err := ilk(b, both, xlator.LkSet, un); err != nil {
		t.Fatal(err)
	}
	if err := ilk(c, both, xlator.LkSet, w); err != nil {
		t.Fatalf("both domains after b's joined unlock: %v", err)
	}
	// A joined unlock where one domain holds nothing still frees the other.
	if err := ilk(c, "meta", xlator.LkSet, un); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "joined unlock with meta not held", ilk(c, both, xlator.LkSet, un), syscall.EINVAL)
	if err := ilk(a, "data", xlator.LkSet, w); err != nil {
		t.Fatalf("data after a partial joined unlock: %v", err)
	}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
