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

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
