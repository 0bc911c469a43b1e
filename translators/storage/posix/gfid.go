package posix

import (
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// XDataGFIDAssigned is the reply XData key Lookup sets (to {1}) when it
// gave the entry its GFID just now; it is xlator.XDataGFIDAssigned.
const XDataGFIDAssigned = xlator.XDataGFIDAssigned

// getGFID reads the GFID of name in dirfd.
func (p *Posix) getGFID(dirfd int, name string) (xlator.GFID, error) {
	var g xlator.GFID
	n, err := getxattrAt(dirfd, name, p.gfidKey, g[:])
	if err != nil {
		if err == syscall.ERANGE {
			return g, syscall.EIO // not a GFID: a damaged xattr
		}
		return g, err
	}
	if n != len(g) {
		return xlator.GFID{}, syscall.EIO
	}
	return g, nil
}

// setGFID stores g as the GFID of name in dirfd, if it has none yet.
func (p *Posix) setGFID(dirfd int, name string, g xlator.GFID) error {
	return setxattrAt(dirfd, name, p.gfidKey, g[:], unix.XATTR_CREATE)
}

// toStat converts a kernel stat to Loom's, reporting the GFID g and the
// link count without what the brick's own metadata adds: a file's handle
// (a hard link), and at the root the .loom directory (whose ".." is a
// link of the root).
func toStat(us *unix.Stat_t, g xlator.GFID) xlator.Stat {
	st := xlator.Stat{
		GFID:    g,
		Dev:     us.Dev,
		Ino:     us.Ino,
		Mode:    us.Mode,
		Nlink:   uint32(us.Nlink),
		UID:     us.Uid,
		GID:     us.Gid,
		Rdev:    us.Rdev,
		Size:    uint64(us.Size),
		Blocks:  uint64(us.Blocks),
		Blksize: uint32(us.Blksize),
		Atime:   xlator.Timespec{Sec: us.Atim.Sec, Nsec: uint32(us.Atim.Nsec)},
		Mtime:   xlator.Timespec{Sec: us.Mtim.Sec, Nsec: uint32(us.Mtim.Nsec)},
		Ctime:   xlator.Timespec{Sec: us.Ctim.Sec, Nsec: uint32(us.Ctim.Nsec)},
	}
	switch {
	case us.Mode&unix.S_IFMT != unix.S_IFDIR:
		if st.Nlink > 0 {
			st.Nlink--
		}
	case g == xlator.RootGFID && st.Nlink > 2:
		// The root's hidden .loom directory counts a link ("..").
		st.Nlink--
	}
	return st
}

// statAt looks up name in dirfd: its attributes and GFID. An entry without
// a GFID gets one (want if set, else random; the root always gets the
// root GFID) and its handle; assigned reports that. A file found by path
// whose only link is its name has lost its handle, which is made again.
func (p *Posix) statAt(t *target, want xlator.GFID) (st xlator.Stat, assigned bool, err error) {
	var us unix.Stat_t
	if err := fstatat(t.dir, t.name, &us, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return xlator.Stat{}, false, err
	}
	g, err := p.getGFID(t.dir, t.name)
	if err == syscall.ENODATA && !t.byHandle {
		g, assigned, err = p.assignGFID(t, &us, want)
		if err != nil {
			return xlator.Stat{}, false, err
		}
		if assigned {
			return toStat(&us, g), true, nil
		}
		// A create (or another lookup) gave it its GFID meanwhile, and
		// may not have made its handle yet: stat it again, and repair
		// the handle below if it is still missing.
		err = fstatat(t.dir, t.name, &us, unix.AT_SYMLINK_NOFOLLOW)
	}
	switch {
	case err != nil:
		return xlator.Stat{}, false, err
	case us.Nlink == 1 && us.Mode&unix.S_IFMT != unix.S_IFDIR && !t.byHandle:
		if g, err = p.repairHandle(t, &us, g); err != nil {
			return xlator.Stat{}, false, err
		}
	}
	return toStat(&us, g), assigned, nil
}

// statResolved is statAt right after resolve: a non-directory that resolve
// found through its handle is answered from the stat resolve took on the
// way and the GFID the handle is named after (the handle is a hard link
// of the object, which carries that GFID), without a second fstatat and
// a read of the GFID xattr.
func (p *Posix) statResolved(t *target, want xlator.GFID) (xlator.Stat, bool, error) {
	if t.byHandle && !t.gfid.IsZero() {
		return toStat(&t.st, t.gfid), false, nil
	}
	return p.statAt(t, want)
}

// assignGFID gives the entry t (stat us) a GFID and a handle, and
// counts the handle's link in us. If another caller assigned one meanwhile, that one is
// returned with assigned false.
func (p *Posix) assignGFID(t *target, us *unix.Stat_t, want xlator.GFID) (xlator.GFID, bool, error) {
	g := want
	if t.dir == p.rootFd && t.name == "." {
		g = xlator.RootGFID
	} else if g.IsZero() || g == xlator.RootGFID {
		g = p.gfids.next()
	}
	// A create of this name may be between making the entry and setting
	// the GFID it was asked for: wait for it, then look again. The lock
	// is not held further: making a directory's handle may look up its
	// parent, whose name may share the lock.
	// The GFID is created only if there is none (XATTR_CREATE): EEXIST
	// means another caller set one since statAt read none.
	mu := p.names.of(t.name)
	mu.Lock()
	var got xlator.GFID
	err := p.setGFID(t.dir, t.name, g)
	ours := err == nil
	if err == syscall.EEXIST {
		got, err = p.getGFID(t.dir, t.name)
	}
	mu.Unlock()
	if err != nil || !ours {
		return got, false, err
	}
	linked, err := p.makeHandle(t, us, g)
	if err != nil {
		removexattrAt(t.dir, t.name, p.gfidKey)
		return xlator.GFID{}, false, err
	}
	// us is brought up to date without a second fstatat (a heal of an
	// adopted tree assigns a GFID to every file it lists): the handle's
	// new link counts (toStat takes it off again), the rest is as it
	// was; only ctime moved, which Create reports the same way.
	if linked {
		us.Nlink++
	}
	return g, true, nil
}

// makeHandle creates the handle of the new GFID g of entry t; linked
// reports whether that made a new hard link to a non-directory.
func (p *Posix) makeHandle(t *target, us *unix.Stat_t, g xlator.GFID) (linked bool, err error) {
	if g == xlator.RootGFID {
		return false, nil
	}
	if us.Mode&unix.S_IFMT == unix.S_IFDIR {
		pg, err := p.parentGFID(t)
		if err != nil {
			return false, err
		}
		return false, p.setDirHandle(g, pg, t.name)
	}
	return p.claimHandle(t.dir, t.name, g, us)
}

// repairHandle restores the handle of a non-directory whose name is its
// only link. If g's handle belongs to another live file (this one was
// copied with its xattrs), this file gets a new GFID.
func (p *Posix) repairHandle(t *target, us *unix.Stat_t, g xlator.GFID) (xlator.GFID, error) {
	mu := p.locks.of(g)
	mu.Lock()
	_, err := p.claimHandle(t.dir, t.name, g, us)
	mu.Unlock()
	if err == syscall.EEXIST {
		ng := xlator.NewGFID()
		p.Log().Warn("gfid already used by another file, assigning a new one", "gfid", g, "new", ng, "name", t.name)
		if err := setxattrAt(t.dir, t.name, p.gfidKey, ng[:], unix.XATTR_REPLACE); err != nil {
			return g, err
		}
		g = ng
		_, err = p.claimHandle(t.dir, t.name, g, us)
	}
	if err != nil {
		return g, err
	}
	if err := fstatat(t.dir, t.name, us, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return g, err
	}
	return g, nil
}

// parentGFID returns the GFID of the directory holding t. A directory
// that has none yet (an existing tree not looked up from the root down) is
// looked up by its path, which gives it one.
func (p *Posix) parentGFID(t *target) (xlator.GFID, error) {
	g, err := p.getGFID(t.dir, ".")
	if err != syscall.ENODATA || t.parentPath == "" {
		return g, err
	}
	pt, err := p.resolvePath(t.parentPath, xlator.GFID{})
	if err != nil {
		return g, err
	}
	defer pt.release()
	st, _, err := p.statAt(&pt, xlator.GFID{})
	return st.GFID, err
}
