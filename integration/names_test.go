package integration

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestNameMax(t *testing.T) {
	m, brick := posixMount(t)
	ascii := strings.Repeat("n", 255)
	utf8 := strings.Repeat("é", 127) + "x" // 255 bytes
	for _, name := range []string{ascii, utf8} {
		writeFile(t, m.Path(name), []byte("long name"))
		if got := readFile(t, filepath.Join(brick, name)); string(got) != "long name" {
			t.Errorf("255-byte name on the brick reads %q", got)
		}
	}
	must(t, os.Mkdir(m.Path("d"+ascii[1:]), 0o755))
	must(t, os.Symlink(ascii, m.Path("s"+ascii[1:])))
	names, err := os.ReadDir(m.Dir)
	must(t, err)
	var listed []string
	for _, e := range names {
		listed = append(listed, e.Name())
	}
	for _, want := range []string{ascii, utf8, "d" + ascii[1:], "s" + ascii[1:]} {
		if !slices.Contains(listed, want) {
			t.Errorf("readdir lacks a %d-byte name", len(want))
		}
	}
	if got, err := os.Readlink(m.Path("s" + ascii[1:])); err != nil || got != ascii {
		t.Errorf("readlink of a 255-byte name: %d bytes, %v", len(got), err)
	}

	tooLong := ascii + "n"
	_, err = os.Create(m.Path(tooLong))
	wantErrno(t, "create with a 256-byte name", err, syscall.ENAMETOOLONG)
	wantErrno(t, "mkdir with a 256-byte name", os.Mkdir(m.Path(tooLong), 0o755), syscall.ENAMETOOLONG)
	_, err = os.Lstat(m.Path(tooLong))
	wantErrno(t, "lstat with a 256-byte name", err, syscall.ENAMETOOLONG)
	wantErrno(t, "rename to a 256-byte name", os.Rename(m.Path(ascii), m.Path(tooLong)), syscall.ENAMETOOLONG)
	wantErrno(t, "symlink with a 256-byte name", os.Symlink("x", m.Path(tooLong)), syscall.ENAMETOOLONG)
}

// TestPathMax builds a nested path whose length relative to the mount root
// is 4,095 bytes (PATH_MAX less the NUL). Each directory is made relative
// to a descriptor of its parent, as a shell would after chdir-ing step by
// step; then the whole 4,095-byte path is used in single calls relative to
// the mount root. The brick sees paths longer than PATH_MAX, so the brick
// must resolve relative to directory handles.
func TestPathMax(t *testing.T) {
	m, brick := posixMount(t)
	const dirs, dirLen = 16, 250
	var parts []string
	for i := 0; i < dirs; i++ {
		parts = append(parts, strings.Repeat(string(rune('a'+i)), dirLen))
	}
	fileLen := 4095 - dirs*(dirLen+1)
	file := strings.Repeat("z", fileLen)
	rel := strings.Join(append(slices.Clone(parts), file), "/")
	if len(rel) != 4095 {
		t.Fatalf("test bug: relative path is %d bytes", len(rel))
	}

	root, err := unix.Open(m.Dir, unix.O_DIRECTORY|unix.O_RDONLY, 0)
	must(t, err)
	defer unix.Close(root)
	dirfd, err := unix.Dup(root)
	must(t, err)
	for _, p := range parts {
		if err := unix.Mkdirat(dirfd, p, 0o755); err != nil {
			unix.Close(dirfd)
			t.Fatalf("mkdir at depth %d: %v", len(p), err)
		}
		next, err := unix.Openat(dirfd, p, unix.O_DIRECTORY|unix.O_RDONLY, 0)
		unix.Close(dirfd)
		if err != nil {
			t.Fatalf("opening the new directory: %v", err)
		}
		dirfd = next
	}
	content := []byte("at the bottom of a 4095-byte path")
	fd, err := unix.Openat(dirfd, file, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY, 0o644)
	unix.Close(dirfd)
	if err != nil {
		t.Fatalf("creating the file at the bottom: %v", err)
	}
	_, err = unix.Write(fd, content)
	unix.Close(fd)
	must(t, err)

	// The whole path in single system calls.
	var st unix.Stat_t
	if err := unix.Fstatat(root, rel, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Fatalf("fstatat with the 4095-byte path: %v", err)
	}
	if st.Size != int64(len(content)) {
		t.Errorf("size %d, want %d", st.Size, len(content))
	}
	fd, err = unix.Openat(root, rel, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("open with the 4095-byte path: %v", err)
	}
	buf := make([]byte, 100)
	n, err := unix.Read(fd, buf)
	unix.Close(fd)
	if err != nil || !bytes.Equal(buf[:n], content) {
		t.Errorf("read through the 4095-byte path: %q, %v", buf[:n], err)
	}
	wantErrno(t, "a 4096-byte path", unix.Fstatat(root, rel+"z", &st, 0), syscall.ENAMETOOLONG)

	// The brick holds it at the same place.
	bfd, err := unix.Open(brick, unix.O_DIRECTORY|unix.O_RDONLY, 0)
	must(t, err)
	defer unix.Close(bfd)
	fd, err = unix.Openat(bfd, rel, unix.O_RDONLY, 0)
	if err != nil {
		t.Fatalf("the file is not at the 4095-byte path below the brick: %v", err)
	}
	n, err = unix.Read(fd, buf)
	unix.Close(fd)
	if err != nil || !bytes.Equal(buf[:n], content) {
		t.Errorf("brick copy reads %q, %v", buf[:n], err)
	}
}

func TestNonUTF8Names(t *testing.T) {
	m, brick := posixMount(t)
	names := []string{"\xff\xfe", "bad\x80name", "latin1-\xe9t\xe9", "\xc3\x28"}
	for _, name := range names {
		writeFile(t, m.Path(name), []byte(name))
	}
	must(t, os.Mkdir(m.Path("dir\xfe"), 0o755))
	writeFile(t, m.Path("dir\xfe", "in\xff"), []byte("nested"))
	must(t, os.Rename(m.Path("\xc3\x28"), m.Path("renamed\xc0")))
	want := []string{"\xff\xfe", "bad\x80name", "latin1-\xe9t\xe9", "renamed\xc0", "dir\xfe"}
	for _, dir := range []string{m.Dir, brick} {
		f, err := os.Open(dir)
		must(t, err)
		got, err := f.Readdirnames(-1)
		f.Close()
		must(t, err)
		got = slices.DeleteFunc(got, func(s string) bool { return s == internalDir })
		slices.Sort(got)
		w := slices.Sorted(slices.Values(want))
		if !slices.Equal(got, w) {
			t.Errorf("%s lists %q, want %q", dir, got, w)
		}
	}
	for _, name := range names[:3] {
		if got := readFile(t, m.Path(name)); string(got) != name {
			t.Errorf("%q reads %q", name, got)
		}
	}
	if got := readFile(t, filepath.Join(brick, "dir\xfe", "in\xff")); string(got) != "nested" {
		t.Errorf("nested non-UTF-8 name on the brick reads %q", got)
	}
}

func TestManyUsers(t *testing.T) {
	m, brick := posixMount(t)
	u1000 := user{uid: 1000, gid: 1000, groups: []uint32{1000, 3000}}
	u1001 := user{uid: 1001, gid: 1001, groups: []uint32{1001}}
	shared := m.Path("shared")
	must(t, os.Mkdir(shared, 0o755))
	must(t, os.Chmod(shared, 0o777))

	owners := []struct {
		u    user
		name string
		op   string
	}{
		{u1000, "file1000", "create"},
		{u1000, "dir1000", "mkdir"},
		{u1001, "file1001", "create"},
		{u1001, "dir1001", "mkdir"},
	}
	for _, o := range owners {
		if _, errno := asUser(t, o.u, o.op, filepath.Join(shared, o.name), "by "+o.name); errno != 0 {
			t.Errorf("%s as uid %d: errno %v", o.op, o.u.uid, errno)
			continue
		}
		for _, p := range []string{filepath.Join(shared, o.name), filepath.Join(brick, "shared", o.name)} {
			if st := lstat(t, p); st.Uid != o.u.uid || st.Gid != o.u.gid {
				t.Errorf("%s: owner %d:%d, want %d:%d", p, st.Uid, st.Gid, o.u.uid, o.u.gid)
			}
		}
	}

	// A 0600 file is its owner's alone, though the mount runs as root.
	private := filepath.Join(shared, "private")
	if _, errno := asUser(t, u1000, "create", private, "mine"); errno != 0 {
		t.Fatalf("create as uid 1000: errno %v", errno)
	}
	must(t, os.Chmod(private, 0o600))
	if _, errno := asUser(t, u1001, "read", private); errno != syscall.EACCES {
		t.Errorf("uid 1001 reading uid 1000's 0600 file: errno %v, want EACCES", errno)
	}
	if got, errno := asUser(t, u1000, "read", private); errno != 0 || got != "mine" {
		t.Errorf("uid 1000 reading its own file: %q, errno %v", got, errno)
	}
	if _, errno := asUser(t, u1001, "write", filepath.Join(shared, "file1000"), "overwrite"); errno != syscall.EACCES {
		t.Errorf("uid 1001 writing uid 1000's 0644 file: errno %v, want EACCES", errno)
	}
	if _, errno := asUser(t, u1001, "create", filepath.Join(shared, "dir1000", "intruder"), ""); errno != syscall.EACCES {
		t.Errorf("uid 1001 creating in uid 1000's 0755 directory: errno %v, want EACCES", errno)
	}

	// Supplementary groups count: 1000 is in group 3000, 1001 is not.
	grp := m.Path("group-file")
	writeFile(t, grp, []byte("for group 3000"))
	must(t, os.Chown(grp, 0, 3000))
	must(t, os.Chmod(grp, 0o640))
	if got, errno := asUser(t, u1000, "read", grp); errno != 0 || got != "for group 3000" {
		t.Errorf("uid 1000 with supplementary group 3000 reading a 0640 root:3000 file: %q, errno %v", got, errno)
	}
	if _, errno := asUser(t, u1001, "read", grp); errno != syscall.EACCES {
		t.Errorf("uid 1001 outside group 3000: errno %v, want EACCES", errno)
	}

	// A setgid directory hands its group to new entries.
	sgid := m.Path("sgid")
	must(t, os.Mkdir(sgid, 0o755))
	must(t, os.Chown(sgid, 0, 3000))
	must(t, os.Chmod(sgid, 0o777|os.ModeSetgid))
	if _, errno := asUser(t, u1001, "create", filepath.Join(sgid, "f"), "x"); errno != 0 {
		t.Fatalf("create in the setgid directory as uid 1001: errno %v", errno)
	}
	if _, errno := asUser(t, u1001, "mkdir", filepath.Join(sgid, "d"), ""); errno != 0 {
		t.Fatalf("mkdir in the setgid directory as uid 1001: errno %v", errno)
	}
	for _, name := range []string{"f", "d"} {
		st := lstat(t, filepath.Join(brick, "sgid", name))
		if st.Uid != 1001 || st.Gid != 3000 {
			t.Errorf("sgid/%s on the brick: owner %d:%d, want 1001:3000 (group of the setgid directory)", name, st.Uid, st.Gid)
		}
		if name == "d" && st.Mode&unix.S_ISGID == 0 {
			t.Errorf("sgid/d lacks the setgid bit of its parent (mode %o)", st.Mode)
		}
	}
}
