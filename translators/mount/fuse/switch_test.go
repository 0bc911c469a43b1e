package fuse

import (
	"context"
	"syscall"
	"testing"
	"time"

	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// A switch: an FD opened before it keeps working (reopened on the new
// top by its Loc), new fops go to the new top, and the old top is retired
// once its last FD is released.
func TestLiveTopSwitch(t *testing.T) {
	ctx := context.Background()
	c := xlator.RootCall()
	dir := t.TempDir()
	oldTop := xlatortest.Build(t, []xlator.VolumeSpec{xlatortest.PosixSpec("old", dir)}).Top()
	newTop := xlatortest.Build(t, []xlator.VolumeSpec{xlatortest.PosixSpec("new", dir)}).Top()
	lt := newLiveTop(oldTop)
	l := asLive(lt)
	if _, ok := lt.(xlator.BackingFiler); !ok {
		t.Fatal("a posix top lost its passthrough capability behind liveTop")
	}
	fd := xlator.NewFD(xlator.RootLoc().Child("f"), syscall.O_RDWR|syscall.O_CREAT|syscall.O_EXCL, false)
	if _, err := lt.Create(ctx, c, fd, 0o644, 0); err != nil {
		t.Fatal(err)
	}
	st, err := lt.Fstat(ctx, c, fd)
	if err != nil {
		t.Fatal(err)
	}
	fd.Loc.GFID = st.GFID
	if _, err := lt.Write(ctx, c, fd, []byte("before"), 0); err != nil {
		t.Fatal(err)
	}
	if err := l.switchTo(newTop); err != nil {
		t.Fatal(err)
	}
	if lt.Name() != "new" {
		t.Fatalf("name after the switch: %q", lt.Name())
	}
	select {
	case <-l.retired:
		t.Fatal("old top retired while an FD is open on it")
	default:
	}
	if _, err := lt.Write(ctx, c, fd, []byte("after!"), 6); err != nil {
		t.Fatalf("write through an FD opened before the switch: %v", err)
	}
	if s := l.slotOf(fd); s.g.top != newTop {
		t.Fatal("FD not reopened on the new top")
	}
	select {
	case got := <-l.retired:
		if got != oldTop {
			t.Fatalf("retired %s, want the old top", got.Name())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("old top not retired once idle")
	}
	buf := make([]byte, 32)
	n, err := lt.Read(ctx, c, fd, buf, 0)
	if err != nil || string(buf[:n]) != "beforeafter!" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	if err := lt.Release(ctx, c, fd); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lt.Lookup(ctx, c, xlator.RootLoc().Child("f"), nil); err != nil {
		t.Fatalf("lookup on the new top: %v", err)
	}
	if err := l.switchTo(newTop); err == nil {
		t.Fatal("switching to the top already served succeeded")
	}
}
