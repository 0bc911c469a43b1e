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
// the op, and they are used only within reply-attr-timeout.
func TestParentAttrsFreshAndBounded(t *testing.T) {
	brick := t.TempDir()
	s := startServer(t, brick)
	c := startClient(t, s, "reply-attr-timeout", "50ms")
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
	off := startClient(t, s, "reply-attr-timeout", "0")
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
		t.Errorf("reply-attr-timeout 0: nlink %d, want %d", now.Nlink, late.Nlink+2)
	}
}

// The fstat right after an open is answered, once, with the attributes
// the open reply carried; the next goes to the server, and a write
// through the descriptor drops them.
func TestOpenAttrsAnswerOneFstat(t *testing.T) {
	brick := t.TempDir()
	s := startServer(t, brick)
	c := startClient(t, s)
	ctx, call := context.Background(), xlator.RootCall()
	fd := createFD(t, c, "f")
	if err := c.Release(ctx, call, fd); err != nil {
		t.Fatal(err)
	}
	fd = openFD(t, c, "f")
	defer c.Release(ctx, call, fd)
	// Grow the file on the brick, behind the client's back.
	if err := os.WriteFile(filepath.Join(brick, "f"), []byte("grown"), 0o644); err != nil {
		t.Fatal(err)
	}
	kept, err := c.Fstat(ctx, call, fd)
	if err != nil || kept.Size != 0 || kept.GFID != fd.GFID() {
		t.Fatalf("first fstat: size %d gfid %v (%v), want the open reply's: size 0, %v", kept.Size, kept.GFID, err, fd.GFID())
	}
	fresh, err := c.Fstat(ctx, call, fd)
	if err != nil || fresh.Size != 5 {
		t.Fatalf("second fstat: size %d (%v), want 5 from the server", fresh.Size, err)
	}
	// A write through the descriptor right after an open: the fstat
	// after it is the server's.
	fd2 := openFD(t, c, "f")
	defer c.Release(ctx, call, fd2)
	if _, err := c.Write(ctx, call, fd2, []byte("longer data"), 0); err != nil {
		t.Fatal(err)
	}
	after, err := c.Fstat(ctx, call, fd2)
	if err != nil || after.Size != 11 {
		t.Fatalf("fstat after a write: size %d (%v), want 11", after.Size, err)
	}
}
