package replicate

import (
	"bytes"
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// healMeta makes the sinks' mode, owner, times and xattrs (ACLs among
// them, Loom's own left alone) equal to the source's.
func (r *Replicate) healMeta(ctx context.Context, g xlator.GFID, force bool, policy string, override int) (bool, error) {
	held, err := r.lockInode(ctx, r.metaDomain, g, r.upSet())
	if err != nil {
		return false, err
	}
	defer held.release()
	p, err := r.plan(ctx, g, tMeta, force, policy, override)
	if err != nil {
		return false, err
	}
	if count(p.sinks) == 0 {
		return false, nil
	}
	src := p.source
	loc := nameless(g)
	c := xlator.RootCall()
	want, err := r.xattrsOf(ctx, src, loc)
	if err != nil {
		return false, err
	}
	st := p.states[src].Stat
	for i := range r.kids {
		if !p.sinks[i] {
			continue
		}
		if err := r.syncXattrs(ctx, i, loc, want); err != nil {
			return false, err
		}
		attr := &xlator.SetAttr{Valid: xlator.SetUID | xlator.SetGID | xlator.SetAtime | xlator.SetMtime,
			UID: st.UID, GID: st.GID, Atime: st.Atime, Mtime: st.Mtime}
		if st.Type() != syscall.S_IFLNK {
			attr.Valid |= xlator.SetMode
			attr.Mode = st.Mode & 0o7777
		}
		if _, err := r.kids[i].Setattr(ctx, c, loc, attr); err != nil {
			return false, err
		}
	}
	r.clearChangelog(ctx, g, tMeta, p)
	return true, nil
}

// xattrsOf returns child i's xattrs of loc, without Loom's own.
func (r *Replicate) xattrsOf(ctx context.Context, i int, loc *xlator.Loc) (map[string][]byte, error) {
	return r.xattrsVia(ctx, i, loc, nil)
}

// xattrsVia is xattrsOf through the open descriptor fd when it is not nil
// (no resolution of loc on the brick).
func (r *Replicate) xattrsVia(ctx context.Context, i int, loc *xlator.Loc, fd *xlator.FD) (map[string][]byte, error) {
	c := xlator.RootCall()
	var names []string
	var err error
	if fd != nil {
		names, err = r.kids[i].Flistxattr(ctx, c, fd)
	} else {
		names, err = r.kids[i].Listxattr(ctx, c, loc)
	}
	if err != nil {
		if errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EPERM) {
			return map[string][]byte{}, nil
		}
		return nil, err
	}
	return r.xattrsNamed(ctx, i, loc, fd, names)
}

// xattrsNamed reads the values of names (Loom's own skipped) from child
// i, through fd when it is not nil; a name gone since it was listed is
// left out.
func (r *Replicate) xattrsNamed(ctx context.Context, i int, loc *xlator.Loc, fd *xlator.FD, names []string) (map[string][]byte, error) {
	c := xlator.RootCall()
	var err error
	out := make(map[string][]byte, len(names))
	for _, n := range names {
		if xlator.IsInternalXattr(n) {
			continue
		}
		var v []byte
		if fd != nil {
			v, err = r.kids[i].Fgetxattr(ctx, c, fd, n)
		} else {
			v, err = r.kids[i].Getxattr(ctx, c, loc, n)
		}
		if err != nil {
			if errors.Is(err, syscall.ENODATA) {
				continue
			}
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}

// syncXattrs makes child i's xattrs of loc (Loom's own left alone) equal
// to want.
func (r *Replicate) syncXattrs(ctx context.Context, i int, loc *xlator.Loc, want map[string][]byte) error {
	_, err := r.syncXattrsVia(ctx, i, loc, nil, want)
	return err
}

// syncXattrsVia is syncXattrs through the open descriptor fd when it is
// not nil; changed reports that it removed or set an xattr.
func (r *Replicate) syncXattrsVia(ctx context.Context, i int, loc *xlator.Loc, fd *xlator.FD, want map[string][]byte) (changed bool, err error) {
	have, err := r.xattrsVia(ctx, i, loc, fd)
	if err != nil {
		return false, err
	}
	return r.syncXattrsFrom(ctx, i, loc, fd, have, want)
}

// syncXattrsFrom is syncXattrsVia when child i's xattrs are known to be
// have (read under the metadata lock the caller still holds).
func (r *Replicate) syncXattrsFrom(ctx context.Context, i int, loc *xlator.Loc, fd *xlator.FD, have, want map[string][]byte) (changed bool, err error) {
	c := xlator.RootCall()
	for n := range have {
		if _, keep := want[n]; !keep {
			changed = true
			if fd != nil {
				err = r.kids[i].Fremovexattr(ctx, c, fd, n)
			} else {
				err = r.kids[i].Removexattr(ctx, c, loc, n)
			}
			if err != nil && !errors.Is(err, syscall.ENODATA) {
				return changed, err
			}
		}
	}
	for n, v := range want {
		if hv, ok := have[n]; ok && bytes.Equal(hv, v) {
			continue
		}
		changed = true
		if fd != nil {
			err = r.kids[i].Fsetxattr(ctx, c, fd, n, v, 0)
		} else {
			err = r.kids[i].Setxattr(ctx, c, loc, n, v, 0)
		}
		if err != nil && !errors.Is(err, syscall.EPERM) && !errors.Is(err, syscall.ENOTSUP) {
			return changed, err
		}
	}
	return changed, nil
}
