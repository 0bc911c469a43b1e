package posix

import (
	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// aclDefault is the xattr holding a directory's default POSIX ACL.
const aclDefault = "system.posix_acl_default"

// createMode applies umask to mode for a new entry in dirfd, unless the
// directory has a default ACL: then the kernel's ACL inheritance decides
// and the umask must not apply (the process umask is 0).
func createMode(dirfd int, mode, umask uint32) uint32 {
	if umask&0o7777 == 0 {
		return mode
	}
	if n, err := getxattrAt(dirfd, ".", aclDefault, nil); err == nil && n > 0 {
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
