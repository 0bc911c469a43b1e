package posix

import (
	"context"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// lockTwo locks the stripes of two GFIDs in a fixed order (once if they
// share one) and returns the unlock function.
func (p *Posix) lockTwo(a, b xlator.GFID) func() {
	ma, mb := p.locks.of(a), p.locks.of(b)
	switch {
	case ma == mb:
		ma.Lock()
		return ma.Unlock
	case uintptrOf(ma) > uintptrOf(mb):
		ma, mb = mb, ma
	}
	ma.Lock()
	mb.Lock()
	return func() { mb.Unlock(); ma.Unlock() }
}

// entryInfo is what rename needs to know about one side.
type entryInfo struct {
	exists  bool
	us      unix.Stat_t
	gfid    xlator.GFID
	hasGFID bool
}

func (p *Posix) entryInfo(t *target) (entryInfo, error) {
	var e entryInfo
	g, err := p.getGFID(t.dir, t.name)
	if err == nil {
		e.gfid, e.hasGFID = g, true
	} else if err != syscall.ENODATA && err != syscall.ENOENT {
		return e, err
	}
	if err := fstatat(t.dir, t.name, &e.us, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == syscall.ENOENT {
			return e, nil
		}
		return e, err
	}
	e.exists = true
	return e, nil
}

func (e *entryInfo) isDir() bool { return e.us.Mode&unix.S_IFMT == unix.S_IFDIR }

// Rename moves oldLoc to newLoc with renameat2 (flags RenameNoReplace,
// RenameExchange), keeping the handle index right: a moved directory's
// handle names its new parent and name, and a replaced entry loses its
// handle as unlink or rmdir would.
func (p *Posix) Rename(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc, flags uint32) error {
	if isMetaName(newLoc) {
		return syscall.EPERM
	}
	if flags&^(xlator.RenameNoReplace|xlator.RenameExchange) != 0 {
		return syscall.EINVAL
	}
	ot, err := p.resolveOld(oldLoc)
	if err != nil {
		return fail("rename", locPath(oldLoc), err)
	}
	defer ot.release()
	nt, err := p.resolveOld(newLoc)
	if err != nil {
		return fail("rename", locPath(newLoc), err)
	}
	defer nt.release()
	src, err := p.entryInfo(&ot)
	if err != nil {
		return fail("rename", locPath(oldLoc), err)
	}
	if !src.exists {
		return syscall.ENOENT
	}
	unlock := p.lockTwo(src.gfid, xlator.GFID{})
	dst, err := p.entryInfo(&nt)
	if err == nil && dst.hasGFID {
		unlock()
		unlock = p.lockTwo(src.gfid, dst.gfid)
		dst, err = p.entryInfo(&nt)
	}
	defer unlock()
	if err != nil {
		return fail("rename", locPath(newLoc), err)
	}
	if err := unix.Renameat2(ot.dir, ot.name, nt.dir, nt.name, uint(flags)); err != nil {
		return fail("rename", locPath(oldLoc)+" -> "+locPath(newLoc), err)
	}
	if dst.exists && dst.us.Ino == src.us.Ino && dst.us.Dev == src.us.Dev {
		return nil // two names of one file: nothing moved
	}
	if src.hasGFID && src.isDir() {
		if err := p.moveDirHandle(src.gfid, &nt); err != nil {
			return fail("rename", locPath(newLoc), err)
		}
	}
	if !dst.exists || !dst.hasGFID {
		return nil
	}
	switch {
	case flags&xlator.RenameExchange != 0:
		if dst.isDir() {
			if err := p.moveDirHandle(dst.gfid, &ot); err != nil {
				return fail("rename", locPath(oldLoc), err)
			}
		}
	case dst.isDir():
		p.dirs.drop(dst.gfid)
		if err := p.removeHandle(dst.gfid); err != nil {
			p.Log().Warn("removing handle of replaced directory", "gfid", dst.gfid, "err", err)
		}
	default:
		p.nameGone(dst.gfid, &dst.us)
	}
	return nil
}

// moveDirHandle records that directory g is now the entry t.
func (p *Posix) moveDirHandle(g xlator.GFID, t *target) error {
	pg, err := p.parentGFID(t)
	if err != nil {
		return err
	}
	return p.setDirHandle(g, pg, t.name)
}

// Link makes newLoc another name of oldLoc (which may be nameless: heal
// recreates hard links by GFID) and returns its attributes, with the GFID
// it already has.
func (p *Posix) Link(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc) (xlator.Stat, error) {
	ot, err := p.resolve(oldLoc)
	if err != nil {
		return xlator.Stat{}, fail("link", locPath(oldLoc), err)
	}
	defer ot.release()
	nt, err := p.resolveNew(newLoc)
	if err != nil {
		return xlator.Stat{}, fail("link", locPath(newLoc), err)
	}
	defer nt.release()
	st, _, err := p.statAt(&ot, oldLoc.GFID)
	if err != nil {
		return xlator.Stat{}, fail("link", locPath(oldLoc), err)
	}
	if st.IsDir() {
		return xlator.Stat{}, fail("link", locPath(oldLoc), syscall.EPERM)
	}
	mu := p.locks.of(st.GFID)
	mu.Lock()
	defer mu.Unlock()
	if err := linkat(ot.dir, ot.name, nt.dir, nt.name, 0); err != nil {
		return xlator.Stat{}, fail("link", locPath(oldLoc)+" -> "+locPath(newLoc), err)
	}
	p.opens.relinked(st.GFID)
	var us unix.Stat_t
	if err := fstatat(nt.dir, nt.name, &us, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return xlator.Stat{}, fail("link", locPath(newLoc), err)
	}
	return toStat(&us, st.GFID), nil
}
