package integration

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"github.com/pkg/xattr"
	"golang.org/x/sys/unix"
)

// populate fills dir with a small tree of every kind of entry, owned by
// several users, with xattrs and exact times, and returns the path of a
// file outside dir that one symlink points at.
func populate(t *testing.T, dir string) string {
	t.Helper()
	outside := filepath.Join(filepath.Dir(dir), "outside-target")
	writeFile(t, outside, []byte("not in the brick"))
	must(t, os.MkdirAll(filepath.Join(dir, "a", "b", "c"), 0o755))
	must(t, os.Mkdir(filepath.Join(dir, "private"), 0o700))
	files := map[string]string{
		"top.txt":          "top",
		"a/one.txt":        "one",
		"a/b/two.txt":      strings.Repeat("two", 10000),
		"a/b/c/three":      "",
		"private/secret":   "hidden",
		"bin\xffname":      "non-UTF-8 name",
		"owned-by-1000":    "user data",
		"a/b/mode-444.txt": "read only",
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), []byte(data))
	}
	must(t, os.Chown(filepath.Join(dir, "owned-by-1000"), 1000, 1001))
	must(t, os.Chmod(filepath.Join(dir, "a/b/mode-444.txt"), 0o444))
	must(t, os.Chown(filepath.Join(dir, "private"), 1001, 3000))
	must(t, os.Link(filepath.Join(dir, "top.txt"), filepath.Join(dir, "a", "hardlink")))
	must(t, os.Symlink("a/one.txt", filepath.Join(dir, "rel-link")))
	must(t, os.Symlink(outside, filepath.Join(dir, "out-link")))
	must(t, unix.Mkfifo(filepath.Join(dir, "a", "fifo"), 0o600))
	must(t, xattr.Set(filepath.Join(dir, "a", "one.txt"), "user.color", []byte("blue")))
	must(t, xattr.Set(filepath.Join(dir, "a", "b"), "user.note", []byte("a directory xattr")))
	ts := []unix.Timespec{{Sec: 1600000000, Nsec: 111}, {Sec: 1600000001, Nsec: 222333444}}
	must(t, unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(dir, "a", "one.txt"), ts, 0))
	must(t, unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(dir, "a", "b", "c"), ts, 0))
	return outside
}

// walkMount lstat-s every entry below the mount (without following
// symlinks) and returns each one's st_ino by relative path.
func walkMount(t *testing.T, m *Mount) map[string]uint64 {
	t.Helper()
	inos := map[string]uint64{}
	err := filepath.WalkDir(m.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		rel, _ := filepath.Rel(m.Dir, p)
		inos[rel] = st.Ino
		return nil
	})
	if err != nil {
		t.Fatalf("walking the mount: %v", err)
	}
	return inos
}

func TestGFIDAssignedOnLookup(t *testing.T) {
	requireEnv(t)
	brick := newBrick(t)
	outside := populate(t, brick)
	m := mountLoom(t, posixVolfile(brick))
	inos := walkMount(t, m)

	gfids := map[xlator.GFID]string{}
	err := filepath.WalkDir(brick, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(brick, p)
		if rel == internalDir {
			return filepath.SkipDir
		}
		v, err := xattr.LGet(p, gfidXattr)
		if err != nil {
			t.Errorf("%q on the brick has no %s after a lookup through the mount: %v", rel, gfidXattr, err)
			return nil
		}
		if len(v) != 16 {
			t.Errorf("%q: %s is %d bytes, want 16", rel, gfidXattr, len(v))
			return nil
		}
		g := xlator.GFID(v)
		if g.IsZero() {
			t.Errorf("%q: GFID is all zeros", rel)
		}
		if rel == "." && g != xlator.RootGFID {
			t.Errorf("the brick root has GFID %v, want the root GFID %v", g, xlator.RootGFID)
		}
		if prev, dup := gfids[g]; dup && !(isHardlinkPair(prev, rel)) {
			t.Errorf("%q and %q share GFID %v", prev, rel, g)
		}
		gfids[g] = rel
		if ino, ok := inos[rel]; !ok {
			t.Errorf("%q is on the brick but not seen through the mount", rel)
		} else if ino != g.Ino() {
			t.Errorf("%q: st_ino through the mount is %d; the GFID %v gives %d", rel, ino, g, g.Ino())
		}
		return nil
	})
	must(t, err)
	top, _ := xattr.LGet(filepath.Join(brick, "top.txt"), gfidXattr)
	link, _ := xattr.LGet(filepath.Join(brick, "a", "hardlink"), gfidXattr)
	if string(top) != string(link) {
		t.Errorf("hard links top.txt and a/hardlink have different GFIDs %x and %x", top, link)
	}
	if v, err := xattr.LGet(outside, gfidXattr); err == nil {
		t.Errorf("the symlink's target outside the brick got a GFID %x", v)
	}
}

// isHardlinkPair reports whether a and b are the two names of the hard
// link that populate makes.
func isHardlinkPair(a, b string) bool {
	pair := []string{"top.txt", "a/hardlink"}
	return a != b && slices.Contains(pair, a) && slices.Contains(pair, b)
}

func TestGFIDHidden(t *testing.T) {
	m, brick := posixMount(t)
	writeFile(t, m.Path("f"), []byte("x"))
	must(t, os.Mkdir(m.Path("d"), 0o755))
	must(t, xattr.Set(m.Path("f"), "user.visible", []byte("yes")))
	for _, p := range []string{m.Dir, m.Path("f"), m.Path("d")} {
		names, err := xattr.LList(p)
		must(t, err)
		for _, n := range names {
			if strings.HasPrefix(n, internalXattr) {
				t.Errorf("listxattr %s through the mount shows the internal %s", p, n)
			}
		}
		if _, err := xattr.LGet(p, gfidXattr); err == nil {
			t.Errorf("getxattr %s %s through the mount succeeds; internal xattrs must be hidden", p, gfidXattr)
		}
	}
	if names, _ := xattr.LList(m.Path("f")); !slices.Contains(names, "user.visible") {
		t.Errorf("listxattr through the mount lacks user.visible: %q", names)
	}

	// Clients cannot change or remove a GFID.
	before, err := xattr.LGet(filepath.Join(brick, "f"), gfidXattr)
	must(t, err)
	if err := xattr.LSet(m.Path("f"), gfidXattr, make([]byte, 16)); err == nil {
		t.Errorf("setxattr %s through the mount succeeded", gfidXattr)
	}
	if err := xattr.LRemove(m.Path("f"), gfidXattr); err == nil {
		t.Errorf("removexattr %s through the mount succeeded", gfidXattr)
	}
	after, err := xattr.LGet(filepath.Join(brick, "f"), gfidXattr)
	if err != nil || string(after) != string(before) {
		t.Errorf("the brick's GFID of f changed from %x to %x (%v)", before, after, err)
	}

	// The internal directory is not visible or reachable.
	entries, err := os.ReadDir(m.Dir)
	must(t, err)
	for _, e := range entries {
		if e.Name() == internalDir {
			t.Errorf("readdir of the mount root lists %s", internalDir)
		}
	}
	_, err = os.Lstat(m.Path(internalDir))
	wantErrno(t, "lstat of the internal directory through the mount", err, syscall.ENOENT)
	if err := os.Mkdir(m.Path(internalDir), 0o755); err == nil {
		t.Errorf("mkdir %s through the mount succeeded", internalDir)
	}
	if _, err := os.Stat(filepath.Join(brick, internalDir)); err != nil {
		t.Errorf("the brick's internal directory: %v", err)
	}
}

func TestExistingDirectoryAsBrick(t *testing.T) {
	requireEnv(t)
	brick := newBrick(t)
	populate(t, brick)
	// What a user sees of the directory before it becomes a brick.
	want := snapshot(t, brick, snapshotOpts{skipInternal: true, skipRootTime: true})

	m := mountLoom(t, posixVolfile(brick))
	got := snapshot(t, m.Dir, snapshotOpts{skipRootTime: true})
	compareSnapshots(t, "the mount compared with the directory before", want, got)
	if a, b := lstat(t, m.Path("top.txt")), lstat(t, m.Path("a", "hardlink")); a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("existing hard links through the mount: st_ino %d and %d, nlink %d", a.Ino, b.Ino, a.Nlink)
	}
	if code := m.Unmount(t); code != 0 {
		t.Errorf("loom exited with %d after umount", code)
	}
	// Using it changed nothing but Loom's own metadata.
	compareSnapshots(t, "the brick after use compared with before",
		want, snapshot(t, brick, snapshotOpts{skipInternal: true, skipRootTime: true}))
}

func TestInodeStableAcrossRemount(t *testing.T) {
	requireEnv(t)
	brick := newBrick(t)
	populate(t, brick)
	m := mountLoom(t, posixVolfile(brick))
	writeFile(t, m.Path("made-through-mount"), []byte("new"))
	must(t, os.MkdirAll(m.Path("new-dir", "sub"), 0o755))
	must(t, os.Symlink("new-dir", m.Path("new-link")))
	must(t, os.Link(m.Path("made-through-mount"), m.Path("new-dir", "hard")))
	must(t, os.Rename(m.Path("a", "one.txt"), m.Path("new-dir", "moved.txt")))
	first := walkMount(t, m)
	if code := m.Unmount(t); code != 0 {
		t.Errorf("loom exited with %d after umount", code)
	}

	m2 := mountLoom(t, posixVolfile(brick))
	second := walkMount(t, m2)
	if len(first) != len(second) {
		t.Errorf("first mount shows %d entries, second %d", len(first), len(second))
	}
	byIno := map[uint64]string{}
	for p, ino := range first {
		if got, ok := second[p]; !ok {
			t.Errorf("%q is gone after the remount", p)
		} else if got != ino {
			t.Errorf("%q: st_ino %d before the remount, %d after", p, ino, got)
		}
		if prev, dup := byIno[ino]; dup && !isHardlinkPair(prev, p) &&
			!(slices.Contains([]string{"made-through-mount", "new-dir/hard"}, p) && slices.Contains([]string{"made-through-mount", "new-dir/hard"}, prev)) {
			t.Errorf("%q and %q share st_ino %d", prev, p, ino)
		}
		byIno[ino] = p
	}
}
