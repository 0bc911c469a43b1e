package strip_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/loom-fs/loom/cmd/loomcli/strip"
	"github.com/loom-fs/loom/cmd/loomcli/treecheck"
	"github.com/loom-fs/loom/integration/treegen"
	"golang.org/x/sys/unix"
)

// Stripping a tree that looks like a brick (Loom xattrs on every kind of
// entry, a .loom directory with hard-link handles) leaves exactly the
// tree it was before.
func TestStripRestoresTree(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := filepath.Join(t.TempDir(), "brick")
	must(t, os.Mkdir(dir, 0o755))
	cfg := treegen.Config{Seed: 3, WideEntries: 50, Depth: 101, BigFileSize: 1 << 20, SparseSize: 16 << 20}
	if _, err := treegen.Generate(dir, cfg); err != nil {
		t.Fatal(err)
	}
	before, err := treecheck.Scan(dir, treecheck.Options{KeepLoom: true})
	must(t, err)

	// Make it a brick behind the tree's back, keeping every time.
	var rootSt unix.Stat_t
	must(t, unix.Lstat(dir, &rootSt))
	must(t, os.MkdirAll(filepath.Join(dir, ".loom/handles/aa/bb"), 0o700))
	i := 0
	inodes := map[uint64]bool{}
	for p, e := range before.Entries {
		full := filepath.Join(dir, p)
		var st unix.Stat_t
		must(t, unix.Lstat(full, &st))
		inodes[st.Ino] = true
		must(t, unix.Lsetxattr(full, "trusted.loom.gfid", []byte("0123456789abcdef"), 0))
		must(t, unix.Lsetxattr(full, "trusted.loom.pending.new", []byte{0, 0, 0, 1}, 0))
		if e.Type() == unix.S_IFREG && i < 20 {
			must(t, os.Link(full, filepath.Join(dir, ".loom/handles/aa/bb", string(rune('a'+i)))))
			i++
		}
		must(t, unix.UtimesNanoAt(unix.AT_FDCWD, full, []unix.Timespec{st.Atim, st.Mtim}, unix.AT_SYMLINK_NOFOLLOW))
	}
	// What else a .loom holds: files at each level, symlinks (to the
	// tree itself: never followed), an empty directory, a deeper one.
	must(t, os.WriteFile(filepath.Join(dir, ".loom/open"), nil, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, ".loom/handles/aa/cc"), []byte("x"), 0o600))
	must(t, os.Symlink("../../../..", filepath.Join(dir, ".loom/handles/aa/bb/up")))
	must(t, os.Symlink("..", filepath.Join(dir, ".loom/handles/up")))
	must(t, os.MkdirAll(filepath.Join(dir, ".loom/handles/ee/ff/gg/hh"), 0o700))
	must(t, os.MkdirAll(filepath.Join(dir, ".loom/empty"), 0o700))
	must(t, unix.UtimesNanoAt(unix.AT_FDCWD, dir, []unix.Timespec{rootSt.Atim, rootSt.Mtim}, 0))

	res, err := strip.Tree(dir)
	must(t, err)
	if !res.LoomDir || res.Xattrs != 2*len(inodes) {
		t.Errorf("result %+v, want .loom removed and %d xattrs (two per inode)", res, 2*len(inodes))
	}
	after, err := treecheck.Scan(dir, treecheck.Options{KeepLoom: true})
	must(t, err)
	if d := treecheck.Compare(before, after, treecheck.CompareOptions{}); len(d) != 0 {
		t.Fatalf("%d paths differ after strip, first: %v", len(d), d[0])
	}
	// A second strip finds nothing to do.
	res, err = strip.Tree(dir)
	must(t, err)
	if res.LoomDir || res.Xattrs != 0 {
		t.Errorf("second strip: %+v", res)
	}
}

// ClearLoomDir empties .loom but the names it keeps, and leaves every
// time of the root as it was; RemoveLoomDir then removes what is left.
func TestClearLoomDirKeeps(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, ".loom/handles/01/02"), 0o700))
	must(t, os.WriteFile(filepath.Join(dir, ".loom/handles/01/02/h"), nil, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, ".loom/state.json"), []byte("{}"), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, ".loom/other"), nil, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "data"), []byte("data"), 0o600))
	var before unix.Stat_t
	must(t, unix.Lstat(dir, &before))

	must(t, strip.ClearLoomDir(dir, "state.json"))
	ents, err := os.ReadDir(filepath.Join(dir, ".loom"))
	must(t, err)
	if len(ents) != 1 || ents[0].Name() != "state.json" {
		t.Errorf(".loom after ClearLoomDir: %v, want only state.json", ents)
	}
	var after unix.Stat_t
	must(t, unix.Lstat(dir, &after))
	if after.Mtim != before.Mtim || after.Ino != before.Ino {
		t.Errorf("the root changed: mtime %v -> %v", before.Mtim, after.Mtim)
	}
	removed, err := strip.RemoveLoomDir(dir)
	must(t, err)
	if _, err := os.Lstat(filepath.Join(dir, ".loom")); !removed || !os.IsNotExist(err) {
		t.Errorf("RemoveLoomDir: removed %v, .loom: %v", removed, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "data")); err != nil || string(b) != "data" {
		t.Errorf("data: %q, %v", b, err)
	}
	must(t, unix.Lstat(dir, &after))
	if after.Mtim != before.Mtim || after.Atim != before.Atim {
		t.Errorf("the root's times changed: %v %v -> %v %v", before.Atim, before.Mtim, after.Atim, after.Mtim)
	}
	// Nothing to clear: no error.
	must(t, strip.ClearLoomDir(dir))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
