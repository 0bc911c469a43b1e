package posix

import (
	"context"
	"syscall"
	"unsafe"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// utimes builds the utimensat times for attr (UTIME_OMIT for fields not
// set, UTIME_NOW for the "now" flags); ok is false if no time is to change.
func utimes(attr *xlator.SetAttr) (ts [2]unix.Timespec, ok bool) {
	pick := func(set, now xlator.SetAttrMask, v xlator.Timespec) unix.Timespec {
		switch {
		case attr.Valid&now != 0:
			ok = true
			return unix.Timespec{Nsec: unix.UTIME_NOW}
		case attr.Valid&set != 0:
			ok = true
			return unix.Timespec{Sec: v.Sec, Nsec: int64(v.Nsec)}
		}
		return unix.Timespec{Nsec: unix.UTIME_OMIT}
	}
	ts[0] = pick(xlator.SetAtime, xlator.SetAtimeNow, attr.Atime)
	ts[1] = pick(xlator.SetMtime, xlator.SetMtimeNow, attr.Mtime)
	return ts, ok
}

// owner returns the chown arguments for attr (-1 for "unchanged").
func owner(attr *xlator.SetAttr) (uid, gid int, ok bool) {
	uid, gid = -1, -1
	if attr.Valid&xlator.SetUID != 0 {
		uid = int(attr.UID)
	}
	if attr.Valid&xlator.SetGID != 0 {
		gid = int(attr.GID)
	}
	return uid, gid, uid != -1 || gid != -1
}

// Setattr changes owner, mode and times of loc, in that order (chown
// clears set-id bits, so a mode given with it wins). Nothing follows a
// final symlink: times and owner of a symlink are its own, and its mode
// cannot change (EOPNOTSUPP).
func (p *Posix) Setattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, attr *xlator.SetAttr) (xlator.Stat, error) {
	t, err := p.resolve(loc)
	if err != nil {
		return xlator.Stat{}, fail("setattr", locPath(loc), err)
	}
	defer t.release()
	if uid, gid, ok := owner(attr); ok {
		if err := unix.Fchownat(t.dir, t.name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return xlator.Stat{}, fail("chown", locPath(loc), err)
		}
	}
	if attr.Valid&xlator.SetMode != 0 {
		if err := fchmodatNoFollow(t.dir, t.name, attr.Mode&0o7777); err != nil {
			return xlator.Stat{}, fail("chmod", locPath(loc), err)
		}
	}
	if ts, ok := utimes(attr); ok {
		if err := unix.UtimesNanoAt(t.dir, t.name, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return xlator.Stat{}, fail("utimes", locPath(loc), err)
		}
	}
	st, _, err := p.statAt(&t, loc.GFID)
	return st, fail("setattr", locPath(loc), err)
}

// Fsetattr is Setattr on an open file.
func (p *Posix) Fsetattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, attr *xlator.SetAttr) (xlator.Stat, error) {
	h, err := p.handleOf(fd)
	if err != nil {
		return xlator.Stat{}, err
	}
	if uid, gid, ok := owner(attr); ok {
		if err := unix.Fchown(h.fd, uid, gid); err != nil {
			return xlator.Stat{}, fail("fchown", fd.Loc.Path, err)
		}
	}
	if attr.Valid&xlator.SetMode != 0 {
		if err := unix.Fchmod(h.fd, attr.Mode&0o7777); err != nil {
			return xlator.Stat{}, fail("fchmod", fd.Loc.Path, err)
		}
	}
	if ts, ok := utimes(attr); ok {
		// utimensat(fd, NULL, ts, 0) is futimens.
		_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(h.fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
		if e != 0 {
			return xlator.Stat{}, fail("futimens", fd.Loc.Path, e)
		}
	}
	return p.fstat(h, fd.Loc.Path)
}

// Truncate sets the size of the regular file loc. The file is opened with
// O_PATH (no open side effects, no symlink followed) and truncated through
// /proc/self/fd.
func (p *Posix) Truncate(ctx context.Context, c *xlator.Call, loc *xlator.Loc, size uint64) (xlator.Stat, error) {
	t, err := p.resolve(loc)
	if err != nil {
		return xlator.Stat{}, fail("truncate", locPath(loc), err)
	}
	defer t.release()
	ofd, err := openat(t.dir, t.name, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return xlator.Stat{}, fail("truncate", locPath(loc), err)
	}
	defer unix.Close(ofd)
	var us unix.Stat_t
	if err := unix.Fstat(ofd, &us); err != nil {
		return xlator.Stat{}, fail("truncate", locPath(loc), err)
	}
	switch us.Mode & unix.S_IFMT {
	case unix.S_IFREG:
	case unix.S_IFDIR:
		return xlator.Stat{}, fail("truncate", locPath(loc), syscall.EISDIR)
	default:
		return xlator.Stat{}, fail("truncate", locPath(loc), syscall.EINVAL)
	}
	if err := unix.Truncate(procFdPath(ofd), int64(size)); err != nil {
		return xlator.Stat{}, fail("truncate", locPath(loc), err)
	}
	st, _, err := p.statAt(&t, loc.GFID)
	return st, fail("truncate", locPath(loc), err)
}

// Ftruncate sets the size of an open file.
func (p *Posix) Ftruncate(ctx context.Context, c *xlator.Call, fd *xlator.FD, size uint64) (xlator.Stat, error) {
	h, err := p.handleOf(fd)
	if err != nil {
		return xlator.Stat{}, err
	}
	if err := unix.Ftruncate(h.fd, int64(size)); err != nil {
		return xlator.Stat{}, fail("ftruncate", fd.Loc.Path, err)
	}
	return p.fstat(h, fd.Loc.Path)
}
