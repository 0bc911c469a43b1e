package posix

import (
	"os"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

func requireRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// As root, entries are created owned by the caller, with the directory's
// group when it is setgid, and symlinks are chowned themselves.
func TestOwnershipAsRoot(t *testing.T) {
	requireRoot(t)
	p, dir := newBrick(t)
	user := &xlator.Call{UID: 1234, GID: 5678}
	check := func(path string, uid, gid uint32) {
		t.Helper()
		var us unix.Stat_t
		ok(t, unix.Lstat(dir+path, &us))
		if us.Uid != uid || us.Gid != gid {
			t.Fatalf("%s owned by %d:%d, want %d:%d", path, us.Uid, us.Gid, uid, gid)
		}
	}
	must[xlator.Stat](t)(p.Mkdir(bg, user, loc("/d"), 0o755, 0))
	check("/d", 1234, 5678)
	st := must[xlator.Stat](t)(p.Create(bg, user, xlator.NewFD(loc("/d/f"), uint32(os.O_RDWR), false), 0o4755, 0))
	if st.UID != 1234 || st.GID != 5678 || st.Mode&0o7777 != 0o4755 {
		t.Fatalf("create stat owner %d:%d mode %o", st.UID, st.GID, st.Mode)
	}
	check("/d/f", 1234, 5678)
	must[xlator.Stat](t)(p.Symlink(bg, user, "f", loc("/d/l"), 0))
	check("/d/l", 1234, 5678)
	must[xlator.Stat](t)(p.Mknod(bg, user, loc("/d/p"), syscall.S_IFIFO|0o644, 0, 0))
	check("/d/p", 1234, 5678)

	ok(t, os.Mkdir(dir+"/sg", 0o755))
	ok(t, os.Chown(dir+"/sg", 0, 999))
	ok(t, unix.Chmod(dir+"/sg", 0o2775))
	must[xlator.Stat](t)(p.Mkdir(bg, user, loc("/sg/sub"), 0o755, 0))
	check("/sg/sub", 1234, 999)
	createFile(t, p, "/sg/x", nil) // as root: stays root's, with the group
	check("/sg/x", 0, 999)
	must[xlator.Stat](t)(p.Create(bg, user, xlator.NewFD(loc("/sg/y"), uint32(os.O_RDWR), false), 0o644, 0))
	check("/sg/y", 1234, 999)
	// Setattr changes owner of a symlink itself.
	st = must[xlator.Stat](t)(p.Setattr(bg, root, loc("/d/l"), &xlator.SetAttr{Valid: xlator.SetUID | xlator.SetGID, UID: 42, GID: 43}))
	if st.UID != 42 || st.GID != 43 {
		t.Fatalf("setattr on symlink: %d:%d", st.UID, st.GID)
	}
	check("/d/l", 42, 43)
	check("/d/f", 1234, 5678)
}

// The umask argument applies, unless the parent has a default ACL: then
// the ACL decides the mode.
func TestUmaskAndDefaultACL(t *testing.T) {
	p, dir := newBrick(t)
	st := must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o777, 0o027))
	if st.Mode&0o777 != 0o750 {
		t.Fatalf("mkdir with umask 027: mode %o", st.Mode&0o777)
	}
	st = must[xlator.Stat](t)(p.Create(bg, root, xlator.NewFD(loc("/d/f"), uint32(os.O_RDWR), false), 0o666, 0o022))
	if st.Mode&0o777 != 0o644 {
		t.Fatalf("create with umask 022: mode %o", st.Mode&0o777)
	}
	st = must[xlator.Stat](t)(p.Mknod(bg, root, loc("/d/n"), syscall.S_IFREG|0o666, 0, 0o077))
	if st.Mode&0o777 != 0o600 {
		t.Fatalf("mknod with umask 077: mode %o", st.Mode&0o777)
	}
	// A default ACL granting group rwx and other r-x: umask must not apply.
	ok(t, os.Mkdir(dir+"/acl", 0o777))
	ok(t, unix.Setxattr(dir+"/acl", "system.posix_acl_default", aclXattr([]aclEntry{
		{tag: 0x01, perm: 7}, // user::rwx
		{tag: 0x04, perm: 7}, // group::rwx
		{tag: 0x20, perm: 5}, // other::r-x
	}), 0))
	st = must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/acl/sub"), 0o777, 0o077))
	if st.Mode&0o777 != 0o775 {
		t.Fatalf("mkdir under default ACL with umask 077: mode %o, want 775 from the ACL", st.Mode&0o777)
	}
	st = must[xlator.Stat](t)(p.Create(bg, root, xlator.NewFD(loc("/acl/f"), uint32(os.O_RDWR), false), 0o666, 0o077))
	if st.Mode&0o777 != 0o664 {
		t.Fatalf("create under default ACL with umask 077: mode %o, want 664", st.Mode&0o777)
	}
	// The ACL xattrs pass straight through.
	v := must[[]byte](t)(p.Getxattr(bg, root, loc("/acl/sub"), "system.posix_acl_default"))
	if len(v) != 4+3*8 {
		t.Fatalf("inherited default ACL: %d bytes", len(v))
	}
}

type aclEntry struct {
	tag, perm uint16
	id        uint32
}

// aclXattr encodes a POSIX ACL in the kernel's xattr format (version 2).
func aclXattr(ents []aclEntry) []byte {
	b := []byte{2, 0, 0, 0}
	for _, e := range ents {
		id := e.id
		if e.tag != 0x02 && e.tag != 0x08 {
			id = 0xffffffff
		}
		b = append(b, byte(e.tag), byte(e.tag>>8), byte(e.perm), byte(e.perm>>8),
			byte(id), byte(id>>8), byte(id>>16), byte(id>>24))
	}
	return b
}

func TestAccess(t *testing.T) {
	p, dir := newBrick(t)
	createFile(t, p, "/f", nil)
	ok(t, os.Chmod(dir+"/f", 0o640))
	ok(t, os.Chown(dir+"/f", 100, 200))
	owner := &xlator.Call{UID: 100, GID: 1}
	group := &xlator.Call{UID: 101, GID: 2, Groups: []uint32{200}}
	other := &xlator.Call{UID: 102, GID: 3}
	ok(t, p.Access(bg, owner, loc("/f"), unix.R_OK|unix.W_OK))
	wantErrno(t, p.Access(bg, owner, loc("/f"), unix.X_OK), syscall.EACCES)
	ok(t, p.Access(bg, group, loc("/f"), unix.R_OK))
	wantErrno(t, p.Access(bg, group, loc("/f"), unix.W_OK), syscall.EACCES)
	wantErrno(t, p.Access(bg, other, loc("/f"), unix.R_OK), syscall.EACCES)
	ok(t, p.Access(bg, other, loc("/f"), 0))
	ok(t, p.Access(bg, root, loc("/f"), unix.R_OK|unix.W_OK))
	wantErrno(t, p.Access(bg, root, loc("/f"), unix.X_OK), syscall.EACCES)
	ok(t, os.Chmod(dir+"/f", 0o001))
	ok(t, p.Access(bg, root, loc("/f"), unix.X_OK))
	wantErrno(t, p.Access(bg, root, loc("/nope"), 0), syscall.ENOENT)
}

func TestSetattrTimesAndMode(t *testing.T) {
	p, _ := newBrick(t)
	createFile(t, p, "/f", nil)
	must[xlator.Stat](t)(p.Symlink(bg, root, "f", loc("/l"), 0))
	a := xlator.Timespec{Sec: 1000000000, Nsec: 123456789}
	m := xlator.Timespec{Sec: 1100000000, Nsec: 987654321}
	st := must[xlator.Stat](t)(p.Setattr(bg, root, loc("/f"), &xlator.SetAttr{Valid: xlator.SetAtime | xlator.SetMtime | xlator.SetMode, Atime: a, Mtime: m, Mode: 0o600}))
	if st.Atime != a || st.Mtime != m || st.Mode&0o7777 != 0o600 {
		t.Fatalf("setattr: %+v", st)
	}
	// Only mtime to now: atime stays.
	st = must[xlator.Stat](t)(p.Setattr(bg, root, loc("/f"), &xlator.SetAttr{Valid: xlator.SetMtimeNow}))
	if st.Atime != a || st.Mtime.Sec < 1700000000 {
		t.Fatalf("mtime now: %+v", st)
	}
	// Times of a symlink are its own.
	ls := must[xlator.Stat](t)(p.Setattr(bg, root, loc("/l"), &xlator.SetAttr{Valid: xlator.SetMtime, Mtime: m}))
	fs := must[xlator.Stat](t)(p.Stat(bg, root, loc("/f")))
	if ls.Mtime != m || fs.Mtime == m {
		t.Fatalf("symlink mtime %v, file mtime %v", ls.Mtime, fs.Mtime)
	}
	// Fsetattr.
	fd := xlator.NewFD(loc("/f"), uint32(os.O_RDWR), false)
	ok(t, p.Open(bg, root, fd))
	defer p.Release(bg, root, fd)
	st = must[xlator.Stat](t)(p.Fsetattr(bg, root, fd, &xlator.SetAttr{Valid: xlator.SetMode | xlator.SetAtime, Mode: 0o640, Atime: m}))
	if st.Mode&0o7777 != 0o640 || st.Atime != m {
		t.Fatalf("fsetattr: %+v", st)
	}
}
