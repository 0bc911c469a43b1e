package index

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// Xattrop applies the xattrop below and keeps the inode's record in step
// with the watched values (see track).
func (x *Index) Xattrop(ctx context.Context, c *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	if !watches(xattrs) {
		return x.Base.Xattrop(ctx, c, loc, op, xattrs)
	}
	g := loc.GFID
	if g.IsZero() {
		st, _, err := x.FirstChild().Lookup(ctx, c, loc, nil)
		if err != nil {
			return nil, err
		}
		g = st.GFID
	}
	return x.track(g, loc.Path, op, xattrs, func() (xlator.XData, error) {
		return x.Base.Xattrop(ctx, c, loc, op, xattrs)
	})
}

// Fxattrop is Xattrop on an open file.
func (x *Index) Fxattrop(ctx context.Context, c *xlator.Call, fd *xlator.FD, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	if !watches(xattrs) {
		return x.Base.Fxattrop(ctx, c, fd, op, xattrs)
	}
	g := fd.GFID()
	if g.IsZero() {
		st, err := x.FirstChild().Fstat(ctx, c, fd)
		if err != nil {
			return nil, err
		}
		g = st.GFID
	}
	return x.track(g, fd.Loc.Path, op, xattrs, func() (xlator.XData, error) {
		return x.Base.Fxattrop(ctx, c, fd, op, xattrs)
	})
}

// track runs fop (an xattrop of inode g) under g's stripe lock. If the
// xattrop may make a watched value non-zero, the record is made first, so
// a crash right after the xattrop cannot lose it. Afterwards the record is
// removed when every watched value the xattrop returned is zero, and made
// when one is not. cluster/replicate sends every changelog key (zero
// where unchanged) in the xattrops that lower counters, so "every watched
// value returned" is the inode's whole changelog.
func (x *Index) track(g xlator.GFID, path string, op xlator.XattropOp, xattrs xlator.XData, fop func() (xlator.XData, error)) (xlator.XData, error) {
	mu := x.lockOf(g)
	mu.Lock()
	defer mu.Unlock()
	if anyPositive(op, xattrs) {
		if _, err := x.add(g); err != nil {
			return nil, xlator.Wrap("xattrop", path, err)
		}
	}
	out, err := fop()
	if err != nil {
		x.dropIfGone(g, err)
		return out, err
	}
	if allZero(op, out) {
		if _, err := x.remove(g); err != nil {
			x.Log().Warn("dropping an index record failed; the healer will drop it", "gfid", g, "err", err)
		}
	} else if _, err := x.add(g); err != nil {
		return out, xlator.Wrap("xattrop", path, err)
	}
	return out, nil
}

// dropIfGone removes g's record after an xattrop of g failed with err
// because the inode is no longer on this brick (an xattrop by GFID
// racing the unlink of its last name): the record made before it would
// otherwise stay for an inode that has no changelog here, counted in heal
// info until a heal drops it. Only ENOENT and ESTALE are taken as "gone",
// and only once a nameless lookup below agrees. The caller holds g's
// stripe lock.
func (x *Index) dropIfGone(g xlator.GFID, err error) {
	if !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ESTALE) {
		return
	}
	if _, _, lerr := x.FirstChild().Lookup(context.Background(), xlator.RootCall(), &xlator.Loc{GFID: g}, nil); !errors.Is(lerr, syscall.ENOENT) && !errors.Is(lerr, syscall.ESTALE) {
		return
	}
	if _, rerr := x.remove(g); rerr != nil {
		x.Log().Warn("dropping the index record of a gone inode failed; the healer will drop it", "gfid", g, "err", rerr)
	}
}

// watched reports whether key is part of the replication changelog.
func watched(key string) bool {
	return key == dirtyKey || strings.HasPrefix(key, pendingPrefix)
}

// watches reports whether xattrs names a watched key.
func watches(xattrs xlator.XData) bool {
	for k := range xattrs {
		if watched(k) {
			return true
		}
	}
	return false
}

// width is the element size of op's arrays (4 or 8 bytes).
func width(op xlator.XattropOp) int {
	if op == xlator.AddArray64 {
		return 8
	}
	return 4
}

// element returns the i-th big-endian signed element of v.
func element(v []byte, i, w int) int64 {
	if w == 8 {
		return int64(binary.BigEndian.Uint64(v[i:]))
	}
	return int64(int32(binary.BigEndian.Uint32(v[i:])))
}

// anyPositive reports whether some watched value of xattrs has a positive
// element: adding it may make the inode's changelog non-zero.
func anyPositive(op xlator.XattropOp, xattrs xlator.XData) bool {
	w := width(op)
	for k, v := range xattrs {
		if !watched(k) {
			continue
		}
		for i := 0; i+w <= len(v); i += w {
			if element(v, i, w) > 0 {
				return true
			}
		}
	}
	return false
}

// allZero reports whether every watched value of out is zero in every
// element.
func allZero(op xlator.XattropOp, out xlator.XData) bool {
	w := width(op)
	for k, v := range out {
		if !watched(k) {
			continue
		}
		for i := 0; i+w <= len(v); i += w {
			if element(v, i, w) != 0 {
				return false
			}
		}
	}
	return true
}
