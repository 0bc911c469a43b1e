package posix

import (
	"context"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// resolveOld resolves the Loc of an existing entry that is about to lose
// its name (unlink, rmdir, rename): it must be a real name, not the root
// and not a handle.
func (p *Posix) resolveOld(loc *xlator.Loc) (target, error) {
	t, err := p.resolve(loc)
	if err != nil {
		return target{}, err
	}
	if t.byHandle || t.name == "." {
		t.release()
		if t.name == "." {
			return target{}, syscall.EBUSY
		}
		return target{}, syscall.EINVAL
	}
	return t, nil
}

// Unlink removes the name loc. When the file's last name goes, so does its
// handle, unless the file is open: then the handle stays (and the file
// reachable by GFID) until the last Release.
//
// When loc carries the file's GFID (the FUSE bridge's always do), the
// unlink is a stat and the unlinkat of the name; the handle of a last
// name is left to the janitor, which checks that it is that inode's
// before removing it. Without a GFID, it is read from the file and the
// handle removed at once.
func (p *Posix) Unlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	t, err := p.resolveOld(loc)
	if err != nil {
		return fail("unlink", locPath(loc), err)
	}
	defer t.release()
	if !loc.GFID.IsZero() {
		return p.unlinkKnown(&t, loc)
	}
	g, gerr := p.getGFID(t.dir, t.name)
	if gerr != nil {
		return fail("unlink", locPath(loc), unix.Unlinkat(t.dir, t.name, 0))
	}
	mu := p.locks.of(g)
	mu.Lock()
	defer mu.Unlock()
	var us unix.Stat_t
	if err := fstatat(t.dir, t.name, &us, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fail("unlink", locPath(loc), err)
	}
	if err := unix.Unlinkat(t.dir, t.name, 0); err != nil {
		return fail("unlink", locPath(loc), err)
	}
	p.nameGone(g, &us)
	return nil
}

// unlinkKnown is Unlink of t, whose GFID the caller said is loc.GFID.
func (p *Posix) unlinkKnown(t *target, loc *xlator.Loc) error {
	g := loc.GFID
	mu := p.locks.of(g)
	mu.Lock()
	defer mu.Unlock()
	var us unix.Stat_t
	if err := fstatat(t.dir, t.name, &us, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fail("unlink", locPath(loc), err)
	}
	if err := unix.Unlinkat(t.dir, t.name, 0); err != nil {
		return fail("unlink", locPath(loc), err)
	}
	if us.Mode&unix.S_IFMT != unix.S_IFDIR && us.Nlink == 2 {
		p.orphaned(g, &us)
	}
	return nil
}

// nameGone updates the index after a non-directory (stat us, taken before)
// lost one name; the caller holds g's lock. If only the handle is left,
// the handle goes too, unless the file is open.
func (p *Posix) nameGone(g xlator.GFID, us *unix.Stat_t) {
	if us.Mode&unix.S_IFMT == unix.S_IFDIR || us.Nlink != 2 {
		return
	}
	if p.opens.markUnlinked(g) {
		return
	}
	if err := p.removeHandle(g); err != nil {
		p.Log().Warn("removing handle of unlinked file", "gfid", g, "err", err)
	}
}

// Rmdir removes the empty directory loc and its handle.
func (p *Posix) Rmdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	t, err := p.resolveOld(loc)
	if err != nil {
		return fail("rmdir", locPath(loc), err)
	}
	defer t.release()
	g, gerr := p.getGFID(t.dir, t.name)
	if err := unix.Unlinkat(t.dir, t.name, unix.AT_REMOVEDIR); err != nil {
		return fail("rmdir", locPath(loc), err)
	}
	if gerr == nil {
		p.dirs.drop(g)
		if err := p.removeHandle(g); err != nil {
			p.Log().Warn("removing handle of removed directory", "gfid", g, "err", err)
		}
	}
	return nil
}
