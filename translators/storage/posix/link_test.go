package posix

import (
	"os"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

func handleExists(dir string, g xlator.GFID) bool {
	_, err := os.Lstat(dir + "/.loom/handles/" + handleRel(g))
	return err == nil
}

// Hard links share the GFID; nlink never counts the handle; the handle
// goes with the last name.
func TestHardLinks(t *testing.T) {
	p, dir := newBrick(t)
	f := createFile(t, p, "/f", []byte("x"))
	st := must[xlator.Stat](t)(p.Link(bg, root, loc("/f"), loc("/g")))
	if st.GFID != f.GFID || st.Nlink != 2 {
		t.Fatalf("link: gfid %v nlink %d", st.GFID, st.Nlink)
	}
	if st := must[xlator.Stat](t)(p.Stat(bg, root, loc("/f"))); st.Nlink != 2 {
		t.Fatalf("nlink %d after link", st.Nlink)
	}
	ok(t, p.Unlink(bg, root, loc("/f")))
	if st := must[xlator.Stat](t)(p.Stat(bg, root, loc("/g"))); st.Nlink != 1 || st.GFID != f.GFID {
		t.Fatalf("after unlink of one name: %+v", st)
	}
	if !handleExists(dir, f.GFID) {
		t.Fatal("handle gone while a name is left")
	}
	// Rename over the last name drops the replaced file's handle.
	o := createFile(t, p, "/other", nil)
	ok(t, p.Rename(bg, root, loc("/other"), loc("/g"), 0))
	if handleExists(dir, f.GFID) {
		t.Fatal("handle of the replaced file still there")
	}
	if st := must[xlator.Stat](t)(p.Stat(bg, root, loc("/g"))); st.GFID != o.GFID {
		t.Fatalf("/g has gfid %v, want %v", st.GFID, o.GFID)
	}
	// Link by GFID alone (heal recreates hard links this way).
	st = must[xlator.Stat](t)(p.Link(bg, root, &xlator.Loc{GFID: o.GFID}, loc("/h")))
	if st.GFID != o.GFID || st.Nlink != 2 {
		t.Fatalf("link by gfid: %+v", st)
	}
	// Renaming one name of a file onto another is a no-op.
	ok(t, p.Rename(bg, root, loc("/g"), loc("/h"), 0))
	if !handleExists(dir, o.GFID) {
		t.Fatal("handle lost by a rename between two names of one file")
	}
	_, err := p.Link(bg, root, xlator.RootLoc(), loc("/dirlink"))
	wantErrno(t, err, syscall.EPERM)
	// Entry fops refuse a handle as the name to remove.
	wantErrno(t, p.Unlink(bg, root, &xlator.Loc{GFID: o.GFID}), syscall.EINVAL)
}

// An unlinked file stays reachable by GFID while open, with nlink 0, and
// its handle goes with the last release.
func TestUnlinkedButOpen(t *testing.T) {
	p, dir := newBrick(t)
	f := createFile(t, p, "/f", []byte("still here"))
	fd := xlator.NewFD(&xlator.Loc{Path: "/f", GFID: f.GFID}, uint32(os.O_RDWR), false)
	ok(t, p.Open(bg, root, fd))
	ok(t, p.Unlink(bg, root, loc("/f")))
	if !handleExists(dir, f.GFID) {
		t.Fatal("handle removed while the file is open")
	}
	st := must[xlator.Stat](t)(p.Fstat(bg, root, fd))
	if st.Nlink != 0 || st.GFID != f.GFID {
		t.Fatalf("fstat of unlinked open file: nlink %d gfid %v", st.Nlink, st.GFID)
	}
	st, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: f.GFID}, nil)
	ok(t, err)
	if st.Nlink != 0 || st.Size != 10 {
		t.Fatalf("nameless lookup of unlinked open file: %+v", st)
	}
	// A second open by GFID, then both released.
	fd2 := xlator.NewFD(&xlator.Loc{GFID: f.GFID}, uint32(os.O_RDONLY), false)
	ok(t, p.Open(bg, root, fd2))
	buf := make([]byte, 32)
	if n := must[int](t)(p.Read(bg, root, fd2, buf, 0)); string(buf[:n]) != "still here" {
		t.Fatalf("read by gfid: %q", buf[:n])
	}
	ok(t, p.Release(bg, root, fd))
	if !handleExists(dir, f.GFID) {
		t.Fatal("handle removed while still open once")
	}
	ok(t, p.Release(bg, root, fd2))
	if handleExists(dir, f.GFID) {
		t.Fatal("handle of unlinked file left after the last release")
	}
	_, _, err = p.Lookup(bg, root, &xlator.Loc{GFID: f.GFID}, nil)
	wantErrno(t, err, syscall.ENOENT)
	wantErrno(t, p.Release(bg, root, fd2), syscall.EBADF)
}

// A file whose handle was lost gets it back on lookup.
func TestHandleRepairedOnLookup(t *testing.T) {
	p, dir := newBrick(t)
	f := createFile(t, p, "/f", nil)
	ok(t, os.Remove(dir+"/.loom/handles/"+handleRel(f.GFID)))
	st := must[xlator.Stat](t)(p.Stat(bg, root, loc("/f")))
	if st.GFID != f.GFID || st.Nlink != 1 || !handleExists(dir, f.GFID) {
		t.Fatalf("after repair: %+v, handle %v", st, handleExists(dir, f.GFID))
	}
}
