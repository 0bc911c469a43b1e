package xlatortest

import "syscall"

func testMkdirRmdir(f *client) {
	loc := f.newLoc("/d")
	st, err := f.top.Mkdir(f.ctx, f.c, loc, 0o750, 0)
	if err != nil {
		f.t.Fatalf("mkdir: %v", err)
	}
	if !st.IsDir() || st.Mode&0o7777 != 0o750 || st.Nlink != 2 || st.GFID != loc.GFID {
		f.t.Fatalf("mkdir /d: mode %o nlink %d gfid %v; want a 0750 directory, 2 links, gfid %v", st.Mode, st.Nlink, st.GFID, loc.GFID)
	}
	_, err = f.top.Mkdir(f.ctx, f.c, f.newLoc("/d"), 0o755, 0)
	wantErrno(f.t, "mkdir an existing name", err, syscall.EEXIST)
	f.mkdir("/d/sub", 0o755)
	if got := f.stat("/d"); got.Nlink != 3 {
		f.t.Fatalf("/d with one subdirectory has %d links, want 3", got.Nlink)
	}
	f.writeFile("/d/f", nil)
	wantErrno(f.t, "rmdir a non-empty directory", f.top.Rmdir(f.ctx, f.c, f.loc("/d")), syscall.ENOTEMPTY)
	wantErrno(f.t, "rmdir a file", f.top.Rmdir(f.ctx, f.c, f.loc("/d/f")), syscall.ENOTDIR)
	if err := f.top.Unlink(f.ctx, f.c, f.loc("/d/f")); err != nil {
		f.t.Fatalf("unlink /d/f: %v", err)
	}
	if err := f.top.Rmdir(f.ctx, f.c, f.loc("/d/sub")); err != nil {
		f.t.Fatalf("rmdir /d/sub: %v", err)
	}
	if err := f.top.Rmdir(f.ctx, f.c, f.loc("/d")); err != nil {
		f.t.Fatalf("rmdir /d: %v", err)
	}
	f.missing("/d")
	wantErrno(f.t, "rmdir a missing name", f.top.Rmdir(f.ctx, f.c, f.loc("/").Child("d")), syscall.ENOENT)
}

func testSymlink(f *client) {
	f.writeFile("/real", []byte("data"))
	for _, tc := range []struct{ name, target string }{
		{"/rel", "real"},
		{"/abs", "/etc/passwd"},
		{"/dangling", "no/such/place"},
		{"/up", "../../outside"},
	} {
		st := f.symlink(tc.target, tc.name)
		if st.Type() != syscall.S_IFLNK || st.Size != uint64(len(tc.target)) {
			f.t.Fatalf("symlink %s: mode %o size %d; want a link of size %d", tc.name, st.Mode, st.Size, len(tc.target))
		}
		// Lookup never follows a link: it describes the link itself.
		if got := f.stat(tc.name); got.Type() != syscall.S_IFLNK || got.GFID != st.GFID {
			f.t.Fatalf("lookup %s: mode %o gfid %v; want the link itself", tc.name, got.Mode, got.GFID)
		}
		target, err := f.top.Readlink(f.ctx, f.c, f.loc(tc.name))
		if err != nil || target != tc.target {
			f.t.Fatalf("readlink %s = %q, %v; want %q", tc.name, target, err, tc.target)
		}
	}
	_, err := f.top.Symlink(f.ctx, f.c, "x", f.newLoc("/rel"), 0)
	wantErrno(f.t, "symlink over an existing name", err, syscall.EEXIST)
	_, err = f.top.Readlink(f.ctx, f.c, f.loc("/real"))
	wantErrno(f.t, "readlink a regular file", err, syscall.EINVAL)
}

func testHardLink(f *client) {
	orig := f.writeFile("/a", []byte("shared"))
	st, err := f.top.Link(f.ctx, f.c, f.loc("/a"), f.target("/b"))
	if err != nil {
		f.t.Fatalf("link /a /b: %v", err)
	}
	if st.GFID != orig.GFID || st.Nlink != 2 {
		f.t.Fatalf("link: gfid %v nlink %d; want %v and 2", st.GFID, st.Nlink, orig.GFID)
	}
	if a := f.stat("/a"); a.Nlink != 2 || a.GFID != orig.GFID {
		f.t.Fatalf("lookup /a after link: nlink %d gfid %v", a.Nlink, a.GFID)
	}
	fd := f.open("/b", syscall.O_WRONLY)
	f.write(fd, []byte("SH"), 0)
	if got := f.contents("/a"); string(got) != "SHared" {
		f.t.Fatalf("write through one name is not seen through the other: %q", got)
	}
	if err := f.top.Unlink(f.ctx, f.c, f.loc("/a")); err != nil {
		f.t.Fatalf("unlink /a: %v", err)
	}
	if b := f.stat("/b"); b.Nlink != 1 || b.GFID != orig.GFID {
		f.t.Fatalf("lookup /b after unlinking /a: nlink %d gfid %v", b.Nlink, b.GFID)
	}
	if got := f.contents("/b"); string(got) != "SHared" {
		f.t.Fatalf("/b contents = %q", got)
	}
	f.writeFile("/c", nil)
	_, err = f.top.Link(f.ctx, f.c, f.loc("/b"), f.target("/c"))
	wantErrno(f.t, "link over an existing name", err, syscall.EEXIST)
	f.mkdir("/dir", 0o755)
	_, err = f.top.Link(f.ctx, f.c, f.loc("/dir"), f.target("/dirlink"))
	wantErrno(f.t, "link a directory", err, syscall.EPERM)
}

func testMknodFIFO(f *client) {
	loc := f.newLoc("/fifo")
	st, err := f.top.Mknod(f.ctx, f.c, loc, syscall.S_IFIFO|0o640, 0, 0)
	if err != nil {
		f.t.Fatalf("mknod fifo: %v", err)
	}
	if st.Type() != syscall.S_IFIFO || st.Mode&0o7777 != 0o640 || st.GFID != loc.GFID {
		f.t.Fatalf("mknod: mode %o gfid %v; want a 0640 FIFO with gfid %v", st.Mode, st.GFID, loc.GFID)
	}
	if got := f.stat("/fifo"); got.Type() != syscall.S_IFIFO || got.GFID != loc.GFID {
		f.t.Fatalf("lookup /fifo: mode %o gfid %v", got.Mode, got.GFID)
	}
	_, err = f.top.Mknod(f.ctx, f.c, f.newLoc("/fifo"), syscall.S_IFIFO|0o640, 0, 0)
	wantErrno(f.t, "mknod over an existing name", err, syscall.EEXIST)
}
