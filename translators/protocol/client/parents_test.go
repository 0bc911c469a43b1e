package client_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// mkdirAt makes a directory through c and returns its Loc.
func mkdirAt(t *testing.T, c xlator.Translator, name string) *xlator.Loc {
	t.Helper()
	loc := xlator.RootLoc().Child(name)
	st, err := c.Mkdir(context.Background(), xlator.RootCall(), loc, 0o755, 0)
	if err != nil {
		t.Fatalf("mkdir %s: %v", name, err)
	}
	loc.GFID = st.GFID
	return loc
}

// The stat of a directory right after an entry op in it through this
// client is answered, once, with the attributes the op's reply carried;
// the next goes to the server. A change made behind the client's back
// (on the brick) shows which answer came from where.
func TestParentAttrsAnswerOneStat(t *testing.T) {
	brick := t.TempDir()
	s := startServer(t, brick)
	c := startClient(t, s)
	ctx, call := context.Background(), xlator.RootCall()
	dir := mkdirAt(t, c, "d")
	for _, op := range []string{"create", "unlink", "mkdir", "rmdir", "symlink", "mknod", "link"} {
		var err error
		switch op {
		case "create":
			fd := xlator.NewFD(dir.Child("f"), syscall.O_RDWR|syscall.O_CREAT, false)
			fd.Loc.GFID = xlator.NewGFID()
			if _, err = c.Create(ctx, call, fd, 0o644, 0); err == nil {
				err = c.Release(ctx, call, fd)
			}
		case "unlink":
			err = c.Unlink(ctx, call, dir.Child("f"))
		case "mkdir":
			_, err = c.Mkdir(ctx, call, dir.Child("sub"), 0o755, 0)
		case "rmdir":
			err = c.Rmdir(ctx, call, dir.Child("sub"))
		case "symlink":
			_, err = c.Symlink(ctx, call, "target", dir.Child("l"), 0)
		case "mknod":
			_, err = c.Mknod(ctx, call, dir.Child("fifo"), syscall.S_IFIFO|0o644, 0, 0)
		case "link":
			_, err = c.Link(ctx, call, dir.Child("fifo"), dir.Child("fifo2"))
		}
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		var onBrick syscall.Stat_t
		if err := syscall.Stat(filepath.Join(brick, "d"), &onBrick); err != nil {
			t.Fatal(err)
		}
		// Change the directory on the brick, behind the client's back.
		if err := os.Mkdir(filepath.Join(brick, "d", "behind"), 0o755); err != nil {
			t.Fatal(err)
		}
		kept, err := c.Stat(ctx, call, dir)
		if err != nil {
			t.Fatalf("stat after %s: %v", op, err)
		}
		if kept.Nlink != uint32(onBrick.Nlink) {
			t.Errorf("%s: the first stat has nlink %d, want %d (the attributes the %s reply carried)", op, kept.Nlink, onBrick.Nlink, op)
		}
		fresh, err := c.Stat(ctx, call, dir)
		if err != nil {
			t.Fatalf("second stat after %s: %v", op, err)
		}
		if fresh.Nlink != uint32(onBrick.Nlink)+1 {
			t.Errorf("%s: the second stat has nlink %d, want %d (from the server, after the change on the brick)", op, fresh.Nlink, onBrick.Nlink+1)
		}
		if err := os.Remove(filepath.Join(brick, "d", "behind")); err != nil {
			t.Fatal(err)
		}
	}
}

// The kept attributes are the directory's as the server saw them after
// the op, and they are used only within parent-attr-timeout.
func TestParentAttrsFreshAndBounded(t *testing.T) {
	brick := t.TempDir()
	s := startServer(t, brick)
	c := startClient(t, s, "parent-attr-timeout", "50ms")
	ctx, call := context.Background(), xlator.RootCall()
	dir := mkdirAt(t, c, "d")
	if _, err := c.Mkdir(ctx, call, dir.Child("sub"), 0o755, 0); err != nil {
		t.Fatal(err)
	}
	var want syscall.Stat_t
	if err := syscall.Stat(filepath.Join(brick, "d"), &want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Stat(ctx, call, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Nlink != uint32(want.Nlink) || got.Mtime.Sec != want.Mtim.Sec || int64(got.Mtime.Nsec) != want.Mtim.Nsec {
		t.Errorf("kept attributes: nlink %d mtime %+v, the brick has nlink %d mtime %+v", got.Nlink, got.Mtime, want.Nlink, want.Mtim)
	}
	// Past the timeout the stat goes to the server.
	if _, err := c.Mkdir(ctx, call, dir.Child("sub2"), 0o755, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(brick, "d", "behind"), 0o755); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	late, err := c.Stat(ctx, call, dir)
	if err != nil {
		t.Fatal(err)
	}
	if late.Nlink != got.Nlink+2 {
		t.Errorf("stat after the timeout: nlink %d, want %d (sub2 and the brick's change)", late.Nlink, got.Nlink+2)
	}
	// With the timeout 0 nothing is kept.
	off := startClient(t, s, "parent-attr-timeout", "0")
	if _, err := off.Mkdir(ctx, call, dir.Child("sub3"), 0o755, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(brick, "d", "behind2"), 0o755); err != nil {
		t.Fatal(err)
	}
	now, err := off.Stat(ctx, call, dir)
	if err != nil {
		t.Fatal(err)
	}
	if now.Nlink != late.Nlink+2 {
		t.Errorf("parent-attr-timeout 0: nlink %d, want %d", now.Nlink, late.Nlink+2)
	}
}
