package posix

import (
	"bytes"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/loom-fs/loom/xlator"
)

// An entry named by GFID alone answers what it answers by path: a
// non-directory is found through its handle with one fstatat (whose stat
// is the reply), a directory through its handle's symlink, cached or not.
func TestNamelessLookupMatchesPath(t *testing.T) {
	p, dir := newBrick(t)
	createFile(t, p, "/f", []byte("contents"))
	must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o755, 0))
	must[xlator.Stat](t)(p.Symlink(bg, root, "f", loc("/d/l"), 0))
	must[xlator.Stat](t)(p.Mknod(bg, root, loc("/d/fifo"), syscall.S_IFIFO|0o600, 0, 0))
	ok(t, os.Link(dir+"/f", dir+"/d/f2")) // a second name, outside the brick's fops
	for _, path := range []string{"/f", "/d", "/d/l", "/d/fifo", "/d/f2"} {
		byPath, _, err := p.Lookup(bg, root, loc(path), nil)
		ok(t, err)
		for _, what := range []string{"first", "again"} {
			st, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: byPath.GFID}, nil)
			ok(t, err)
			if st.GFID != byPath.GFID || st.Ino != byPath.Ino || st.Nlink != byPath.Nlink || st.Mode != byPath.Mode || st.Size != byPath.Size {
				t.Errorf("%s by gfid (%s): %+v; by path %+v", path, what, st, byPath)
			}
			st, err = p.Stat(bg, root, &xlator.Loc{GFID: byPath.GFID})
			ok(t, err)
			if st.GFID != byPath.GFID || st.Ino != byPath.Ino {
				t.Errorf("%s: stat by gfid %+v; by path %+v", path, st, byPath)
			}
			// The changelog of an entry named by GFID.
			x, err := p.Xattrop(bg, root, &xlator.Loc{GFID: byPath.GFID}, xlator.AddArray32, xlator.XData{"loom.dirty": {0, 0, 0, 1}})
			ok(t, err)
			if len(x["loom.dirty"]) != 4 {
				t.Errorf("%s: xattrop by gfid answered %v", path, x)
			}
		}
	}
}

// Open by GFID alone opens a non-directory through its handle directly,
// and answers for everything else as resolving it first does: a directory
// opens (read-only), a symlink does not (ELOOP), and a file whose last
// name is gone is ENOENT.
func TestNamelessOpen(t *testing.T) {
	p, _ := newBrick(t)
	st := createFile(t, p, "/f", []byte("contents"))
	dst := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o755, 0))
	lst := must[xlator.Stat](t)(p.Symlink(bg, root, "f", loc("/l"), 0))

	fd := xlator.NewFD(&xlator.Loc{GFID: st.GFID}, syscall.O_RDONLY, false)
	ok(t, p.Open(bg, root, fd))
	buf := make([]byte, 16)
	n, err := p.Read(bg, root, fd, buf, 0)
	ok(t, err)
	if string(buf[:n]) != "contents" {
		t.Errorf("read through a nameless open: %q", buf[:n])
	}
	ok(t, p.Release(bg, root, fd))

	fd = xlator.NewFD(&xlator.Loc{GFID: dst.GFID}, syscall.O_RDONLY, false)
	ok(t, p.Open(bg, root, fd))
	ok(t, p.Release(bg, root, fd))
	wantErrno(t, p.Open(bg, root, xlator.NewFD(&xlator.Loc{GFID: dst.GFID}, syscall.O_WRONLY, false)), syscall.EISDIR)
	wantErrno(t, p.Open(bg, root, xlator.NewFD(&xlator.Loc{GFID: lst.GFID}, syscall.O_RDONLY, false)), syscall.ELOOP)

	ok(t, p.Unlink(bg, root, loc("/f")))
	wantErrno(t, p.Open(bg, root, xlator.NewFD(&xlator.Loc{GFID: st.GFID}, syscall.O_RDONLY, false)), syscall.ENOENT)
	_, _, err = p.Lookup(bg, root, &xlator.Loc{GFID: st.GFID}, nil)
	wantErrno(t, err, syscall.ENOENT)
}

// Values and name lists of every size read back whole: the first read
// uses a small buffer, bigger ones are read by their size (sizes fit
// in one ext4 block: the test directory may be on ext4).
func TestXattrValueSizes(t *testing.T) {
	p, _ := newBrick(t)
	createFile(t, p, "/f", nil)
	fd := xlator.NewFD(loc("/f"), syscall.O_RDONLY, false)
	ok(t, p.Open(bg, root, fd))
	defer p.Release(bg, root, fd)
	var names []string
	for _, size := range []int{0, 1, smallXattr - 1, smallXattr, smallXattr + 1, 1000} {
		name := fmt.Sprintf("user.size-%d-%s", size, strings.Repeat("n", 80))
		v := bytes.Repeat([]byte{byte(size)}, size)
		ok(t, p.Setxattr(bg, root, loc("/f"), name, v, 0))
		names = append(names, name)
		got, err := p.Getxattr(bg, root, loc("/f"), name)
		ok(t, err)
		fgot, err := p.Fgetxattr(bg, root, fd, name)
		ok(t, err)
		if !bytes.Equal(got, v) || !bytes.Equal(fgot, v) {
			t.Errorf("a value of %d bytes read back as %d and %d bytes", size, len(got), len(fgot))
		}
	}
	for _, list := range [][]string{must[[]string](t)(p.Listxattr(bg, root, loc("/f"))), must[[]string](t)(p.Flistxattr(bg, root, fd))} {
		slices.Sort(list)
		slices.Sort(names)
		if strings.Join(list, ",") != strings.Join(names, ",") {
			t.Errorf("names listed: %v; want %v", list, names)
		}
	}
}

// GFIDs the brick gives entries itself come in runs that share a handle
// bucket; they are distinct version 4 UUIDs all the same.
func TestGFIDRunsShareBuckets(t *testing.T) {
	p, dir := newBrick(t)
	const n = 2*gfidRunLen + 10
	buckets := map[[2]byte]int{}
	seen := map[xlator.GFID]bool{}
	for i := 0; i < n; i++ {
		var g xlator.GFID
		if i%2 == 0 {
			g = createFile(t, p, fmt.Sprintf("/f%d", i), nil).GFID
		} else {
			// An existing file adopted by a lookup.
			ok(t, os.WriteFile(fmt.Sprintf("%s/f%d", dir, i), nil, 0o644))
			g = must[xlator.Stat](t)(p.Stat(bg, root, loc(fmt.Sprintf("/f%d", i)))).GFID
		}
		if seen[g] || g[6]>>4 != 4 || g[8]>>6 != 2 {
			t.Fatalf("gfid %v: repeated %v, or not a version 4 UUID", g, seen[g])
		}
		seen[g] = true
		buckets[[2]byte{g[0], g[1]}]++
	}
	if len(buckets) > 3 {
		t.Errorf("%d entries in %d handle buckets; want runs of %d in one", n, len(buckets), gfidRunLen)
	}
}

// handleRel is xx/yy/<the GFID's string>.
func TestHandleRel(t *testing.T) {
	g := xlator.NewGFID()
	s := g.String()
	if got, want := handleRel(g), s[0:2]+"/"+s[2:4]+"/"+s; got != want {
		t.Errorf("handleRel(%v) = %q; want %q", g, got, want)
	}
}

// cString copies a name NUL-terminated, refuses an embedded NUL as
// unix.BytePtrFromString does, and allocates names too long for it.
func TestCString(t *testing.T) {
	for _, s := range []string{"", "a", strings.Repeat("x", 255), strings.Repeat("y", 256), strings.Repeat("z", 5000)} {
		var b cString
		p, err := b.ptr(s)
		ok(t, err)
		got := unsafe.String(p, len(s)+1)
		if got != s+"\x00" {
			t.Errorf("cString of %d bytes: %q", len(s), got)
		}
	}
	var b cString
	if _, err := b.ptr("a\x00b"); err != syscall.EINVAL {
		t.Errorf("a name with a NUL: %v; want EINVAL", err)
	}
}

// A lookup that adopts an existing entry (gives it a GFID and a handle)
// answers the link count a later lookup answers, without stat'ing the
// entry again: one name, two names made outside the brick, a directory,
// and a file whose handle already exists (its GFID xattr was removed
// outside the brick), which must not be counted twice.
func TestAdoptedLinkCount(t *testing.T) {
	p, dir := newBrick(t)
	ok(t, os.WriteFile(dir+"/one", []byte("x"), 0o644))
	ok(t, os.WriteFile(dir+"/two", []byte("y"), 0o644))
	ok(t, os.Link(dir+"/two", dir+"/two-b"))
	ok(t, os.Mkdir(dir+"/d", 0o755))
	st := createFile(t, p, "/kept", []byte("z"))
	ok(t, syscall.Removexattr(dir+"/kept", p.gfidKey))
	cases := map[string]uint32{"/one": 1, "/two": 2, "/d": 2, "/kept": 1}
	for path, want := range cases {
		g := xlator.GFID{}
		if path == "/kept" {
			g = st.GFID // the sink's lookup of a heal names the GFID it wants
		}
		first, _, err := p.Lookup(bg, root, &xlator.Loc{Path: path, GFID: g}, nil)
		ok(t, err)
		again, _, err := p.Lookup(bg, root, loc(path), nil)
		ok(t, err)
		if first.Nlink != want || again.Nlink != want || first.GFID != again.GFID || first.GFID.IsZero() {
			t.Errorf("%s: adopting lookup nlink %d gfid %v, later lookup nlink %d gfid %v; want nlink %d",
				path, first.Nlink, first.GFID, again.Nlink, again.GFID, want)
		}
	}
}
