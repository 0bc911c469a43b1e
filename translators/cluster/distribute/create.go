package distribute

import (
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// mustBeAbsent returns nil if loc does not exist anywhere, EEXIST if it
// does, or the error that kept lookup from telling.
func (d *Distribute) mustBeAbsent(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	_, _, _, err := d.lookup(ctx, c, loc, nil)
	switch {
	case err == nil:
		return syscall.EEXIST
	case errors.Is(err, syscall.ENOENT):
		return nil
	}
	return err
}

// placeNew chooses where a new entry loc goes: its hashed subvolume, or
// by min-free-disk another one (a link file is then made on the hashed
// one). It returns the hashed and the chosen subvolume, and loc with its
// GFID set (a fresh one when the caller gave none).
func (d *Distribute) placeNew(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (h, sub int, l xlator.Loc, err error) {
	l = *loc
	if l.GFID.IsZero() {
		l.GFID = xlator.NewGFID()
	}
	h, lay, err := d.hashedOf(ctx, loc)
	if err != nil {
		return -1, -1, l, err
	}
	if !d.isChildUp(h) {
		return -1, -1, l, syscall.ENOTCONN
	}
	if !lay.Committed() && d.unhashed != "off" {
		if err := d.mustBeAbsent(ctx, c, loc); err != nil {
			return -1, -1, l, err
		}
	}
	sub = h
	if d.reserve != (Reserve{}) {
		sub = Place(h, d.space.get(ctx), d.active(), d.reserve)
	}
	if sub != h {
		if err := d.ensureLink(ctx, h, &l, sub, l.GFID); err != nil {
			return -1, -1, l, err
		}
		d.Log().Debug("hashed subvolume is short of space; placed elsewhere with a link file", "path", loc.Path,
			"hashed", d.kids[h].Name(), "placed", d.kids[sub].Name())
	}
	return h, sub, l, nil
}

// undoLink removes the link file placeNew made when the creation failed.
func (d *Distribute) undoLink(ctx context.Context, h, sub int, l *xlator.Loc) {
	if h != sub {
		d.removeLink(context.WithoutCancel(ctx), h, l)
	}
}

// Create places the new file (hashed subvolume, or by min-free-disk) and
// creates it there with the GFID asked for. If the name turns out to be a
// link file (the file exists elsewhere), that file is opened instead,
// unless O_EXCL.
func (d *Distribute) Create(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, umask uint32) (xlator.Stat, error) {
	h, sub, l, err := d.placeNew(ctx, c, &fd.Loc)
	if err != nil {
		if errors.Is(err, syscall.EEXIST) && fd.Flags&syscall.O_EXCL == 0 {
			return d.openExisting(ctx, c, fd)
		}
		return xlator.Stat{}, err
	}
	fd.Loc.GFID = l.GFID
	d.gate.enter(l.GFID)
	st, err := d.kids[sub].Create(ctx, c, fd, mode, umask)
	if err != nil {
		d.gate.leave(l.GFID)
		d.undoLink(ctx, h, sub, &l)
		return st, err
	}
	if isLinkFile(&st) {
		// The name was a link file: the file lives elsewhere.
		d.kids[sub].Release(context.WithoutCancel(ctx), c, fd)
		d.gate.leave(l.GFID)
		if fd.Flags&syscall.O_EXCL != 0 {
			return xlator.Stat{}, syscall.EEXIST
		}
		return d.openExisting(ctx, c, fd)
	}
	fd.Loc.GFID = st.GFID
	fd.SetCtx(d, &fdState{sub: sub})
	d.inodes.set(st.GFID, sub)
	return st, nil
}

// openExisting opens the existing file fd names, for a Create without
// O_EXCL that met it.
func (d *Distribute) openExisting(ctx context.Context, c *xlator.Call, fd *xlator.FD) (xlator.Stat, error) {
	st, _, sub, err := d.lookup(ctx, c, &fd.Loc, nil)
	if err != nil {
		return st, err
	}
	if sub == dirSub {
		return xlator.Stat{}, syscall.EISDIR
	}
	fd.Loc.GFID = st.GFID
	fd.Flags &^= syscall.O_CREAT | syscall.O_EXCL
	if err := d.Open(ctx, c, fd); err != nil {
		return xlator.Stat{}, err
	}
	return d.Fstat(ctx, c, fd)
}

// Mknod places and makes a special file (or an empty regular one).
func (d *Distribute) Mknod(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, rdev uint64, umask uint32) (xlator.Stat, error) {
	h, sub, l, err := d.placeNew(ctx, c, loc)
	if err != nil {
		return xlator.Stat{}, err
	}
	st, err := d.kids[sub].Mknod(ctx, c, &l, mode, rdev, umask)
	if err != nil {
		d.undoLink(ctx, h, sub, &l)
		return st, err
	}
	d.inodes.set(st.GFID, sub)
	return st, nil
}

// Symlink places and makes a symbolic link.
func (d *Distribute) Symlink(ctx context.Context, c *xlator.Call, target string, loc *xlator.Loc, umask uint32) (xlator.Stat, error) {
	h, sub, l, err := d.placeNew(ctx, c, loc)
	if err != nil {
		return xlator.Stat{}, err
	}
	st, err := d.kids[sub].Symlink(ctx, c, target, &l, umask)
	if err != nil {
		d.undoLink(ctx, h, sub, &l)
		return st, err
	}
	d.inodes.set(st.GFID, sub)
	return st, nil
}

// Link makes newLoc another name of the file: a hard link on the
// subvolume that holds the data, and a link file on the new name's hashed
// subvolume when that is another one.
func (d *Distribute) Link(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc) (xlator.Stat, error) {
	d.gate.enter(oldLoc.GFID)
	defer d.gate.leave(oldLoc.GFID)
	st, _, sub, err := d.lookup(ctx, c, oldLoc, nil)
	if err != nil {
		return xlator.Stat{}, err
	}
	if sub == dirSub {
		return xlator.Stat{}, syscall.EPERM
	}
	h, _, err := d.hashedOf(ctx, newLoc)
	if err != nil {
		return xlator.Stat{}, err
	}
	if !d.isChildUp(h) || !d.isChildUp(sub) {
		return xlator.Stat{}, syscall.ENOTCONN
	}
	if err := d.mustBeAbsent(ctx, c, newLoc); err != nil {
		return xlator.Stat{}, err
	}
	ol := *oldLoc
	ol.GFID = st.GFID
	nl := *newLoc
	nl.GFID = st.GFID
	lst, err := d.kids[sub].Link(ctx, c, &ol, &nl)
	if err != nil {
		return lst, err
	}
	if h != sub {
		if err := d.ensureLink(context.WithoutCancel(ctx), h, &nl, sub, st.GFID); err != nil {
			d.kids[sub].Unlink(context.WithoutCancel(ctx), c, &nl)
			return xlator.Stat{}, err
		}
	}
	return lst, nil
}

// Unlink removes the name: the data file's name on its subvolume, then
// the link file on the hashed subvolume.
func (d *Distribute) Unlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	d.gate.enter(loc.GFID)
	defer d.gate.leave(loc.GFID)
	st, _, sub, err := d.lookup(ctx, c, loc, nil)
	if err != nil {
		return err
	}
	if sub == dirSub {
		return syscall.EISDIR
	}
	l := *loc
	l.GFID = st.GFID
	if err := d.kids[sub].Unlink(ctx, c, &l); err != nil {
		return err
	}
	if h, _, err := d.hashedOf(ctx, loc); err == nil && h != sub && d.isChildUp(h) {
		d.removeLink(context.WithoutCancel(ctx), h, loc)
	}
	if st.Nlink <= 1 {
		d.inodes.forget(st.GFID)
	}
	return nil
}
