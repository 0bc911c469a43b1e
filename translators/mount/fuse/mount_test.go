package fuse

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func statT(t *testing.T, path string) *syscall.Stat_t {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return &st
}

// TestMountFileOps drives the common fops through a real mount of a
// storage/posix brick.
func TestMountFileOps(t *testing.T) {
	m := startMount(t, "", "")
	guard(t, 60*time.Second, "file ops", func() {
		data := bytes.Repeat([]byte("loom"), 100000)
		f := m.path("a.txt")
		if err := os.WriteFile(f, data, 0o640); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(f)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back %d bytes, err %v", len(got), err)
		}
		onBrick, err := os.ReadFile(filepath.Join(m.brick, "a.txt"))
		if err != nil || !bytes.Equal(onBrick, data) {
			t.Fatalf("brick copy: %d bytes, err %v", len(onBrick), err)
		}
		st := statT(t, f)
		if st.Size != int64(len(data)) || st.Mode&0o777 != 0o640 {
			t.Errorf("stat: size %d mode %o", st.Size, st.Mode)
		}

		// Hard links share the GFID-derived inode number.
		if err := os.Link(f, m.path("b.txt")); err != nil {
			t.Fatal(err)
		}
		if st2 := statT(t, m.path("b.txt")); st2.Ino != st.Ino || st2.Nlink != 2 {
			t.Errorf("link: ino %d vs %d, nlink %d", st2.Ino, st.Ino, st2.Nlink)
		}

		// chmod, truncate, utimens with UTIME_NOW and an explicit time.
		if err := os.Chmod(f, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(f, 10); err != nil {
			t.Fatal(err)
		}
		ts := []unix.Timespec{{Sec: 0, Nsec: unix.UTIME_NOW}, {Sec: 1000000000, Nsec: 5}}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, f, ts, 0); err != nil {
			t.Fatal(err)
		}
		st = statT(t, f)
		if st.Size != 10 || st.Mode&0o777 != 0o600 || st.Mtim.Sec != 1000000000 || st.Mtim.Nsec != 5 || time.Since(time.Unix(st.Atim.Unix())) > time.Minute {
			t.Errorf("after setattr: size %d mode %o mtime %v atime %v", st.Size, st.Mode, st.Mtim, st.Atim)
		}

		// rename, including RENAME_NOREPLACE and RENAME_EXCHANGE.
		if err := os.Mkdir(m.path("d"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f, m.path("d/c.txt")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(m.path("e.txt"), []byte("e"), 0o644); err != nil {
			t.Fatal(err)
		}
		err = unix.Renameat2(unix.AT_FDCWD, m.path("e.txt"), unix.AT_FDCWD, m.path("d/c.txt"), unix.RENAME_NOREPLACE)
		if !errors.Is(err, syscall.EEXIST) {
			t.Errorf("RENAME_NOREPLACE onto an existing name: %v, want EEXIST", err)
		}
		if err := unix.Renameat2(unix.AT_FDCWD, m.path("e.txt"), unix.AT_FDCWD, m.path("d/c.txt"), unix.RENAME_EXCHANGE); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(m.path("d/c.txt")); string(b) != "e" {
			t.Errorf("after exchange d/c.txt holds %q", b)
		}
		if b, _ := os.ReadFile(m.path("e.txt")); string(b) != "loomloomlo" {
			t.Errorf("after exchange e.txt holds %q", b)
		}

		// symlink and readlink.
		if err := os.Symlink("d/c.txt", m.path("sl")); err != nil {
			t.Fatal(err)
		}
		if target, err := os.Readlink(m.path("sl")); err != nil || target != "d/c.txt" {
			t.Errorf("readlink = %q, %v", target, err)
		}
		// mknod of a fifo.
		if err := syscall.Mkfifo(m.path("fifo"), 0o644); err != nil {
			t.Fatal(err)
		}
		if st := statT(t, m.path("fifo")); st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
			t.Errorf("fifo mode %o", st.Mode)
		}

		// readdir lists what is there, with "." and "..".
		dir, err := os.Open(m.dir)
		if err != nil {
			t.Fatal(err)
		}
		names, err := dir.Readdirnames(-1)
		dir.Close()
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(names)
		if fmt.Sprint(names) != "[b.txt d e.txt fifo sl]" {
			t.Errorf("readdir: %v", names)
		}
		if n := countDots(t, m.dir); n != 2 {
			t.Errorf("getdents returned %d of . and .., want 2", n)
		}

		// unlink and rmdir.
		for _, p := range []string{"b.txt", "e.txt", "sl", "fifo", "d/c.txt"} {
			if err := os.Remove(m.path(p)); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Remove(m.path("d")); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(m.path("d")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stat after rmdir: %v", err)
		}
	})
}

// countDots counts "." and ".." in a raw getdents listing of dir.
func countDots(t *testing.T, dir string) int {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	buf := make([]byte, 64<<10)
	count := 0
	for {
		n, err := unix.Getdents(fd, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return count
		}
		for off := 0; off < n; {
			reclen := int(buf[off+16]) | int(buf[off+17])<<8
			name := buf[off+19 : off+reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if s := string(name); s == "." || s == ".." {
				count++
			}
			off += reclen
		}
	}
}

// TestMountXattrs checks the getxattr/listxattr size protocol end to end.
func TestMountXattrs(t *testing.T) {
	m := startMount(t, "", "")
	guard(t, 30*time.Second, "xattrs", func() {
		f := m.path("x")
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		val := []byte("a value of some length")
		if err := unix.Setxattr(f, "user.k", val, 0); err != nil {
			t.Fatal(err)
		}
		if n, err := unix.Getxattr(f, "user.k", nil); err != nil || n != len(val) {
			t.Errorf("size probe = %d, %v; want %d", n, err, len(val))
		}
		if _, err := unix.Getxattr(f, "user.k", make([]byte, 3)); !errors.Is(err, syscall.ERANGE) {
			t.Errorf("small buffer: %v, want ERANGE", err)
		}
		buf := make([]byte, 100)
		if n, err := unix.Getxattr(f, "user.k", buf); err != nil || !bytes.Equal(buf[:n], val) {
			t.Errorf("getxattr = %q, %v", buf[:n], err)
		}
		if err := unix.Setxattr(f, "user.k", val, unix.XATTR_CREATE); !errors.Is(err, syscall.EEXIST) {
			t.Errorf("XATTR_CREATE on an existing name: %v", err)
		}
		n, err := unix.Listxattr(f, nil)
		if err != nil || n == 0 {
			t.Fatalf("list size probe = %d, %v", n, err)
		}
		lb := make([]byte, n)
		if n, err = unix.Listxattr(f, lb); err != nil || !bytes.Contains(lb[:n], []byte("user.k\x00")) {
			t.Errorf("listxattr = %q, %v", lb[:n], err)
		}
		if bytes.Contains(lb[:n], []byte("loom")) {
			t.Errorf("listxattr shows internal names: %q", lb[:n])
		}
		if err := unix.Removexattr(f, "user.k"); err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Getxattr(f, "user.k", buf); !errors.Is(err, syscall.ENODATA) {
			t.Errorf("after removexattr: %v, want ENODATA", err)
		}

		// An open file's xattrs are its own, also once another file
		// took its name (the bridge reads them through the handle).
		if err := unix.Setxattr(f, "user.k", []byte("old"), 0); err != nil {
			t.Fatal(err)
		}
		h, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		if err := os.WriteFile(f+".new", nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := unix.Setxattr(f+".new", "user.k", []byte("new"), 0); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(f+".new", f); err != nil {
			t.Fatal(err)
		}
		if n, err := unix.Fgetxattr(int(h.Fd()), "user.k", buf); err != nil || string(buf[:n]) != "old" {
			t.Errorf("fgetxattr of the replaced open file = %q, %v; want old", buf[:n], err)
		}
		if n, err := unix.Getxattr(f, "user.k", buf); err != nil || string(buf[:n]) != "new" {
			t.Errorf("getxattr of the new file = %q, %v; want new", buf[:n], err)
		}
	})
}

// TestMountHolesAndCopy checks fallocate modes, SEEK_DATA/SEEK_HOLE and
// copy_file_range.
func TestMountHolesAndCopy(t *testing.T) {
	m := startMount(t, "", "")
	guard(t, 30*time.Second, "holes", func() {
		f, err := os.OpenFile(m.path("sparse"), os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fd := int(f.Fd())
		const mb = 1 << 20
		if err := unix.Fallocate(fd, 0, 0, 4*mb); err != nil {
			t.Fatalf("fallocate: %v", err)
		}
		if _, err := f.WriteAt(bytes.Repeat([]byte{1}, 4*mb), 0); err != nil {
			t.Fatal(err)
		}
		if err := unix.Fallocate(fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, mb, mb); err != nil {
			t.Fatalf("punch hole: %v", err)
		}
		if err := unix.Fallocate(fd, unix.FALLOC_FL_ZERO_RANGE, 3*mb, 4096); err != nil {
			t.Fatalf("zero range: %v", err)
		}
		if err := unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, 4*mb, mb); err != nil {
			t.Fatalf("fallocate keep size: %v", err)
		}
		hole, err := unix.Seek(fd, 0, unix.SEEK_HOLE)
		if err != nil || hole != mb {
			t.Errorf("SEEK_HOLE = %d, %v; want %d", hole, err, mb)
		}
		data, err := unix.Seek(fd, mb, unix.SEEK_DATA)
		if err != nil || data != 2*mb {
			t.Errorf("SEEK_DATA = %d, %v; want %d", data, err, 2*mb)
		}
		buf := make([]byte, 4096)
		if _, err := f.ReadAt(buf, 3*mb); err != nil || !bytes.Equal(buf, make([]byte, 4096)) {
			t.Errorf("zero range not zero: %v", err)
		}
		if st := statT(t, m.path("sparse")); st.Size != 4*mb {
			t.Errorf("size %d after KEEP_SIZE allocations", st.Size)
		}

		g, err := os.Create(m.path("copy"))
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		offIn, offOut := int64(0), int64(0)
		n, err := unix.CopyFileRange(fd, &offIn, int(g.Fd()), &offOut, mb, 0)
		if err != nil || n != mb {
			t.Fatalf("copy_file_range = %d, %v", n, err)
		}
		got := make([]byte, mb)
		if _, err := g.ReadAt(got, 0); err != nil || !bytes.Equal(got, bytes.Repeat([]byte{1}, mb)) {
			t.Errorf("copied data differs: %v", err)
		}
	})
}

// TestMountInodeNumbersStable checks that a file keeps its inode number
// across a remount (it is derived from the GFID).
func TestMountInodeNumbersStable(t *testing.T) {
	brick := t.TempDir()
	var ino uint64
	func() {
		m := startMount(t, brick, "")
		guard(t, 20*time.Second, "create", func() {
			if err := os.WriteFile(m.path("f"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			ino = statT(t, m.path("f")).Ino
		})
		m.stop(t)
	}()
	m := startMount(t, brick, "")
	guard(t, 20*time.Second, "stat", func() {
		if got := statT(t, m.path("f")).Ino; got != ino {
			t.Errorf("inode number %d after remount, was %d", got, ino)
		}
		if got := statT(t, m.dir).Ino; got != 1 {
			t.Errorf("root inode number %d, want 1", got)
		}
	})
}
