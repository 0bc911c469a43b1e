package distribute_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/translators/cluster/distribute"
	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// Files written through the volume over 2, 3 and 5 bricks each land, as
// data, on exactly the brick the directory's layout on disk hashes them
// to, no link files are made for new files, and the merged listing shows
// each once. (That 10,000 names spread within ±15% of even is
// TestPlacementEven's, on the pure placement function.)
func TestSpreadOverBricks(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			v := newVolume(t, opts{n: n})
			f := newClient(t, v.top)
			f.mkdir("/d")
			const files = 500
			for i := 0; i < files; i++ {
				f.write(fmt.Sprintf("/d/f%05d", i), nil)
			}
			lay := brickLayout(t, v.dirs, "d")
			counts := make([]int, n)
			for i := 0; i < files; i++ {
				name := fmt.Sprintf("f%05d", i)
				want, err := lay.Search(distribute.Hash(name))
				if err != nil {
					t.Fatalf("layout %+v: %v", lay, err)
				}
				data, links := onBricks(t, v.dirs, "d/"+name)
				if len(data) != 1 || data[0] != want || len(links) != 0 {
					t.Errorf("%s is data on bricks %v, link files on %v; hashed brick %d", name, data, links, want)
				}
				counts[want]++
			}
			for i, dir := range v.dirs {
				ents, err := os.ReadDir(filepath.Join(dir, "d"))
				if err != nil {
					t.Fatal(err)
				}
				if len(ents) != counts[i] {
					t.Errorf("brick %d holds %d entries, its range takes %d names", i, len(ents), counts[i])
				}
			}
			if got := len(f.list("/d")); got != files {
				t.Errorf("readdir lists %d names, want %d", got, files)
			}
		})
	}
}

// Every directory has one GFID and a layout on every brick; layouts
// together cover the hash space.
func TestDirectoriesEverywhere(t *testing.T) {
	v := newVolume(t, opts{n: 3})
	f := newClient(t, v.top)
	f.mkdir("/a")
	f.mkdir("/a/b")
	var gfids [][]byte
	var lay distribute.Layout
	for _, dir := range v.dirs {
		p := filepath.Join(dir, "a", "b")
		g := make([]byte, 16)
		if _, err := unix.Lgetxattr(p, "trusted.loom.gfid", g); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		gfids = append(gfids, g)
		b := make([]byte, 64)
		n, err := unix.Lgetxattr(p, "trusted.loom.dht.layout", b)
		if err != nil {
			t.Fatalf("%s has no layout: %v", p, err)
		}
		r, err := distribute.DecodeRange(b[:n])
		if err != nil {
			t.Fatal(err)
		}
		lay = append(lay, r)
	}
	for _, g := range gfids[1:] {
		if !bytes.Equal(g, gfids[0]) {
			t.Fatalf("directory GFIDs differ across bricks: %x", gfids)
		}
	}
	if p := lay.Problem(); p != "" || !lay.Committed() {
		t.Fatalf("layout %+v: problem %q, committed %v", lay, p, lay.Committed())
	}
}

// A layout that lost a range (a hole) is repaired on lookup; a directory
// missing on a brick is recreated there.
func TestLayoutAndDirectorySelfHeal(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	{
		v := newVolume(t, opts{n: 3, dirs: dirs})
		f := newClient(t, v.top)
		f.mkdir("/x")
		f.mkdir("/y")
		f.write("/x/file", []byte("data"))
		v.g.Stop()
	}
	if err := unix.Removexattr(filepath.Join(dirs[1], "x"), "trusted.loom.dht.layout"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dirs[2], "y")); err != nil {
		t.Fatal(err)
	}
	v := newVolume(t, opts{n: 3, dirs: dirs})
	f := newClient(t, v.top)
	if got := f.read("/x/file"); string(got) != "data" {
		t.Fatalf("read after repair: %q", got)
	}
	var lay distribute.Layout
	for _, dir := range dirs {
		b := make([]byte, 64)
		n, err := unix.Lgetxattr(filepath.Join(dir, "x"), "trusted.loom.dht.layout", b)
		if err != nil {
			t.Fatalf("no layout on %s after lookup: %v", dir, err)
		}
		r, _ := distribute.DecodeRange(b[:n])
		lay = append(lay, r)
	}
	if p := lay.Problem(); p != "" {
		t.Fatalf("layout not repaired: %s", p)
	}
	f.resolve("/y")
	if fi, err := os.Stat(filepath.Join(dirs[2], "y")); err != nil || !fi.IsDir() {
		t.Fatalf("directory not healed onto the brick that lost it: %v", err)
	}
}

// A renamed file keeps its data; a link file at the new hashed brick
// leads to it; it is listed once; unlinking removes both.
func TestRenameLeavesLinkFile(t *testing.T) {
	v := newVolume(t, opts{n: 2})
	f := newClient(t, v.top)
	f.mkdir("/d")
	// Find a name pair that hash to different bricks.
	f.write("/d/src", []byte("payload"))
	srcData, _ := onBricks(t, v.dirs, "d/src")
	var dst string
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("dst%d", i)
		f.write("/d/"+name, nil)
		data, _ := onBricks(t, v.dirs, "d/"+name)
		loc, _, _ := f.resolve("/d/" + name)
		v.top.Unlink(f.ctx, f.c, loc)
		if data[0] != srcData[0] {
			dst = name
			break
		}
	}
	if err := f.rename("/d/src", "/d/"+dst); err != nil {
		t.Fatal(err)
	}
	data, links := onBricks(t, v.dirs, "d/"+dst)
	if len(data) != 1 || data[0] != srcData[0] || len(links) != 1 {
		t.Fatalf("after rename: data on %v (want %v), link files on %v", data, srcData, links)
	}
	if got := f.read("/d/" + dst); string(got) != "payload" {
		t.Fatalf("read through link file: %q", got)
	}
	if names := f.list("/d"); len(names) != 1 || names[0] != dst {
		t.Fatalf("listing %v", names)
	}
	loc, _, _ := f.resolve("/d/" + dst)
	if err := v.top.Unlink(f.ctx, f.c, loc); err != nil {
		t.Fatal(err)
	}
	if data, links := onBricks(t, v.dirs, "d/"+dst); len(data)+len(links) != 0 {
		t.Fatalf("unlink left data on %v, link files on %v", data, links)
	}
}

// A lookup that meets a stale link file (its target lost the file)
// answers ENOENT and removes it.
func TestStaleLinkFileRemoved(t *testing.T) {
	v := newVolume(t, opts{n: 2})
	f := newClient(t, v.top)
	f.mkdir("/d")
	var name string
	for i := 0; ; i++ {
		name = fmt.Sprintf("n%d", i)
		f.write("/d/"+name, []byte("x"))
		if err := f.rename("/d/"+name, "/d/moved"); err != nil {
			t.Fatal(err)
		}
		if _, links := onBricks(t, v.dirs, "d/moved"); len(links) == 1 {
			break
		}
		loc, _, _ := f.resolve("/d/moved")
		v.top.Unlink(f.ctx, f.c, loc)
	}
	data, links := onBricks(t, v.dirs, "d/moved")
	if err := os.Remove(filepath.Join(v.dirs[data[0]], "d", "moved")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.resolve("/d/moved"); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("lookup through a stale link file: %v, want ENOENT", err)
	}
	if _, err := os.Lstat(filepath.Join(v.dirs[links[0]], "d", "moved")); !os.IsNotExist(err) {
		t.Fatalf("stale link file still there: %v", err)
	}
}

// With the hashed brick short of space (min-free-disk 100%: every brick
// is full by that measure, except that placement then keeps the hashed
// one), and with an absolute reserve larger than one brick's free space
// but not the other's, new files go to the roomy brick with link files.
func TestMinFreeDiskPlacesElsewhere(t *testing.T) {
	small := t.TempDir()
	if err := unix.Mount("tmpfs", small, "tmpfs", 0, "size=4m"); err != nil {
		t.Skipf("cannot mount a small tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(small, unix.MNT_DETACH) })
	v := newVolume(t, opts{n: 2, dirs: []string{small, t.TempDir()}, options: []string{"min-free-disk", "64MB"}})
	f := newClient(t, v.top)
	f.mkdir("/d")
	for i := 0; i < 40; i++ {
		f.write(fmt.Sprintf("/d/f%d", i), []byte("x"))
	}
	ents, _ := os.ReadDir(filepath.Join(small, "d"))
	for _, e := range ents {
		data, links := onBricks(t, v.dirs, "d/"+e.Name())
		if len(data) != 1 || data[0] != 1 || len(links) != 1 || links[0] != 0 {
			t.Fatalf("%s: data on %v, link files on %v; want data on the roomy brick 1 and a link file on 0", e.Name(), data, links)
		}
	}
	if len(ents) == 0 {
		t.Fatal("no file hashed to the small brick")
	}
	if got := len(f.list("/d")); got != 40 {
		t.Fatalf("listing shows %d files, want 40", got)
	}
}

// Hard links across directories: each name reads the same data and is
// listed once.
func TestHardLinksAcrossDirectories(t *testing.T) {
	v := newVolume(t, opts{n: 3})
	f := newClient(t, v.top)
	f.mkdir("/a")
	f.mkdir("/b")
	f.write("/a/orig", []byte("shared"))
	for i := 0; i < 20; i++ {
		old, _, _ := f.resolve("/a/orig")
		if _, err := v.top.Link(f.ctx, f.c, old, f.target(fmt.Sprintf("/b/l%d", i))); err != nil {
			t.Fatalf("link %d: %v", i, err)
		}
	}
	f.write("/b/l7", []byte("changed"))
	for i := 0; i < 20; i++ {
		if got := f.read(fmt.Sprintf("/b/l%d", i)); string(got) != "changed" {
			t.Fatalf("/b/l%d reads %q", i, got)
		}
	}
	if got := len(f.list("/b")); got != 20 {
		t.Fatalf("/b lists %d names, want 20", got)
	}
	_, st, _ := f.resolve("/a/orig")
	if st.Nlink != 21 {
		t.Fatalf("nlink %d, want 21", st.Nlink)
	}
}

// A brick that goes down: its files answer ENOTCONN, never ENOENT, and
// nothing is created in their place; the others keep working; mkdir
// needs every brick.
func TestChildDown(t *testing.T) {
	v := newVolume(t, opts{n: 2})
	f := newClient(t, v.top)
	f.mkdir("/d")
	for i := 0; i < 20; i++ {
		f.write(fmt.Sprintf("/d/f%d", i), []byte("x"))
	}
	down := v.g.Find("brick1")
	v.top.Notify(xlator.EventChildDown, down)
	sawDown, sawUp := 0, 0
	for i := 0; i < 20; i++ {
		p := fmt.Sprintf("/d/f%d", i)
		data, _ := onBricks(t, v.dirs, "d/"+p[3:])
		_, err := f.tryRead(p)
		switch {
		case data[0] == 1 && errors.Is(err, syscall.ENOTCONN):
			sawDown++
			if err := f.tryWrite(p, []byte("dup")); !errors.Is(err, syscall.ENOTCONN) {
				t.Fatalf("writing %s on the down brick: %v, want ENOTCONN", p, err)
			}
		case data[0] == 0 && err == nil:
			sawUp++
		default:
			t.Fatalf("%s on brick %d: %v", p, data[0], err)
		}
	}
	if sawDown == 0 || sawUp == 0 {
		t.Fatalf("down %d, up %d: want some of each", sawDown, sawUp)
	}
	if _, err := v.top.Mkdir(f.ctx, f.c, f.target("/new"), 0o755, 0); !errors.Is(err, syscall.ENOTCONN) {
		t.Fatalf("mkdir with a brick down: %v, want ENOTCONN", err)
	}
	v.top.Notify(xlator.EventChildUp, down)
	for i := 0; i < 20; i++ {
		if got := f.read(fmt.Sprintf("/d/f%d", i)); string(got) != "x" {
			t.Fatalf("f%d after the brick returned: %q", i, got)
		}
	}
}

// The root of a new volume gets a committed layout on its first lookup
// (it is empty everywhere, so every file is where the layout says), as
// does a new directory at mkdir; a directory that lost its layout while
// holding files gets an uncommitted one (its files may sit elsewhere).
func TestFreshLayoutsCommitted(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	{
		v := newVolume(t, opts{n: 3, dirs: dirs})
		f := newClient(t, v.top)
		if _, _, err := f.resolve("/"); err != nil {
			t.Fatal(err)
		}
		if lay := brickLayout(t, dirs, "."); lay.Problem() != "" || !lay.Committed() {
			t.Fatalf("root layout of a new volume %+v: problem %q, committed %v", lay, lay.Problem(), lay.Committed())
		}
		if _, _, err := f.resolve("/missing"); !errors.Is(err, syscall.ENOENT) {
			t.Fatalf("lookup of a missing top-level name: %v", err)
		}
		f.mkdir("/d")
		if lay := brickLayout(t, dirs, "d"); lay.Problem() != "" || !lay.Committed() {
			t.Fatalf("layout of a new directory %+v: committed %v", lay, lay.Committed())
		}
		f.write("/d/file", []byte("x"))
		v.g.Stop()
	}
	for _, b := range dirs {
		for _, rel := range []string{".", "d"} {
			if err := unix.Removexattr(filepath.Join(b, rel), "trusted.loom.dht.layout"); err != nil {
				t.Fatal(err)
			}
		}
	}
	v := newVolume(t, opts{n: 3, dirs: dirs})
	f := newClient(t, v.top)
	if got := f.read("/d/file"); string(got) != "x" {
		t.Fatalf("read after repair: %q", got)
	}
	if lay := brickLayout(t, dirs, "d"); lay.Problem() != "" || lay.Committed() {
		t.Errorf("repaired layout of a directory with a file %+v: problem %q, committed %v", lay, lay.Problem(), lay.Committed())
	}
	if lay := brickLayout(t, dirs, "."); lay.Problem() != "" || lay.Committed() {
		t.Errorf("repaired root layout (the root holds /d) %+v: committed %v", lay, lay.Committed())
	}
}
