package posix

import (
	"bytes"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// An xattrop that adds nothing leaves the file alone: a missing counter is
// not written as zeros and an unchanged one is not rewritten (its ctime
// stays), while the reply still carries every value.
func TestXattropWritesOnlyChanges(t *testing.T) {
	p, dir := newBrick(t)
	createFile(t, p, "/f", nil)
	path := filepath.Join(dir, "f")
	disk := p.ns + ".loom.pending.z"
	zero := make([]byte, 12)
	out := must[xlator.XData](t)(p.Xattrop(bg, root, loc("/f"), xlator.AddArray32, xlator.XData{"loom.pending.z": zero}))
	if !bytes.Equal(out["loom.pending.z"], zero) {
		t.Fatalf("reply %x, want zeros", out["loom.pending.z"])
	}
	if _, err := unix.Lgetxattr(path, disk, make([]byte, 64)); err != syscall.ENODATA {
		t.Fatalf("a zero added to a missing counter was written: %v", err)
	}
	one := []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	must[xlator.XData](t)(p.Xattrop(bg, root, loc("/f"), xlator.AddArray32, xlator.XData{"loom.pending.z": one}))
	var before, after unix.Stat_t
	ok(t, unix.Lstat(path, &before))
	out = must[xlator.XData](t)(p.Xattrop(bg, root, loc("/f"), xlator.AddArray32, xlator.XData{"loom.pending.z": zero}))
	ok(t, unix.Lstat(path, &after))
	if !bytes.Equal(out["loom.pending.z"], one) {
		t.Fatalf("reply %x, want %x", out["loom.pending.z"], one)
	}
	if after.Ctim != before.Ctim {
		t.Fatalf("an xattrop adding zeros rewrote the counter (ctime %v -> %v)", before.Ctim, after.Ctim)
	}
	buf := make([]byte, 64)
	n, err := unix.Lgetxattr(path, disk, buf)
	ok(t, err)
	if !bytes.Equal(buf[:n], one) {
		t.Fatalf("on disk %x, want %x", buf[:n], one)
	}
	// Back to zero is a change: the counter is removed (missing reads
	// as zeros), and the reply carries the zeros.
	minus := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}
	out = must[xlator.XData](t)(p.Xattrop(bg, root, loc("/f"), xlator.AddArray32, xlator.XData{"loom.pending.z": minus}))
	if !bytes.Equal(out["loom.pending.z"], zero) {
		t.Fatalf("reply %x after going back to zero, want zeros", out["loom.pending.z"])
	}
	if _, err := unix.Lgetxattr(path, disk, buf); err != syscall.ENODATA {
		t.Fatalf("a counter back at zero is still on disk: %v", err)
	}
}

// Fxattrop, too, removes a counter that drops to zero and keeps one that
// does not; a later Lookup that asks for several counters (and lists the
// names first) returns exactly the ones on disk.
func TestFxattropRemovesZeroCounter(t *testing.T) {
	p, dir := newBrick(t)
	createFile(t, p, "/f", nil)
	path := filepath.Join(dir, "f")
	fd := &xlator.FD{Loc: *loc("/f"), Flags: syscall.O_RDWR}
	ok(t, p.Open(bg, root, fd))
	defer p.Release(bg, root, fd)
	one := []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	minus := []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}
	zero := make([]byte, 12)
	must[xlator.XData](t)(p.Fxattrop(bg, root, fd, xlator.AddArray32, xlator.XData{"loom.dirty": one, "loom.pending.a": one}))
	out := must[xlator.XData](t)(p.Fxattrop(bg, root, fd, xlator.AddArray32, xlator.XData{"loom.dirty": minus, "loom.pending.a": zero}))
	if !bytes.Equal(out["loom.dirty"], zero) || !bytes.Equal(out["loom.pending.a"], one) {
		t.Fatalf("reply %x", out)
	}
	buf := make([]byte, 64)
	if _, err := unix.Lgetxattr(path, p.ns+".loom.dirty", buf); err != syscall.ENODATA {
		t.Fatalf("dirty back at zero is still on disk: %v", err)
	}
	n, err := unix.Lgetxattr(path, p.ns+".loom.pending.a", buf)
	ok(t, err)
	if !bytes.Equal(buf[:n], one) {
		t.Fatalf("pending on disk %x, want %x", buf[:n], one)
	}
	_, xd, err := p.Lookup(bg, root, loc("/f"), xlator.XData{"loom.dirty": nil, "loom.pending.a": nil, "loom.pending.b": nil})
	ok(t, err)
	if len(xd) != 1 || !bytes.Equal(xd["loom.pending.a"], one) {
		t.Fatalf("lookup reply %x, want only loom.pending.a = %x", xd, one)
	}
}
