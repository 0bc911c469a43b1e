package posix

import (
	"bytes"
	"os"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

func openFD(t *testing.T, p *Posix, path string, flags int) *xlator.FD {
	t.Helper()
	fd := xlator.NewFD(loc(path), uint32(flags), false)
	ok(t, p.Open(bg, root, fd))
	t.Cleanup(func() { p.Release(bg, root, fd) })
	return fd
}

func TestSparseSeekAndFallocate(t *testing.T) {
	p, _ := newBrick(t)
	createFile(t, p, "/s", nil)
	fd := openFD(t, p, "/s", os.O_RDWR)
	const mb = 1 << 20
	data := bytes.Repeat([]byte("x"), 4096)
	must[int](t)(p.Write(bg, root, fd, data, 4*mb))
	st := must[xlator.Stat](t)(p.Fstat(bg, root, fd))
	if st.Size != 4*mb+4096 || st.Blocks*512 > 64*1024 {
		t.Fatalf("sparse file: size %d, %d blocks", st.Size, st.Blocks)
	}
	if off := must[int64](t)(p.Seek(bg, root, fd, 0, unix.SEEK_DATA)); off != 4*mb {
		t.Fatalf("SEEK_DATA from 0: %d", off)
	}
	if off := must[int64](t)(p.Seek(bg, root, fd, 0, unix.SEEK_HOLE)); off != 0 {
		t.Fatalf("SEEK_HOLE from 0: %d", off)
	}
	if off := must[int64](t)(p.Seek(bg, root, fd, 4*mb, unix.SEEK_HOLE)); off != 4*mb+4096 {
		t.Fatalf("SEEK_HOLE from data: %d", off)
	}
	_, err := p.Seek(bg, root, fd, 8*mb, unix.SEEK_DATA)
	wantErrno(t, err, syscall.ENXIO)
	_, err = p.Seek(bg, root, fd, 0, 0)
	wantErrno(t, err, syscall.EINVAL)

	// Fallocate with KEEP_SIZE allocates without growing.
	ok(t, p.Fallocate(bg, root, fd, xlator.FallocKeepSize, 0, mb))
	st = must[xlator.Stat](t)(p.Fstat(bg, root, fd))
	if st.Size != 4*mb+4096 || st.Blocks*512 < mb {
		t.Fatalf("after fallocate keep-size: size %d blocks %d", st.Size, st.Blocks)
	}
	ok(t, p.Fallocate(bg, root, fd, 0, 0, 8*mb))
	st = must[xlator.Stat](t)(p.Fstat(bg, root, fd))
	if st.Size != 8*mb {
		t.Fatalf("after fallocate: size %d", st.Size)
	}
	// Discard punches a hole, keeping the size; the range reads as zeros.
	ok(t, p.Discard(bg, root, fd, 4*mb, 4096))
	st = must[xlator.Stat](t)(p.Fstat(bg, root, fd))
	buf := make([]byte, 4096)
	must[int](t)(p.Read(bg, root, fd, buf, 4*mb))
	if st.Size != 8*mb || !bytes.Equal(buf, make([]byte, 4096)) {
		t.Fatalf("after discard: size %d, data not zero", st.Size)
	}
	// Zerofill zeros a written range and can grow the file.
	must[int](t)(p.Write(bg, root, fd, data, 100))
	ok(t, p.Zerofill(bg, root, fd, 0, 8192))
	must[int](t)(p.Read(bg, root, fd, buf, 100))
	if !bytes.Equal(buf, make([]byte, 4096)) {
		t.Fatal("zerofill left data")
	}
	ok(t, p.Zerofill(bg, root, fd, 8*mb, 4096))
	if st := must[xlator.Stat](t)(p.Fstat(bg, root, fd)); st.Size != 8*mb+4096 {
		t.Fatalf("zerofill past the end: size %d", st.Size)
	}
}

func TestTruncateAppendDirectCopy(t *testing.T) {
	p, dir := newBrick(t)
	createFile(t, p, "/f", []byte("0123456789"))
	st := must[xlator.Stat](t)(p.Truncate(bg, root, loc("/f"), 4))
	if st.Size != 4 {
		t.Fatalf("truncate: size %d", st.Size)
	}
	must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o755, 0))
	_, err := p.Truncate(bg, root, loc("/d"), 0)
	wantErrno(t, err, syscall.EISDIR)

	fd := openFD(t, p, "/f", os.O_WRONLY|os.O_APPEND)
	must[int](t)(p.Write(bg, root, fd, []byte("ab"), 0))
	if data, _ := os.ReadFile(dir + "/f"); string(data) != "0123ab" {
		t.Fatalf("O_APPEND write gave %q", data)
	}
	st = must[xlator.Stat](t)(p.Ftruncate(bg, root, fd, 2))
	if st.Size != 2 {
		t.Fatalf("ftruncate: size %d", st.Size)
	}

	// O_DIRECT with an unaligned caller buffer still works.
	createFile(t, p, "/direct", nil)
	dfd := openFD(t, p, "/direct", os.O_RDWR|unix.O_DIRECT)
	raw := make([]byte, 8192+1)
	unaligned := raw[1:]
	for i := range unaligned {
		unaligned[i] = byte(i)
	}
	if n := must[int](t)(p.Write(bg, root, dfd, unaligned, 0)); n != 8192 {
		t.Fatalf("direct write %d", n)
	}
	back := make([]byte, 8193)[1:]
	if n := must[int](t)(p.Read(bg, root, dfd, back, 0)); n != 8192 || !bytes.Equal(back, unaligned) {
		t.Fatalf("direct read %d bytes, equal %v", n, bytes.Equal(back, unaligned))
	}

	// copy_file_range between two open files.
	out := createFile(t, p, "/copy", nil)
	_ = out
	in := openFD(t, p, "/direct", os.O_RDONLY)
	ofd := openFD(t, p, "/copy", os.O_WRONLY)
	n := must[int64](t)(p.CopyFileRange(bg, root, in, 100, ofd, 10, 1000, 0))
	if n != 1000 {
		t.Fatalf("copy_file_range copied %d", n)
	}
	got, _ := os.ReadFile(dir + "/copy")
	if len(got) != 1010 || !bytes.Equal(got[10:], unaligned[100:1100]) {
		t.Fatalf("copied data wrong (%d bytes)", len(got))
	}
	ok(t, p.Fsync(bg, root, ofd, false))
	ok(t, p.Fsync(bg, root, ofd, true))
	ok(t, p.Flush(bg, root, ofd))
}

func TestMknodKinds(t *testing.T) {
	requireRoot(t)
	p, _ := newBrick(t)
	for _, c := range []struct {
		path string
		mode uint32
		rdev uint64
	}{
		{"/fifo", syscall.S_IFIFO | 0o644, 0},
		{"/sock", syscall.S_IFSOCK | 0o644, 0},
		{"/chr", syscall.S_IFCHR | 0o600, unix.Mkdev(1, 3)},
		{"/blk", syscall.S_IFBLK | 0o600, unix.Mkdev(7, 0)},
		{"/reg", syscall.S_IFREG | 0o600, 0},
	} {
		st := must[xlator.Stat](t)(p.Mknod(bg, root, loc(c.path), c.mode, c.rdev, 0))
		if st.Mode != c.mode || st.Rdev != c.rdev || st.GFID.IsZero() || st.Nlink != 1 {
			t.Fatalf("%s: %+v", c.path, st)
		}
		if got := must[xlator.Stat](t)(p.Stat(bg, root, &xlator.Loc{GFID: st.GFID})); got.Ino != st.Ino {
			t.Fatalf("%s: nameless stat found inode %d", c.path, got.Ino)
		}
	}
	_, err := p.Mknod(bg, root, loc("/fifo"), syscall.S_IFIFO|0o644, 0, 0)
	wantErrno(t, err, syscall.EEXIST)
}

func TestLargeXattrsAndACLs(t *testing.T) {
	p, dir := newBrick(t)
	createFile(t, p, "/f", nil)
	// The largest value the brick's file system takes (64 KiB with ext4's
	// ea_inode, XFS or btrfs; a block on plain ext4) round-trips; a
	// bigger one fails as it fails natively.
	probe := dir + "/.probe"
	ok(t, os.WriteFile(probe, nil, 0o644))
	var big []byte
	for _, size := range []int{64 * 1024, 16 * 1024, 3500} {
		v := bytes.Repeat([]byte("v"), size)
		nativeErr := unix.Setxattr(probe, "user.big", v, 0)
		err := p.Setxattr(bg, root, loc("/f"), "user.big", v, 0)
		if xlator.Errno(err) != xlator.Errno(nativeErr) {
			t.Fatalf("setxattr of %d bytes: brick %v, native %v", size, err, nativeErr)
		}
		if err == nil {
			big = v
			break
		}
		t.Logf("the file system refuses %d-byte xattrs: %v", size, nativeErr)
	}
	ok(t, os.Remove(probe))
	got := must[[]byte](t)(p.Getxattr(bg, root, loc("/f"), "user.big"))
	if !bytes.Equal(got, big) {
		t.Fatalf("64 KiB xattr came back as %d bytes", len(got))
	}
	wantErrno(t, p.Setxattr(bg, root, loc("/f"), "user.big", []byte("x"), unix.XATTR_CREATE), syscall.EEXIST)
	wantErrno(t, p.Setxattr(bg, root, loc("/f"), "user.none", []byte("x"), unix.XATTR_REPLACE), syscall.ENODATA)
	acl := aclXattr([]aclEntry{{tag: 0x01, perm: 6}, {tag: 0x02, perm: 4, id: 1000}, {tag: 0x04, perm: 4}, {tag: 0x10, perm: 4}, {tag: 0x20, perm: 0}})
	ok(t, p.Setxattr(bg, root, loc("/f"), "system.posix_acl_access", acl, 0))
	if got := must[[]byte](t)(p.Getxattr(bg, root, loc("/f"), "system.posix_acl_access")); !bytes.Equal(got, acl) {
		t.Fatalf("ACL came back as %x", got)
	}
	names := must[[]string](t)(p.Listxattr(bg, root, loc("/f")))
	if len(names) != 2 {
		t.Fatalf("listxattr: %v", names)
	}
	fd := openFD(t, p, "/f", os.O_RDONLY)
	ok(t, p.Fsetxattr(bg, root, fd, "user.fd", []byte("1"), 0))
	if v := must[[]byte](t)(p.Fgetxattr(bg, root, fd, "user.fd")); string(v) != "1" {
		t.Fatalf("fgetxattr %q", v)
	}
	if n := must[[]string](t)(p.Flistxattr(bg, root, fd)); len(n) != 3 {
		t.Fatalf("flistxattr %v", n)
	}
	ok(t, p.Fremovexattr(bg, root, fd, "user.fd"))
	ok(t, p.Removexattr(bg, root, loc("/f"), "user.big"))
	_, err := p.Getxattr(bg, root, loc("/f"), "user.big")
	wantErrno(t, err, syscall.ENODATA)
	_, err = p.Fgetxattr(bg, root, fd, "trusted.loom.gfid")
	wantErrno(t, err, syscall.ENODATA)
	if v := must[[]byte](t)(p.Fgetxattr(bg, root, fd, "loom.gfid")); len(v) != 16 {
		t.Fatalf("loom.gfid: %x", v)
	}
}

func TestStatfs(t *testing.T) {
	p, dir := newBrick(t)
	s := must[xlator.StatFS](t)(p.Statfs(bg, root, xlator.RootLoc()))
	var want unix.Statfs_t
	ok(t, unix.Statfs(dir, &want))
	if s.Blocks != want.Blocks || s.Bsize != uint32(want.Bsize) || s.NameLen != 255 {
		t.Fatalf("statfs %+v, disk %+v", s, want)
	}
}

// TestBackingFile checks the descriptor handed out for FUSE passthrough:
// it is the open file itself, directories have none, and a released FD
// has none.
func TestBackingFile(t *testing.T) {
	p, _ := newBrick(t)
	createFile(t, p, "/f", []byte("passthrough"))
	fd := xlator.NewFD(loc("/f"), uint32(os.O_RDONLY), false)
	ok(t, p.Open(bg, root, fd))
	ufd, has := p.BackingFile(fd)
	if !has {
		t.Fatal("no backing file for an open file")
	}
	buf := make([]byte, 32)
	n, err := unix.Pread(ufd, buf, 0)
	if err != nil || string(buf[:n]) != "passthrough" {
		t.Fatalf("pread on the backing fd: %q, %v", buf[:n], err)
	}
	ok(t, p.Release(bg, root, fd))
	if _, has := p.BackingFile(fd); has {
		t.Fatal("backing file of a released FD")
	}

	dir := xlator.NewFD(loc("/"), uint32(os.O_RDONLY), true)
	ok(t, p.Opendir(bg, root, dir))
	defer p.Releasedir(bg, root, dir)
	if _, has := p.BackingFile(dir); has {
		t.Fatal("backing file of a directory")
	}
}
