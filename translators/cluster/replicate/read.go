package replicate

import (
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// onRead runs fn on a child holding a good copy of typ of inode g (typ -1:
// the attributes), within the children in within. If that child has gone
// away (ENOTCONN), another good copy is tried.
func (r *Replicate) onRead(ctx context.Context, c *xlator.Call, op string, g xlator.GFID, loc *xlator.Loc, typ int, within []bool, fn func(i int) error) error {
	tried := make([]bool, len(r.kids))
	for {
		avail := make([]bool, len(within))
		for i := range within {
			avail[i] = within[i] && !tried[i]
		}
		i, err := r.pickRead(ctx, c, g, loc, typ, avail)
		if err != nil {
			p := ""
			if loc != nil {
				p = loc.Path
			}
			return xlator.Wrap(op, p, err)
		}
		err = fn(i)
		if err == nil || !errors.Is(err, syscall.ENOTCONN) || count(avail) <= 1 {
			return err
		}
		tried[i] = true
	}
}

// locGFID returns the GFID of loc, looking it up when the caller did not
// give it.
func (r *Replicate) locGFID(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.GFID, error) {
	if !loc.GFID.IsZero() {
		return loc.GFID, nil
	}
	st, _, err := r.Lookup(ctx, c, loc, nil)
	if err != nil {
		return xlator.GFID{}, err
	}
	return st.GFID, nil
}

// Stat answers from a good copy.
func (r *Replicate) Stat(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	g, err := r.locGFID(ctx, c, loc)
	if err != nil {
		return xlator.Stat{}, err
	}
	var st xlator.Stat
	err = r.onRead(ctx, c, "stat", g, loc, -1, r.upSet(), func(i int) (e error) {
		st, e = r.kids[i].Stat(ctx, c, loc)
		return e
	})
	return st, err
}

// Fstat answers from a good copy that holds fd open.
func (r *Replicate) Fstat(ctx context.Context, c *xlator.Call, fd *xlator.FD) (xlator.Stat, error) {
	var st xlator.Stat
	err := r.onRead(ctx, c, "fstat", fd.GFID(), &fd.Loc, -1, r.openedOn(fd), func(i int) (e error) {
		st, e = r.kids[i].Fstat(ctx, c, fd)
		return e
	})
	return st, err
}

// Access asks a good copy.
func (r *Replicate) Access(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mask uint32) error {
	g, err := r.locGFID(ctx, c, loc)
	if err != nil {
		return err
	}
	return r.onRead(ctx, c, "access", g, loc, tMeta, r.upSet(), func(i int) error {
		return r.kids[i].Access(ctx, c, loc, mask)
	})
}

// Readlink reads a good copy.
func (r *Replicate) Readlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (string, error) {
	g, err := r.locGFID(ctx, c, loc)
	if err != nil {
		return "", err
	}
	var s string
	err = r.onRead(ctx, c, "readlink", g, loc, tMeta, r.upSet(), func(i int) (e error) {
		s, e = r.kids[i].Readlink(ctx, c, loc)
		return e
	})
	return s, err
}

// Statfs answers the smallest free space of the up children (a write
// needs room on every replica).
func (r *Replicate) Statfs(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.StatFS, error) {
	var best xlator.StatFS
	found := false
	var errs []error
	for i, up := range r.upSet() {
		if !up {
			continue
		}
		s, err := r.kids[i].Statfs(ctx, c, loc)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found || s.Bavail*uint64(s.Frsize) < best.Bavail*uint64(best.Frsize) {
			best = s
		}
		found = true
	}
	if !found {
		return best, pickErr(errs, "statfs", loc.Path)
	}
	return best, nil
}

// Getxattr reads a good copy's metadata.
func (r *Replicate) Getxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) ([]byte, error) {
	g, err := r.locGFID(ctx, c, loc)
	if err != nil {
		return nil, err
	}
	var v []byte
	err = r.onRead(ctx, c, "getxattr", g, loc, tMeta, r.upSet(), func(i int) (e error) {
		v, e = r.kids[i].Getxattr(ctx, c, loc, name)
		return e
	})
	return v, err
}

// Listxattr lists a good copy's xattrs.
func (r *Replicate) Listxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc) ([]string, error) {
	g, err := r.locGFID(ctx, c, loc)
	if err != nil {
		return nil, err
	}
	var v []string
	err = r.onRead(ctx, c, "listxattr", g, loc, tMeta, r.upSet(), func(i int) (e error) {
		v, e = r.kids[i].Listxattr(ctx, c, loc)
		return e
	})
	return v, err
}

// Fgetxattr reads a good copy's metadata through fd.
func (r *Replicate) Fgetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) ([]byte, error) {
	var v []byte
	err := r.onRead(ctx, c, "fgetxattr", fd.GFID(), &fd.Loc, tMeta, r.openedOn(fd), func(i int) (e error) {
		v, e = r.kids[i].Fgetxattr(ctx, c, fd, name)
		return e
	})
	return v, err
}

// Flistxattr lists a good copy's xattrs through fd.
func (r *Replicate) Flistxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD) ([]string, error) {
	var v []string
	err := r.onRead(ctx, c, "flistxattr", fd.GFID(), &fd.Loc, tMeta, r.openedOn(fd), func(i int) (e error) {
		v, e = r.kids[i].Flistxattr(ctx, c, fd)
		return e
	})
	return v, err
}

// Read reads from a good copy of the data.
func (r *Replicate) Read(ctx context.Context, c *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	var n int
	err := r.onRead(ctx, c, "read", fd.GFID(), &fd.Loc, tData, r.openedOn(fd), func(i int) (e error) {
		n, e = r.kids[i].Read(ctx, c, fd, dest, off)
		return e
	})
	return n, err
}

// Seek answers SEEK_DATA/SEEK_HOLE from a good copy of the data.
func (r *Replicate) Seek(ctx context.Context, c *xlator.Call, fd *xlator.FD, off int64, whence int) (int64, error) {
	var o int64
	err := r.onRead(ctx, c, "seek", fd.GFID(), &fd.Loc, tData, r.openedOn(fd), func(i int) (e error) {
		o, e = r.kids[i].Seek(ctx, c, fd, off, whence)
		return e
	})
	return o, err
}
