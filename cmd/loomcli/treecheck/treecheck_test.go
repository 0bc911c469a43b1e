package treecheck_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/loom-fs/loom/cmd/loomcli/treecheck"
	"github.com/loom-fs/loom/integration/treegen"
	"golang.org/x/sys/unix"
)

// small is a quick fidelity tree.
var small = treegen.Config{Seed: 7, WideEntries: 300, Depth: 105, BigFileSize: 3 << 20, SparseSize: 40 << 20}

func generate(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (device nodes, chown, trusted xattrs)")
	}
	dir := filepath.Join(t.TempDir(), "tree")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := treegen.Generate(dir, small); err != nil {
		t.Fatal(err)
	}
	return dir
}

func scan(t *testing.T, dir string) *treecheck.Tree {
	t.Helper()
	tr, err := treecheck.Scan(dir, treecheck.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// A tree equals itself, and scanning it changes nothing (atimes included).
func TestScanSelf(t *testing.T) {
	dir := generate(t)
	a := scan(t, dir)
	b := scan(t, dir)
	if d := treecheck.Compare(a, b, treecheck.CompareOptions{}); len(d) != 0 {
		t.Fatalf("a tree differs from itself in %d paths, first %v", len(d), d[0])
	}
	want := map[string]uint32{"special/fifo": unix.S_IFIFO, "special/socket": unix.S_IFSOCK,
		"special/block": unix.S_IFBLK, "symlinks/dangling": unix.S_IFLNK, "names/new\nline": unix.S_IFREG}
	for p, typ := range want {
		if e := a.Entries[p]; e == nil || e.Type() != typ {
			t.Errorf("%q: %+v, want type %o", p, e, typ)
		}
	}
	if got := a.Links["links/a"]; strings.Join(got, ",") != "links-other/d,links/a,links/b,links/sub/c" {
		t.Errorf("hard-link group of links/a: %q", got)
	}
	if e := a.Entries["sparse/holes"]; e == nil || len(e.Data) < 3 {
		t.Errorf("sparse/holes data map: %+v", e)
	}
	if e := a.Entries["acls/dir"]; e == nil || e.Xattrs["system.posix_acl_default"] == "" {
		t.Errorf("acls/dir has no default ACL: %+v", e)
	}
}

// cp -a keeps everything the verifier looks at but the data map of a
// file it wrote zeros into; each change made afterwards is named.
func TestCompareFindsEachChange(t *testing.T) {
	dir := generate(t)
	cp := filepath.Join(filepath.Dir(dir), "copy")
	if out, err := exec.Command("cp", "-a", "--sparse=always", dir, cp).CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v: %s", err, out)
	}
	a := scan(t, dir)
	if d := treecheck.Compare(a, scan(t, cp), treecheck.CompareOptions{IgnoreAtime: true}); len(d) != 0 {
		t.Fatalf("cp -a copy differs in %d paths, first %v", len(d), d[0])
	}
	keepTimes := func(p string, fn func() error) {
		var st unix.Stat_t
		unix.Lstat(p, &st)
		if err := fn(); err != nil {
			t.Fatal(err)
		}
		unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{st.Atim, st.Mtim}, unix.AT_SYMLINK_NOFOLLOW)
	}
	c := func(rel string) string { return filepath.Join(cp, rel) }
	keepTimes(c("files/small"), func() error {
		f, err := os.OpenFile(c("files/small"), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteAt([]byte("X"), 100)
		return err
	})
	keepTimes(c("xattrs/file"), func() error { return unix.Lsetxattr(c("xattrs/file"), "user.comment", []byte("changed"), 0) })
	keepTimes(c("symlinks"), func() error {
		if err := os.Remove(c("symlinks/relative")); err != nil {
			return err
		}
		return os.Symlink("../files/big", c("symlinks/relative"))
	})
	keepTimes(c("symlinks/relative"), func() error { return nil })
	keepTimes(c("links/sub"), func() error {
		if err := os.Remove(c("links/sub/c")); err != nil {
			return err
		}
		return os.WriteFile(c("links/sub/c"), []byte{}, 0o644)
	})
	keepTimes(c("owners/file-1"), func() error { return os.Lchown(c("owners/file-1"), 5, 5) })
	keepTimes(c("modes/sticky"), func() error { return os.Chmod(c("modes/sticky"), 0o777) })
	keepTimes(c("sparse"), func() error {
		keepTimes(c("sparse/holes"), func() error {
			// Same bytes, holes written as zeros.
			out, err := exec.Command("cp", "--sparse=never", c("sparse/holes"), c("sparse/filled")).CombinedOutput()
			if err != nil {
				return fmt.Errorf("cp: %v: %s", err, out)
			}
			return os.Rename(c("sparse/filled"), c("sparse/holes"))
		})
		return nil
	})
	ts := []unix.Timespec{{Sec: 1, Nsec: 5}, {Sec: 2, Nsec: 7}}
	unix.UtimesNanoAt(unix.AT_FDCWD, c("deep"), ts, unix.AT_SYMLINK_NOFOLLOW)
	diffs := treecheck.Compare(a, scan(t, cp), treecheck.CompareOptions{IgnoreAtime: true})
	got := map[string]string{}
	for _, d := range diffs {
		got[d.Path] = strings.Join(d.What, "; ")
	}
	for p, want := range map[string]string{
		"files/small":       "contents differ",
		"xattrs/file":       "xattr user.comment",
		"symlinks/relative": "symlink target",
		"links/sub/c":       "link count 4 != 1",
		"links/a":           "hard links",
		"owners/file-1":     "owner",
		"modes/sticky":      "mode 1777 != 777",
		"deep":              "mtime",
		"sparse/holes":      "data map",
	} {
		if !strings.Contains(got[p], want) {
			t.Errorf("%s: got %q, want it to mention %q", p, got[p], want)
		}
	}
	if len(diffs) > 11 {
		t.Errorf("more differences than changes: %v", diffs)
	}
	// CompareDirs, which compares contents side by side, finds the same
	// paths and says the same of each (but a file whose size differs is
	// not also called "contents differ").
	_, pairDiffs, err := treecheck.CompareDirs(dir, cp, treecheck.CompareOptions{IgnoreAtime: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(pairDiffs) != len(diffs) {
		t.Errorf("CompareDirs: %d differences, Compare: %d\n%v\n%v", len(pairDiffs), len(diffs), pairDiffs, diffs)
	}
	for i := range pairDiffs {
		if i >= len(diffs) {
			break
		}
		pw, w := append([]string(nil), pairDiffs[i].What...), []string(nil)
		for _, x := range diffs[i].What {
			if x != "contents differ" || !strings.Contains(strings.Join(diffs[i].What, ";"), "size ") {
				w = append(w, x)
			}
		}
		sort.Strings(pw)
		sort.Strings(w)
		if pairDiffs[i].Path != diffs[i].Path || strings.Join(pw, "; ") != strings.Join(w, "; ") {
			t.Errorf("CompareDirs: %v, Compare: %v", pairDiffs[i], diffs[i])
		}
	}
}
