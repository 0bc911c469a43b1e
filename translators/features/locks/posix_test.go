package locks_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/translators/features/locks"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// The lock fops are answered here; everything else is forwarded unchanged.
func TestForwardsEverythingButLocks(t *testing.T) {
	xlatortest.CheckForwarding(t, func(child xlator.Translator) xlator.Translator {
		return xlatortest.Wrap(t, locks.Type, child)
	}, "Lk", "Inodelk", "Finodelk", "Entrylk", "Fentrylk")
}

// No lock fop reaches the subvolume (posix would answer with OFD locks or
// ENOTSUP).
func TestLockFopsStayHere(t *testing.T) {
	rec := xlatortest.NewRecorder("recorder", nil)
	l := xlatortest.Wrap(t, locks.Type, rec).(*locks.Locks)
	ctx, c := context.Background(), caller("", 1)
	loc := &xlator.Loc{Path: "/f", GFID: xlator.NewGFID()}
	fd := xlator.NewFD(loc, syscall.O_RDWR, false)
	if _, err := l.Lk(ctx, c, fd, xlator.LkSet, lock(xlator.WriteLock, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lk(ctx, c, fd, xlator.LkGet, lock(xlator.WriteLock, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Inodelk(ctx, c, "d", loc, xlator.LkSet, lock(xlator.WriteLock, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Finodelk(ctx, c, "d", fd, xlator.LkSet, lock(xlator.Unlock, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Entrylk(ctx, c, "d", loc, "x", xlator.EntryLockNB, xlator.EntryWrite); err != nil {
		t.Fatal(err)
	}
	if err := l.Fentrylk(ctx, c, "d", fd, "x", xlator.EntryUnlock, xlator.EntryWrite); err != nil {
		t.Fatal(err)
	}
	for _, fop := range []string{"Lk", "Inodelk", "Finodelk", "Entrylk", "Fentrylk"} {
		if n := rec.Count(fop); n != 0 {
			t.Errorf("%s reached the subvolume %d times", fop, n)
		}
	}
}

func TestConformance(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return xlatortest.NewStack(t, xlatortest.Layer(locks.Type))
	})
}

// Two owners conflict; one owner's locks never do; F_GETLK names the
// holder.
func TestOwnersAndGetlk(t *testing.T) {
	l := newLocks(t)
	fd := create(t, l, "f")
	a, b := caller("", 1), caller("", 2)
	mustLk(t, l, a, fd, lock(xlator.WriteLock, 10, 10))
	mustLk(t, l, a, fd, lock(xlator.WriteLock, 0, 100)) // own locks never conflict
	wantErrno(t, "b's write over a's", setlk(l, b, fd, lock(xlator.ReadLock, 50, 1)), syscall.EAGAIN)
	mustLk(t, l, b, fd, lock(xlator.WriteLock, 100, 0))

	got, err := l.Lk(context.Background(), b, fd, xlator.LkGet, lock(xlator.ReadLock, 0, 0))
	want := xlator.Flock{Type: xlator.WriteLock, Start: 0, Len: 100, PID: a.PID, Owner: 1}
	if err != nil || got != want {
		t.Fatalf("getlk by b = %+v, %v; want %+v", got, err, want)
	}
	got, err = l.Lk(context.Background(), a, fd, xlator.LkGet, lock(xlator.WriteLock, 0, 0))
	want = xlator.Flock{Type: xlator.WriteLock, Start: 100, Len: 0, PID: b.PID, Owner: 2}
	if err != nil || got != want {
		t.Fatalf("getlk by a = %+v, %v; want %+v", got, err, want)
	}
	// No conflict: the request comes back with type unlock.
	got, err = l.Lk(context.Background(), a, fd, xlator.LkGet, lock(xlator.WriteLock, 5, 5))
	if err != nil || got.Type != xlator.Unlock || got.Start != 5 || got.Len != 5 {
		t.Fatalf("getlk over a's own lock = %+v, %v; want unlock", got, err)
	}
	// The same lock owner through another client is another owner, and
	// Flock.Owner wins over the call's lock owner.
	other := caller("c2", 1)
	wantErrno(t, "owner 1 of client c2", setlk(l, other, fd, lock(xlator.ReadLock, 0, 1)), syscall.EAGAIN)
	byField := xlator.Flock{Type: xlator.ReadLock, Start: 0, Len: 1, Owner: 1}
	if err := setlk(l, caller("", 99), fd, byField); err != nil {
		t.Fatalf("lock with Flock.Owner = a's: %v", err)
	}
	// Bad requests.
	_, err = l.Lk(context.Background(), a, fd, xlator.LkGet, lock(xlator.Unlock, 0, 0))
	wantErrno(t, "getlk of type unlock", err, syscall.EINVAL)
	wantErrno(t, "negative start", setlk(l, a, fd, lock(xlator.ReadLock, -1, 1)), syscall.EINVAL)
	wantErrno(t, "bad type", setlk(l, a, fd, lock(7, 0, 1)), syscall.EINVAL)
}

// Unlocking the middle of a lock splits it; upgrades wait for readers.
func TestSplitUpgradeDowngrade(t *testing.T) {
	l := newLocks(t)
	fd := create(t, l, "f")
	a, b := caller("", 1), caller("", 2)
	mustLk(t, l, a, fd, lock(xlator.WriteLock, 0, 100))
	mustLk(t, l, a, fd, lock(xlator.Unlock, 40, 20))
	mustLk(t, l, b, fd, lock(xlator.WriteLock, 40, 20)) // the hole is free
	wantErrno(t, "b at 39", setlk(l, b, fd, lock(xlator.WriteLock, 39, 1)), syscall.EAGAIN)
	wantErrno(t, "b at 60", setlk(l, b, fd, lock(xlator.WriteLock, 60, 1)), syscall.EAGAIN)
	mustLk(t, l, b, fd, lock(xlator.Unlock, 0, 0))

	// Downgrade to read lets b read-lock, not write-lock.
	mustLk(t, l, a, fd, lock(xlator.ReadLock, 0, 100))
	mustLk(t, l, b, fd, lock(xlator.ReadLock, 10, 10))
	wantErrno(t, "b write over a's read", setlk(l, b, fd, lock(xlator.WriteLock, 0, 1)), syscall.EAGAIN)
	// a's upgrade fails while b reads, waits, and a keeps its read lock
	// meanwhile.
	wantErrno(t, "upgrade with a reader", setlk(l, a, fd, lock(xlator.WriteLock, 0, 100)), syscall.EAGAIN)
	up := setlkw(context.Background(), l, a, fd, lock(xlator.WriteLock, 0, 100))
	up.blocked(t, "upgrade while b reads")
	if !strings.Contains(l.Dump(), "granted read 0-99") {
		t.Fatalf("a lost its read lock while upgrading:\n%s", l.Dump())
	}
	mustLk(t, l, b, fd, lock(xlator.Unlock, 10, 10))
	up.granted(t, "upgrade after b unlocked")
	wantErrno(t, "b read after upgrade", setlk(l, b, fd, lock(xlator.ReadLock, 99, 1)), syscall.EAGAIN)
	mustLk(t, l, b, fd, lock(xlator.ReadLock, 100, 0))
}

// F_SETLKW waiters are granted in arrival order.
func TestWaitersInArrivalOrder(t *testing.T) {
	l := newLocks(t)
	fd := create(t, l, "f")
	ctx := context.Background()
	mustLk(t, l, caller("", 1), fd, lock(xlator.WriteLock, 0, 0))
	var waits []pending
	for i := uint64(2); i <= 5; i++ {
		p := setlkw(ctx, l, caller("", i), fd, lock(xlator.WriteLock, 0, 0))
		p.blocked(t, "writer")
		waits = append(waits, p)
	}
	prev := uint64(1)
	for i, p := range waits {
		mustLk(t, l, caller("", prev), fd, lock(xlator.Unlock, 0, 0))
		p.granted(t, "next writer")
		for _, later := range waits[i+1:] {
			later.blocked(t, "a later writer")
		}
		prev = uint64(i + 2)
	}
}

// A new request that conflicts with a queued one waits behind it, unless
// its owner already holds a lock.
func TestFairness(t *testing.T) {
	l := newLocks(t)
	fd := create(t, l, "f")
	ctx := context.Background()
	reader, writer, late := caller("", 1), caller("", 2), caller("", 3)
	mustLk(t, l, reader, fd, lock(xlator.ReadLock, 0, 10))
	w := setlkw(ctx, l, writer, fd, lock(xlator.WriteLock, 0, 0))
	w.blocked(t, "writer behind a reader")
	wantErrno(t, "a new reader behind a queued writer", setlk(l, late, fd, lock(xlator.ReadLock, 0, 10)), syscall.EAGAIN)
	// The reader already holds a lock: it may extend it (waiting would
	// deadlock it against the writer that waits for it).
	mustLk(t, l, reader, fd, lock(xlator.ReadLock, 0, 20))
	lr := setlkw(ctx, l, late, fd, lock(xlator.ReadLock, 0, 10))
	lr.blocked(t, "late reader")
	mustLk(t, l, reader, fd, lock(xlator.Unlock, 0, 0))
	w.granted(t, "writer")
	lr.blocked(t, "late reader while the writer holds")
	mustLk(t, l, writer, fd, lock(xlator.Unlock, 0, 0))
	lr.granted(t, "late reader")
}

// A cancelled wait answers EINTR and leaves nothing queued.
func TestWaitInterrupted(t *testing.T) {
	l := newLocks(t)
	fd := create(t, l, "f")
	mustLk(t, l, caller("", 1), fd, lock(xlator.WriteLock, 0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	p := setlkw(ctx, l, caller("", 2), fd, lock(xlator.WriteLock, 0, 1))
	p.blocked(t, "writer")
	if !strings.Contains(l.Dump(), "waiting write 0-0") {
		t.Fatalf("the waiter is not in the dump:\n%s", l.Dump())
	}
	cancel()
	wantErrno(t, "interrupted wait", p.result(t, "interrupted wait"), syscall.EINTR)
	if d := l.Dump(); strings.Contains(d, "waiting") {
		t.Fatalf("an interrupted request stayed queued:\n%s", d)
	}
	// Nothing is granted to the interrupted owner later.
	mustLk(t, l, caller("", 1), fd, lock(xlator.Unlock, 0, 0))
	mustLk(t, l, caller("", 3), fd, lock(xlator.WriteLock, 0, 0))
}

// Two owners waiting for each other: the request that would close the
// cycle fails with EDEADLK, on one inode and across two.
func TestDeadlockDetected(t *testing.T) {
	l := newLocks(t)
	f, g := create(t, l, "f"), create(t, l, "g")
	ctx := context.Background()
	a, b, c := caller("", 1), caller("", 2), caller("", 3)

	mustLk(t, l, a, f, lock(xlator.WriteLock, 0, 10))
	mustLk(t, l, b, f, lock(xlator.WriteLock, 10, 10))
	pa := setlkw(ctx, l, a, f, lock(xlator.WriteLock, 10, 10))
	pa.blocked(t, "a waiting for b")
	_, err := l.Lk(ctx, b, f, xlator.LkSetWait, lock(xlator.WriteLock, 0, 10))
	wantErrno(t, "b waiting for a that waits for b", err, syscall.EDEADLK)
	mustLk(t, l, b, f, lock(xlator.Unlock, 0, 0))
	pa.granted(t, "a after b unlocked")
	mustLk(t, l, a, f, lock(xlator.Unlock, 0, 0))

	// Three owners over two files: a holds f, b holds g, c holds g's
	// tail; a waits for g, b waits for c, c asks for f.
	mustLk(t, l, a, f, lock(xlator.WriteLock, 0, 0))
	mustLk(t, l, b, g, lock(xlator.WriteLock, 0, 10))
	mustLk(t, l, c, g, lock(xlator.WriteLock, 10, 10))
	pa = setlkw(ctx, l, a, g, lock(xlator.WriteLock, 0, 1))
	pa.blocked(t, "a waiting for b")
	pb := setlkw(ctx, l, b, g, lock(xlator.WriteLock, 10, 1))
	pb.blocked(t, "b waiting for c")
	_, err = l.Lk(ctx, c, f, xlator.LkSetWait, lock(xlator.ReadLock, 5, 1))
	wantErrno(t, "c closing a three-owner cycle across files", err, syscall.EDEADLK)
	// Without a cycle, c just waits.
	pc := setlkw(ctx, l, caller("", 4), f, lock(xlator.ReadLock, 5, 1))
	pc.blocked(t, "d waiting for a")
	mustLk(t, l, c, g, lock(xlator.Unlock, 0, 0))
	pb.granted(t, "b after c unlocked")
	mustLk(t, l, b, g, lock(xlator.Unlock, 0, 0))
	pa.granted(t, "a after b unlocked")
	mustLk(t, l, a, f, lock(xlator.Unlock, 0, 0))
	pc.granted(t, "d after a unlocked")
}

// Flush drops the flushing owner's locks on that inode and wakes
// waiters; other owners and other files keep theirs.
func TestFlushUnlocks(t *testing.T) {
	l := newLocks(t)
	f, g := create(t, l, "f"), create(t, l, "g")
	ctx := context.Background()
	a, b := caller("", 1), caller("", 2)
	mustLk(t, l, a, f, lock(xlator.WriteLock, 0, 10))
	mustLk(t, l, a, f, lock(xlator.WriteLock, 20, 10))
	mustLk(t, l, a, g, lock(xlator.WriteLock, 0, 0))
	mustLk(t, l, b, f, lock(xlator.ReadLock, 100, 0))
	p := setlkw(ctx, l, b, f, lock(xlator.WriteLock, 0, 30))
	p.blocked(t, "b behind a")
	if err := l.Flush(ctx, caller("", 3), f); err != nil {
		t.Fatalf("flush by another owner: %v", err)
	}
	p.blocked(t, "b after another owner's flush")
	if err := l.Flush(ctx, a, f); err != nil {
		t.Fatalf("flush: %v", err)
	}
	p.granted(t, "b after a's flush")
	wantErrno(t, "a's lock on g after flushing f", setlk(l, b, g, lock(xlator.ReadLock, 0, 1)), syscall.EAGAIN)
	wantErrno(t, "b's own lock survived a's flush", setlk(l, a, f, lock(xlator.WriteLock, 200, 1)), syscall.EAGAIN)
}

// flock(2)-style locks: whole file, the open file as owner, dropped on
// release of that file (after the bridge's explicit unlock or without it).
func TestFlockStyleReleasedWithFile(t *testing.T) {
	l := newLocks(t)
	loc := create(t, l, "f").Loc
	ctx := context.Background()
	fd1 := xlator.NewFD(&loc, syscall.O_RDWR, false)
	fd2 := xlator.NewFD(&loc, syscall.O_RDWR, false)
	for _, fd := range []*xlator.FD{fd1, fd2} {
		if err := l.Open(ctx, xlator.RootCall(), fd); err != nil {
			t.Fatal(err)
		}
	}
	// One process, two open files: flock owners are the files, so they
	// conflict even though the pid is the same.
	own1 := &xlator.Call{PID: 7, LockOwner: 0x1001}
	own2 := &xlator.Call{PID: 7, LockOwner: 0x1002}
	whole := lock(xlator.WriteLock, 0, 0)
	mustLk(t, l, own1, fd1, whole)
	wantErrno(t, "flock through a second open file", setlk(l, own2, fd2, whole), syscall.EAGAIN)
	p := setlkw(ctx, l, own2, fd2, whole)
	p.blocked(t, "second file")
	// Closing fd1 flushes with the process's POSIX owner (not the file's):
	// the flock lock stays until the release.
	if err := l.Flush(ctx, &xlator.Call{PID: 7, LockOwner: 0x77}, fd1); err != nil {
		t.Fatal(err)
	}
	p.blocked(t, "second file after a flush of the first")
	if err := l.Release(ctx, xlator.RootCall(), fd1); err != nil {
		t.Fatal(err)
	}
	p.granted(t, "second file after the first was released")
	if err := l.Release(ctx, xlator.RootCall(), fd2); err != nil {
		t.Fatal(err)
	}
	if d := l.Dump(); d != "" {
		t.Fatalf("locks left after every file was released:\n%s", d)
	}
}

// A request whose caller already gave up is refused even though the range
// is free: a lock granted to nobody would never be released.
func TestCancelledRequestIsNotGranted(t *testing.T) {
	rec := xlatortest.NewRecorder("recorder", nil)
	l := xlatortest.Wrap(t, locks.Type, rec).(*locks.Locks)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	loc := &xlator.Loc{Path: "/f", GFID: xlator.NewGFID()}
	fd := xlator.NewFD(loc, syscall.O_RDWR, false)
	if _, err := l.Lk(ctx, caller("", 1), fd, xlator.LkSet, lock(xlator.WriteLock, 0, 0)); !errors.Is(err, syscall.EINTR) {
		t.Fatalf("cancelled F_SETLK = %v, want EINTR", err)
	}
	if err := l.Inodelk(ctx, caller("", 1), "d", loc, xlator.LkSetWait, lock(xlator.WriteLock, 0, 0)); !errors.Is(err, syscall.EINTR) {
		t.Fatalf("cancelled inodelk = %v, want EINTR", err)
	}
	// Nothing was granted: another owner gets the whole range at once.
	if _, err := l.Lk(context.Background(), caller("", 2), fd, xlator.LkSet, lock(xlator.WriteLock, 0, 0)); err != nil {
		t.Fatalf("F_SETLK after the cancelled request: %v", err)
	}
}
