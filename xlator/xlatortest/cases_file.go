package xlatortest

import (
	"bytes"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

func testLookupRoot(f *client) {
	st, _, err := f.top.Lookup(f.ctx, f.c, xlator.RootLoc(), nil)
	if err != nil {
		f.t.Fatalf("lookup /: %v", err)
	}
	if !st.IsDir() || st.GFID != xlator.RootGFID {
		f.t.Fatalf("lookup / = mode %o gfid %v, want a directory with the root GFID", st.Mode, st.GFID)
	}
	st2, err := f.top.Stat(f.ctx, f.c, xlator.RootLoc())
	if err != nil {
		f.t.Fatalf("stat /: %v", err)
	}
	if st2.GFID != xlator.RootGFID || st2.Mode != st.Mode || st2.Nlink < 2 {
		f.t.Fatalf("stat / = gfid %v mode %o nlink %d; lookup said mode %o", st2.GFID, st2.Mode, st2.Nlink, st.Mode)
	}
}

func testLookupMissing(f *client) {
	f.missing("/nothing-here")
	f.mkdir("/d", 0o755)
	f.missing("/d/nothing-here")
	_, err := f.top.Stat(f.ctx, f.c, f.loc("/").Child("absent"))
	wantErrno(f.t, "stat /absent", err, syscall.ENOENT)
}

func testCreateWriteRead(f *client) {
	loc := f.newLoc("/file")
	fd := xlator.NewFD(loc, syscall.O_CREAT|syscall.O_RDWR, false)
	st, err := f.top.Create(f.ctx, f.c, fd, 0o640, 0)
	if err != nil {
		f.t.Fatalf("create /file: %v", err)
	}
	defer f.top.Release(f.ctx, f.c, fd)
	if st.Type() != syscall.S_IFREG || st.Mode&0o7777 != 0o640 || st.Size != 0 || st.Nlink != 1 {
		f.t.Fatalf("create /file: mode %o size %d nlink %d, want a regular 0640 file, empty, one link", st.Mode, st.Size, st.Nlink)
	}
	if st.GFID != loc.GFID {
		f.t.Fatalf("create /file: gfid %v, want the one asked for, %v", st.GFID, loc.GFID)
	}
	f.write(fd, []byte("hello world"), 0)
	buf := make([]byte, 64)
	n, err := f.top.Read(f.ctx, f.c, fd, buf, 6)
	if err != nil || string(buf[:n]) != "world" {
		f.t.Fatalf("read at 6 = %q, %v; want \"world\"", buf[:n], err)
	}
	if n, err := f.top.Read(f.ctx, f.c, fd, buf, 11); n != 0 || err != nil {
		f.t.Fatalf("read at EOF = %d, %v; want 0, nil", n, err)
	}
	if err := f.top.Flush(f.ctx, f.c, fd); err != nil {
		f.t.Fatalf("flush: %v", err)
	}
	if err := f.top.Fsync(f.ctx, f.c, fd, false); err != nil {
		f.t.Fatalf("fsync: %v", err)
	}
	if err := f.top.Fsync(f.ctx, f.c, fd, true); err != nil {
		f.t.Fatalf("fdatasync: %v", err)
	}
	fst, err := f.top.Fstat(f.ctx, f.c, fd)
	if err != nil || fst.Size != 11 || fst.GFID != loc.GFID {
		f.t.Fatalf("fstat = size %d gfid %v, %v; want 11 and %v", fst.Size, fst.GFID, err, loc.GFID)
	}
	if got := f.stat("/file"); got.Size != 11 || got.GFID != loc.GFID || got.Type() != syscall.S_IFREG {
		f.t.Fatalf("lookup /file = size %d gfid %v mode %o", got.Size, got.GFID, got.Mode)
	}
	if got := f.contents("/file"); string(got) != "hello world" {
		f.t.Fatalf("reopened contents = %q", got)
	}
	ro := f.open("/file", syscall.O_RDONLY)
	if _, err := f.top.Write(f.ctx, f.c, ro, []byte("x"), 0); xlator.Errno(err) != syscall.EBADF {
		f.t.Fatalf("write through a read-only fd: %v, want EBADF", err)
	}
}

func testCreateExclusive(f *client) {
	f.writeFile("/f", []byte("keep"))
	fd := xlator.NewFD(f.newLoc("/f"), syscall.O_CREAT|syscall.O_EXCL|syscall.O_RDWR, false)
	_, err := f.top.Create(f.ctx, f.c, fd, 0o644, 0)
	wantErrno(f.t, "create an existing name with O_EXCL", err, syscall.EEXIST)
	if got := f.contents("/f"); string(got) != "keep" {
		f.t.Fatalf("contents after the failed create = %q", got)
	}
	f.mkdir("/d", 0o755)
	dfd := xlator.NewFD(f.loc("/d"), syscall.O_RDWR, false)
	wantErrno(f.t, "open a directory for writing", f.top.Open(f.ctx, f.c, dfd), syscall.EISDIR)
	ffd := xlator.NewFD(f.loc("/f"), syscall.O_RDONLY|syscall.O_DIRECTORY, true)
	wantErrno(f.t, "opendir a file", f.top.Opendir(f.ctx, f.c, ffd), syscall.ENOTDIR)
}

func testCreateUmaskAndOwner(f *client) {
	fd := xlator.NewFD(f.newLoc("/masked"), syscall.O_CREAT|syscall.O_RDWR, false)
	st, err := f.top.Create(f.ctx, f.c, fd, 0o666, 0o027)
	if err != nil {
		f.t.Fatalf("create: %v", err)
	}
	f.top.Release(f.ctx, f.c, fd)
	if st.Mode&0o7777 != 0o640 || f.stat("/masked").Mode&0o7777 != 0o640 {
		f.t.Fatalf("create 0666 with umask 027: mode %o, want 0640", st.Mode&0o7777)
	}
	dst, err := f.top.Mkdir(f.ctx, f.c, f.newLoc("/maskdir"), 0o777, 0o022)
	if err != nil || dst.Mode&0o7777 != 0o755 {
		f.t.Fatalf("mkdir 0777 with umask 022: mode %o, %v; want 0755", dst.Mode&0o7777, err)
	}

	f.mkdir("/shared", 0o777)
	if _, err := f.top.Setattr(f.ctx, f.c, f.loc("/shared"), &xlator.SetAttr{Valid: xlator.SetMode, Mode: 0o777}); err != nil {
		f.t.Fatalf("chmod /shared: %v", err)
	}
	u := f.as(1000, 1000)
	ufd, ust := u.create("/shared/mine", 0o600)
	if ust.UID != 1000 || ust.GID != 1000 {
		f.t.Fatalf("file created by 1000:1000 is owned by %d:%d", ust.UID, ust.GID)
	}
	u.write(ufd, []byte("private"), 0)
	dst = u.mkdir("/shared/mydir", 0o700)
	if dst.UID != 1000 || dst.GID != 1000 {
		f.t.Fatalf("directory made by 1000:1000 is owned by %d:%d", dst.UID, dst.GID)
	}
	lst := u.symlink("mine", "/shared/mylink")
	if lst.UID != 1000 {
		f.t.Fatalf("symlink made by 1000 is owned by %d", lst.UID)
	}
}

func testAppend(f *client) {
	f.writeFile("/log", []byte("abc"))
	fd := f.open("/log", syscall.O_WRONLY|syscall.O_APPEND)
	// With O_APPEND, Linux writes at the end whatever offset is given.
	f.write(fd, []byte("def"), 0)
	f.write(fd, []byte("gh"), 1)
	if got := f.contents("/log"); string(got) != "abcdefgh" {
		f.t.Fatalf("contents after appends = %q, want \"abcdefgh\"", got)
	}
}

func testTruncate(f *client) {
	f.writeFile("/t", []byte("0123456789"))
	st, err := f.top.Truncate(f.ctx, f.c, f.loc("/t"), 4)
	if err != nil || st.Size != 4 {
		f.t.Fatalf("truncate to 4: size %d, %v", st.Size, err)
	}
	if got := f.contents("/t"); string(got) != "0123" {
		f.t.Fatalf("after shrinking: %q", got)
	}
	if st, err = f.top.Truncate(f.ctx, f.c, f.loc("/t"), 100); err != nil || st.Size != 100 {
		f.t.Fatalf("truncate to 100: size %d, %v", st.Size, err)
	}
	want := append([]byte("0123"), make([]byte, 96)...)
	if got := f.contents("/t"); !bytes.Equal(got, want) {
		f.t.Fatalf("after growing: %q, want 0123 then 96 zero bytes", got)
	}
	fd := f.open("/t", syscall.O_RDWR)
	if st, err = f.top.Ftruncate(f.ctx, f.c, fd, 2); err != nil || st.Size != 2 {
		f.t.Fatalf("ftruncate to 2: size %d, %v", st.Size, err)
	}
	if got := f.stat("/t"); got.Size != 2 {
		f.t.Fatalf("lookup after ftruncate: size %d", got.Size)
	}
	f.mkdir("/d", 0o755)
	_, err = f.top.Truncate(f.ctx, f.c, f.loc("/d"), 0)
	wantErrno(f.t, "truncate a directory", err, syscall.EISDIR)
}

func testUnlink(f *client) {
	f.writeFile("/gone", []byte("x"))
	if err := f.top.Unlink(f.ctx, f.c, f.loc("/gone")); err != nil {
		f.t.Fatalf("unlink: %v", err)
	}
	f.missing("/gone")
	wantErrno(f.t, "unlink a missing name", f.top.Unlink(f.ctx, f.c, f.loc("/").Child("gone")), syscall.ENOENT)
	f.mkdir("/d", 0o755)
	wantErrno(f.t, "unlink a directory", f.top.Unlink(f.ctx, f.c, f.loc("/d")), syscall.EISDIR)
}

func testUnlinkOpenFile(f *client) {
	fd, _ := f.create("/open", 0o644)
	f.write(fd, []byte("still here"), 0)
	if err := f.top.Unlink(f.ctx, f.c, f.loc("/open")); err != nil {
		f.t.Fatalf("unlink: %v", err)
	}
	f.missing("/open")
	if got := f.readAll(fd, 0); string(got) != "still here" {
		f.t.Fatalf("read of an unlinked open file = %q", got)
	}
	f.write(fd, []byte("!"), 10)
	st, err := f.top.Fstat(f.ctx, f.c, fd)
	if err != nil || st.Size != 11 || st.Nlink != 0 {
		f.t.Fatalf("fstat of an unlinked open file: size %d nlink %d, %v; want 11 and 0", st.Size, st.Nlink, err)
	}
}
