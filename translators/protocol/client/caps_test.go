package client_test

import (
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// fileCaps is a valid security.capability value (revision 2,
// CAP_DAC_OVERRIDE permitted).
func fileCaps() []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x02000000)
	b = binary.LittleEndian.AppendUint32(b, 1<<1)
	return append(b, make([]byte, 12)...)
}

// setCapsOnBrick gives name a capability behind the server's back.
func setCapsOnBrick(t *testing.T, brick, name string) {
	t.Helper()
	if err := syscall.Setxattr(filepath.Join(brick, name), "security.capability", fileCaps(), 0); err != nil {
		t.Skipf("cannot set security.capability on the brick: %v", err)
	}
}

// The server's word that a file has no security.capability (with create,
// with an open for writing, or an ENODATA answer) answers the kernel's
// probe of it before each write within reply-attr-timeout; a change of
// the inode's xattrs through this client drops it.
func TestNoCapsAnswersTheWriteProbe(t *testing.T) {
	brick := t.TempDir()
	s := startServer(t, brick)
	c := startClient(t, s, "reply-attr-timeout", "10s")
	ctx, call := context.Background(), xlator.RootCall()
	probe := func(what string, fd *xlator.FD, wantCaps bool) {
		t.Helper()
		v, err := c.Fgetxattr(ctx, call, fd, "security.capability")
		switch {
		case wantCaps && (err != nil || len(v) != len(fileCaps())):
			t.Fatalf("%s: got %d bytes, %v; want the brick's capability", what, len(v), err)
		case !wantCaps && !errors.Is(err, syscall.ENODATA):
			t.Fatalf("%s: got %d bytes, %v; want ENODATA (kept)", what, len(v), err)
		}
	}

	// create
	fd := xlator.NewFD(xlator.RootLoc().Child("new"), syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL, false)
	fd.Loc.GFID = xlator.NewGFID()
	if _, err := c.Create(ctx, call, fd, 0o644, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Release(ctx, call, fd) })
	setCapsOnBrick(t, brick, "new")
	probe("after create", fd, false)
	probe("after create, again", fd, false)
	if err := c.Fsetxattr(ctx, call, fd, "user.x", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	probe("after a setxattr through the client", fd, true)

	// open for writing, and an ENODATA answer
	loc := quickFile(t, c, brick, "old", "data")
	w := openQuick(t, c, loc, syscall.O_WRONLY)
	setCapsOnBrick(t, brick, "old")
	probe("after an open for writing", w, false)
	loc2 := quickFile(t, c, brick, "old2", "data")
	r := openQuick(t, c, loc2, syscall.O_RDONLY)
	if _, err := c.Getxattr(ctx, call, loc2, "security.capability"); !errors.Is(err, syscall.ENODATA) {
		t.Fatalf("getxattr of a file without capabilities: %v", err)
	}
	setCapsOnBrick(t, brick, "old2")
	probe("after an ENODATA answer", r, false)

	// off
	off := startClient(t, s, "reply-attr-timeout", "0")
	loc3 := quickFile(t, off, brick, "old3", "data")
	w3 := openQuick(t, off, loc3, syscall.O_WRONLY)
	setCapsOnBrick(t, brick, "old3")
	if v, err := off.Fgetxattr(ctx, call, w3, "security.capability"); err != nil || len(v) != len(fileCaps()) {
		t.Fatalf("reply-attr-timeout 0: got %d bytes, %v; want the brick's capability", len(v), err)
	}
}
