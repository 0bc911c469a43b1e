package distribute

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// stale reports an error that may mean the cached location is out of
// date (the file was moved by a rebalance or renamed meanwhile).
func stale(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ESTALE)
}

// where returns the subvolume holding loc's data (dirSub for a directory),
// from the cache unless fresh asks for a lookup.
func (d *Distribute) where(ctx context.Context, c *xlator.Call, loc *xlator.Loc, fresh bool) (int, error) {
	if loc.IsRoot() {
		return dirSub, nil
	}
	if !fresh && !loc.GFID.IsZero() {
		if sub, ok := d.inodes.get(loc.GFID); ok {
			return sub, nil
		}
	}
	_, _, sub, err := d.lookup(ctx, c, loc, nil)
	return sub, err
}

// onFile runs fn on loc's subvolume (dirSub for a directory); when the
// cached location turns out stale it looks loc up again and retries once.
func (d *Distribute) onFile(ctx context.Context, c *xlator.Call, loc *xlator.Loc, fn func(sub int) error) error {
	sub, err := d.where(ctx, c, loc, false)
	if err != nil {
		return err
	}
	err = fn(sub)
	if err == nil || sub == dirSub || !stale(err) {
		return err
	}
	sub2, lerr := d.where(ctx, c, loc, true)
	if lerr != nil || sub2 == sub {
		return err
	}
	return fn(sub2)
}

// firstUp returns the first child that is up, or -1.
func (d *Distribute) firstUp() int {
	for i, u := range d.upSet() {
		if u {
			return i
		}
	}
	return -1
}

// onDirAll runs fn on every up child in parallel and returns the first
// child's error in child order, with each child's result in its slot.
func (d *Distribute) onDirAll(fn func(i int) error) ([]bool, error) {
	up := d.upSet()
	errs := make([]error, len(d.kids))
	var wg sync.WaitGroup
	for i := range d.kids {
		if !up[i] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	ok := make([]bool, len(d.kids))
	var first error
	for i := range d.kids {
		if up[i] && errs[i] == nil {
			ok[i] = true
		} else if up[i] && first == nil {
			first = errs[i]
		}
	}
	if !anyTrue(up) {
		return ok, syscall.ENOTCONN
	}
	return ok, first
}

// Stat answers for a file from its subvolume, for a directory with the
// merged attributes of its copies.
func (d *Distribute) Stat(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	var st xlator.Stat
	err := d.onFile(ctx, c, loc, func(sub int) error {
		if sub != dirSub {
			var err error
			st, err = d.kids[sub].Stat(ctx, c, loc)
			return err
		}
		sts := make([]xlator.Stat, len(d.kids))
		ok, err := d.onDirAll(func(i int) error {
			var err error
			sts[i], err = d.kids[i].Stat(ctx, c, loc)
			return err
		})
		st, _ = mergeDirStat(sts, ok)
		return err
	})
	return st, err
}

// Setattr changes a file on its subvolume, a directory on every copy.
func (d *Distribute) Setattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, attr *xlator.SetAttr) (xlator.Stat, error) {
	d.gate.enter(loc.GFID)
	defer d.gate.leave(loc.GFID)
	var st xlator.Stat
	err := d.onFile(ctx, c, loc, func(sub int) error {
		if sub != dirSub {
			var err error
			st, err = d.kids[sub].Setattr(ctx, c, loc, attr)
			return err
		}
		sts := make([]xlator.Stat, len(d.kids))
		ok, err := d.onDirAll(func(i int) error {
			var err error
			sts[i], err = d.kids[i].Setattr(context.WithoutCancel(ctx), c, loc, attr)
			return err
		})
		st, _ = mergeDirStat(sts, ok)
		return err
	})
	return st, err
}

// Truncate truncates the file on its subvolume.
func (d *Distribute) Truncate(ctx context.Context, c *xlator.Call, loc *xlator.Loc, size uint64) (xlator.Stat, error) {
	d.gate.enter(loc.GFID)
	defer d.gate.leave(loc.GFID)
	var st xlator.Stat
	err := d.onFile(ctx, c, loc, func(sub int) error {
		if sub == dirSub {
			return syscall.EISDIR
		}
		var err error
		st, err = d.kids[sub].Truncate(ctx, c, loc, size)
		return err
	})
	return st, err
}

// dirOrFile returns the child that answers a read-only fop on loc: its
// data subvolume, or the first up child for a directory.
func (d *Distribute) dirOrFile(sub int) int {
	if sub == dirSub {
		return d.firstUp()
	}
	return sub
}

// Access checks on the file's subvolume (a directory's first child).
func (d *Distribute) Access(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mask uint32) error {
	return d.onFile(ctx, c, loc, func(sub int) error {
		return d.kids[d.dirOrFile(sub)].Access(ctx, c, loc, mask)
	})
}

// Readlink reads the symlink on its subvolume.
func (d *Distribute) Readlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (string, error) {
	var target string
	err := d.onFile(ctx, c, loc, func(sub int) error {
		if sub == dirSub {
			return syscall.EINVAL
		}
		var err error
		target, err = d.kids[sub].Readlink(ctx, c, loc)
		return err
	})
	return target, err
}

// Getxattr reads from the file's subvolume (a directory's first child).
func (d *Distribute) Getxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) ([]byte, error) {
	var v []byte
	err := d.onFile(ctx, c, loc, func(sub int) error {
		var err error
		v, err = d.kids[d.dirOrFile(sub)].Getxattr(ctx, c, loc, name)
		return err
	})
	return v, err
}

// Listxattr lists from the file's subvolume (a directory's first child).
func (d *Distribute) Listxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc) ([]string, error) {
	var v []string
	err := d.onFile(ctx, c, loc, func(sub int) error {
		var err error
		v, err = d.kids[d.dirOrFile(sub)].Listxattr(ctx, c, loc)
		return err
	})
	return v, err
}

// Setxattr sets on the file's subvolume, or on every copy of a directory.
func (d *Distribute) Setxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string, value []byte, flags int) error {
	d.gate.enter(loc.GFID)
	defer d.gate.leave(loc.GFID)
	return d.onFile(ctx, c, loc, func(sub int) error {
		if sub != dirSub {
			return d.kids[sub].Setxattr(ctx, c, loc, name, value, flags)
		}
		return d.allCopies(ctx, func(ctx context.Context, i int) error {
			return d.kids[i].Setxattr(ctx, c, loc, name, value, flags)
		})
	})
}

// Removexattr removes on the file's subvolume, or on every copy of a
// directory.
func (d *Distribute) Removexattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) error {
	d.gate.enter(loc.GFID)
	defer d.gate.leave(loc.GFID)
	return d.onFile(ctx, c, loc, func(sub int) error {
		if sub != dirSub {
			return d.kids[sub].Removexattr(ctx, c, loc, name)
		}
		return d.allCopies(ctx, func(ctx context.Context, i int) error {
			return d.kids[i].Removexattr(ctx, c, loc, name)
		})
	})
}

// allCopies runs a change on the first up child (which decides flags
// such as XATTR_CREATE) and then on the others, so that every copy of a
// directory ends the same.
func (d *Distribute) allCopies(ctx context.Context, fn func(ctx context.Context, i int) error) error {
	first := d.firstUp()
	if first < 0 {
		return syscall.ENOTCONN
	}
	if err := fn(ctx, first); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	up := d.upSet()
	for i := range d.kids {
		if i != first && up[i] {
			if err := fn(ctx, i); err != nil {
				d.Log().Warn("a directory change failed on one copy", "child", d.kids[i].Name(), "err", err)
			}
		}
	}
	return nil
}

// Xattrop applies on the file's subvolume (a directory's first child).
func (d *Distribute) Xattrop(ctx context.Context, c *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	d.gate.enter(loc.GFID)
	defer d.gate.leave(loc.GFID)
	var out xlator.XData
	err := d.onFile(ctx, c, loc, func(sub int) error {
		var err error
		out, err = d.kids[d.dirOrFile(sub)].Xattrop(ctx, c, loc, op, xattrs)
		return err
	})
	return out, err
}

// Inodelk locks on the file's subvolume (a directory's first child).
func (d *Distribute) Inodelk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, cmd xlator.LkCmd, lk xlator.Flock) error {
	return d.onFile(ctx, c, loc, func(sub int) error {
		return d.kids[d.dirOrFile(sub)].Inodelk(ctx, c, domain, loc, cmd, lk)
	})
}

// Entrylk locks a name of a directory on the directory's first child.
func (d *Distribute) Entrylk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	first := d.firstUp()
	if first < 0 {
		return syscall.ENOTCONN
	}
	return d.kids[first].Entrylk(ctx, c, domain, loc, basename, cmd, typ)
}

// Statfs sums the subvolumes that are up.
func (d *Distribute) Statfs(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.StatFS, error) {
	fss := make([]xlator.StatFS, len(d.kids))
	ok, err := d.onDirAll(func(i int) error {
		var err error
		fss[i], err = d.kids[i].Statfs(ctx, c, xlator.RootLoc())
		return err
	})
	var out xlator.StatFS
	have := false
	for i, fs := range fss {
		if !ok[i] {
			continue
		}
		if !have {
			out, have = fs, true
			continue
		}
		scale := func(v uint64) uint64 {
			if out.Frsize == 0 {
				return v
			}
			return v * uint64(fs.Frsize) / uint64(out.Frsize)
		}
		out.Blocks += scale(fs.Blocks)
		out.Bfree += scale(fs.Bfree)
		out.Bavail += scale(fs.Bavail)
		out.Files += fs.Files
		out.Ffree += fs.Ffree
		out.NameLen = min(out.NameLen, fs.NameLen)
	}
	if !have {
		return out, err
	}
	return out, nil
}
