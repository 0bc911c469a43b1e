package integration

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/xattr"
	"golang.org/x/sys/unix"
)

func TestXattrs(t *testing.T) {
	m, brick := posixMount(t)
	writeFile(t, m.Path("f"), []byte("x"))
	must(t, os.Mkdir(m.Path("d"), 0o755))
	mid := bytes.Repeat([]byte("v"), 3000)
	for _, name := range []string{"f", "d"} {
		p := m.Path(name)
		must(t, xattr.Set(p, "user.small", []byte("1")))
		must(t, xattr.Set(p, "user.mid", mid))
		must(t, xattr.Set(p, "user.empty", nil))
		list, err := xattr.List(p)
		must(t, err)
		for _, want := range []string{"user.small", "user.mid", "user.empty"} {
			if !slices.Contains(list, want) {
				t.Errorf("%s: listxattr %q lacks %s", name, list, want)
			}
		}
		if v, err := xattr.Get(p, "user.mid"); err != nil || !bytes.Equal(v, mid) {
			t.Errorf("%s: user.mid read back %d bytes, %v", name, len(v), err)
		}
		if n, err := unix.Getxattr(p, "user.mid", nil); err != nil || n != len(mid) {
			t.Errorf("%s: size query of user.mid: %d, %v", name, n, err)
		}
		if v, err := xattr.Get(p, "user.empty"); err != nil || len(v) != 0 {
			t.Errorf("%s: empty value read back as %q, %v", name, v, err)
		}
		if v, err := xattr.Get(filepath.Join(brick, name), "user.mid"); err != nil || !bytes.Equal(v, mid) {
			t.Errorf("%s: user.mid on the brick: %d bytes, %v", name, len(v), err)
		}
		wantErrno(t, name+": XATTR_CREATE of an existing name", unix.Setxattr(p, "user.small", []byte("2"), unix.XATTR_CREATE), syscall.EEXIST)
		wantErrno(t, name+": XATTR_REPLACE of a missing name", unix.Setxattr(p, "user.none", []byte("2"), unix.XATTR_REPLACE), syscall.ENODATA)
		must(t, unix.Setxattr(p, "user.small", []byte("22"), unix.XATTR_REPLACE))
		if v, _ := xattr.Get(p, "user.small"); string(v) != "22" {
			t.Errorf("%s: after XATTR_REPLACE user.small = %q", name, v)
		}
		small := make([]byte, 10)
		_, err = unix.Getxattr(p, "user.mid", small)
		wantErrno(t, name+": getxattr into a too small buffer", err, syscall.ERANGE)
		must(t, xattr.Remove(p, "user.small"))
		_, err = xattr.Get(p, "user.small")
		wantErrno(t, name+": getxattr after removexattr", err, syscall.ENODATA)
		wantErrno(t, name+": removexattr of a missing name", xattr.Remove(p, "user.small"), syscall.ENODATA)
		if _, err := xattr.Get(filepath.Join(brick, name), "user.small"); !errors.Is(err, syscall.ENODATA) {
			t.Errorf("%s: removed user.small still on the brick (%v)", name, err)
		}
	}

	// A 64 KiB value: this brick's filesystem decides whether it fits;
	// the mount must answer as the brick does.
	big := pattern(64<<10, 5)
	probe := filepath.Join(filepath.Dir(brick), "probe")
	writeFile(t, probe, nil)
	brickErr := xattr.Set(probe, "user.big", big)
	mountErr := xattr.Set(m.Path("f"), "user.big", big)
	switch {
	case brickErr == nil && mountErr != nil:
		t.Errorf("64 KiB xattr: the brick's filesystem takes it, the mount fails: %v", mountErr)
	case brickErr != nil && !errors.Is(mountErr, unwrapErrno(brickErr)):
		t.Errorf("64 KiB xattr: the brick's filesystem fails with %v, the mount with %v", brickErr, mountErr)
	case brickErr != nil:
		t.Logf("64 KiB xattr: refused by the brick's filesystem (%v) and the mount alike; TestXattr64KiB uses a tmpfs brick", brickErr)
	}
}

// unwrapErrno returns the errno err carries (EIO if none).
func unwrapErrno(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EIO
}

// TestXattr64KiB stores a 64 KiB xattr value (the kernel's limit) through
// a mount whose brick is on tmpfs, which, unlike ext4 without ea_inode,
// holds values that large.
func TestXattr64KiB(t *testing.T) {
	requireEnv(t)
	dir := testDir(t)
	brick := mkdirAll(t, filepath.Join(dir, "tmpfs-brick"))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m,mode=0755", "itest-tmpfs", brick).CombinedOutput(); err != nil {
		t.Fatalf("mounting a tmpfs brick: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if err := runUmount(brick, false); err != nil {
			t.Errorf("%v", err)
			runUmount(brick, true)
		}
	})
	m := mountLoom(t, posixVolfile(brick))
	big := pattern(64<<10, 7)
	writeFile(t, m.Path("f"), nil)
	must(t, os.Mkdir(m.Path("d"), 0o755))
	for _, name := range []string{"f", "d"} {
		if err := xattr.Set(m.Path(name), "user.big", big); err != nil {
			t.Errorf("%s: setting a 64 KiB value: %v", name, err)
			continue
		}
		if n, err := unix.Getxattr(m.Path(name), "user.big", nil); err != nil || n != len(big) {
			t.Errorf("%s: size of the 64 KiB value: %d, %v", name, n, err)
		}
		if v, err := xattr.Get(m.Path(name), "user.big"); err != nil || !bytes.Equal(v, big) {
			t.Errorf("%s: reading the 64 KiB value back: %d bytes, %v", name, len(v), err)
		}
		if v, err := xattr.Get(filepath.Join(brick, name), "user.big"); err != nil || !bytes.Equal(v, big) {
			t.Errorf("%s: the 64 KiB value on the brick: %d bytes, %v", name, len(v), err)
		}
	}
	m.Unmount(t)
}

// runTool runs a command-line tool (setfacl, getfacl) with a timeout and
// returns its output.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestPosixACL(t *testing.T) {
	m, brick := posixMount(t)
	u1000 := user{uid: 1000, gid: 1000}
	u1001 := user{uid: 1001, gid: 1001}

	// Access ACL: only the named user may read a 0640 root file.
	f := m.Path("secret")
	writeFile(t, f, []byte("for 1000 only"))
	must(t, os.Chmod(f, 0o640))
	runTool(t, "setfacl", "-m", "u:1000:r", f)
	for _, p := range []string{f, filepath.Join(brick, "secret")} {
		if out := runTool(t, "getfacl", "-n", p); !strings.Contains(out, "user:1000:r--") {
			t.Errorf("getfacl %s lacks user:1000:r--:\n%s", p, out)
		}
	}
	if got, errno := asUser(t, u1000, "read", f); errno != 0 || got != "for 1000 only" {
		t.Errorf("uid 1000, granted by the ACL, reads %q, errno %v", got, errno)
	}
	if _, errno := asUser(t, u1001, "read", f); errno != syscall.EACCES {
		t.Errorf("uid 1001, not in the ACL, reading a 0640 root file: errno %v, want EACCES", errno)
	}
	// The ACL mask shows as the group bits.
	runTool(t, "setfacl", "-m", "m::---", f)
	if _, errno := asUser(t, u1000, "read", f); errno != syscall.EACCES {
		t.Errorf("uid 1000 after the ACL mask was cleared: errno %v, want EACCES", errno)
	}
	if st := lstat(t, f); st.Mode&0o070 != 0 {
		t.Errorf("mode %o after setting the mask to ---: group bits should be 0", st.Mode&0o777)
	}

	// Default ACL: a new file in the directory inherits it.
	d := m.Path("shared")
	must(t, os.Mkdir(d, 0o755))
	runTool(t, "setfacl", "-d", "-m", "u:1001:rwx", d)
	if out := runTool(t, "getfacl", "-n", d); !strings.Contains(out, "default:user:1001:rwx") {
		t.Errorf("getfacl of the directory lacks default:user:1001:rwx:\n%s", out)
	}
	nf, err := os.OpenFile(filepath.Join(d, "inherits"), os.O_CREATE|os.O_WRONLY, 0o666)
	must(t, err)
	must(t, nf.Close())
	if out := runTool(t, "getfacl", "-n", filepath.Join(d, "inherits")); !strings.Contains(out, "user:1001:rwx") {
		t.Errorf("a file created in a directory with a default ACL did not inherit user:1001:\n%s", out)
	}
	if _, errno := asUser(t, u1001, "write", filepath.Join(d, "inherits"), "by 1001"); errno != 0 {
		t.Errorf("uid 1001, granted write by the inherited ACL: errno %v", errno)
	}
	if _, errno := asUser(t, u1000, "write", filepath.Join(d, "inherits"), "by 1000"); errno != syscall.EACCES {
		t.Errorf("uid 1000, not in the inherited ACL: errno %v, want EACCES", errno)
	}
	if got := readFile(t, filepath.Join(brick, "shared", "inherits")); string(got) != "by 1001" {
		t.Errorf("brick file reads %q, want what uid 1001 wrote", got)
	}
}

func TestUtimensatNanoseconds(t *testing.T) {
	m, brick := posixMount(t)
	writeFile(t, m.Path("f"), []byte("x"))
	must(t, os.Mkdir(m.Path("d"), 0o755))
	atime := unix.Timespec{Sec: 1234567890, Nsec: 123456789}
	mtime := unix.Timespec{Sec: 1500000000, Nsec: 987654321}
	for _, name := range []string{"f", "d"} {
		must(t, unix.UtimesNanoAt(unix.AT_FDCWD, m.Path(name), []unix.Timespec{atime, mtime}, 0))
		for _, p := range []string{m.Path(name), filepath.Join(brick, name)} {
			st := lstat(t, p)
			if st.Atim != atime || st.Mtim != mtime {
				t.Errorf("%s: atime %v mtime %v, want %v and %v", p, st.Atim, st.Mtim, atime, mtime)
			}
		}
		// UTIME_OMIT leaves atime alone; UTIME_NOW sets mtime to now.
		before := time.Now().Add(-2 * time.Second)
		omitNow := []unix.Timespec{{Nsec: unix.UTIME_OMIT}, {Nsec: unix.UTIME_NOW}}
		must(t, unix.UtimesNanoAt(unix.AT_FDCWD, m.Path(name), omitNow, 0))
		st := lstat(t, filepath.Join(brick, name))
		if st.Atim != atime {
			t.Errorf("%s: UTIME_OMIT changed atime to %v", name, st.Atim)
		}
		if got := time.Unix(st.Mtim.Sec, st.Mtim.Nsec); got.Before(before) {
			t.Errorf("%s: UTIME_NOW set mtime to %v, before the call", name, got)
		}
	}
}

func TestStatfs(t *testing.T) {
	m, brick := posixMount(t)
	var viaMount, onBrick unix.Statfs_t
	must(t, unix.Statfs(m.Dir, &viaMount))
	must(t, unix.Statfs(brick, &onBrick))
	total := func(s unix.Statfs_t) int64 { return int64(s.Blocks) * s.Frsize }
	if total(viaMount) != total(onBrick) {
		t.Errorf("total size: mount %d bytes, brick filesystem %d", total(viaMount), total(onBrick))
	}
	if viaMount.Files != onBrick.Files {
		t.Errorf("inodes: mount %d, brick filesystem %d", viaMount.Files, onBrick.Files)
	}
	if viaMount.Namelen != onBrick.Namelen {
		t.Errorf("name length limit: mount %d, brick filesystem %d", viaMount.Namelen, onBrick.Namelen)
	}
	// Free space moves as others use the disk; allow 256 MiB of drift.
	free := func(s unix.Statfs_t) int64 { return int64(s.Bavail) * s.Frsize }
	if d := free(viaMount) - free(onBrick); d > 256<<20 || d < -256<<20 {
		t.Errorf("available space: mount %d bytes, brick filesystem %d", free(viaMount), free(onBrick))
	}
}

func TestAppend(t *testing.T) {
	m, brick := posixMount(t)
	writeFile(t, m.Path("log"), []byte("start\n"))
	a, err := os.OpenFile(m.Path("log"), os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	defer a.Close()
	b, err := os.OpenFile(m.Path("log"), os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	defer b.Close()
	for i, f := range []*os.File{a, b, a, b} {
		_, err := f.WriteString(string(rune('1'+i)) + "\n")
		must(t, err)
	}
	// A seek does not move O_APPEND writes.
	_, err = a.Seek(0, 0)
	must(t, err)
	_, err = a.WriteString("end\n")
	must(t, err)
	must(t, a.Close())
	must(t, b.Close())
	want := "start\n1\n2\n3\n4\nend\n"
	for _, p := range []string{m.Path("log"), filepath.Join(brick, "log")} {
		if got := readFile(t, p); string(got) != want {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
}

func TestDirectIO(t *testing.T) {
	m, brick := posixMount(t)
	const size = 64 << 10
	// Anonymous mappings are page aligned, as O_DIRECT wants.
	buf, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	must(t, err)
	defer unix.Munmap(buf)
	data := pattern(size, 11)
	copy(buf, data)
	fd, err := unix.Open(m.Path("direct"), unix.O_RDWR|unix.O_CREAT|unix.O_DIRECT, 0o644)
	if err != nil {
		t.Fatalf("open O_DIRECT: %v", err)
	}
	defer unix.Close(fd)
	if n, err := unix.Pwrite(fd, buf, 0); err != nil || n != size {
		t.Fatalf("O_DIRECT pwrite: %d, %v", n, err)
	}
	if n, err := unix.Pwrite(fd, buf[:4096], size); err != nil || n != 4096 {
		t.Fatalf("O_DIRECT pwrite at the end: %d, %v", n, err)
	}
	clear(buf)
	if n, err := unix.Pread(fd, buf, 0); err != nil || n != size || !bytes.Equal(buf, data) {
		t.Errorf("O_DIRECT pread: %d bytes, %v, equal %v", n, err, bytes.Equal(buf, data))
	}
	// Data written with O_DIRECT is on the brick without any flush.
	want := append(slices.Clone(data), data[:4096]...)
	if got := readFile(t, filepath.Join(brick, "direct")); !bytes.Equal(got, want) {
		t.Errorf("brick holds %d bytes, want the %d written with O_DIRECT", len(got), len(want))
	}
}

func TestMmap(t *testing.T) {
	m, brick := posixMount(t)
	const size = 3 * 4096
	data := pattern(size, 13)
	writeFile(t, m.Path("mapped"), data)
	f, err := os.OpenFile(m.Path("mapped"), os.O_RDWR, 0)
	must(t, err)
	defer f.Close()
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap MAP_SHARED read-write: %v", err)
	}
	if !bytes.Equal(mem, data) {
		t.Errorf("the mapping does not show the file's contents")
	}
	copy(mem[0:], "first page")
	copy(mem[4096+10:], "second page")
	mem[size-1] = '!'
	must(t, unix.Msync(mem, unix.MS_SYNC))
	must(t, unix.Munmap(mem))
	copy(data[0:], "first page")
	copy(data[4096+10:], "second page")
	data[size-1] = '!'
	if got := readFile(t, filepath.Join(brick, "mapped")); !bytes.Equal(got, data) {
		t.Errorf("after msync the brick does not hold the bytes written through the mapping")
	}
	if got := readFile(t, m.Path("mapped")); !bytes.Equal(got, data) {
		t.Errorf("read(2) through the mount does not show the bytes written through the mapping")
	}
}

func TestUnlinkedOpenFile(t *testing.T) {
	m, brick := posixMount(t)
	writeFile(t, m.Path("ghost"), []byte("hello"))
	f, err := os.OpenFile(m.Path("ghost"), os.O_RDWR, 0)
	must(t, err)
	defer f.Close()
	must(t, os.Remove(m.Path("ghost")))
	if _, err := os.Lstat(filepath.Join(brick, "ghost")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the unlinked name is still on the brick: %v", err)
	}
	var st unix.Stat_t
	must(t, unix.Fstat(int(f.Fd()), &st))
	if st.Nlink != 0 || st.Size != 5 {
		t.Errorf("fstat of the unlinked file: nlink %d size %d, want 0 and 5", st.Nlink, st.Size)
	}
	_, err = f.WriteAt([]byte(" world"), 5)
	must(t, err)
	got := make([]byte, 11)
	_, err = f.ReadAt(got, 0)
	must(t, err)
	if string(got) != "hello world" {
		t.Errorf("read back %q from the unlinked file", got)
	}
	must(t, f.Truncate(4))
	must(t, f.Chmod(0o600))
	must(t, unix.Fstat(int(f.Fd()), &st))
	if st.Size != 4 || st.Mode&0o777 != 0o600 {
		t.Errorf("after ftruncate and fchmod: size %d mode %o", st.Size, st.Mode&0o777)
	}
	// A new file of the same name is another file.
	writeFile(t, m.Path("ghost"), []byte("new"))
	n, err := f.ReadAt(got, 0)
	if string(got[:n]) != "hell" {
		t.Errorf("the open unlinked file reads %q (%v) after the name was reused", got[:n], err)
	}
	must(t, f.Close())
	if got := readFile(t, m.Path("ghost")); string(got) != "new" {
		t.Errorf("the new ghost reads %q", got)
	}
}

func TestSparseBeyond4GiB(t *testing.T) {
	m, brick := posixMount(t)
	const at = 5 << 30
	marker := []byte("beyond five gibibytes")
	f, err := os.OpenFile(m.Path("huge"), os.O_RDWR|os.O_CREATE, 0o644)
	must(t, err)
	defer f.Close()
	_, err = f.WriteAt(marker, at)
	must(t, err)
	_, err = f.WriteAt([]byte("past 4GiB"), 4<<30+1)
	must(t, err)
	must(t, f.Sync())
	wantSize := int64(at + len(marker))
	for _, p := range []string{m.Path("huge"), filepath.Join(brick, "huge")} {
		if st := lstat(t, p); st.Size != wantSize {
			t.Errorf("%s: size %d, want %d", p, st.Size, wantSize)
		}
	}
	got := make([]byte, len(marker))
	_, err = f.ReadAt(got, at)
	must(t, err)
	if !bytes.Equal(got, marker) {
		t.Errorf("read at 5 GiB: %q", got)
	}
	_, err = f.ReadAt(got[:9], 4<<30+1)
	must(t, err)
	if string(got[:9]) != "past 4GiB" {
		t.Errorf("read at 4 GiB + 1: %q", got[:9])
	}
	zeros := make([]byte, 4096)
	_, err = f.ReadAt(zeros, 3<<30)
	must(t, err)
	if !bytes.Equal(zeros, make([]byte, 4096)) {
		t.Errorf("the hole at 3 GiB does not read as zeros")
	}
	fd := int(f.Fd())
	if off, err := unix.Seek(fd, 0, unix.SEEK_HOLE); err != nil || off != 0 {
		t.Errorf("SEEK_HOLE from 0: %d, %v; want 0", off, err)
	}
	if off, err := unix.Seek(fd, 0, unix.SEEK_DATA); err != nil || off < 4<<30-4096 || off > 4<<30+1 {
		t.Errorf("SEEK_DATA from 0: %d, %v; want the block holding 4 GiB + 1", off, err)
	}
	if a := allocated(t, filepath.Join(brick, "huge")); a > 1<<20 {
		t.Errorf("the brick allocates %d bytes for a sparse file with 30 bytes of data", a)
	}
}

func TestDirectory100k(t *testing.T) {
	requireEnv(t)
	brick := newBrick(t)
	m := mountLoomWith(t, posixVolfile(brick), mountConfig{deadline: 6 * time.Minute})
	const n = 100_000
	dir := m.Path("big")
	must(t, os.Mkdir(dir, 0o755))
	start := time.Now()
	m.guard(t, 4*time.Minute, "creating 100,000 files", func() {
		for i := 0; i < n; i++ {
			if err := unix.Mknod(filepath.Join(dir, entryName(i)), unix.S_IFREG|0o644, 0); err != nil {
				t.Fatalf("mknod entry %d: %v", i, err)
			}
		}
	})
	created := time.Since(start)
	var names []string
	m.guard(t, 2*time.Minute, "listing 100,000 files", func() {
		f, err := os.Open(dir)
		must(t, err)
		defer f.Close()
		names, err = f.Readdirnames(-1)
		must(t, err)
	})
	t.Logf("created %d files in %v, listed them in %v", n, created.Round(time.Millisecond), (time.Since(start) - created).Round(time.Millisecond))
	if len(names) != n {
		t.Errorf("readdir through the mount gives %d names, want %d", len(names), n)
	}
	seen := make([]bool, n)
	for _, name := range names {
		var i int
		if len(name) != 7 || name[0] != 'f' || !parseDigits(name[1:], &i) || seen[i] {
			t.Fatalf("readdir gave an unexpected or repeated name %q", name)
		}
		seen[i] = true
	}
	onBrick, err := os.ReadDir(filepath.Join(brick, "big"))
	must(t, err)
	if len(onBrick) != n {
		t.Errorf("the brick directory has %d entries, want %d", len(onBrick), n)
	}
}

// entryName is the name of the i-th entry of TestDirectory100k.
func entryName(i int) string {
	b := []byte("f000000")
	for j := 6; j > 0; j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}

// parseDigits parses a decimal number made only of digits.
func parseDigits(s string, v *int) bool {
	*v = 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
		*v = *v*10 + int(c-'0')
	}
	return true
}
