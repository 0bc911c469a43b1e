package posix

import (
	"os"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// An unlink told the file's GFID leaves the handle to the janitor; until
// it runs, a nameless lookup of the file already answers ENOENT.
func TestUnlinkWithGFIDLeavesHandleToJanitor(t *testing.T) {
	p, dir := newBrick(t)
	f := createFile(t, p, "/f", []byte("x"))
	ok(t, p.Unlink(bg, root, &xlator.Loc{Path: "/f", GFID: f.GFID, Parent: xlator.RootGFID, Name: "f"}))
	_, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: f.GFID}, nil)
	wantErrno(t, err, syscall.ENOENT)
	_, err = p.Link(bg, root, &xlator.Loc{GFID: f.GFID}, loc("/again"))
	wantErrno(t, err, syscall.ENOENT)
	p.janitor.drain()
	if handleExists(dir, f.GFID) {
		t.Fatal("handle of the unlinked file left after the janitor ran")
	}

	// Open while unlinked: the handle stays until the last release.
	g := createFile(t, p, "/g", []byte("open"))
	fd := xlator.NewFD(&xlator.Loc{Path: "/g", GFID: g.GFID}, uint32(os.O_RDONLY), false)
	ok(t, p.Open(bg, root, fd))
	ok(t, p.Unlink(bg, root, &xlator.Loc{Path: "/g", GFID: g.GFID, Parent: xlator.RootGFID, Name: "g"}))
	p.janitor.drain()
	if !handleExists(dir, g.GFID) {
		t.Fatal("handle of an open file removed")
	}
	st, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: g.GFID}, nil)
	ok(t, err)
	if st.Nlink != 0 || st.Size != 4 {
		t.Fatalf("nameless lookup of unlinked open file: %+v", st)
	}
	ok(t, p.Release(bg, root, fd))
	if handleExists(dir, g.GFID) {
		t.Fatal("handle left after the last release")
	}

	// One name of two: the handle stays.
	h := createFile(t, p, "/h", nil)
	must[xlator.Stat](t)(p.Link(bg, root, loc("/h"), loc("/h2")))
	ok(t, p.Unlink(bg, root, &xlator.Loc{Path: "/h", GFID: h.GFID, Parent: xlator.RootGFID, Name: "h"}))
	p.janitor.drain()
	if !handleExists(dir, h.GFID) {
		t.Fatal("handle removed while a name is left")
	}
}

// A GFID that is not the file's (a stale hint) removes nothing wrongly:
// the janitor finds the handle belongs to another inode and crawls the
// index, which removes the real orphan.
func TestUnlinkWithWrongGFID(t *testing.T) {
	p, dir := newBrick(t)
	a := createFile(t, p, "/a", nil)
	b := createFile(t, p, "/b", nil)
	ok(t, p.Unlink(bg, root, &xlator.Loc{Path: "/a", GFID: b.GFID}))
	p.janitor.drain()
	if handleExists(dir, a.GFID) {
		t.Fatal("orphan handle of /a left")
	}
	if !handleExists(dir, b.GFID) {
		t.Fatal("handle of the live /b removed")
	}
	st := must[xlator.Stat](t)(p.Stat(bg, root, loc("/b")))
	if st.GFID != b.GFID || st.Nlink != 1 {
		t.Fatalf("/b after: %+v", st)
	}
}

// A brick that was not closed cleanly (its open marker is still there)
// crawls the index when it opens and removes handles with no name left.
func TestOrphanHandlesCleanedAfterCrash(t *testing.T) {
	dir := t.TempDir()
	p := newBrickAt(t, dir)
	f := createFile(t, p, "/f", nil)
	keep := createFile(t, p, "/keep", nil)
	// The name goes but not the handle, as if the process died between
	// an unlink and its janitor.
	ok(t, os.Remove(dir+"/f"))
	if !handleExists(dir, f.GFID) {
		t.Fatal("setup: handle missing")
	}
	// The process dies: its flock on the marker goes, the marker stays.
	unix.Close(p.markFd)
	p.markFd = -1
	q := newBrickAt(t, dir)
	q.janitor.drain()
	if handleExists(dir, f.GFID) {
		t.Fatal("orphan handle left after the restart's crawl")
	}
	if !handleExists(dir, keep.GFID) || !handleExists(dir, xlator.RootGFID) {
		t.Fatal("live handles removed by the crawl")
	}
}

// Two bricks on one directory (a volfile reload builds the new graph
// before stopping the old): neither takes the other for a crash, and the
// marker goes with the last.
func TestOpenMarkerShared(t *testing.T) {
	dir := t.TempDir()
	p := newBrickAt(t, dir)
	f := createFile(t, p, "/f", nil)
	ok(t, os.Remove(dir+"/f")) // an orphan only a crawl would find
	q := newBrickAt(t, dir)
	q.janitor.drain()
	if !handleExists(dir, f.GFID) {
		t.Fatal("the second brick crawled the index as after a crash")
	}
	ok(t, p.Fini())
	if _, err := os.Stat(dir + "/.loom/" + dirtyMarker); err != nil {
		t.Fatalf("marker removed while a brick still has it: %v", err)
	}
	ok(t, q.Fini())
	if _, err := os.Stat(dir + "/.loom/" + dirtyMarker); !os.IsNotExist(err) {
		t.Fatalf("marker after the last Fini: %v", err)
	}
}

// A clean close removes the open marker, so the next open does not crawl.
func TestCleanCloseRemovesMarker(t *testing.T) {
	dir := t.TempDir()
	p := newBrickAt(t, dir)
	if _, err := os.Stat(dir + "/.loom/" + dirtyMarker); err != nil {
		t.Fatalf("open marker: %v", err)
	}
	ok(t, p.Fini())
	if _, err := os.Stat(dir + "/.loom/" + dirtyMarker); !os.IsNotExist(err) {
		t.Fatalf("open marker after Fini: %v", err)
	}
}

// The root's nlink leaves out the hidden .loom directory.
func TestRootNlinkHidesMeta(t *testing.T) {
	p, _ := newBrick(t)
	for _, l := range []*xlator.Loc{loc("/"), xlator.RootLoc()} {
		st := must[xlator.Stat](t)(p.Stat(bg, root, l))
		if st.Nlink != 2 {
			t.Fatalf("fresh root: nlink %d, want 2", st.Nlink)
		}
	}
	must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o755, 0))
	st, _, err := p.Lookup(bg, root, loc("/"), nil)
	ok(t, err)
	if st.Nlink != 3 {
		t.Fatalf("root with one directory: nlink %d, want 3", st.Nlink)
	}
}

// Stat of a cached directory by GFID is its fstat, wherever it moved.
func TestStatCachedDirectory(t *testing.T) {
	p, _ := newBrick(t)
	d := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o755, 0))
	// A create that names its parent by GFID caches the parent's descriptor.
	fd := xlator.NewFD(&xlator.Loc{Path: "/d/g", Parent: d.GFID, Name: "g"}, uint32(os.O_RDWR), false)
	must[xlator.Stat](t)(p.Create(bg, root, fd, 0o644, 0))
	ok(t, p.Release(bg, root, fd))
	ok(t, p.Rename(bg, root, loc("/d"), loc("/e"), 0))
	st := must[xlator.Stat](t)(p.Stat(bg, root, &xlator.Loc{Path: "/d", GFID: d.GFID}))
	if st.GFID != d.GFID || !st.IsDir() || st.Ino != d.Ino {
		t.Fatalf("stat of moved directory by gfid: %+v", st)
	}
}

// The default-ACL answer is remembered per directory, and a default ACL
// set or removed through the brick is seen by the next create.
func TestDefaultACLMemo(t *testing.T) {
	p, _ := newBrick(t)
	d := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o777, 0))
	create := func(name string) uint32 {
		fd := xlator.NewFD(&xlator.Loc{Path: "/d/" + name, Parent: d.GFID, Name: name}, uint32(os.O_RDWR), false)
		st := must[xlator.Stat](t)(p.Create(bg, root, fd, 0o666, 0o077))
		ok(t, p.Release(bg, root, fd))
		return st.Mode & 0o777
	}
	if m := create("a"); m != 0o600 {
		t.Fatalf("without ACL, umask 077: mode %o", m)
	}
	acl := aclXattr([]aclEntry{{tag: 0x01, perm: 7}, {tag: 0x04, perm: 7}, {tag: 0x20, perm: 5}})
	ok(t, p.Setxattr(bg, root, loc("/d"), aclDefault, acl, 0))
	if m := create("b"); m != 0o664 {
		t.Fatalf("after setting a default ACL: mode %o, want 664", m)
	}
	ok(t, p.Removexattr(bg, root, loc("/d"), aclDefault))
	if m := create("c"); m != 0o600 {
		t.Fatalf("after removing the default ACL: mode %o, want 600", m)
	}
	// The root's answer is remembered too.
	ok(t, p.Setxattr(bg, root, loc("/"), aclDefault, acl, 0))
	fd := xlator.NewFD(loc("/r"), uint32(os.O_RDWR), false)
	st := must[xlator.Stat](t)(p.Create(bg, root, fd, 0o666, 0o077))
	ok(t, p.Release(bg, root, fd))
	if st.Mode&0o777 != 0o664 {
		t.Fatalf("root with default ACL: mode %o", st.Mode&0o777)
	}
}

// Once a nameless lookup of an unlinked file has answered ENOENT, none
// answers for it again: a lookup that stat'ed the handle just before the
// janitor removed it (and stopped counting it as a possible orphan) must
// not report the file as there. Lookups run without pause while the
// janitor works, for many files.
func TestNamelessLookupRacingJanitor(t *testing.T) {
	p, _ := newBrick(t)
	for k := 0; k < 60; k++ {
		name := "/f" + string(rune('a'+k%26)) + string(rune('a'+k/26))
		f := createFile(t, p, name, []byte("x"))
		ok(t, p.Unlink(bg, root, &xlator.Loc{Path: name, GFID: f.GFID, Parent: xlator.RootGFID, Name: name[1:]}))
		done := make(chan struct{})
		go func() {
			p.janitor.drain()
			close(done)
		}()
		gone := false
	spin:
		for {
			select {
			case <-done:
				break spin
			default:
			}
			st, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: f.GFID}, nil)
			switch {
			case err == nil && gone:
				t.Fatalf("%s: a nameless lookup answered for the file after one answered ENOENT: %+v", name, st)
			case err != nil:
				wantErrno(t, err, syscall.ENOENT)
				gone = true
			}
		}
		_, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: f.GFID}, nil)
		wantErrno(t, err, syscall.ENOENT)
	}
}
