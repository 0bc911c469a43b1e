package distribute

import (
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// entry is a name resolved for rename: its attributes, where its data
// lives (dirSub for a directory) and its hashed subvolume.
type entry struct {
	loc    xlator.Loc
	st     xlator.Stat
	sub    int
	hashed int
	exists bool
}

// resolveEntry looks loc up for a rename.
func (d *Distribute) resolveEntry(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (entry, error) {
	e := entry{loc: *loc}
	h, _, err := d.hashedOf(ctx, loc)
	if err != nil {
		return e, err
	}
	e.hashed = h
	st, _, sub, err := d.lookup(ctx, c, loc, nil)
	switch {
	case err == nil:
		e.st, e.sub, e.exists = st, sub, true
		e.loc.GFID = st.GFID
	case errors.Is(err, syscall.ENOENT):
		e.loc.GFID = xlator.GFID{}
	default:
		return e, err
	}
	return e, nil
}

// Rename keeps a file's data where it is: it renames on the data's
// subvolume and leaves a link file at the new name's hashed subvolume.
// Directories are renamed on every subvolume.
func (d *Distribute) Rename(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc, flags uint32) error {
	d.gate.enter(oldLoc.GFID)
	defer d.gate.leave(oldLoc.GFID)
	if !newLoc.GFID.IsZero() {
		d.gate.enter(newLoc.GFID)
		defer d.gate.leave(newLoc.GFID)
	}
	src, err := d.resolveEntry(ctx, c, oldLoc)
	if err != nil {
		return err
	}
	if !src.exists {
		return syscall.ENOENT
	}
	dst, err := d.resolveEntry(ctx, c, newLoc)
	if err != nil {
		return err
	}
	if flags&xlator.RenameNoReplace != 0 && dst.exists {
		return syscall.EEXIST
	}
	if flags&xlator.RenameExchange != 0 {
		if !dst.exists {
			return syscall.ENOENT
		}
		return d.exchange(context.WithoutCancel(ctx), c, &src, &dst)
	}
	if dst.exists && dst.st.GFID == src.st.GFID {
		// Two names of one file: rename does nothing.
		return nil
	}
	if src.sub == dirSub {
		if dst.exists && dst.sub != dirSub {
			return syscall.ENOTDIR
		}
		return d.renameDir(ctx, c, &src, &dst, flags&^xlator.RenameNoReplace)
	}
	if dst.exists && dst.sub == dirSub {
		return syscall.EISDIR
	}
	for _, s := range []int{src.sub, src.hashed, dst.hashed, dst.sub} {
		if s >= 0 && !d.isChildUp(s) {
			return syscall.ENOTCONN
		}
	}
	ctx = context.WithoutCancel(ctx)
	g := src.st.GFID
	if g != oldLoc.GFID {
		// Hold the file found (the caller did not name it): lookups of
		// this process leave the link file made below alone.
		d.gate.enter(g)
		defer d.gate.leave(g)
	}
	if dst.hashed != src.sub {
		if dst.exists && dst.sub == dst.hashed {
			// The target's data sits where our link file must go: it
			// is replaced by the rename anyway.
			if err := d.kids[dst.sub].Unlink(ctx, c, &dst.loc); err != nil && !errors.Is(err, syscall.ENOENT) {
				return err
			}
		}
		if err := d.ensureLink(ctx, dst.hashed, &dst.loc, src.sub, g); err != nil {
			return err
		}
	}
	if err := d.kids[src.sub].Rename(ctx, c, &src.loc, &dst.loc, 0); err != nil {
		if dst.hashed != src.sub {
			d.removeLink(ctx, dst.hashed, &dst.loc)
		}
		return err
	}
	if dst.exists && dst.sub != src.sub && dst.sub != dst.hashed {
		if err := d.kids[dst.sub].Unlink(ctx, c, &dst.loc); err != nil && !errors.Is(err, syscall.ENOENT) {
			d.Log().Warn("rename: removing the replaced file failed", "path", dst.loc.Path, "child", d.kids[dst.sub].Name(), "err", err)
		}
	}
	if src.hashed != src.sub && !(src.hashed == dst.hashed && src.loc.Parent == dst.loc.Parent && nameOf(&src.loc) == nameOf(&dst.loc)) {
		d.removeLink(ctx, src.hashed, &src.loc)
	}
	d.inodes.set(g, src.sub)
	return nil
}

// renameDir renames a directory on every subvolume: the new name's hashed
// subvolume first (it decides errors such as ENOTEMPTY), then the rest.
func (d *Distribute) renameDir(ctx context.Context, c *xlator.Call, src, dst *entry, flags uint32) error {
	if !d.allUp() {
		return syscall.ENOTCONN
	}
	if dst.exists && flags&xlator.RenameExchange == 0 {
		if err := d.emptyOfData(ctx, &dst.loc); err != nil {
			return err
		}
	}
	first := dst.hashed
	if err := d.kids[first].Rename(ctx, c, &src.loc, &dst.loc, flags); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	for i, k := range d.kids {
		if i == first {
			continue
		}
		if err := k.Rename(ctx, c, &src.loc, &dst.loc, flags); err != nil && !errors.Is(err, syscall.ENOENT) {
			d.Log().Warn("directory rename failed on a subvolume", "from", src.loc.Path, "to", dst.loc.Path, "child", k.Name(), "err", err)
		}
	}
	if dst.exists {
		d.layouts.forget(dst.st.GFID)
		d.inodes.forget(dst.st.GFID)
	}
	return nil
}

// exchange swaps two names (RENAME_EXCHANGE): directories on every
// subvolume; files on their subvolumes, with their link files remade
// for their new names; a file and a directory by exchanging them where
// the file is and moving the directory on the others.
func (d *Distribute) exchange(ctx context.Context, c *xlator.Call, a, b *entry) error {
	if !d.allUp() {
		return syscall.ENOTCONN
	}
	switch {
	case a.sub == dirSub && b.sub == dirSub:
		return d.renameDir(ctx, c, a, b, xlator.RenameExchange)
	case a.sub == dirSub || b.sub == dirSub:
		dir, file := a, b
		if b.sub == dirSub {
			dir, file = b, a
		}
		if err := d.kids[file.sub].Rename(ctx, c, &a.loc, &b.loc, xlator.RenameExchange); err != nil {
			return err
		}
		for i, k := range d.kids {
			if i == file.sub {
				continue
			}
			d.removeLink(ctx, i, &file.loc)
			if err := k.Rename(ctx, c, &dir.loc, &file.loc, 0); err != nil && !errors.Is(err, syscall.ENOENT) {
				d.Log().Warn("exchange: moving the directory failed on a subvolume", "child", k.Name(), "err", err)
			}
		}
		// The file now has the directory's old name.
		if dir.hashed != file.sub {
			return d.ensureLink(ctx, dir.hashed, &dir.loc, file.sub, file.st.GFID)
		}
		return nil
	}
	if a.sub == b.sub {
		if err := d.kids[a.sub].Rename(ctx, c, &a.loc, &b.loc, xlator.RenameExchange); err != nil {
			return err
		}
	} else {
		if err := d.kids[a.sub].Rename(ctx, c, &a.loc, &b.loc, 0); err != nil {
			return err
		}
		if err := d.kids[b.sub].Rename(ctx, c, &b.loc, &a.loc, 0); err != nil {
			d.kids[a.sub].Rename(ctx, c, &b.loc, &a.loc, 0)
			return err
		}
	}
	// a's file is now named b, b's file named a.
	if b.hashed != a.sub {
		if err := d.ensureLink(ctx, b.hashed, &b.loc, a.sub, a.st.GFID); err != nil {
			return err
		}
	}
	if a.hashed != b.sub {
		if err := d.ensureLink(ctx, a.hashed, &a.loc, b.sub, b.st.GFID); err != nil {
			return err
		}
	}
	return nil
}
