package posix

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// An existing tree becomes a brick as it is: each entry gets a GFID on its
// first lookup (reported once), the root the root GFID.
func TestExistingTreeGetsGFIDs(t *testing.T) {
	dir := t.TempDir()
	ok(t, os.MkdirAll(dir+"/a/b", 0o755))
	ok(t, os.WriteFile(dir+"/a/b/f", []byte("x"), 0o644))
	ok(t, os.Symlink("/etc/passwd", dir+"/a/link"))
	ok(t, syscall.Mkfifo(dir+"/a/fifo", 0o644))
	p := newBrickAt(t, dir)

	rst, _, err := p.Lookup(bg, root, xlator.RootLoc(), nil)
	ok(t, err)
	if rst.GFID != xlator.RootGFID {
		t.Fatalf("root gfid %v", rst.GFID)
	}
	seen := map[xlator.GFID]string{}
	for _, path := range []string{"/a", "/a/b", "/a/b/f", "/a/link", "/a/fifo"} {
		st, xd, err := p.Lookup(bg, root, loc(path), nil)
		ok(t, err)
		if st.GFID.IsZero() || !bytes.Equal(xd[XDataGFIDAssigned], []byte{1}) {
			t.Fatalf("%s: first lookup gave gfid %v xdata %v", path, st.GFID, xd)
		}
		if other, dup := seen[st.GFID]; dup {
			t.Fatalf("%s and %s share gfid %v", path, other, st.GFID)
		}
		seen[st.GFID] = path
		again, xd, err := p.Lookup(bg, root, loc(path), nil)
		ok(t, err)
		if again.GFID != st.GFID || xd[XDataGFIDAssigned] != nil {
			t.Fatalf("%s: second lookup gave %v %v, first %v", path, again.GFID, xd, st.GFID)
		}
		if st.Type() != unix.S_IFDIR && st.Nlink != 1 {
			t.Fatalf("%s: nlink %d, want 1 (handle not counted)", path, st.Nlink)
		}
	}
	// A caller-supplied GFID is the one assigned.
	ok(t, os.WriteFile(dir+"/g", nil, 0o644))
	want := xlator.NewGFID()
	st, _, err := p.Lookup(bg, root, &xlator.Loc{Path: "/g", GFID: want}, nil)
	ok(t, err)
	if st.GFID != want {
		t.Fatalf("lookup assigned %v, asked for %v", st.GFID, want)
	}
	// The GFID is stored in the trusted namespace (we run as root).
	v := make([]byte, 16)
	n, err := unix.Lgetxattr(dir+"/g", "trusted.loom.gfid", v)
	ok(t, err)
	if n != 16 || xlator.GFID(v) != want {
		t.Fatalf("on-disk gfid %x", v[:n])
	}
}

func TestGFIDStableAcrossRenameAndNameless(t *testing.T) {
	p, dir := newBrick(t)
	d1 := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d1"), 0o755, 0))
	sub := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d1/sub"), 0o755, 0))
	f := createFile(t, p, "/d1/sub/f", []byte("data"))

	ok(t, p.Rename(bg, root, loc("/d1"), loc("/moved"), 0))
	ok(t, p.Rename(bg, root, loc("/moved/sub/f"), loc("/moved/g"), 0))
	for path, want := range map[string]xlator.GFID{"/moved": d1.GFID, "/moved/sub": sub.GFID, "/moved/g": f.GFID} {
		st, _, err := p.Lookup(bg, root, loc(path), nil)
		ok(t, err)
		if st.GFID != want {
			t.Fatalf("%s: gfid %v after rename, want %v", path, st.GFID, want)
		}
	}
	// Nameless lookups find each object by GFID alone.
	for _, g := range []xlator.GFID{d1.GFID, sub.GFID, f.GFID, xlator.RootGFID} {
		st, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: g}, nil)
		ok(t, err)
		if st.GFID != g {
			t.Fatalf("nameless lookup of %v gave %v", g, st.GFID)
		}
	}
	// By parent GFID and name.
	st, _, err := p.Lookup(bg, root, &xlator.Loc{Parent: d1.GFID, Name: "g"}, nil)
	ok(t, err)
	if st.GFID != f.GFID {
		t.Fatalf("lookup by parent+name gave %v", st.GFID)
	}
	// Operations work on a nameless directory Loc.
	createFile(t, p, "/moved/sub/h", []byte("x"))
	fd := xlator.NewFD(&xlator.Loc{GFID: sub.GFID}, 0, true)
	ok(t, p.Opendir(bg, root, fd))
	ents := must[[]xlator.DirEntry](t)(p.Readdir(bg, root, fd, 0, 4096, false))
	ok(t, p.Releasedir(bg, root, fd))
	if len(ents) != 3 {
		t.Fatalf("readdir by gfid: %v", ents)
	}
	// The directory handle records parent and name.
	target, err := os.Readlink(filepath.Join(dir, ".loom/handles", handleRel(sub.GFID)))
	ok(t, err)
	if want := dirHandleTarget(d1.GFID, "sub"); target != want {
		t.Fatalf("handle target %q, want %q", target, want)
	}
	// Rename over an existing directory, and exchange.
	must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/e"), 0o755, 0))
	other := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/e/x"), 0o755, 0))
	ok(t, p.Rename(bg, root, loc("/moved/sub"), loc("/e/x"), xlator.RenameExchange))
	for path, want := range map[string]xlator.GFID{"/e/x": sub.GFID, "/moved/sub": other.GFID} {
		if st, _, err := p.Lookup(bg, root, loc(path), nil); err != nil || st.GFID != want {
			t.Fatalf("%s after exchange: %v %v", path, st.GFID, err)
		}
	}
	for _, g := range []xlator.GFID{sub.GFID, other.GFID} {
		if _, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: g}, nil); err != nil {
			t.Fatalf("nameless lookup of %v after exchange: %v", g, err)
		}
	}
	wantErrno(t, p.Rename(bg, root, loc("/moved/g"), loc("/e/x/h"), xlator.RenameNoReplace), syscall.EEXIST)
	ok(t, p.Rmdir(bg, root, loc("/moved/sub")))
	_, _, err = p.Lookup(bg, root, &xlator.Loc{GFID: other.GFID}, nil)
	wantErrno(t, err, syscall.ENOENT)
}

func TestLookupReturnsInternalXattrs(t *testing.T) {
	p, dir := newBrick(t)
	createFile(t, p, "/f", nil)
	ok(t, p.Setxattr(bg, root, loc("/f"), "loom.pending.x", []byte{0, 0, 0, 1}, 0))
	_, xd, err := p.Lookup(bg, root, loc("/f"), xlator.XData{"loom.pending.x": nil, "loom.pending.y": nil, "user.other": nil})
	ok(t, err)
	if len(xd) != 1 || !bytes.Equal(xd["loom.pending.x"], []byte{0, 0, 0, 1}) {
		t.Fatalf("lookup xdata %v", xd)
	}
	// Stored under the brick's namespace, hidden from clients.
	if _, err := unix.Lgetxattr(dir+"/f", "trusted.loom.pending.x", nil); err != nil {
		t.Fatalf("internal xattr not stored as trusted.loom.pending.x: %v", err)
	}
	names := must[[]string](t)(p.Listxattr(bg, root, loc("/f")))
	if len(names) != 0 {
		t.Fatalf("listxattr shows %v", names)
	}
	_, err = p.Getxattr(bg, root, loc("/f"), "trusted.loom.gfid")
	wantErrno(t, err, syscall.ENODATA)
	_, err = p.Getxattr(bg, root, loc("/f"), "user.loom.gfid")
	wantErrno(t, err, syscall.ENODATA)
	wantErrno(t, p.Setxattr(bg, root, loc("/f"), "trusted.loom.gfid", make([]byte, 16), 0), syscall.EPERM)
	wantErrno(t, p.Setxattr(bg, root, loc("/f"), "user.loom.x", []byte("1"), 0), syscall.EPERM)
	wantErrno(t, p.Removexattr(bg, root, loc("/f"), "trusted.loom.gfid"), syscall.EPERM)
	wantErrno(t, p.Setxattr(bg, root, loc("/f"), "loom.gfid", make([]byte, 16), 0), syscall.EPERM)
}

func TestRootGFIDMismatchRefused(t *testing.T) {
	dir := t.TempDir()
	g := xlator.NewGFID()
	ok(t, unix.Setxattr(dir, "trusted.loom.gfid", g[:], 0))
	o, err := xlator.NewOptions(Options, []xlator.OptionSpec{{Key: optDirectory, Value: dir}}, "b")
	ok(t, err)
	if _, err := New(&xlator.Config{Name: "b", Type: TypeName, Options: o}); err == nil {
		t.Fatal("a brick whose root has a non-root gfid was accepted")
	}
}

// A file copied with its xattrs (same GFID, another inode) gets a new GFID
// on lookup rather than stealing the original's handle.
func TestCopiedGFIDGetsNewOne(t *testing.T) {
	p, dir := newBrick(t)
	orig := createFile(t, p, "/orig", []byte("x"))
	ok(t, os.WriteFile(dir+"/copy", []byte("x"), 0o644))
	ok(t, unix.Lsetxattr(dir+"/copy", "trusted.loom.gfid", orig.GFID[:], 0))
	st, _, err := p.Lookup(bg, root, loc("/copy"), nil)
	ok(t, err)
	if st.GFID == orig.GFID || st.GFID.IsZero() {
		t.Fatalf("copy kept gfid %v", st.GFID)
	}
	again, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: orig.GFID}, nil)
	ok(t, err)
	if again.Ino != orig.Ino {
		t.Fatalf("original's handle now points at inode %d, want %d", again.Ino, orig.Ino)
	}
}
