package xlatortest

import (
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

func testRenameFile(f *client) {
	st := f.writeFile("/a", []byte("moving"))
	f.mkdir("/dir", 0o755)
	if err := f.rename("/a", "/b", 0); err != nil {
		f.t.Fatalf("rename /a /b: %v", err)
	}
	f.missing("/a")
	if got := f.stat("/b"); got.GFID != st.GFID {
		f.t.Fatalf("/b has gfid %v after the rename, want %v", got.GFID, st.GFID)
	}
	if err := f.rename("/b", "/dir/c", 0); err != nil {
		f.t.Fatalf("rename /b /dir/c: %v", err)
	}
	f.missing("/b")
	if got := f.stat("/dir/c"); got.GFID != st.GFID {
		f.t.Fatalf("/dir/c has gfid %v, want %v", got.GFID, st.GFID)
	}
	if got := f.contents("/dir/c"); string(got) != "moving" {
		f.t.Fatalf("contents after renames = %q", got)
	}
	err := f.top.Rename(f.ctx, f.c, f.loc("/").Child("nothing"), f.target("/x"), 0)
	wantErrno(f.t, "rename a missing name", err, syscall.ENOENT)
}

func testRenameDir(f *client) {
	d := f.mkdir("/d", 0o755)
	inner := f.writeFile("/d/inner", []byte("in"))
	f.mkdir("/other", 0o755)
	if err := f.rename("/d", "/other/e", 0); err != nil {
		f.t.Fatalf("rename /d /other/e: %v", err)
	}
	f.missing("/d")
	if got := f.stat("/other/e"); got.GFID != d.GFID || !got.IsDir() {
		f.t.Fatalf("/other/e: gfid %v mode %o, want directory %v", got.GFID, got.Mode, d.GFID)
	}
	if got := f.stat("/other/e/inner"); got.GFID != inner.GFID {
		f.t.Fatalf("/other/e/inner has gfid %v, want %v", got.GFID, inner.GFID)
	}
	if got := f.contents("/other/e/inner"); string(got) != "in" {
		f.t.Fatalf("contents = %q", got)
	}
	f.mkdir("/full", 0o755)
	f.writeFile("/full/x", nil)
	wantErrno(f.t, "rename a directory over a non-empty one", f.rename("/other/e", "/full", 0), syscall.ENOTEMPTY)
	f.mkdir("/empty", 0o755)
	if err := f.rename("/other/e", "/empty", 0); err != nil {
		f.t.Fatalf("rename a directory over an empty one: %v", err)
	}
	if got := f.stat("/empty"); got.GFID != d.GFID {
		f.t.Fatalf("/empty has gfid %v, want %v", got.GFID, d.GFID)
	}
	wantErrno(f.t, "rename a directory into itself", f.rename("/empty", "/empty/sub", 0), syscall.EINVAL)
}

func testRenameOverExisting(f *client) {
	p := f.writeFile("/p", []byte("new"))
	q := f.writeFile("/q", []byte("old"))
	if err := f.rename("/p", "/q", 0); err != nil {
		f.t.Fatalf("rename over an existing file: %v", err)
	}
	f.missing("/p")
	got := f.stat("/q")
	if got.GFID != p.GFID || got.GFID == q.GFID {
		f.t.Fatalf("/q has gfid %v, want the moved file's %v", got.GFID, p.GFID)
	}
	if c := f.contents("/q"); string(c) != "new" {
		f.t.Fatalf("/q contents = %q, want \"new\"", c)
	}
	f.mkdir("/dir", 0o755)
	wantErrno(f.t, "rename a file over a directory", f.rename("/q", "/dir", 0), syscall.EISDIR)
	wantErrno(f.t, "rename a directory over a file", f.rename("/dir", "/q", 0), syscall.ENOTDIR)
}

func testRenameNoReplace(f *client) {
	a := f.writeFile("/a", []byte("A"))
	b := f.writeFile("/b", []byte("B"))
	wantErrno(f.t, "RENAME_NOREPLACE over an existing name", f.rename("/a", "/b", xlator.RenameNoReplace), syscall.EEXIST)
	if f.stat("/a").GFID != a.GFID || f.stat("/b").GFID != b.GFID {
		f.t.Fatal("a refused RENAME_NOREPLACE changed the entries")
	}
	if err := f.rename("/a", "/c", xlator.RenameNoReplace); err != nil {
		f.t.Fatalf("RENAME_NOREPLACE to a free name: %v", err)
	}
	f.missing("/a")
	if f.stat("/c").GFID != a.GFID {
		f.t.Fatal("/c is not the renamed /a")
	}
}

func testRenameExchange(f *client) {
	x := f.writeFile("/x", []byte("X"))
	f.mkdir("/dir", 0o755)
	y := f.mkdir("/dir/y", 0o755)
	if err := f.rename("/x", "/dir/y", xlator.RenameExchange); err != nil {
		f.t.Fatalf("RENAME_EXCHANGE: %v", err)
	}
	if got := f.stat("/x"); got.GFID != y.GFID || !got.IsDir() {
		f.t.Fatalf("/x after exchange: gfid %v mode %o, want directory %v", got.GFID, got.Mode, y.GFID)
	}
	if got := f.stat("/dir/y"); got.GFID != x.GFID || got.Type() != syscall.S_IFREG {
		f.t.Fatalf("/dir/y after exchange: gfid %v mode %o, want file %v", got.GFID, got.Mode, x.GFID)
	}
	if c := f.contents("/dir/y"); string(c) != "X" {
		f.t.Fatalf("/dir/y contents = %q", c)
	}
	err := f.top.Rename(f.ctx, f.c, f.loc("/x"), f.target("/absent"), xlator.RenameExchange)
	wantErrno(f.t, "RENAME_EXCHANGE with a missing target", err, syscall.ENOENT)
}
