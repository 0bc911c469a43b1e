package posix

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

func TestLk(t *testing.T) {
	p, _ := newBrick(t)
	createFile(t, p, "/f", nil)
	a := openFD(t, p, "/f", os.O_RDWR)
	b := openFD(t, p, "/f", os.O_RDWR)
	wr := xlator.Flock{Type: xlator.WriteLock, Start: 0, Len: 100}
	must[xlator.Flock](t)(p.Lk(bg, root, a, xlator.LkSet, wr))
	_, err := p.Lk(bg, root, b, xlator.LkSet, wr)
	wantErrno(t, err, syscall.EAGAIN)
	got := must[xlator.Flock](t)(p.Lk(bg, root, b, xlator.LkGet, wr))
	if got.Type != xlator.WriteLock || got.Start != 0 || got.Len != 100 {
		t.Fatalf("getlk: %+v", got)
	}
	if got := must[xlator.Flock](t)(p.Lk(bg, root, b, xlator.LkGet, xlator.Flock{Type: xlator.WriteLock, Start: 200, Len: 10})); got.Type != xlator.Unlock {
		t.Fatalf("getlk on a free range: %+v", got)
	}
	// The waiting form ends with EINTR when its context is cancelled...
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	_, err = p.Lk(ctx, root, b, xlator.LkSetWait, wr)
	wantErrno(t, err, syscall.EINTR)
	// ...and gets the lock once it is released.
	done := make(chan error, 1)
	go func() {
		_, err := p.Lk(bg, root, b, xlator.LkSetWait, wr)
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	must[xlator.Flock](t)(p.Lk(bg, root, a, xlator.LkSet, xlator.Flock{Type: xlator.Unlock, Start: 0, Len: 100}))
	select {
	case err := <-done:
		ok(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("waiting lock not granted after release")
	}
	// Internal cluster locks belong to features/locks.
	wantErrno(t, p.Inodelk(bg, root, "d", loc("/f"), xlator.LkSet, wr), syscall.ENOTSUP)
	wantErrno(t, p.Entrylk(bg, root, "d", loc("/"), "f", xlator.EntryLock, xlator.EntryWrite), syscall.ENOTSUP)
}
