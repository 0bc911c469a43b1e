package xlatortest

import (
	"bytes"
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// Setxattr flags, with the kernel's values.
const (
	xattrCreate  = 1 // XATTR_CREATE
	xattrReplace = 2 // XATTR_REPLACE
)

func testXattr(f *client) {
	f.writeFile("/f", nil)
	loc := f.loc("/f")
	if err := f.top.Setxattr(f.ctx, f.c, loc, "user.color", []byte("blue"), 0); err != nil {
		f.t.Fatalf("setxattr: %v", err)
	}
	if err := f.top.Setxattr(f.ctx, f.c, loc, "user.empty", nil, 0); err != nil {
		f.t.Fatalf("setxattr with an empty value: %v", err)
	}
	if err := f.top.Setxattr(f.ctx, f.c, loc, "trusted.app", []byte{0, 1, 2, 0}, 0); err != nil {
		f.t.Fatalf("setxattr trusted.app as root: %v", err)
	}
	for name, want := range map[string][]byte{"user.color": []byte("blue"), "user.empty": {}, "trusted.app": {0, 1, 2, 0}} {
		got, err := f.top.Getxattr(f.ctx, f.c, loc, name)
		if err != nil || !bytes.Equal(got, want) {
			f.t.Fatalf("getxattr %s = %q, %v; want %q", name, got, err, want)
		}
	}
	names, err := f.top.Listxattr(f.ctx, f.c, loc)
	if err != nil {
		f.t.Fatalf("listxattr: %v", err)
	}
	for _, n := range []string{"user.color", "user.empty", "trusted.app"} {
		if !slices.Contains(names, n) {
			f.t.Fatalf("listxattr = %q, missing %q", names, n)
		}
	}
	if err := f.top.Removexattr(f.ctx, f.c, loc, "user.color"); err != nil {
		f.t.Fatalf("removexattr: %v", err)
	}
	_, err = f.top.Getxattr(f.ctx, f.c, loc, "user.color")
	wantErrno(f.t, "getxattr of a removed name", err, syscall.ENODATA)
	wantErrno(f.t, "removexattr of a missing name", f.top.Removexattr(f.ctx, f.c, loc, "user.color"), syscall.ENODATA)
	if names, _ := f.top.Listxattr(f.ctx, f.c, loc); slices.Contains(names, "user.color") {
		f.t.Fatalf("listxattr still shows a removed name: %q", names)
	}
	f.mkdir("/d", 0o755)
	if err := f.top.Setxattr(f.ctx, f.c, f.loc("/d"), "user.dir", []byte("yes"), 0); err != nil {
		f.t.Fatalf("setxattr on a directory: %v", err)
	}
	if got, err := f.top.Getxattr(f.ctx, f.c, f.loc("/d"), "user.dir"); err != nil || string(got) != "yes" {
		f.t.Fatalf("getxattr on a directory = %q, %v", got, err)
	}
}

func testXattrFlags(f *client) {
	f.writeFile("/f", nil)
	loc := f.loc("/f")
	wantErrno(f.t, "XATTR_REPLACE of a missing name", f.top.Setxattr(f.ctx, f.c, loc, "user.k", []byte("v"), xattrReplace), syscall.ENODATA)
	if err := f.top.Setxattr(f.ctx, f.c, loc, "user.k", []byte("v1"), xattrCreate); err != nil {
		f.t.Fatalf("XATTR_CREATE of a new name: %v", err)
	}
	wantErrno(f.t, "XATTR_CREATE of an existing name", f.top.Setxattr(f.ctx, f.c, loc, "user.k", []byte("v2"), xattrCreate), syscall.EEXIST)
	if err := f.top.Setxattr(f.ctx, f.c, loc, "user.k", []byte("v3"), xattrReplace); err != nil {
		f.t.Fatalf("XATTR_REPLACE of an existing name: %v", err)
	}
	if got, err := f.top.Getxattr(f.ctx, f.c, loc, "user.k"); err != nil || string(got) != "v3" {
		f.t.Fatalf("getxattr = %q, %v; want v3", got, err)
	}
	_, err := f.top.Getxattr(f.ctx, f.c, loc, "user.never-set")
	wantErrno(f.t, "getxattr of a name never set", err, syscall.ENODATA)
}

func testXattrFD(f *client) {
	fd, _ := f.create("/f", 0o644)
	if err := f.top.Fsetxattr(f.ctx, f.c, fd, "user.by-fd", []byte("fd"), 0); err != nil {
		f.t.Fatalf("fsetxattr: %v", err)
	}
	if got, err := f.top.Getxattr(f.ctx, f.c, f.loc("/f"), "user.by-fd"); err != nil || string(got) != "fd" {
		f.t.Fatalf("getxattr of a value set by fd = %q, %v", got, err)
	}
	if got, err := f.top.Fgetxattr(f.ctx, f.c, fd, "user.by-fd"); err != nil || string(got) != "fd" {
		f.t.Fatalf("fgetxattr = %q, %v", got, err)
	}
	names, err := f.top.Flistxattr(f.ctx, f.c, fd)
	if err != nil || !slices.Contains(names, "user.by-fd") {
		f.t.Fatalf("flistxattr = %q, %v", names, err)
	}
	wantErrno(f.t, "fsetxattr XATTR_CREATE of an existing name", f.top.Fsetxattr(f.ctx, f.c, fd, "user.by-fd", nil, xattrCreate), syscall.EEXIST)
	if err := f.top.Fremovexattr(f.ctx, f.c, fd, "user.by-fd"); err != nil {
		f.t.Fatalf("fremovexattr: %v", err)
	}
	_, err = f.top.Fgetxattr(f.ctx, f.c, fd, "user.by-fd")
	wantErrno(f.t, "fgetxattr of a removed name", err, syscall.ENODATA)
}

func testXattrLarge(f *client) {
	f.writeFile("/f", nil)
	loc := f.loc("/f")
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10/16)
	err := f.top.Setxattr(f.ctx, f.c, loc, "user.big", big, 0)
	switch xlator.Errno(err) {
	case 0:
		got, err := f.top.Getxattr(f.ctx, f.c, loc, "user.big")
		if err != nil || !bytes.Equal(got, big) {
			f.t.Fatalf("getxattr of a 64 KiB value: %d bytes, %v", len(got), err)
		}
	case syscall.ENOSPC, syscall.E2BIG:
		// The backing filesystem cannot hold 64 KiB in one xattr (ext4
		// without ea_inode): Linux answers ENOSPC or E2BIG, and so must we.
	default:
		f.t.Fatalf("setxattr of a 64 KiB value: %v; want success, ENOSPC or E2BIG", err)
	}
	mid := bytes.Repeat([]byte{0xa5}, 3000)
	if err := f.top.Setxattr(f.ctx, f.c, loc, "user.mid", mid, 0); err != nil {
		f.t.Fatalf("setxattr of a 3000-byte value: %v", err)
	}
	if got, err := f.top.Getxattr(f.ctx, f.c, loc, "user.mid"); err != nil || !bytes.Equal(got, mid) {
		f.t.Fatalf("getxattr of a 3000-byte value: %d bytes, %v", len(got), err)
	}
	tooBig := make([]byte, 64<<10+1)
	wantErrno(f.t, "setxattr of a value over 64 KiB", f.top.Setxattr(f.ctx, f.c, loc, "user.huge", tooBig, 0), syscall.E2BIG)
}

func be32(vals ...int32) []byte {
	b := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.BigEndian.PutUint32(b[4*i:], uint32(v))
	}
	return b
}

func be64(vals ...int64) []byte {
	b := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.BigEndian.PutUint64(b[8*i:], uint64(v))
	}
	return b
}

const pendingKey = "loom.test.pending"

func testXattropAdd(f *client) {
	f.writeFile("/f", nil)
	loc := f.loc("/f")
	out, err := f.top.Xattrop(f.ctx, f.c, loc, xlator.AddArray32, xlator.XData{pendingKey: be32(1, 2, 3)})
	if err != nil || !bytes.Equal(out[pendingKey], be32(1, 2, 3)) {
		f.t.Fatalf("xattrop on a missing value: %x, %v; want %x", out[pendingKey], err, be32(1, 2, 3))
	}
	out, err = f.top.Xattrop(f.ctx, f.c, loc, xlator.AddArray32, xlator.XData{pendingKey: be32(1, 0, -3)})
	if err != nil || !bytes.Equal(out[pendingKey], be32(2, 2, 0)) {
		f.t.Fatalf("xattrop add: %x, %v; want %x", out[pendingKey], err, be32(2, 2, 0))
	}
	// Lookup hands back internal values by their "loom." names on request.
	_, xd, err := f.top.Lookup(f.ctx, f.c, loc, xlator.XData{pendingKey: nil})
	if err != nil || !bytes.Equal(xd[pendingKey], be32(2, 2, 0)) {
		f.t.Fatalf("lookup asking for %s: %x, %v; want %x", pendingKey, xd[pendingKey], err, be32(2, 2, 0))
	}
	d := f.mkdir("/d", 0o755)
	dloc := f.loc("/d")
	out, err = f.top.Xattrop(f.ctx, f.c, dloc, xlator.AddArray32, xlator.XData{"loom.test.entry": be32(0, 5)})
	if err != nil || !bytes.Equal(out["loom.test.entry"], be32(0, 5)) {
		f.t.Fatalf("xattrop on a directory: %x, %v", out["loom.test.entry"], err)
	}
	if got := f.stat("/d"); got.GFID != d.GFID {
		f.t.Fatal("xattrop changed a directory's gfid")
	}
}

func testXattropConcurrent(f *client) {
	f.writeFile("/f", nil)
	loc := f.loc("/f")
	const workers, rounds = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if _, err := f.top.Xattrop(f.ctx, f.c, loc, xlator.AddArray32, xlator.XData{pendingKey: be32(1, int32(w), -1)}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.t.Fatalf("concurrent xattrop: %v", err)
	}
	want := be32(workers*rounds, rounds*(workers*(workers-1)/2), -workers*rounds)
	out, err := f.top.Xattrop(f.ctx, f.c, loc, xlator.AddArray32, xlator.XData{pendingKey: be32(0, 0, 0)})
	if err != nil || !bytes.Equal(out[pendingKey], want) {
		f.t.Fatalf("after %d concurrent adds: %x, %v; want %x", workers*rounds, out[pendingKey], err, want)
	}
}

func testFxattropAdd64(f *client) {
	fd, _ := f.create("/f", 0o644)
	key := "loom.test.counter64"
	if _, err := f.top.Fxattrop(f.ctx, f.c, fd, xlator.AddArray64, xlator.XData{key: be64(1<<40, -7)}); err != nil {
		f.t.Fatalf("fxattrop add64: %v", err)
	}
	out, err := f.top.Fxattrop(f.ctx, f.c, fd, xlator.AddArray64, xlator.XData{key: be64(1, 7)})
	if err != nil || !bytes.Equal(out[key], be64(1<<40+1, 0)) {
		f.t.Fatalf("fxattrop add64: %x, %v; want %x", out[key], err, be64(1<<40+1, 0))
	}
}

func testInternalXattrsHidden(f *client) {
	st := f.writeFile("/f", nil)
	loc := f.loc("/f")
	if _, err := f.top.Xattrop(f.ctx, f.c, loc, xlator.AddArray32, xlator.XData{pendingKey: be32(1)}); err != nil {
		f.t.Fatalf("xattrop: %v", err)
	}
	for _, p := range []string{"/", "/f"} {
		names, err := f.top.Listxattr(f.ctx, f.c, f.loc(p))
		if err != nil {
			f.t.Fatalf("listxattr %s: %v", p, err)
		}
		for _, n := range names {
			if strings.HasPrefix(n, "trusted.loom.") || strings.HasPrefix(n, "user.loom.") {
				f.t.Fatalf("listxattr %s shows internal name %q", p, n)
			}
		}
	}
	for _, n := range []string{"trusted.loom.gfid", "user.loom.gfid", "trusted.loom.test.pending", "user.loom.test.pending"} {
		if v, err := f.top.Getxattr(f.ctx, f.c, loc, n); err == nil {
			f.t.Fatalf("getxattr %s gave %x; internal names must not be readable by clients", n, v)
		}
		if err := f.top.Setxattr(f.ctx, f.c, loc, n, []byte("forged-by-client"), 0); err == nil {
			f.t.Fatalf("setxattr %s succeeded; internal names must not be writable by clients", n)
		}
		if err := f.top.Removexattr(f.ctx, f.c, loc, n); err == nil {
			f.t.Fatalf("removexattr %s succeeded; internal names must not be removable by clients", n)
		}
	}
	if got := f.stat("/f"); got.GFID != st.GFID {
		f.t.Fatalf("gfid changed from %v to %v", st.GFID, got.GFID)
	}
}
