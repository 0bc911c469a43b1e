package integration

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/xattr"
	"golang.org/x/sys/unix"
)

// posixMount mounts a fresh, empty storage/posix brick and returns the
// mount and the brick directory.
func posixMount(t *testing.T) (*Mount, string) {
	t.Helper()
	requireEnv(t)
	brick := newBrick(t)
	return mountLoom(t, posixVolfile(brick)), brick
}

// pattern returns n bytes of a repeating, position-dependent pattern.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

func TestRegularFiles(t *testing.T) {
	m, brick := posixMount(t)
	data := pattern(300_000, 1)
	writeFile(t, m.Path("f"), data)
	if got := readFile(t, m.Path("f")); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes through the mount, differing from the %d written", len(got), len(data))
	}
	if got := readFile(t, filepath.Join(brick, "f")); !bytes.Equal(got, data) {
		t.Fatalf("brick holds %d bytes, differing from the %d written", len(got), len(data))
	}

	// Overwrite a range in the middle and extend at the end.
	f, err := os.OpenFile(m.Path("f"), os.O_RDWR, 0)
	must(t, err)
	patch := []byte("patched in the middle")
	_, err = f.WriteAt(patch, 1000)
	must(t, err)
	_, err = f.WriteAt(patch, int64(len(data)))
	must(t, err)
	must(t, f.Close())
	copy(data[1000:], patch)
	data = append(data, patch...)
	if got := readFile(t, filepath.Join(brick, "f")); !bytes.Equal(got, data) {
		t.Errorf("brick contents after pwrite differ from the expected %d bytes (got %d)", len(data), len(got))
	}
	if st := lstat(t, m.Path("f")); st.Size != int64(len(data)) {
		t.Errorf("size through the mount %d, want %d", st.Size, len(data))
	}

	// New files get the mode asked for, less the umask (022 here).
	defer syscall.Umask(syscall.Umask(0o022))
	nf, err := os.OpenFile(m.Path("new"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666)
	must(t, err)
	must(t, nf.Close())
	if st := lstat(t, filepath.Join(brick, "new")); st.Mode&0o7777 != 0o644 {
		t.Errorf("file created with 0666 under umask 022 has mode %o on the brick, want 644", st.Mode&0o7777)
	}
	if _, err := os.OpenFile(m.Path("new"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o666); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("O_EXCL create of an existing file: %v, want EEXIST", err)
	}

	// chmod and chown reach the brick.
	must(t, os.Chmod(m.Path("f"), 0o640))
	must(t, os.Chown(m.Path("f"), 1000, 1001))
	st := lstat(t, filepath.Join(brick, "f"))
	if st.Mode&0o7777 != 0o640 || st.Uid != 1000 || st.Gid != 1001 {
		t.Errorf("after chmod 640 and chown 1000:1001 the brick file has mode %o owner %d:%d", st.Mode&0o7777, st.Uid, st.Gid)
	}
	if ms := lstat(t, m.Path("f")); ms.Mode != st.Mode || ms.Uid != st.Uid || ms.Gid != st.Gid || ms.Size != st.Size {
		t.Errorf("mount and brick disagree: mount mode %o %d:%d size %d, brick mode %o %d:%d size %d",
			ms.Mode, ms.Uid, ms.Gid, ms.Size, st.Mode, st.Uid, st.Gid, st.Size)
	}

	must(t, os.Remove(m.Path("f")))
	if _, err := os.Lstat(filepath.Join(brick, "f")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after unlink through the mount the brick file: %v, want ENOENT", err)
	}
	_, err = os.Lstat(m.Path("f"))
	wantErrno(t, "lstat after unlink", err, syscall.ENOENT)
}

func TestDirectories(t *testing.T) {
	m, brick := posixMount(t)
	must(t, os.MkdirAll(m.Path("a", "b", "c"), 0o755))
	must(t, os.Mkdir(m.Path("a", "private"), 0o700))
	for i := 0; i < 5; i++ {
		writeFile(t, m.Path("a", "b", string(rune('p'+i))), []byte{byte(i)})
	}
	entries, err := os.ReadDir(m.Path("a", "b"))
	must(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"c", "p", "q", "r", "s", "t"}
	if !slices.Equal(names, want) {
		t.Errorf("readdir a/b through the mount: %q, want %q", names, want)
	}
	for _, e := range entries {
		if e.Name() == "c" && !e.IsDir() {
			t.Errorf("readdir reports c as %v, want a directory", e.Type())
		}
	}
	if st := lstat(t, filepath.Join(brick, "a", "private")); st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Mode&0o777 != 0o700 {
		t.Errorf("brick a/private has mode %o, want a directory with 700", st.Mode)
	}
	if st := lstat(t, m.Path("a")); st.Nlink != 4 {
		t.Errorf("directory a with two subdirectories has nlink %d through the mount, want 4", st.Nlink)
	}
	wantErrno(t, "rmdir of a non-empty directory", os.Remove(m.Path("a", "b")), syscall.ENOTEMPTY)
	wantErrno(t, "mkdir of an existing name", os.Mkdir(m.Path("a"), 0o755), syscall.EEXIST)
	wantErrno(t, "rmdir of a file", unix.Rmdir(m.Path("a", "b", "p")), syscall.ENOTDIR)
	wantErrno(t, "mkdir below a file", os.Mkdir(m.Path("a", "b", "p", "x"), 0o755), syscall.ENOTDIR)
	must(t, os.RemoveAll(m.Path("a", "b")))
	if _, err := os.Lstat(filepath.Join(brick, "a", "b")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("removed a/b is still on the brick: %v", err)
	}
	must(t, os.Remove(m.Path("a", "private")))
	must(t, os.Remove(m.Path("a")))
	left, err := os.ReadDir(m.Dir)
	must(t, err)
	if len(left) != 0 {
		t.Errorf("mount root should be empty, lists %d entries (first %q)", len(left), left[0].Name())
	}
}

func TestSymlinks(t *testing.T) {
	requireEnv(t)
	outer := testDir(t)
	brick := mkdirAll(t, filepath.Join(outer, "deep", "brick"))
	outside := filepath.Join(outer, "outside")
	writeFile(t, outside, []byte("outside the brick"))
	// A symlink made on the brick before mounting, pointing at /etc.
	must(t, os.Symlink("/etc", filepath.Join(brick, "brick-etc")))
	m := mountLoom(t, posixVolfile(brick))

	writeFile(t, m.Path("target.txt"), []byte("in the volume"))
	must(t, os.Symlink("target.txt", m.Path("rel")))
	if got, err := os.Readlink(m.Path("rel")); err != nil || got != "target.txt" {
		t.Errorf("readlink rel: %q, %v", got, err)
	}
	if got := readFile(t, m.Path("rel")); string(got) != "in the volume" {
		t.Errorf("read through rel: %q", got)
	}
	if got, err := os.Readlink(filepath.Join(brick, "rel")); err != nil || got != "target.txt" {
		t.Errorf("brick rel: readlink %q, %v", got, err)
	}

	// A symlink to /etc reads as a symlink; a path through it is
	// resolved by the kernel on the host, not inside the brick.
	for _, name := range []string{"etc", "brick-etc"} {
		if name == "etc" {
			must(t, os.Symlink("/etc", m.Path(name)))
		}
		st := lstat(t, m.Path(name))
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			t.Errorf("%s: lstat through the mount gives mode %o, want a symlink", name, st.Mode)
		}
		if got, _ := os.Readlink(m.Path(name)); got != "/etc" {
			t.Errorf("%s: readlink %q, want /etc", name, got)
		}
		var viaMount, host unix.Stat_t
		must(t, unix.Stat(m.Path(name, "passwd"), &viaMount))
		must(t, unix.Stat("/etc/passwd", &host))
		if viaMount.Dev != host.Dev || viaMount.Ino != host.Ino {
			t.Errorf("%s/passwd through the mount is dev %d ino %d; the host's /etc/passwd is dev %d ino %d",
				name, viaMount.Dev, viaMount.Ino, host.Dev, host.Ino)
		}
	}

	// "../marker" from the mount root is the kernel's business: it names
	// the marker next to the mountpoint, not the one next to the brick.
	writeFile(t, filepath.Join(filepath.Dir(m.Dir), "marker"), []byte("next to the mountpoint"))
	writeFile(t, filepath.Join(filepath.Dir(brick), "marker"), []byte("next to the brick"))
	must(t, os.Symlink("../marker", m.Path("up")))
	if got := readFile(t, m.Path("up")); string(got) != "next to the mountpoint" {
		t.Errorf("../marker through the mount reads %q, want the file next to the mountpoint", got)
	}

	// Changing a symlink changes the link, never its target outside.
	must(t, os.Symlink(outside, m.Path("out")))
	var before unix.Stat_t
	must(t, unix.Stat(outside, &before))
	must(t, os.Lchown(m.Path("out"), 1000, 1000))
	ts := []unix.Timespec{{Sec: 1000, Nsec: 5}, {Sec: 2000, Nsec: 7}}
	must(t, unix.UtimesNanoAt(unix.AT_FDCWD, m.Path("out"), ts, unix.AT_SYMLINK_NOFOLLOW))
	must(t, xattr.LSet(m.Path("out"), "trusted.itest", []byte("on the link")))
	var after unix.Stat_t
	must(t, unix.Stat(outside, &after))
	if after.Uid != before.Uid || after.Mtim != before.Mtim || after.Ctim != before.Ctim {
		t.Errorf("changing the symlink out changed its target outside the brick: owner %d->%d mtime %v->%v",
			before.Uid, after.Uid, before.Mtim, after.Mtim)
	}
	if names, _ := xattr.LList(outside); len(names) != 0 {
		t.Errorf("the target outside the brick got xattrs %q", names)
	}
	link := lstat(t, filepath.Join(brick, "out"))
	if link.Uid != 1000 || link.Mtim.Sec != 2000 || link.Mtim.Nsec != 7 {
		t.Errorf("brick symlink out: owner %d mtime %d.%09d, want 1000 and 2000.000000007", link.Uid, link.Mtim.Sec, link.Mtim.Nsec)
	}
	if v, err := xattr.LGet(filepath.Join(brick, "out"), "trusted.itest"); err != nil || string(v) != "on the link" {
		t.Errorf("brick symlink out: trusted.itest = %q, %v", v, err)
	}
	for _, p := range []string{outside, "/etc"} {
		if v, err := xattr.LGet(p, gfidXattr); err == nil {
			t.Errorf("%s outside the brick got a GFID xattr %x", p, v)
		}
	}
}

func TestHardLinks(t *testing.T) {
	m, brick := posixMount(t)
	writeFile(t, m.Path("a"), []byte("shared data"))
	must(t, os.Link(m.Path("a"), m.Path("b")))
	must(t, os.Mkdir(m.Path("d"), 0o755))
	must(t, os.Link(m.Path("b"), m.Path("d", "c")))
	sa, sb, sc := lstat(t, m.Path("a")), lstat(t, m.Path("b")), lstat(t, m.Path("d", "c"))
	if sa.Ino != sb.Ino || sa.Ino != sc.Ino {
		t.Errorf("hard links have different st_ino through the mount: %d %d %d", sa.Ino, sb.Ino, sc.Ino)
	}
	for name, st := range map[string]unix.Stat_t{"a": sa, "b": sb, "d/c": sc} {
		if st.Nlink != 3 {
			t.Errorf("%s: nlink %d through the mount, want 3", name, st.Nlink)
		}
	}
	ba, bc := lstat(t, filepath.Join(brick, "a")), lstat(t, filepath.Join(brick, "d", "c"))
	if ba.Ino != bc.Ino {
		t.Errorf("a and d/c are different files on the brick (ino %d, %d)", ba.Ino, bc.Ino)
	}
	// A write through one name is seen through the others.
	f, err := os.OpenFile(m.Path("d", "c"), os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.WriteString(" + more")
	must(t, err)
	must(t, f.Close())
	if got := readFile(t, m.Path("a")); string(got) != "shared data + more" {
		t.Errorf("a reads %q after appending through d/c", got)
	}
	wantErrno(t, "link to an existing name", os.Link(m.Path("a"), m.Path("b")), syscall.EEXIST)
	wantErrno(t, "link of a directory", os.Link(m.Path("d"), m.Path("d2")), syscall.EPERM)

	must(t, os.Remove(m.Path("a")))
	if st := lstat(t, m.Path("b")); st.Nlink != 2 {
		t.Errorf("after removing one of three names b has nlink %d, want 2", st.Nlink)
	}
	if got := readFile(t, m.Path("b")); string(got) != "shared data + more" {
		t.Errorf("b reads %q after a was removed", got)
	}
}

func TestSpecialFiles(t *testing.T) {
	m, brick := posixMount(t)
	// The modes below are unchanged by the test process's umask (022).
	defer syscall.Umask(syscall.Umask(0o022))
	nodes := []struct {
		name string
		mode uint32
		dev  uint64
	}{
		{"fifo", unix.S_IFIFO | 0o644, 0},
		{"null", unix.S_IFCHR | 0o644, unix.Mkdev(1, 3)},
		{"blk", unix.S_IFBLK | 0o640, unix.Mkdev(7, 200)},
		{"sock", unix.S_IFSOCK | 0o755, 0},
		{"reg", unix.S_IFREG | 0o600, 0},
	}
	for _, n := range nodes {
		if err := unix.Mknod(m.Path(n.name), n.mode, int(n.dev)); err != nil {
			t.Errorf("mknod %s: %v", n.name, err)
			continue
		}
		for _, where := range []string{m.Path(n.name), filepath.Join(brick, n.name)} {
			st := lstat(t, where)
			if st.Mode != n.mode || st.Rdev != n.dev {
				t.Errorf("%s: mode %o rdev %d:%d, want mode %o rdev %d:%d", where, st.Mode,
					unix.Major(st.Rdev), unix.Minor(st.Rdev), n.mode, unix.Major(n.dev), unix.Minor(n.dev))
			}
		}
	}
	wantErrno(t, "mkfifo over an existing name", unix.Mkfifo(m.Path("fifo"), 0o644), syscall.EEXIST)

	// Data flows through the FIFO (the kernel's pipe, found via the mount).
	m.guard(t, 20*time.Second, "FIFO transfer", func() {
		msg := "through the fifo"
		errc := make(chan error, 1)
		go func() {
			w, err := os.OpenFile(m.Path("fifo"), os.O_WRONLY, 0)
			if err != nil {
				errc <- err
				return
			}
			_, err = w.WriteString(msg)
			w.Close()
			errc <- err
		}()
		r, err := os.OpenFile(m.Path("fifo"), os.O_RDONLY, 0)
		must(t, err)
		got, err := io.ReadAll(r)
		r.Close()
		must(t, err)
		must(t, <-errc)
		if string(got) != msg {
			t.Errorf("read %q from the FIFO, want %q", got, msg)
		}
	})
}

func TestRename(t *testing.T) {
	m, brick := posixMount(t)
	ino := func(t *testing.T, p string) uint64 { t.Helper(); return lstat(t, p).Ino }
	onBrick := func(name string) bool {
		_, err := os.Lstat(filepath.Join(brick, name))
		return err == nil
	}

	t.Run("file", func(t *testing.T) {
		writeFile(t, m.Path("r1"), []byte("one"))
		before := ino(t, m.Path("r1"))
		must(t, os.Rename(m.Path("r1"), m.Path("r1-new")))
		_, err := os.Lstat(m.Path("r1"))
		wantErrno(t, "old name after rename", err, syscall.ENOENT)
		if got := readFile(t, m.Path("r1-new")); string(got) != "one" {
			t.Errorf("renamed file reads %q", got)
		}
		if after := ino(t, m.Path("r1-new")); after != before {
			t.Errorf("st_ino changed across rename: %d -> %d", before, after)
		}
		if onBrick("r1") || !onBrick("r1-new") {
			t.Errorf("brick does not reflect the rename")
		}
	})
	t.Run("over existing file", func(t *testing.T) {
		writeFile(t, m.Path("src"), []byte("new contents"))
		writeFile(t, m.Path("dst"), []byte("old contents"))
		srcIno := ino(t, m.Path("src"))
		must(t, os.Rename(m.Path("src"), m.Path("dst")))
		if got := readFile(t, m.Path("dst")); string(got) != "new contents" {
			t.Errorf("dst reads %q after rename over it", got)
		}
		if got := ino(t, m.Path("dst")); got != srcIno {
			t.Errorf("dst has st_ino %d, want the source's %d", got, srcIno)
		}
		if got := readFile(t, filepath.Join(brick, "dst")); string(got) != "new contents" || onBrick("src") {
			t.Errorf("brick: dst %q, src still there: %v", got, onBrick("src"))
		}
	})
	t.Run("directory", func(t *testing.T) {
		must(t, os.MkdirAll(m.Path("d1", "sub"), 0o755))
		writeFile(t, m.Path("d1", "sub", "f"), []byte("deep"))
		must(t, os.Mkdir(m.Path("other"), 0o755))
		must(t, os.Rename(m.Path("d1"), m.Path("other", "d2")))
		if got := readFile(t, m.Path("other", "d2", "sub", "f")); string(got) != "deep" {
			t.Errorf("file in the moved directory reads %q", got)
		}
		if !onBrick("other/d2/sub/f") || onBrick("d1") {
			t.Errorf("brick does not reflect the directory move")
		}
		must(t, os.Mkdir(m.Path("empty"), 0o755))
		// os.Rename refuses an existing directory as the target by
		// itself; rename(2) replaces an empty one.
		must(t, unix.Rename(m.Path("other", "d2"), m.Path("empty")))
		if got := readFile(t, m.Path("empty", "sub", "f")); string(got) != "deep" {
			t.Errorf("after renaming over an empty directory: %q", got)
		}
		must(t, os.Mkdir(m.Path("full"), 0o755))
		writeFile(t, m.Path("full", "x"), nil)
		err := unix.Rename(m.Path("empty"), m.Path("full"))
		if !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
			t.Errorf("rename over a non-empty directory: %v, want ENOTEMPTY or EEXIST", err)
		}
		wantErrno(t, "rename a directory into itself", unix.Rename(m.Path("empty"), m.Path("empty", "sub", "in")), syscall.EINVAL)
	})
	t.Run("noreplace", func(t *testing.T) {
		writeFile(t, m.Path("nr-a"), []byte("a"))
		writeFile(t, m.Path("nr-b"), []byte("b"))
		err := unix.Renameat2(unix.AT_FDCWD, m.Path("nr-a"), unix.AT_FDCWD, m.Path("nr-b"), unix.RENAME_NOREPLACE)
		wantErrno(t, "RENAME_NOREPLACE onto an existing name", err, syscall.EEXIST)
		if a, b := readFile(t, m.Path("nr-a")), readFile(t, m.Path("nr-b")); string(a) != "a" || string(b) != "b" {
			t.Errorf("after a refused RENAME_NOREPLACE: a=%q b=%q", a, b)
		}
		must(t, unix.Renameat2(unix.AT_FDCWD, m.Path("nr-a"), unix.AT_FDCWD, m.Path("nr-c"), unix.RENAME_NOREPLACE))
		if got := readFile(t, filepath.Join(brick, "nr-c")); string(got) != "a" || onBrick("nr-a") {
			t.Errorf("RENAME_NOREPLACE to a free name: brick nr-c %q, nr-a still there %v", got, onBrick("nr-a"))
		}
	})
	t.Run("exchange", func(t *testing.T) {
		writeFile(t, m.Path("x-p"), []byte("P"))
		must(t, os.Mkdir(m.Path("x-q"), 0o755))
		writeFile(t, m.Path("x-q", "inside"), []byte("Q"))
		ip, iq := ino(t, m.Path("x-p")), ino(t, m.Path("x-q"))
		must(t, unix.Renameat2(unix.AT_FDCWD, m.Path("x-p"), unix.AT_FDCWD, m.Path("x-q"), unix.RENAME_EXCHANGE))
		if got := readFile(t, m.Path("x-q")); string(got) != "P" {
			t.Errorf("after RENAME_EXCHANGE x-q reads %q, want the file P", got)
		}
		if got := readFile(t, m.Path("x-p", "inside")); string(got) != "Q" {
			t.Errorf("after RENAME_EXCHANGE x-p/inside reads %q, want Q", got)
		}
		if ino(t, m.Path("x-p")) != iq || ino(t, m.Path("x-q")) != ip {
			t.Errorf("st_ino not exchanged")
		}
		if got := readFile(t, filepath.Join(brick, "x-p", "inside")); string(got) != "Q" {
			t.Errorf("brick x-p/inside reads %q after the exchange", got)
		}
		err := unix.Renameat2(unix.AT_FDCWD, m.Path("x-p"), unix.AT_FDCWD, m.Path("x-none"), unix.RENAME_EXCHANGE)
		wantErrno(t, "RENAME_EXCHANGE with a missing target", err, syscall.ENOENT)
	})
}

func TestTruncate(t *testing.T) {
	m, brick := posixMount(t)
	data := pattern(10_000, 3)
	writeFile(t, m.Path("t"), data)
	check := func(want []byte) {
		t.Helper()
		for _, p := range []string{m.Path("t"), filepath.Join(brick, "t")} {
			if got := readFile(t, p); !bytes.Equal(got, want) {
				t.Errorf("%s: %d bytes, want %d (contents differ)", p, len(got), len(want))
			}
		}
	}
	must(t, os.Truncate(m.Path("t"), 100))
	check(data[:100])
	must(t, os.Truncate(m.Path("t"), 5000))
	check(append(slices.Clone(data[:100]), make([]byte, 4900)...))

	f, err := os.OpenFile(m.Path("t"), os.O_RDWR, 0)
	must(t, err)
	must(t, f.Truncate(0))
	st, err := f.Stat()
	must(t, err)
	if st.Size() != 0 {
		t.Errorf("fstat after ftruncate 0: size %d", st.Size())
	}
	_, err = f.WriteAt([]byte("fresh"), 0)
	must(t, err)
	must(t, f.Close())
	check([]byte("fresh"))
	wantErrno(t, "truncate of a missing file", os.Truncate(m.Path("missing"), 0), syscall.ENOENT)
	tf, err := os.OpenFile(m.Path("t"), os.O_WRONLY|os.O_TRUNC, 0)
	must(t, err)
	must(t, tf.Close())
	check([]byte{})
}

// allocated returns the bytes a file occupies on its filesystem.
func allocated(t *testing.T, path string) int64 {
	t.Helper()
	return lstat(t, path).Blocks * 512
}

func TestFallocate(t *testing.T) {
	m, brick := posixMount(t)
	const mib = 1 << 20
	f, err := os.OpenFile(m.Path("fa"), os.O_RDWR|os.O_CREATE, 0o644)
	must(t, err)
	defer f.Close()
	fd := int(f.Fd())
	onBrick := filepath.Join(brick, "fa")

	must(t, unix.Fallocate(fd, 0, 0, mib))
	if st := lstat(t, m.Path("fa")); st.Size != mib {
		t.Errorf("fallocate 1 MiB: size %d", st.Size)
	}
	if a := allocated(t, onBrick); a < mib {
		t.Errorf("fallocate 1 MiB: brick allocates only %d bytes", a)
	}
	must(t, unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, mib, mib))
	if st := lstat(t, m.Path("fa")); st.Size != mib {
		t.Errorf("fallocate KEEP_SIZE changed the size to %d", st.Size)
	}
	if a := allocated(t, onBrick); a < 2*mib {
		t.Errorf("fallocate KEEP_SIZE of a second MiB: brick allocates only %d bytes", a)
	}

	data := pattern(mib, 9)
	_, err = f.WriteAt(data, 0)
	must(t, err)
	must(t, f.Sync())
	before := allocated(t, onBrick)
	must(t, unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, 256<<10, 256<<10))
	if st := lstat(t, m.Path("fa")); st.Size != mib {
		t.Errorf("punch hole changed the size to %d", st.Size)
	}
	clear(data[256<<10 : 512<<10])
	got := make([]byte, mib)
	_, err = f.ReadAt(got, 0)
	must(t, err)
	if !bytes.Equal(got, data) {
		t.Errorf("after punching 256 KiB at 256 KiB the contents are wrong")
	}
	if after := allocated(t, onBrick); before-after < 256<<10 {
		t.Errorf("punch hole freed %d bytes on the brick, want at least 256 KiB", before-after)
	}
	if off, err := unix.Seek(fd, 0, unix.SEEK_HOLE); err != nil || off != 256<<10 {
		t.Errorf("SEEK_HOLE after punching: %d, %v; want 262144", off, err)
	}

	must(t, unix.Fallocate(fd, unix.FALLOC_FL_ZERO_RANGE, 0, 4096))
	_, err = f.ReadAt(got[:8192], 0)
	must(t, err)
	if !bytes.Equal(got[:4096], make([]byte, 4096)) || !bytes.Equal(got[4096:8192], data[4096:8192]) {
		t.Errorf("FALLOC_FL_ZERO_RANGE of the first 4 KiB gave wrong contents")
	}
	must(t, f.Close())
	if b := readFile(t, onBrick); !bytes.Equal(b[4096:], data[4096:]) || !bytes.Equal(b[:4096], make([]byte, 4096)) {
		t.Errorf("brick contents after fallocate calls are wrong")
	}
}

// extent is a data range of a file, [Start, End).
type extent struct{ Start, End int64 }

// dataMap lists the data extents of the open file fd with SEEK_DATA and
// SEEK_HOLE.
func dataMap(fd int) ([]extent, error) {
	var out []extent
	var off int64
	for {
		start, err := unix.Seek(fd, off, unix.SEEK_DATA)
		if errors.Is(err, syscall.ENXIO) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		end, err := unix.Seek(fd, start, unix.SEEK_HOLE)
		if err != nil {
			return out, err
		}
		out = append(out, extent{start, end})
		off = end
	}
}

func TestSeekDataHole(t *testing.T) {
	m, brick := posixMount(t)
	const kib = 1 << 10
	f, err := os.OpenFile(m.Path("sparse"), os.O_RDWR|os.O_CREATE, 0o644)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt(pattern(64*kib, 1), 0)
	must(t, err)
	_, err = f.WriteAt(pattern(64*kib, 2), 1024*kib)
	must(t, err)
	must(t, f.Truncate(2048*kib))
	must(t, f.Sync())
	want := []extent{{0, 64 * kib}, {1024 * kib, 1088 * kib}}

	got, err := dataMap(int(f.Fd()))
	if err != nil {
		t.Fatalf("data map through the mount: %v", err)
	}
	bf, err := os.Open(filepath.Join(brick, "sparse"))
	must(t, err)
	defer bf.Close()
	onBrick, err := dataMap(int(bf.Fd()))
	must(t, err)
	if !slices.Equal(onBrick, want) {
		t.Logf("note: the brick's own map is %v (expected %v)", onBrick, want)
	}
	if !slices.Equal(got, onBrick) {
		t.Errorf("SEEK_DATA/SEEK_HOLE map through the mount %v, on the brick %v", got, onBrick)
	}
	fd := int(f.Fd())
	if off, err := unix.Seek(fd, 64*kib, unix.SEEK_DATA); err != nil || off != 1024*kib {
		t.Errorf("SEEK_DATA from the first hole: %d, %v; want %d", off, err, 1024*kib)
	}
	if off, err := unix.Seek(fd, 1500*kib, unix.SEEK_HOLE); err != nil || off != 1500*kib {
		t.Errorf("SEEK_HOLE inside the trailing hole: %d, %v; want %d", off, err, 1500*kib)
	}
	_, err = unix.Seek(fd, 1500*kib, unix.SEEK_DATA)
	wantErrno(t, "SEEK_DATA in the trailing hole", err, syscall.ENXIO)
	_, err = unix.Seek(fd, 4096*kib, unix.SEEK_HOLE)
	wantErrno(t, "SEEK_HOLE beyond the end", err, syscall.ENXIO)
}

// TestStatAfterClose stats files right after closing them, many times:
// the kernel sends RELEASE asynchronously, so the stat races with it and
// must never see an error from the handle being released.
func TestStatAfterClose(t *testing.T) {
	for _, procs := range []string{"default", "GOMAXPROCS=1"} {
		t.Run(procs, func(t *testing.T) {
			requireEnv(t)
			var env []string
			if procs != "default" {
				env = []string{procs}
			}
			m := mountLoomWith(t, posixVolfile(newBrick(t)), mountConfig{env: env})
			const rounds = 2000
			failures := map[string]int{}
			m.guard(t, time.Minute, "stat after close", func() {
				for i := 0; i < rounds; i++ {
					p := m.Path(entryName(i % 20))
					if err := os.WriteFile(p, []byte("data"), 0o644); err != nil {
						failures["write: "+err.Error()]++
						continue
					}
					var st unix.Stat_t
					if err := unix.Lstat(p, &st); err != nil {
						failures["lstat: "+err.Error()]++
					}
				}
			})
			for msg, n := range failures {
				t.Errorf("%d of %d rounds of write, close, lstat failed with %s", n, rounds, msg)
			}
		})
	}
}
