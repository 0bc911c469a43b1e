package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// replicaVolfile is cluster/replicate over one storage/posix +
// features/locks stack per brick, with the option lines opts.
func replicaVolfile(bricks []string, opts ...string) string {
	var b strings.Builder
	var kids []string
	for i, dir := range bricks {
		fmt.Fprintf(&b, "volume posix%d\n    type storage/posix\n    option directory %s\nend-volume\n\n", i, dir)
		fmt.Fprintf(&b, "volume locks%d\n    type features/locks\n    subvolumes posix%d\nend-volume\n\n", i, i)
		kids = append(kids, fmt.Sprintf("locks%d", i))
	}
	b.WriteString("volume rep\n    type cluster/replicate\n")
	for _, o := range opts {
		fmt.Fprintf(&b, "    option %s\n", o)
	}
	fmt.Fprintf(&b, "    subvolumes %s\nend-volume\n", strings.Join(kids, " "))
	return b.String()
}

// newBricks makes n empty brick directories.
func newBricks(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, mkdirAll(t, filepath.Join(testDir(t), fmt.Sprintf("brick%d", i))))
	}
	return out
}

// go-fuse's POSIX cases through a real mount of replicate(2); both bricks
// end identical.
func TestReplicatePosixtest(t *testing.T) {
	requireEnv(t)
	bricks := newBricks(t, 2)
	m := mountLoomWith(t, replicaVolfile(bricks), mountConfig{deadline: 5 * time.Minute})
	runPosixtestCases(t, m, "")
	if code := m.Unmount(t); code != 0 {
		t.Errorf("loom exited with %d", code)
	}
	// Replicate gives every copy the read child's times: the bricks are
	// equal to the nanosecond (the root's times aside: .loom changes them).
	so := snapshotOpts{skipInternal: true, skipRootTime: true}
	a, b := snapshot(t, bricks[0], so), snapshot(t, bricks[1], so)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the bricks differ after posixtest:\n%s", diffSnapshots(a, b))
	}
}

// The migration case through a real mount: an old, full brick and a new,
// empty one. The mount shows the whole tree at once, reads give the old
// contents, and the full heal that starts by itself makes the new brick
// equal to the old (contents, holes, hard links, symlinks, special files,
// owners, modes, ns times, xattrs, directory times).
func TestReplicateMigration(t *testing.T) {
	requireEnv(t)
	bricks := newBricks(t, 2)
	old := bricks[0]
	must(t, os.MkdirAll(filepath.Join(old, "docs/deep/er"), 0o755))
	for i := 0; i < 200; i++ {
		writeFile(t, filepath.Join(old, "docs", fmt.Sprintf("f%03d", i)), []byte(strings.Repeat(fmt.Sprint(i), 1000+i)))
	}
	writeFile(t, filepath.Join(old, "docs/deep/er/leaf"), []byte("leaf"))
	f, err := os.Create(filepath.Join(old, "sparse"))
	must(t, err)
	_, err = f.WriteAt([]byte("end"), 32<<20)
	must(t, err)
	must(t, f.Close())
	must(t, os.Link(filepath.Join(old, "docs/f001"), filepath.Join(old, "hardlink")))
	must(t, os.Symlink("docs/f002", filepath.Join(old, "symlink")))
	must(t, unix.Mkfifo(filepath.Join(old, "fifo"), 0o640))
	must(t, os.Chown(filepath.Join(old, "docs/f003"), 4242, 4343))
	must(t, unix.Setxattr(filepath.Join(old, "docs/f004"), "user.tag", []byte("v"), 0))
	ts := []unix.Timespec{{Sec: 1_400_000_000, Nsec: 1}, {Sec: 1_450_000_000, Nsec: 999_999_999}}
	for _, p := range []string{"docs/f005", "docs/deep/er", "docs/deep", "docs"} {
		must(t, unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(old, p), ts, unix.AT_SYMLINK_NOFOLLOW))
	}
	so := snapshotOpts{skipInternal: true, skipRootTime: true}
	want := snapshot(t, old, so)

	m := mountLoom(t, replicaVolfile(bricks))
	ents, err := os.ReadDir(m.Path("docs"))
	if err != nil || len(ents) != 201 {
		t.Fatalf("the mount does not show the whole tree at once: %d entries, %v", len(ents), err)
	}
	for _, i := range []int{0, 77, 199} {
		p := fmt.Sprintf("docs/f%03d", i)
		if got := readFile(t, m.Path(p)); string(got) != strings.Repeat(fmt.Sprint(i), 1000+i) {
			t.Errorf("read of %s during the migration: %d bytes", p, len(got))
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := snapshot(t, bricks[1], so)
		if reflect.DeepEqual(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new brick did not become equal to the old within 60s:\n%s", diffSnapshots(want, got))
		}
		time.Sleep(100 * time.Millisecond)
	}
	var a, b unix.Stat_t
	must(t, unix.Lstat(filepath.Join(bricks[1], "hardlink"), &a))
	must(t, unix.Lstat(filepath.Join(bricks[1], "docs/f001"), &b))
	if a.Ino != b.Ino {
		t.Errorf("the hard link was copied, not linked, on the new brick")
	}
	must(t, unix.Lstat(filepath.Join(bricks[1], "sparse"), &a))
	if a.Blocks*512 > 1<<20 {
		t.Errorf("the sparse file takes %d bytes on the new brick: holes were filled", a.Blocks*512)
	}
	if code := m.Unmount(t); code != 0 {
		t.Errorf("loom exited with %d", code)
	}
}

// diffSnapshots lists the entries that differ between two snapshots.
func diffSnapshots(a, b map[string]entryInfo) string {
	var out []string
	for k, va := range a {
		if vb, ok := b[k]; !ok {
			out = append(out, "only in the first: "+k)
		} else if !reflect.DeepEqual(va, vb) {
			out = append(out, fmt.Sprintf("%s: %v != %v", k, va, vb))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, "only in the second: "+k)
		}
	}
	sort.Strings(out)
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("... and %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}
