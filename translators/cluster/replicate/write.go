package replicate

import (
	"context"

	"github.com/loom-fs/loom/xlator"
)

// fdTxn runs a data or metadata transaction on the inode of an open fd.
func (r *Replicate) fdTxn(ctx context.Context, op string, typ int, fd *xlator.FD, fop func(ctx context.Context, i int) error) ([]error, error) {
	t := &txn{op: op, path: fd.Loc.Path, typ: typ,
		targets: []target{{gfid: fd.GFID(), fd: fd}}, parts: r.openedOn(fd)}
	return r.transact(ctx, t, fop)
}

// locTxn runs a data or metadata transaction on the inode loc names.
func (r *Replicate) locTxn(ctx context.Context, c *xlator.Call, op string, typ int, loc *xlator.Loc, fop func(ctx context.Context, i int) error) ([]error, error) {
	g, err := r.locGFID(ctx, c, loc)
	if err != nil {
		return nil, err
	}
	l := *loc
	l.GFID = g
	t := &txn{op: op, path: loc.Path, typ: typ, targets: []target{{gfid: g, loc: &l}}, parts: r.upSet()}
	return r.transact(ctx, t, fop)
}

// firstStat returns the attributes from the first child that succeeded.
func firstStat(sts []xlator.Stat, errs []error) xlator.Stat {
	for i, e := range errs {
		if e == nil {
			return sts[i]
		}
	}
	return xlator.Stat{}
}

// replyStat returns the attributes a modifying fop answers: those of the
// child later reads of the inode will use (so that, say, an fstat after a
// create sees the same times), else the first child that succeeded.
func (r *Replicate) replyStat(c *xlator.Call, sts []xlator.Stat, errs []error) xlator.Stat {
	st := firstStat(sts, errs)
	in := r.inodes.get(st.GFID)
	if in == nil {
		return st
	}
	ok := make([]bool, len(errs))
	for i, e := range errs {
		ok[i] = e == nil
	}
	if i, err := r.chooseRead(in, statType(in), ok, st.GFID, c); err == nil {
		return sts[i]
	}
	return st
}

// Write writes to every copy, as one transaction per write or, with
// eager-lock, as part of the stream of writes that shares one lock and
// one pre-op/post-op.
func (r *Replicate) Write(ctx context.Context, c *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	ns := make([]int, len(r.kids))
	fop := func(ctx context.Context, i int) (e error) {
		ns[i], e = r.kids[i].Write(ctx, c, fd, data, off)
		return e
	}
	var errs []error
	var err error
	if r.eagerLock {
		errs, err = r.eager.write(ctx, fd, len(data), fop)
	} else {
		errs, err = r.fdTxn(ctx, "write", tData, fd, fop)
	}
	if err != nil {
		return 0, err
	}
	for i, e := range errs {
		if e == nil {
			return ns[i], nil
		}
	}
	return 0, nil
}

// Truncate truncates every copy.
func (r *Replicate) Truncate(ctx context.Context, c *xlator.Call, loc *xlator.Loc, size uint64) (xlator.Stat, error) {
	sts := make([]xlator.Stat, len(r.kids))
	errs, err := r.locTxn(ctx, c, "truncate", tData, loc, func(ctx context.Context, i int) (e error) {
		sts[i], e = r.kids[i].Truncate(ctx, c, loc, size)
		return e
	})
	return r.replyStat(c, sts, errs), err
}

// Ftruncate truncates every copy through fd.
func (r *Replicate) Ftruncate(ctx context.Context, c *xlator.Call, fd *xlator.FD, size uint64) (xlator.Stat, error) {
	sts := make([]xlator.Stat, len(r.kids))
	errs, err := r.fdTxn(ctx, "ftruncate", tData, fd, func(ctx context.Context, i int) (e error) {
		sts[i], e = r.kids[i].Ftruncate(ctx, c, fd, size)
		return e
	})
	return r.replyStat(c, sts, errs), err
}

// Fallocate allocates on every copy.
func (r *Replicate) Fallocate(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, off, length int64) error {
	_, err := r.fdTxn(ctx, "fallocate", tData, fd, func(ctx context.Context, i int) error {
		return r.kids[i].Fallocate(ctx, c, fd, mode, off, length)
	})
	return err
}

// Discard punches the hole in every copy.
func (r *Replicate) Discard(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	_, err := r.fdTxn(ctx, "discard", tData, fd, func(ctx context.Context, i int) error {
		return r.kids[i].Discard(ctx, c, fd, off, length)
	})
	return err
}

// Zerofill zeroes the range in every copy.
func (r *Replicate) Zerofill(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	_, err := r.fdTxn(ctx, "zerofill", tData, fd, func(ctx context.Context, i int) error {
		return r.kids[i].Zerofill(ctx, c, fd, off, length)
	})
	return err
}

// copyChunk is the buffer size of CopyFileRange.
const copyChunk = 1 << 20

// CopyFileRange reads from a good copy of in and writes to every copy of
// out (the copies of in may differ, so no child can copy on its own).
func (r *Replicate) CopyFileRange(ctx context.Context, c *xlator.Call, in *xlator.FD, offIn int64, out *xlator.FD, offOut int64, length int64, flags uint32) (int64, error) {
	buf := make([]byte, min(length, copyChunk))
	var done int64
	for done < length {
		want := min(int64(len(buf)), length-done)
		n, err := r.Read(ctx, c, in, buf[:want], offIn+done)
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if n == 0 {
			break
		}
		w, err := r.Write(ctx, c, out, buf[:n], offOut+done)
		done += int64(w)
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if w < n {
			break
		}
	}
	return done, nil
}

// Setattr changes the attributes of every copy.
func (r *Replicate) Setattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, attr *xlator.SetAttr) (xlator.Stat, error) {
	sts := make([]xlator.Stat, len(r.kids))
	errs, err := r.locTxn(ctx, c, "setattr", tMeta, loc, func(ctx context.Context, i int) (e error) {
		sts[i], e = r.kids[i].Setattr(ctx, c, loc, attr)
		return e
	})
	st := r.replyStat(c, sts, errs)
	if err == nil && attr.Valid&(xlator.SetAtimeNow|xlator.SetMtimeNow) != 0 {
		r.times.mark(st.GFID)
	}
	return st, err
}

// Fsetattr changes the attributes of every copy through fd.
func (r *Replicate) Fsetattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, attr *xlator.SetAttr) (xlator.Stat, error) {
	sts := make([]xlator.Stat, len(r.kids))
	errs, err := r.fdTxn(ctx, "fsetattr", tMeta, fd, func(ctx context.Context, i int) (e error) {
		sts[i], e = r.kids[i].Fsetattr(ctx, c, fd, attr)
		return e
	})
	st := r.replyStat(c, sts, errs)
	if err == nil && attr.Valid&(xlator.SetAtimeNow|xlator.SetMtimeNow) != 0 {
		r.times.mark(fd.GFID())
	}
	return st, err
}

// Setxattr sets the xattr on every copy.
func (r *Replicate) Setxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string, value []byte, flags int) error {
	_, err := r.locTxn(ctx, c, "setxattr", tMeta, loc, func(ctx context.Context, i int) error {
		return r.kids[i].Setxattr(ctx, c, loc, name, value, flags)
	})
	return err
}

// Removexattr removes the xattr from every copy.
func (r *Replicate) Removexattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) error {
	_, err := r.locTxn(ctx, c, "removexattr", tMeta, loc, func(ctx context.Context, i int) error {
		return r.kids[i].Removexattr(ctx, c, loc, name)
	})
	return err
}

// Fsetxattr sets the xattr on every copy through fd.
func (r *Replicate) Fsetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string, value []byte, flags int) error {
	_, err := r.fdTxn(ctx, "fsetxattr", tMeta, fd, func(ctx context.Context, i int) error {
		return r.kids[i].Fsetxattr(ctx, c, fd, name, value, flags)
	})
	return err
}

// Fremovexattr removes the xattr from every copy through fd.
func (r *Replicate) Fremovexattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) error {
	_, err := r.fdTxn(ctx, "fremovexattr", tMeta, fd, func(ctx context.Context, i int) error {
		return r.kids[i].Fremovexattr(ctx, c, fd, name)
	})
	return err
}
