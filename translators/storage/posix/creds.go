package posix

import (
	"sync/atomic"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// aclDefault is the xattr holding a directory's default POSIX ACL.
const aclDefault = "system.posix_acl_default"

// aclMemo remembers whether a directory has a default ACL, so that a
// create need not read the xattr each time. It holds (gen+1)<<1 | has,
// where gen is the brick's aclGen when the xattr was read: 0 means not
// known, and a later generation makes it stale.
type aclMemo struct{ v atomic.Uint64 }

// get returns the remembered answer if it was read in generation gen.
func (m *aclMemo) get(gen uint64) (has, ok bool) {
	v := m.v.Load()
	return v&1 != 0, v>>1 == gen+1
}

// set remembers has, read in generation gen.
func (m *aclMemo) set(gen uint64, has bool) {
	v := (gen + 1) << 1
	if has {
		v |= 1
	}
	m.v.Store(v)
}

// aclChanged records that a default ACL was set or removed: every
// directory's remembered answer is stale. It is called after the change,
// so an answer read before it is never taken for the new state.
func (p *Posix) aclChanged(attr string) {
	if attr == aclDefault {
		p.aclGen.Add(1)
	}
}

// hasDefaultACL reports whether the directory of t has a default ACL,
// remembered per cached directory (and for the root) until a default ACL
// changes through this brick.
func (p *Posix) hasDefaultACL(t *target) bool {
	var m *aclMemo
	switch {
	case t.cached != nil:
		m = &t.cached.acl
	case t.dir == p.rootFd:
		m = &p.rootACL
	}
	gen := p.aclGen.Load()
	if m != nil {
		if has, ok := m.get(gen); ok {
			return has
		}
	}
	n, err := getxattrAt(t.dir, ".", aclDefault, nil)
	has := err == nil && n > 0
	if m != nil && (err == nil || err == syscall.ENODATA) {
		m.set(gen, has)
	}
	return has
}

// createMode applies umask to mode for a new entry in the directory of t,
// unless the directory has a default ACL: then the kernel's ACL
// inheritance decides and the umask must not apply (the process umask is
// 0).
func (p *Posix) createMode(t *target, mode, umask uint32) uint32 {
	if umask&0o7777 == 0 || p.hasDefaultACL(t) {
		return mode
	}
	return mode &^ (umask & 0o7777)
}

// chownNew gives the entry name in dirfd (just created, so owned by the
// brick process) to the caller, when the brick runs as root: the caller's
// uid, and its gid unless the directory is setgid (then the kernel already
// gave the directory's group). mode is the mode asked for: chown clears
// the set-id bits of files, so they are put back.
func (p *Posix) chownNew(dirfd int, name string, c *xlator.Call, mode uint32) error {
	if !p.isRoot || c.UID == 0 && c.GID == 0 {
		return nil
	}
	gid := int(c.GID)
	var ds unix.Stat_t
	if err := unix.Fstat(dirfd, &ds); err != nil {
		return err
	}
	if ds.Mode&unix.S_ISGID != 0 {
		gid = -1
	}
	if err := unix.Fchownat(dirfd, name, int(c.UID), gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if mode&unix.S_IFMT == unix.S_IFREG && mode&(unix.S_ISUID|unix.S_ISGID) != 0 {
		return fchmodatNoFollow(dirfd, name, mode&0o7777)
	}
	return nil
}
