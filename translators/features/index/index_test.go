package index_test

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/translators/features/index"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
	"golang.org/x/sys/unix"
)

var bg = context.Background()

// The translator passes the conformance suite over a brick.
func TestConformance(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return xlatortest.NewStack(t, xlatortest.Layer(index.Type))
	})
}

// Everything it does not own is forwarded.
func TestForwarding(t *testing.T) {
	xlatortest.CheckForwarding(t, func(child xlator.Translator) xlator.Translator {
		return xlatortest.Wrap(t, index.Type, child, "index-base", t.TempDir())
	})
}

// brick builds posix + index over dir.
func brick(t *testing.T, dir string) *index.Index {
	t.Helper()
	g := xlatortest.Build(t, []xlator.VolumeSpec{
		xlatortest.PosixSpec("posix", dir),
		{Name: "index", Type: index.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "posix"}}},
	})
	return g.Top().(*index.Index)
}

// counters encodes a changelog value.
func counters(d, m, e int32) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b[0:], uint32(d))
	binary.BigEndian.PutUint32(b[4:], uint32(m))
	binary.BigEndian.PutUint32(b[8:], uint32(e))
	return b
}

// newFile creates name in the root and returns its GFID.
func newFile(t *testing.T, x *index.Index, name string) xlator.GFID {
	t.Helper()
	loc := xlator.RootLoc().Child(name)
	loc.GFID = xlator.NewGFID()
	fd := xlator.NewFD(loc, syscall.O_CREAT|syscall.O_RDWR, false)
	if _, err := x.Create(bg, xlator.RootCall(), fd, 0o644, 0); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	x.Release(bg, xlator.RootCall(), fd)
	return loc.GFID
}

func xattrop(t *testing.T, x *index.Index, g xlator.GFID, kv xlator.XData) {
	t.Helper()
	if _, err := x.Xattrop(bg, xlator.RootCall(), &xlator.Loc{GFID: g}, xlator.AddArray32, kv); err != nil {
		t.Fatalf("xattrop %s: %v", g, err)
	}
}

// list reads the whole virtual directory in pages of size bytes.
func list(t *testing.T, x *index.Index, size int) []string {
	t.Helper()
	fd := xlator.NewFD(&xlator.Loc{GFID: index.IndexGFID}, syscall.O_RDONLY|syscall.O_DIRECTORY, true)
	if err := x.Opendir(bg, xlator.RootCall(), fd); err != nil {
		t.Fatalf("opendir index: %v", err)
	}
	defer x.Releasedir(bg, xlator.RootCall(), fd)
	var names []string
	var off uint64
	for {
		ents, err := x.Readdir(bg, xlator.RootCall(), fd, off, size, false)
		if err != nil {
			t.Fatalf("readdir index: %v", err)
		}
		if len(ents) == 0 {
			return names
		}
		for _, e := range ents {
			names = append(names, e.Name)
			off = e.Off
		}
	}
}

// lookupCount answers the count a Lookup of the virtual directory gives.
func lookupCount(t *testing.T, x *index.Index) int64 {
	t.Helper()
	st, xd, err := x.Lookup(bg, xlator.RootCall(), &xlator.Loc{GFID: index.IndexGFID}, nil)
	if err != nil {
		t.Fatalf("lookup index: %v", err)
	}
	if st.GFID != index.IndexGFID || !st.IsDir() {
		t.Fatalf("lookup index: stat %+v is not the virtual directory", st)
	}
	n, err := strconv.ParseInt(string(xd[index.CountKey]), 10, 64)
	if err != nil {
		t.Fatalf("lookup index: count %q: %v", xd[index.CountKey], err)
	}
	return n
}

// A record appears when a changelog becomes non-zero and goes when every
// watched value is zero again; other xattrs are not watched; the count
// follows and survives a restart.
func TestRecordLifecycle(t *testing.T) {
	dir := t.TempDir()
	x := brick(t, dir)
	a, b := newFile(t, x, "a"), newFile(t, x, "b")
	xattrop(t, x, a, xlator.XData{"loom.dirty": counters(1, 0, 0)})
	xattrop(t, x, b, xlator.XData{"loom.other": counters(5, 0, 0)})
	if got := list(t, x, 4096); len(got) != 1 || got[0] != a.String() {
		t.Fatalf("records after a pre-op: %v, want [%s]", got, a)
	}
	// Post-op that blames a copy: dirty back to 0, pending non-zero.
	xattrop(t, x, a, xlator.XData{"loom.dirty": counters(-1, 0, 0), "loom.pending.c2": counters(1, 0, 0)})
	if n := lookupCount(t, x); n != 1 {
		t.Fatalf("count with blame = %d, want 1", n)
	}
	if names := changelogOnDisk(t, filepath.Join(dir, "a")); len(names) != 1 || !strings.HasSuffix(names[0], ".loom.pending.c2") {
		t.Fatalf("changelog on disk with blame: %v, want only the pending key (dirty back at zero is removed)", names)
	}
	// A restart finds the record.
	x2 := brick(t, dir)
	if n := lookupCount(t, x2); n != 1 {
		t.Fatalf("count after restart = %d, want 1", n)
	}
	// A heal clears the blame, sending every key.
	xattrop(t, x2, a, xlator.XData{"loom.dirty": counters(0, 0, 0), "loom.pending.c2": counters(-1, 0, 0)})
	if got := list(t, x2, 4096); len(got) != 0 {
		t.Fatalf("records after the heal: %v, want none", got)
	}
	if n := lookupCount(t, x2); n != 0 {
		t.Fatalf("count after the heal = %d, want 0", n)
	}
	// storage/posix removed the counters that dropped to zero (rather
	// than storing zeros), and the record went all the same.
	if names := changelogOnDisk(t, filepath.Join(dir, "a")); len(names) != 0 {
		t.Fatalf("changelog xattrs left on disk after the heal: %v", names)
	}
}

// changelogOnDisk lists the changelog xattr names (loom.dirty,
// loom.pending.*, in any namespace) stored on path.
func changelogOnDisk(t *testing.T, path string) []string {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(path, buf)
	if err != nil {
		t.Fatalf("listxattr %s: %v", path, err)
	}
	var out []string
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if strings.HasSuffix(name, ".loom.dirty") || strings.Contains(name, ".loom.pending.") {
			out = append(out, name)
		}
	}
	return out
}

// Listing pages with readdir cookies through thousands of records, and the
// count matches.
func TestListingPages(t *testing.T) {
	x := brick(t, t.TempDir())
	const n = 3000
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		g := newFile(t, x, "f"+strconv.Itoa(i))
		xattrop(t, x, g, xlator.XData{"loom.dirty": counters(0, 1, 0)})
		want[g.String()] = true
	}
	got := list(t, x, 1024)
	if len(got) != n {
		t.Fatalf("listed %d records, want %d", len(got), n)
	}
	for _, name := range got {
		if !want[name] {
			t.Fatalf("listed %q, which was never recorded", name)
		}
		delete(want, name)
	}
	if c := lookupCount(t, x); c != n {
		t.Fatalf("count = %d, want %d", c, n)
	}
}

// Unlink in the virtual directory drops only records of inodes the brick
// no longer has.
func TestUnlinkStale(t *testing.T) {
	x := brick(t, t.TempDir())
	a, b := newFile(t, x, "a"), newFile(t, x, "b")
	for _, g := range []xlator.GFID{a, b} {
		xattrop(t, x, g, xlator.XData{"loom.pending.c1": counters(1, 0, 0)})
	}
	if err := x.Unlink(bg, xlator.RootCall(), xlator.RootLoc().Child("b")); err != nil {
		t.Fatalf("unlink b: %v", err)
	}
	drop := func(g xlator.GFID) error {
		return x.Unlink(bg, xlator.RootCall(), &xlator.Loc{Parent: index.IndexGFID, Name: g.String()})
	}
	if err := drop(a); !errors.Is(err, syscall.EBUSY) {
		t.Fatalf("dropping the record of a live inode: %v, want EBUSY", err)
	}
	if err := drop(b); err != nil {
		t.Fatalf("dropping a stale record: %v", err)
	}
	if got := list(t, x, 4096); len(got) != 1 || got[0] != a.String() {
		t.Fatalf("records: %v, want [%s]", got, a)
	}
}

// An xattrop that would mark an inode gone from the brick (its last name
// unlinked, racing a post-op or heal by GFID) fails, and leaves no
// record behind: the record is made before the xattrop, so it is taken
// back once the brick confirms the inode is gone. A failure on an inode
// that exists keeps its record.
func TestFailedXattropOfGoneInode(t *testing.T) {
	x := brick(t, t.TempDir())
	a, b := newFile(t, x, "a"), newFile(t, x, "b")
	if err := x.Unlink(bg, xlator.RootCall(), xlator.RootLoc().Child("b")); err != nil {
		t.Fatalf("unlink b: %v", err)
	}
	mark := xlator.XData{"loom.pending.c1": counters(1, 0, 0)}
	if _, err := x.Xattrop(bg, xlator.RootCall(), &xlator.Loc{GFID: b}, xlator.AddArray32, mark); !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ESTALE) {
		t.Fatalf("xattrop of an unlinked inode: %v, want ENOENT", err)
	}
	if got := list(t, x, 4096); len(got) != 0 {
		t.Fatalf("records after a failed xattrop of a gone inode: %v, want none", got)
	}
	if n := lookupCount(t, x); n != 0 {
		t.Fatalf("count %d, want 0", n)
	}
	xattrop(t, x, a, mark)
	bad := xlator.XData{"loom.pending.c1": []byte{1, 2, 3}} // not a whole element: refused below
	if _, err := x.Xattrop(bg, xlator.RootCall(), &xlator.Loc{GFID: a}, xlator.AddArray32, bad); err == nil {
		t.Fatalf("xattrop with a malformed value succeeded")
	}
	if got := list(t, x, 4096); len(got) != 1 || got[0] != a.String() {
		t.Fatalf("records: %v, want [%s]", got, a)
	}
}

// The records live under the brick's hidden .loom, and a restart removes
// base files no record links to.
func TestOnDisk(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		brick(t, dir)
	}
	ents, err := os.ReadDir(filepath.Join(dir, ".loom", "index"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) > 3 {
		t.Fatalf("%d files in the index directory after three empty starts; unused bases are not removed", len(ents))
	}
}
