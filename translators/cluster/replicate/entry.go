package replicate

import (
	"context"
	"path"

	"github.com/loom-fs/loom/xlator"
)

// entryTarget returns the transaction target of an entry fop on loc: its
// parent directory and its name.
func (r *Replicate) entryTarget(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (target, error) {
	pl := r.parentLoc(loc)
	if pl.GFID.IsZero() {
		g, err := r.locGFID(ctx, c, pl)
		if err != nil {
			return target{}, err
		}
		pl.GFID = g
	}
	name := loc.Name
	if name == "" {
		name = path.Base(loc.Path)
	}
	return target{gfid: pl.GFID, loc: pl, name: name}, nil
}

// entryTxn runs an entry transaction on the parents of locs.
func (r *Replicate) entryTxn(ctx context.Context, c *xlator.Call, op string, fop func(ctx context.Context, i int) error, locs ...*xlator.Loc) ([]error, error) {
	t := &txn{op: op, path: locs[0].Path, typ: tEntry, parts: r.upSet()}
	for _, l := range locs {
		tg, err := r.entryTarget(ctx, c, l)
		if err != nil {
			return nil, err
		}
		t.targets = append(t.targets, tg)
	}
	return r.transact(ctx, t, fop)
}

// created records a new inode as good on the children where it was made.
func (r *Replicate) created(g xlator.GFID, typ uint32, errs []error) {
	in := &inodeInfo{typ: typ}
	for k := range in.readable {
		in.readable[k] = make([]bool, len(r.kids))
		for i, e := range errs {
			in.readable[k][i] = e == nil
		}
	}
	r.inodes.set(g, in)
}

// newGFID makes sure a creating fop carries the GFID every copy gets.
func newGFID(loc *xlator.Loc) {
	if loc.GFID.IsZero() {
		loc.GFID = xlator.NewGFID()
	}
}

// Mknod makes the node on every copy with one GFID.
func (r *Replicate) Mknod(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, rdev uint64, umask uint32) (xlator.Stat, error) {
	newGFID(loc)
	sts := make([]xlator.Stat, len(r.kids))
	errs, err := r.entryTxn(ctx, c, "mknod", func(ctx context.Context, i int) (e error) {
		sts[i], e = r.kids[i].Mknod(ctx, c, loc, mode, rdev, umask)
		return e
	}, loc)
	if err != nil {
		return xlator.Stat{}, err
	}
	st := firstStat(sts, errs)
	r.created(st.GFID, st.Type(), errs)
	reply := r.replyStat(c, sts, errs)
	r.sameNewTimes(ctx, loc, sts, errs, reply)
	return reply, nil
}

// Mkdir makes the directory on every copy with one GFID.
func (r *Replicate) Mkdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, umask uint32) (xlator.Stat, error) {
	newGFID(loc)
	sts := make([]xlator.Stat, len(r.kids))
	errs, err := r.entryTxn(ctx, c, "mkdir", func(ctx context.Context, i int) (e error) {
		sts[i], e = r.kids[i].Mkdir(ctx, c, loc, mode, umask)
		return e
	}, loc)
	if err != nil {
		return xlator.Stat{}, err
	}
	st := firstStat(sts, errs)
	r.created(st.GFID, st.Type(), errs)
	reply := r.replyStat(c, sts, errs)
	r.sameNewTimes(ctx, loc, sts, errs, reply)
	return reply, nil
}

// Symlink makes the link on every copy with one GFID.
func (r *Replicate) Symlink(ctx context.Context, c *xlator.Call, target string, loc *xlator.Loc, umask uint32) (xlator.Stat, error) {
	newGFID(loc)
	sts := make([]xlator.Stat, len(r.kids))
	errs, err := r.entryTxn(ctx, c, "symlink", func(ctx context.Context, i int) (e error) {
		sts[i], e = r.kids[i].Symlink(ctx, c, target, loc, umask)
		return e
	}, loc)
	if err != nil {
		return xlator.Stat{}, err
	}
	st := firstStat(sts, errs)
	r.created(st.GFID, st.Type(), errs)
	reply := r.replyStat(c, sts, errs)
	r.sameNewTimes(ctx, loc, sts, errs, reply)
	return reply, nil
}

// Create creates and opens the file on every copy with one GFID.
func (r *Replicate) Create(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, umask uint32) (xlator.Stat, error) {
	newGFID(&fd.Loc)
	sts := make([]xlator.Stat, len(r.kids))
	errs, err := r.entryTxn(ctx, c, "create", func(ctx context.Context, i int) (e error) {
		sts[i], e = r.kids[i].Create(ctx, c, fd, mode, umask)
		return e
	}, &fd.Loc)
	if err != nil {
		return xlator.Stat{}, err
	}
	s := &fdState{opened: make([]bool, len(r.kids)), readdir: -1}
	for i, e := range errs {
		s.opened[i] = e == nil
	}
	fd.SetCtx(r, s)
	r.trackOpen(fd, s)
	st := firstStat(sts, errs)
	r.created(st.GFID, st.Type(), errs)
	reply := r.replyStat(c, sts, errs)
	r.sameNewTimes(ctx, &fd.Loc, sts, errs, reply)
	return reply, nil
}

// Unlink removes the name from every copy.
func (r *Replicate) Unlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	_, err := r.entryTxn(ctx, c, "unlink", func(ctx context.Context, i int) error {
		return r.kids[i].Unlink(ctx, c, loc)
	}, loc)
	return err
}

// Rmdir removes the directory from every copy.
func (r *Replicate) Rmdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	_, err := r.entryTxn(ctx, c, "rmdir", func(ctx context.Context, i int) error {
		return r.kids[i].Rmdir(ctx, c, loc)
	}, loc)
	if err == nil && !loc.GFID.IsZero() {
		r.inodes.forget(loc.GFID)
	}
	return err
}

// Rename renames on every copy, as one transaction over both parents.
func (r *Replicate) Rename(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc, flags uint32) error {
	_, err := r.entryTxn(ctx, c, "rename", func(ctx context.Context, i int) error {
		return r.kids[i].Rename(ctx, c, oldLoc, newLoc, flags)
	}, oldLoc, newLoc)
	return err
}

// Link makes the new name on every copy.
func (r *Replicate) Link(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc) (xlator.Stat, error) {
	sts := make([]xlator.Stat, len(r.kids))
	errs, err := r.entryTxn(ctx, c, "link", func(ctx context.Context, i int) (e error) {
		sts[i], e = r.kids[i].Link(ctx, c, oldLoc, newLoc)
		return e
	}, newLoc)
	if err != nil {
		return xlator.Stat{}, err
	}
	return r.replyStat(c, sts, errs), nil
}
