package posix

import (
	"fmt"
	"os"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// childLoc is the Loc the FUSE bridge sends for name in a directory it
// knows: path and parent GFID.
func childLoc(dir string, parent xlator.GFID, name string) *xlator.Loc {
	return &xlator.Loc{Path: dir + "/" + name, Parent: parent, Name: name}
}

// TestDirCacheFollowsRenameAndRmdir checks that a cached parent stays the
// same directory across a rename and is dropped when the directory goes.
func TestDirCacheFollowsRenameAndRmdir(t *testing.T) {
	p, brick := newBrick(t)
	d := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o755, 0))
	createFile(t, p, "/d/f", []byte("1"))
	if _, _, err := p.Lookup(bg, root, childLoc("/d", d.GFID, "f"), nil); err != nil {
		t.Fatal(err)
	}
	if p.dirs.m[d.GFID] == nil {
		t.Fatal("parent not cached after a lookup by path and parent GFID")
	}

	// Renamed: the cached descriptor is still the directory.
	ok(t, p.Rename(bg, root, loc("/d"), loc("/e"), 0))
	st, _, err := p.Lookup(bg, root, childLoc("/e", d.GFID, "f"), nil)
	ok(t, err)
	if st.Size != 1 {
		t.Fatalf("size %d", st.Size)
	}

	// Removed and made again under the same name: the new directory
	// has another GFID, and the old one's descriptor is gone.
	ok(t, p.Unlink(bg, root, childLoc("/e", d.GFID, "f")))
	ok(t, p.Rmdir(bg, root, loc("/e")))
	if p.dirs.m[d.GFID] != nil {
		t.Fatal("removed directory still cached")
	}
	e := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/e"), 0o755, 0))
	createFile(t, p, "/e/g", nil)
	_, _, err = p.Lookup(bg, root, childLoc("/e", d.GFID, "g"), nil)
	ok(t, err) // a stale parent GFID falls back to the path
	if p.dirs.m[d.GFID] != nil {
		t.Fatal("a directory was cached under a GFID it does not carry")
	}
	_, _, err = p.Lookup(bg, root, childLoc("/e", e.GFID, "g"), nil)
	ok(t, err)

	// A directory renamed over is dropped too.
	must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/x"), 0o755, 0))
	createFile(t, p, "/e/h", nil)
	ok(t, p.Unlink(bg, root, childLoc("/e", e.GFID, "g")))
	ok(t, p.Unlink(bg, root, childLoc("/e", e.GFID, "h")))
	ok(t, p.Rename(bg, root, loc("/x"), loc("/e"), 0))
	if p.dirs.m[e.GFID] != nil {
		t.Fatal("directory replaced by a rename still cached")
	}
	if _, err := os.Stat(brick + "/e"); err != nil {
		t.Fatal(err)
	}
	_, _, err = p.Lookup(bg, root, childLoc("/e", e.GFID, "h"), nil)
	wantErrno(t, err, syscall.ENOENT)
}

// TestDirCacheBounded fills the cache past its size: it stays bounded,
// every fop still finds its parent, and closing the brick closes every
// descriptor.
func TestDirCacheBounded(t *testing.T) {
	fdsBefore := openFds(t)
	brick := t.TempDir()
	p := newBrickAt(t, brick)
	n := dirCacheSize + 50
	gfids := make([]xlator.GFID, n)
	for i := range gfids {
		dir := fmt.Sprintf("/d%04d", i)
		gfids[i] = must[xlator.Stat](t)(p.Mkdir(bg, root, loc(dir), 0o755, 0)).GFID
		fd := xlator.NewFD(childLoc(dir, gfids[i], "f"), uint32(os.O_RDWR), false)
		must[xlator.Stat](t)(p.Create(bg, root, fd, 0o644, 0))
		ok(t, p.Release(bg, root, fd))
	}
	if len(p.dirs.m) > dirCacheSize {
		t.Fatalf("%d directories cached, bound %d", len(p.dirs.m), dirCacheSize)
	}
	for i := range gfids {
		dir := fmt.Sprintf("/d%04d", i)
		if _, _, err := p.Lookup(bg, root, childLoc(dir, gfids[i], "f"), nil); err != nil {
			t.Fatalf("lookup %s/f: %v", dir, err)
		}
		// Nameless, by parent GFID only.
		if _, _, err := p.Lookup(bg, root, &xlator.Loc{Parent: gfids[i], Name: "f"}, nil); err != nil {
			t.Fatalf("nameless lookup in %s: %v", dir, err)
		}
	}
	for _, e := range p.dirs.m {
		if e.refs != 1 {
			t.Fatalf("cached descriptor with %d references after every fop ended", e.refs)
		}
	}
	ok(t, p.Fini())
	if after := openFds(t); after > fdsBefore {
		t.Fatalf("%d descriptors open after Fini, %d before", after, fdsBefore)
	}
}

// openFds counts the process's open descriptors.
func openFds(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
