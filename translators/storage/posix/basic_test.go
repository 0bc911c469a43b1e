package posix

import (
	"os"
	"sort"
	"strconv"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

func TestBasicFops(t *testing.T) {
	p, dir := newBrick(t)
	st := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o755, 0))
	if !st.IsDir() || st.GFID.IsZero() || st.Mode&0o777 != 0o755 {
		t.Fatalf("mkdir stat %+v", st)
	}
	fst := createFile(t, p, "/d/f", []byte("hello world"))
	if fst.GFID.IsZero() || fst.Nlink != 1 {
		t.Fatalf("create stat %+v", fst)
	}
	got, _, err := p.Lookup(bg, root, loc("/d/f"), nil)
	ok(t, err)
	if got.GFID != fst.GFID || got.Size != 11 || got.Nlink != 1 {
		t.Fatalf("lookup %+v, created %+v", got, fst)
	}
	data, err := os.ReadFile(dir + "/d/f")
	ok(t, err)
	if string(data) != "hello world" {
		t.Fatalf("on disk: %q", data)
	}

	fd := xlator.NewFD(loc("/d/f"), uint32(os.O_RDONLY), false)
	ok(t, p.Open(bg, root, fd))
	buf := make([]byte, 64)
	n := must[int](t)(p.Read(bg, root, fd, buf, 6))
	if string(buf[:n]) != "world" {
		t.Fatalf("read %q", buf[:n])
	}
	n = must[int](t)(p.Read(bg, root, fd, buf, 100))
	if n != 0 {
		t.Fatalf("read past EOF gave %d bytes", n)
	}
	ok(t, p.Release(bg, root, fd))

	d := xlator.NewFD(loc("/d"), uint32(os.O_RDONLY), true)
	ok(t, p.Opendir(bg, root, d))
	var names []string
	var off uint64
	for {
		ents, err := p.Readdir(bg, root, d, off, 4096, true)
		ok(t, err)
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			names = append(names, e.Name)
			if e.Name == "f" && (!e.HasStat || e.Stat.GFID != fst.GFID) {
				t.Fatalf("readdirplus entry %+v", e)
			}
			off = e.Off
		}
	}
	ok(t, p.Releasedir(bg, root, d))
	sort.Strings(names)
	if want := []string{".", "..", "f"}; !equalStrings(names, want) {
		t.Fatalf("readdir %v, want %v", names, want)
	}

	wantErrno(t, p.Rmdir(bg, root, loc("/d")), syscall.ENOTEMPTY)
	ok(t, p.Unlink(bg, root, loc("/d/f")))
	_, _, err = p.Lookup(bg, root, loc("/d/f"), nil)
	if err != syscall.ENOENT {
		t.Fatalf("lookup after unlink: %v (want bare ENOENT)", err)
	}
	if _, err := os.Lstat(dir + "/.loom/handles/" + handleRel(fst.GFID)); !os.IsNotExist(err) {
		t.Fatalf("handle of unlinked file still there: %v", err)
	}
	ok(t, p.Rmdir(bg, root, loc("/d")))
	if _, err := os.Lstat(dir + "/.loom/handles/" + handleRel(st.GFID)); !os.IsNotExist(err) {
		t.Fatalf("handle of removed directory still there: %v", err)
	}
}

func TestRootReaddirHidesMeta(t *testing.T) {
	p, _ := newBrick(t)
	createFile(t, p, "/a", nil)
	d := xlator.NewFD(xlator.RootLoc(), 0, true)
	ok(t, p.Opendir(bg, root, d))
	defer p.Releasedir(bg, root, d)
	ents := must[[]xlator.DirEntry](t)(p.Readdir(bg, root, d, 0, 4096, false))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	if !equalStrings(names, []string{".", "..", "a"}) {
		t.Fatalf("root readdir %v", names)
	}
	_, _, err := p.Lookup(bg, root, loc("/.loom"), nil)
	wantErrno(t, err, syscall.ENOENT)
	_, err = p.Mkdir(bg, root, loc("/.loom"), 0o755, 0)
	wantErrno(t, err, syscall.EPERM)
	_, err = p.Create(bg, root, xlator.NewFD(loc("/.loom"), 0, false), 0o644, 0)
	wantErrno(t, err, syscall.EPERM)
	_, err = p.Create(bg, root, xlator.NewFD(loc("/.loom/handles/x"), 0, false), 0o644, 0)
	wantErrno(t, err, syscall.ENOENT)
	wantErrno(t, p.Rename(bg, root, loc("/a"), loc("/.loom"), 0), syscall.EPERM)
	// A deeper .loom is an ordinary name.
	must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/sub"), 0o755, 0))
	must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/sub/.loom"), 0o755, 0))
}

func TestReaddirCookies(t *testing.T) {
	p, _ := newBrick(t)
	must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o755, 0))
	const n = 500
	for i := 0; i < n; i++ {
		createFile(t, p, "/d/file-with-a-long-name-"+strconv.Itoa(i), nil)
	}
	d := xlator.NewFD(loc("/d"), 0, true)
	ok(t, p.Opendir(bg, root, d))
	defer p.Releasedir(bg, root, d)
	seen := map[string]bool{}
	var off uint64
	var all []xlator.DirEntry
	for {
		ents := must[[]xlator.DirEntry](t)(p.Readdir(bg, root, d, off, 1024, false))
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			if seen[e.Name] {
				t.Fatalf("%s listed twice", e.Name)
			}
			seen[e.Name] = true
		}
		all = append(all, ents...)
		off = ents[len(ents)-1].Off
	}
	if len(seen) != n+2 {
		t.Fatalf("listed %d entries, want %d", len(seen), n+2)
	}
	// Resume from a cookie in the middle: the rest comes again.
	mid := all[len(all)/2]
	rest := must[[]xlator.DirEntry](t)(p.Readdir(bg, root, d, mid.Off, 1<<20, false))
	if len(rest) == 0 || rest[0].Name != all[len(all)/2+1].Name {
		t.Fatalf("resume after %q gave %v", mid.Name, rest)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
