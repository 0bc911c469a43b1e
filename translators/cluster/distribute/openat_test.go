package distribute_test

import (
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// A file created through a directory handle after the directory was
// renamed is found under the new name (posixtest OpenAt).
func TestCreateInRenamedDirectory(t *testing.T) {
	v := newVolume(t, opts{n: 2})
	f := newClient(t, v.top)
	f.mkdir("/dir1")
	dir, _, _ := f.resolve("/dir1")
	if err := f.rename("/dir1", "/dir2"); err != nil {
		t.Fatal(err)
	}
	loc := &xlator.Loc{Path: "/dir2/file1", Parent: dir.GFID, Name: "file1"}
	fd := xlator.NewFD(loc, syscall.O_CREAT|syscall.O_RDWR, false)
	if _, err := v.top.Create(f.ctx, f.c, fd, 0o700, 0); err != nil {
		t.Fatal(err)
	}
	v.top.Release(f.ctx, f.c, fd)
	if _, _, err := f.resolve("/dir2/file1"); err != nil {
		t.Fatalf("lookup after create in a renamed directory: %v", err)
	}
}
