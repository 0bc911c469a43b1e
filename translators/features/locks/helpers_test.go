package locks_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/features/locks"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// Time limits of the fop-level tests.
const (
	stillBlocked = 50 * time.Millisecond // a waiter not granted within this is taken as blocked
	grantWithin  = 5 * time.Second       // a waiter that should be granted is, within this
)

// newLocks returns features/locks over a fresh storage/posix brick.
func newLocks(t *testing.T, kv ...string) *locks.Locks {
	t.Helper()
	return xlatortest.NewStack(t, xlatortest.Layer(locks.Type, kv...)).(*locks.Locks)
}

// create makes the file name in the volume root and returns it open for
// reading and writing; it is released when the test ends.
func create(t *testing.T, l *locks.Locks, name string) *xlator.FD {
	t.Helper()
	loc := xlator.RootLoc().Child(name)
	loc.GFID = xlator.NewGFID()
	fd := xlator.NewFD(loc, syscall.O_CREAT|syscall.O_RDWR, false)
	if _, err := l.Create(context.Background(), xlator.RootCall(), fd, 0o644, 0); err != nil {
		t.Fatalf("create /%s: %v", name, err)
	}
	t.Cleanup(func() { l.Release(context.Background(), xlator.RootCall(), fd) })
	return fd
}

// mkdir makes the directory name in the volume root and returns its Loc.
func mkdir(t *testing.T, l *locks.Locks, name string) *xlator.Loc {
	t.Helper()
	loc := xlator.RootLoc().Child(name)
	loc.GFID = xlator.NewGFID()
	if _, err := l.Mkdir(context.Background(), xlator.RootCall(), loc, 0o755, 0); err != nil {
		t.Fatalf("mkdir /%s: %v", name, err)
	}
	return loc
}

// caller returns the Call of lock owner id on client.
func caller(client string, id uint64) *xlator.Call {
	return &xlator.Call{Client: client, LockOwner: id, PID: uint32(1000 + id)}
}

// lock builds a Flock of typ over [start, start+length).
func lock(typ xlator.LockType, start, length int64) xlator.Flock {
	return xlator.Flock{Type: typ, Start: start, Len: length}
}

// setlk takes lk without waiting and returns the error.
func setlk(l *locks.Locks, c *xlator.Call, fd *xlator.FD, lk xlator.Flock) error {
	_, err := l.Lk(context.Background(), c, fd, xlator.LkSet, lk)
	return err
}

// mustLk takes lk without waiting or fails the test.
func mustLk(t *testing.T, l *locks.Locks, c *xlator.Call, fd *xlator.FD, lk xlator.Flock) {
	t.Helper()
	if err := setlk(l, c, fd, lk); err != nil {
		t.Fatalf("setlk %+v by owner %d: %v", lk, c.LockOwner, err)
	}
}

// pending is a lock call running in the background.
type pending chan error

// background runs fn in a goroutine.
func background(fn func() error) pending {
	p := make(pending, 1)
	go func() { p <- fn() }()
	return p
}

// setlkw starts a waiting POSIX lock request in the background.
func setlkw(ctx context.Context, l *locks.Locks, c *xlator.Call, fd *xlator.FD, lk xlator.Flock) pending {
	return background(func() error {
		_, err := l.Lk(ctx, c, fd, xlator.LkSetWait, lk)
		return err
	})
}

// blocked fails the test if p finishes within stillBlocked.
func (p pending) blocked(t *testing.T, what string) {
	t.Helper()
	select {
	case err := <-p:
		t.Fatalf("%s did not wait (returned %v)", what, err)
	case <-time.After(stillBlocked):
	}
}

// result waits up to grantWithin for p and returns its error.
func (p pending) result(t *testing.T, what string) error {
	t.Helper()
	select {
	case err := <-p:
		return err
	case <-time.After(grantWithin):
		t.Fatalf("%s still waits after %v", what, grantWithin)
		return nil
	}
}

// granted fails the test unless p succeeds within grantWithin.
func (p pending) granted(t *testing.T, what string) {
	t.Helper()
	if err := p.result(t, what); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErrno fails the test unless err is errno.
func wantErrno(t *testing.T, what string, err error, errno syscall.Errno) {
	t.Helper()
	if !errors.Is(err, errno) {
		t.Fatalf("%s: %v, want %v", what, err, errno)
	}
}

// lockedWriter is an io.Writer safe for the goroutines of a graph.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// String returns what was written so far.
func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
