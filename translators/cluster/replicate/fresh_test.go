package replicate_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// makeTree fills dir with every kind of entry a migration must carry:
// contents, holes, hard links, symlinks, special files, owners, modes,
// times with nanoseconds, xattrs, ACLs and directory times.
func makeTree(t *testing.T, dir string) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "a/b/c"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a/plain"), []byte("plain contents\n"), 0o640))
	must(os.WriteFile(filepath.Join(dir, "a/b/c/deep"), []byte(strings.Repeat("deep", 10000)), 0o600))
	f, err := os.Create(filepath.Join(dir, "a/sparse"))
	must(err)
	_, err = f.WriteAt([]byte("start"), 0)
	must(err)
	_, err = f.WriteAt([]byte("middle"), 8<<20)
	must(err)
	must(f.Truncate(16 << 20))
	must(f.Close())
	// Small enough for the heal of new files (healNew): data, a hole,
	// data, and a hole at the end.
	f, err = os.Create(filepath.Join(dir, "a/smallsparse"))
	must(err)
	_, err = f.WriteAt([]byte("head"), 0)
	must(err)
	_, err = f.WriteAt([]byte("middle"), 1<<20)
	must(err)
	must(f.Truncate(3 << 20))
	must(f.Close())
	must(os.Link(filepath.Join(dir, "a/plain"), filepath.Join(dir, "a/b/hardlink")))
	must(os.Symlink("../plain", filepath.Join(dir, "a/b/symlink")))
	must(unix.Mkfifo(filepath.Join(dir, "a/fifo"), 0o620))
	must(unix.Mknod(filepath.Join(dir, "a/chardev"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3))))
	must(os.Lchown(filepath.Join(dir, "a/plain"), 1234, 5678))
	// A set-group-id directory gives a new file its group: the heal
	// must give the copy of a/sg/f its own group back, and with it its
	// set-id bits (which the chown clears).
	must(os.Mkdir(filepath.Join(dir, "a/sg"), 0o755))
	must(os.Chown(filepath.Join(dir, "a/sg"), 0, 5678))
	must(unix.Chmod(filepath.Join(dir, "a/sg"), 0o2775))
	must(os.WriteFile(filepath.Join(dir, "a/sg/f"), []byte("#!/bin/true\n"), 0o755))
	must(os.Lchown(filepath.Join(dir, "a/sg/f"), 1234, 4321))
	must(unix.Chmod(filepath.Join(dir, "a/sg/f"), 0o6755))
	must(os.Lchown(filepath.Join(dir, "a/b/symlink"), 4321, 8765))
	must(os.Chown(filepath.Join(dir, "a/b"), 1000, 1000))
	must(os.Chmod(filepath.Join(dir, "a/b/c"), 0o1777))
	must(unix.Setxattr(filepath.Join(dir, "a/plain"), "user.note", []byte("kept"), 0))
	if out, err := exec.Command("setfacl", "-m", "u:1001:rw", filepath.Join(dir, "a/b/c/deep")).CombinedOutput(); err != nil {
		t.Fatalf("setfacl: %v: %s", err, out)
	}
	if out, err := exec.Command("setfacl", "-d", "-m", "g:1002:rx", filepath.Join(dir, "a/b")).CombinedOutput(); err != nil {
		t.Fatalf("setfacl -d: %v: %s", err, out)
	}
	ts := []unix.Timespec{{Sec: 1_600_000_000, Nsec: 123456789}, {Sec: 1_500_000_000, Nsec: 987654321}}
	for _, p := range []string{"a/b/c/deep", "a/plain", "a/sparse", "a/fifo", "a/b/c", "a/b", "a"} {
		must(unix.UtimesNanoAt(unix.AT_FDCWD, filepath.Join(dir, p), ts, unix.AT_SYMLINK_NOFOLLOW))
	}
}

// skipUnlessTreeTools skips a test that needs makeTree: root, for owners,
// device files and trusted xattrs, and setfacl.
func skipUnlessTreeTools(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for owners, device files and trusted xattrs")
	}
	if _, err := exec.LookPath("setfacl"); err != nil {
		t.Skip("needs setfacl")
	}
}

// newFreshPair builds replicate(2) with locks over old, filled by
// makeTree, and fresh, an empty brick (skipping where makeTree cannot
// run).
func newFreshPair(t *testing.T) (old, fresh string, cl *cluster) {
	t.Helper()
	skipUnlessTreeTools(t)
	old, fresh = t.TempDir(), t.TempDir()
	makeTree(t, old)
	return old, fresh, newCluster(t, buildOpts{n: 2, locks: true, dirs: []string{old, fresh}})
}

// A fresh, empty brick beside a full one (a replaced disk, or the new
// side of a migration): the volume shows the full tree at once, reads
// come from the full brick, and the full heal that starts by itself
// copies everything.
func TestFreshBrickFullHeal(t *testing.T) {
	skipUnlessTreeTools(t)
	for _, tc := range []struct {
		name string
		o    buildOpts
		read string // the fresh brick's child name
	}{
		// posix under features/locks: new files' data is copied by the
		// kernel (copy_file_range).
		{"local", buildOpts{locks: true}, "locks1"},
		// debug/error-gen above: not data-transparent, so the data goes
		// through the heal (read and write).
		{"through-translators", buildOpts{locks: true, faults: true}, "brick1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old, fresh := t.TempDir(), t.TempDir()
			makeTree(t, old)
			want := treeOf(t, old, ".")
			o := tc.o
			o.n, o.dirs = 2, []string{old, fresh}
			o.options = []string{"read-hash-mode", "0", "read-subvolume", tc.read}
			cl := newCluster(t, o)
			f := client(t, cl.top)
			if got, err := f.read("/a/b/c/deep"); err != nil || len(got) != 40000 {
				t.Errorf("read during the heal: %d bytes, %v", len(got), err)
			}
			cl.waitHealed(t, 30*time.Second)
			if got := treeOf(t, fresh, "."); got != want {
				t.Errorf("fresh brick after the full heal:\n%s\nwant (the old brick before):\n%s", got, want)
			}
			sameTrees(t, old, fresh)
			for _, sp := range []struct {
				name string
				max  int64
			}{{"a/sparse", 1 << 20}, {"a/smallsparse", 1 << 20}} {
				var st syscall.Stat_t
				if err := syscall.Stat(filepath.Join(fresh, sp.name), &st); err != nil || st.Blocks*512 >= sp.max {
					t.Errorf("%s's holes were filled on the fresh brick: %d blocks, %v", sp.name, st.Blocks, err)
				}
			}
		})
	}
}

// TestFreshHealHolesThroughTranslators: new files healed through a
// translator that sees data (so read and written by the heal, as
// through protocol/client) keep their holes, and written zeros stay
// data, whether the heal can tell from the contents that a file has no
// hole (copyFreshDense) or must ask where its holes are.
func TestFreshHealHolesThroughTranslators(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for trusted xattrs")
	}
	old, fresh := t.TempDir(), t.TempDir()
	write := func(name string, at map[int64]string, size int64) {
		f, err := os.Create(filepath.Join(old, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for off, s := range at {
			if _, err := f.WriteAt([]byte(s), off); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]func(){
		"dense":      func() { write("dense", map[int64]string{0: strings.Repeat("d", 40000)}, 40000) },
		"tinysparse": func() { write("tinysparse", map[int64]string{0: "head", 60 << 10: "tail"}, 60<<10+4) },
		"holetail":   func() { write("holetail", map[int64]string{0: "head"}, 200<<10) },
		"zeros":      func() { write("zeros", map[int64]string{0: "z" + string(make([]byte, 16<<10+99))}, 16<<10+100) },
		"zerotail": func() {
			write("zerotail", map[int64]string{0: strings.Repeat("a", 600) + string(make([]byte, 400))}, 1000)
		},
	}
	for _, mk := range files {
		mk()
	}
	cl := newCluster(t, buildOpts{n: 2, locks: true, faults: true, dirs: []string{old, fresh}})
	cl.waitHealed(t, 30*time.Second)
	for name := range files {
		a, b := filepath.Join(old, name), filepath.Join(fresh, name)
		if ha, hb := holesOf(t, a), holesOf(t, b); ha != hb {
			t.Errorf("%s: data on the fresh brick at %s, on the old one at %s", name, hb, ha)
		}
		if !bytes.Equal(fileOn(t, old, name), fileOn(t, fresh, name)) {
			t.Errorf("%s: contents differ", name)
		}
	}
}
