package fuse

import (
	"fmt"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// pathOfID returns the Loc path of id, or "?" when the table lacks it.
func pathOfID(t *inodeTable, id uint64) string {
	var l xlator.Loc
	if t.loc(id, &l) == nil {
		return "?"
	}
	return l.Path
}

func gfid(i byte) xlator.GFID { return xlator.GFID{0: 0xaa, 15: i} }

func TestInodePaths(t *testing.T) {
	tab := newInodeTable()
	a := tab.add(rootID, "a", gfid(1))
	b := tab.add(a.id, "b", gfid(2))
	c := tab.add(b.id, "c.txt", gfid(3))
	if got := pathOfID(tab, rootID); got != "/" {
		t.Errorf("root path %q", got)
	}
	if got := pathOfID(tab, c.id); got != "/a/b/c.txt" {
		t.Errorf("path %q", got)
	}
	var l xlator.Loc
	if !tab.childLoc(b.id, "new", &l) || l.Path != "/a/b/new" || l.Parent != gfid(2) || l.Name != "new" || !l.GFID.IsZero() {
		t.Errorf("childLoc of an unknown name: %+v", l)
	}
	if !tab.childLoc(b.id, "c.txt", &l) || l.GFID != gfid(3) {
		t.Errorf("childLoc of a known name: %+v", l)
	}
	if tab.childLoc(999, "x", &l) {
		t.Error("childLoc of an unknown parent succeeded")
	}
	if tab.loc(c.id, &l) == nil || l.Parent != gfid(2) || l.Name != "c.txt" || l.GFID != gfid(3) {
		t.Errorf("loc: %+v", l)
	}
}

func TestInodeSameGFIDSameNode(t *testing.T) {
	tab := newInodeTable()
	x := tab.add(rootID, "x", gfid(1))
	if y := tab.add(rootID, "x", gfid(1)); y != x || x.lookups != 2 {
		t.Fatalf("second lookup gave node %d (lookups %d), want %d with 2", y.id, x.lookups, x.id)
	}
	// A different file now at the same name gets a new node.
	z := tab.add(rootID, "x", gfid(2))
	if z == x {
		t.Fatal("a new GFID reused the old node")
	}
	if tab.gfidOf(rootID, "x") != gfid(2) {
		t.Error("name index still points at the old file")
	}
}

func TestInodeForget(t *testing.T) {
	tab := newInodeTable()
	dir := tab.add(rootID, "d", gfid(1))
	var files []*inode
	for i := 0; i < 100; i++ {
		files = append(files, tab.add(dir.id, fmt.Sprint("f", i), xlator.NewGFID()))
	}
	tab.add(dir.id, "f0", files[0].gfid) // a second lookup of f0
	if n := tab.len(); n != 102 {
		t.Fatalf("table has %d inodes, want 102", n)
	}
	// The directory stays while children name it.
	tab.forget(dir.id, 1)
	if tab.get(dir.id) == nil {
		t.Fatal("directory removed while its children are known")
	}
	for _, f := range files {
		tab.forget(f.id, 1)
	}
	if tab.get(files[0].id) == nil {
		t.Fatal("f0 removed with one lookup outstanding")
	}
	tab.forget(files[0].id, 5) // more than held: clamps
	if n := tab.len(); n != 1 {
		t.Fatalf("after forgetting all, table has %d inodes, want 1 (the root)", n)
	}
	if len(tab.byName) != 0 || len(tab.byGFID) != 1 {
		t.Fatalf("indexes not emptied: %d names, %d gfids", len(tab.byName), len(tab.byGFID))
	}
	tab.forget(rootID, 100)
	if tab.get(rootID) == nil {
		t.Fatal("root forgotten")
	}
}

func TestInodeOpenHandleOutlivesForget(t *testing.T) {
	tab := newInodeTable()
	f := tab.add(rootID, "f", gfid(1))
	var l xlator.Loc
	tab.loc(f.id, &l)
	fd := xlator.NewFD(&l, 0, false)
	tab.openHandle(f, fd)
	if got, done := tab.borrowFD(f.id); got != fd {
		t.Fatal("borrowFD does not find the open handle")
	} else {
		done()
	}
	tab.forget(f.id, 1)
	if tab.get(f.id) == nil {
		t.Fatal("node removed while a handle is open")
	}
	tab.closeHandle(f, fd)
	if tab.get(f.id) != nil {
		t.Fatal("node kept after its last handle closed")
	}
}

func TestInodeRename(t *testing.T) {
	tab := newInodeTable()
	a := tab.add(rootID, "a", gfid(1))
	b := tab.add(rootID, "b", gfid(2))
	f := tab.add(a.id, "f", gfid(3))
	g := tab.add(b.id, "g", gfid(4))

	tab.move(a.id, "f", b.id, "g", false) // replaces g
	if got := pathOfID(tab, f.id); got != "/b/g" {
		t.Errorf("moved file path %q", got)
	}
	if tab.gfidOf(a.id, "f") != (xlator.GFID{}) || tab.gfidOf(b.id, "g") != gfid(3) {
		t.Error("name index not updated by rename")
	}
	// The replaced file keeps its (stale) name for open handles, but
	// the name index no longer leads to it.
	if got := pathOfID(tab, g.id); got != "/b/g" {
		t.Errorf("replaced file path %q", got)
	}

	// Renaming a directory moves the paths under it.
	tab.move(rootID, "b", a.id, "bb", false)
	if got := pathOfID(tab, f.id); got != "/a/bb/g" {
		t.Errorf("path after directory rename %q", got)
	}

	// Exchange swaps.
	h := tab.add(a.id, "h", gfid(5))
	tab.move(a.id, "h", b.id, "g", true)
	if pathOfID(tab, h.id) != "/a/bb/g" || pathOfID(tab, f.id) != "/a/h" {
		t.Errorf("exchange: h at %q, f at %q", pathOfID(tab, h.id), pathOfID(tab, f.id))
	}
}

func TestInodeHardLinks(t *testing.T) {
	tab := newInodeTable()
	d := tab.add(rootID, "d", gfid(1))
	x := tab.add(rootID, "x", gfid(7))
	y := tab.add(d.id, "y", gfid(7)) // link: same GFID
	if x != y {
		t.Fatal("a hard link got its own node")
	}
	if got := pathOfID(tab, x.id); got != "/d/y" {
		t.Errorf("most recent name: %q", got)
	}
	// Removing the most recent name falls back to the other one.
	tab.unlink(d.id, "y")
	if got := pathOfID(tab, x.id); got != "/x" {
		t.Errorf("after unlinking /d/y the path is %q, want /x", got)
	}
	tab.unlink(rootID, "x")
	if got := pathOfID(tab, x.id); got != "/x" {
		t.Errorf("unlinked file keeps its last name, got %q", got)
	}
	tab.forget(x.id, 2)
	tab.forget(d.id, 1)
	if tab.len() != 1 {
		t.Errorf("table has %d inodes after forgetting all, want 1", tab.len())
	}
}

func TestInodeAliasBound(t *testing.T) {
	tab := newInodeTable()
	var n *inode
	for i := 0; i < 3*maxAliases; i++ {
		n = tab.add(rootID, fmt.Sprint("l", i), gfid(9))
	}
	if len(n.aliases) > maxAliases {
		t.Fatalf("%d aliases kept, bound is %d", len(n.aliases), maxAliases)
	}
	tab.forget(n.id, uint64(3*maxAliases))
	if tab.len() != 1 || len(tab.byName) != 0 {
		t.Fatalf("after forget: %d inodes, %d names", tab.len(), len(tab.byName))
	}
}

func BenchmarkPathOf(b *testing.B) {
	tab := newInodeTable()
	id := uint64(rootID)
	for i := 0; i < 6; i++ {
		id = tab.add(id, fmt.Sprint("directory", i), xlator.NewGFID()).id
	}
	var l xlator.Loc
	b.ReportAllocs()
	for b.Loop() {
		tab.childLoc(id, "file.txt", &l)
	}
}

// TestGFIDSource checks that buffered GFIDs are version 4, distinct, and
// keep coming past a refill.
func TestGFIDSource(t *testing.T) {
	s := newGFIDSource()
	seen := map[xlator.GFID]bool{}
	for i := 0; i < 3*gfidBatch; i++ {
		g := s.next()
		if g[6]>>4 != 4 || g[8]>>6 != 2 || g.IsZero() {
			t.Fatalf("GFID %s is not a version 4 UUID", g)
		}
		if seen[g] {
			t.Fatalf("GFID %s handed out twice", g)
		}
		seen[g] = true
	}
}

// A release waits until a concurrent stat that borrowed the handle is
// done with it (integration TestStatAfterClose: EBADF on 8% of rounds).
func TestCloseHandleWaitsForBorrowers(t *testing.T) {
	tab := newInodeTable()
	f := tab.add(rootID, "f", gfid(1))
	var l xlator.Loc
	tab.loc(f.id, &l)
	fd := xlator.NewFD(&l, 0, false)
	tab.openHandle(f, fd)
	got, done := tab.borrowFD(f.id)
	if got != fd {
		t.Fatal("borrowFD does not find the open handle")
	}
	closed := make(chan struct{})
	go func() {
		tab.closeHandle(f, fd)
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("closeHandle returned while the handle was borrowed")
	case <-time.After(50 * time.Millisecond):
	}
	if again, d := tab.borrowFD(f.id); again != nil {
		d()
		t.Fatal("a closing handle was lent out again")
	}
	done()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("closeHandle still waiting after the borrower was done")
	}
}
