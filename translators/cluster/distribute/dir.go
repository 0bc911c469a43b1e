package distribute

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// layoutDomain is the inodelk domain suffix that serialises layout writes.
const layoutDomain = ".layout"

// mergeDirStat combines the copies of a directory: the first one's
// attributes with the latest times of all (entries made on any subvolume
// change its copy's mtime).
func mergeDirStat(sts []xlator.Stat, ok []bool) (xlator.Stat, bool) {
	var out xlator.Stat
	have := false
	later := func(a, b xlator.Timespec) bool { return a.Sec > b.Sec || (a.Sec == b.Sec && a.Nsec > b.Nsec) }
	for i, st := range sts {
		if !ok[i] {
			continue
		}
		if !have {
			out, have = st, true
			continue
		}
		if later(st.Mtime, out.Mtime) {
			out.Mtime = st.Mtime
		}
		if later(st.Ctime, out.Ctime) {
			out.Ctime = st.Ctime
		}
		if later(st.Atime, out.Atime) {
			out.Atime = st.Atime
		}
	}
	return out, have
}

// lookupDir looks a directory up on every up child, creates it where it
// is missing (same GFID, mode, owner and xattrs), makes the copies' modes
// and owners agree, and repairs its layout if it has holes or overlaps.
func (d *Distribute) lookupDir(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	res := d.lookupAll(ctx, c, loc, withKeys(req, layoutXattr), -1)
	src := -1
	for i, r := range res {
		if r.err == nil && r.st.IsDir() {
			src = i
			break
		}
	}
	if src < 0 {
		for i, r := range res {
			if r.err == nil {
				// Not a directory after all (it changed meanwhile).
				if !isLinkFile(&r.st) {
					d.inodes.set(r.st.GFID, i)
					return r.st, clean(r.x, req), nil
				}
			}
		}
		for _, r := range res {
			if r.err != nil && !errors.Is(r.err, syscall.ENOENT) && !errors.Is(r.err, syscall.ENOTCONN) {
				return xlator.Stat{}, nil, r.err
			}
		}
		if !d.allUp() {
			return xlator.Stat{}, nil, syscall.ENOTCONN
		}
		return xlator.Stat{}, nil, syscall.ENOENT
	}
	s := res[src].st
	hctx := context.WithoutCancel(ctx)
	var heal sync.WaitGroup
	for i := range res {
		r := &res[i]
		switch {
		case errors.Is(r.err, syscall.ENOENT) && !loc.IsRoot():
			heal.Add(1)
			go func() {
				defer heal.Done()
				r.st, r.err = d.healDir(hctx, loc, src, &s, i)
				r.x = nil
			}()
		case r.err == nil && r.st.IsDir() && (r.st.Mode != s.Mode || r.st.UID != s.UID || r.st.GID != s.GID):
			heal.Add(1)
			go func() {
				defer heal.Done()
				l := *loc
				l.GFID = s.GFID
				r.st, r.err = d.kids[i].Setattr(hctx, xlator.RootCall(), &l,
					&xlator.SetAttr{Valid: xlator.SetMode | xlator.SetUID | xlator.SetGID, Mode: s.Mode & 0o7777, UID: s.UID, GID: s.GID})
			}()
		}
	}
	heal.Wait()
	sts := make([]xlator.Stat, len(res))
	ok := make([]bool, len(res))
	lay := make(Layout, len(res))
	for i, r := range res {
		if r.err == nil && r.st.IsDir() {
			sts[i], ok[i] = r.st, true
			if r.st.GFID != s.GFID {
				d.Log().Error("directory has different GFIDs on two subvolumes", "path", loc.Path,
					"child", d.kids[i].Name(), "gfid", r.st.GFID, "first", d.kids[src].Name(), "first_gfid", s.GFID)
			}
			if v, has := r.x[layoutXattr]; has {
				if rg, err := DecodeRange(v); err == nil {
					lay[i] = rg
				}
			}
		}
	}
	st, _ := mergeDirStat(sts, ok)
	d.inodes.set(st.GFID, dirSub)
	dl := *loc
	dl.GFID = st.GFID
	if p := lay.Problem(); p != "" {
		if fixed, err := d.repairLayout(hctx, &dl, p); err == nil {
			lay = fixed
		} else if !errors.Is(err, syscall.ENOTCONN) {
			d.Log().Warn("layout repair failed", "path", loc.Path, "problem", p, "err", err)
		}
	}
	d.layouts.set(st.GFID, lay)
	return st, clean(res[src].x, req), nil
}

// healDir creates the directory loc on child i like its copy s on child
// src: same GFID, mode, owner and xattrs.
func (d *Distribute) healDir(ctx context.Context, loc *xlator.Loc, src int, s *xlator.Stat, i int) (xlator.Stat, error) {
	l := *loc
	l.GFID = s.GFID
	owner := &xlator.Call{UID: s.UID, GID: s.GID}
	st, err := d.kids[i].Mkdir(ctx, owner, &l, s.Mode&0o7777, 0)
	if errors.Is(err, syscall.EEXIST) {
		st, _, err = d.kids[i].Lookup(ctx, xlator.RootCall(), &l, nil)
	}
	if err != nil {
		return st, err
	}
	d.Log().Info("healed a directory missing on a subvolume", "path", loc.Path, "child", d.kids[i].Name())
	d.copyXattrs(ctx, src, i, &l)
	return st, nil
}

// copyXattrs copies the client-visible xattrs of loc from child src to
// child dst.
func (d *Distribute) copyXattrs(ctx context.Context, src, dst int, loc *xlator.Loc) {
	rc := xlator.RootCall()
	names, err := d.kids[src].Listxattr(ctx, rc, loc)
	if err != nil {
		return
	}
	for _, n := range names {
		if xlator.IsInternalXattr(n) {
			continue
		}
		v, err := d.kids[src].Getxattr(ctx, rc, loc, n)
		if err != nil {
			continue
		}
		if err := d.kids[dst].Setxattr(ctx, rc, loc, n, v, 0); err != nil {
			d.Log().Debug("copying an xattr failed", "path", loc.Path, "xattr", n, "child", d.kids[dst].Name(), "err", err)
		}
	}
}

// readLayout reads the layout xattr of directory loc on every child.
func (d *Distribute) readLayout(ctx context.Context, loc *xlator.Loc) (Layout, error) {
	lay := make(Layout, len(d.kids))
	for i, k := range d.kids {
		v, err := k.Getxattr(ctx, xlator.RootCall(), loc, layoutXattr)
		switch {
		case err == nil:
			if r, err := DecodeRange(v); err == nil {
				lay[i] = r
			}
		case errors.Is(err, syscall.ENODATA):
		default:
			return nil, err
		}
	}
	return lay, nil
}

// writeLayout stores lay on every child.
func (d *Distribute) writeLayout(ctx context.Context, loc *xlator.Loc, lay Layout) error {
	var first error
	for i, k := range d.kids {
		if err := k.Setxattr(ctx, xlator.RootCall(), loc, layoutXattr, lay[i].Encode(), 0); err != nil && first == nil {
			first = xlator.Wrap("write layout on "+k.Name(), loc.Path, err)
		}
	}
	if first == nil {
		d.layouts.set(loc.GFID, lay)
	}
	return first
}

// repairLayout gives directory loc a fresh layout over the active
// subvolumes, keeping as much of the damaged one as it can (Rebuild),
// under the layout lock, unless someone repaired it meanwhile. It needs every child up (a down one would be left out of
// the new layout, misplacing its files); otherwise ENOTCONN.
func (d *Distribute) repairLayout(ctx context.Context, loc *xlator.Loc, problem string) (Layout, error) {
	if !d.allUp() {
		return nil, syscall.ENOTCONN
	}
	unlock, err := d.lockInode(ctx, 0, loc, d.domain+layoutDomain)
	if err != nil {
		return nil, err
	}
	defer unlock()
	cur, err := d.readLayout(ctx, loc)
	if err != nil {
		return nil, err
	}
	if cur.Problem() == "" {
		return cur, nil
	}
	lay := Rebuild(cur, d.active(), rotation(loc.GFID), cur.MaxVersion()+1, false)
	if err := d.writeLayout(ctx, loc, lay); err != nil {
		return nil, err
	}
	// A directory empty on every subvolume (the root of a new volume)
	// has every file where the new layout says: commit it, so that a
	// miss on the hashed subvolume is final. Emptiness is checked after
	// the new layout is in place (and cached), so a create that saw the
	// old one has already made its entry and is found here.
	if empty, err := d.emptyEverywhere(ctx, loc); err == nil && empty {
		for i := range lay {
			lay[i].Committed = true
		}
		if err := d.writeLayout(ctx, loc, lay); err != nil {
			return nil, err
		}
	}
	d.Log().Info("repaired a directory layout", "path", loc.Path, "problem", problem, "version", lay[0].Version, "committed", lay.Committed())
	return lay, nil
}

// emptyEverywhere reports whether directory loc holds no entry (link
// files included) on any child.
func (d *Distribute) emptyEverywhere(ctx context.Context, loc *xlator.Loc) (bool, error) {
	for i := range d.kids {
		ents, err := d.list(ctx, i, loc)
		if err != nil {
			return false, err
		}
		for _, e := range ents {
			if e.Name != "." && e.Name != ".." {
				return false, nil
			}
		}
	}
	return true, nil
}

// Mkdir creates the directory on every subvolume with one GFID, hashed
// subvolume first, under an entry lock there, and gives it a committed
// layout over the active subvolumes. Every subvolume must be up.
func (d *Distribute) Mkdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, umask uint32) (xlator.Stat, error) {
	if !d.allUp() {
		return xlator.Stat{}, syscall.ENOTCONN
	}
	h, _, err := d.hashedOf(ctx, loc)
	if err != nil {
		return xlator.Stat{}, err
	}
	l := *loc
	if l.GFID.IsZero() {
		l.GFID = xlator.NewGFID()
	}
	unlock, err := d.lockEntry(ctx, h, parentOf(loc), nameOf(loc))
	if err != nil {
		return xlator.Stat{}, err
	}
	defer unlock()
	if err := d.mustBeAbsent(ctx, c, loc); err != nil {
		return xlator.Stat{}, err
	}
	st, err := d.kids[h].Mkdir(ctx, c, &l, mode, umask)
	if err != nil {
		return st, err
	}
	ctx = context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for i, k := range d.kids {
		if i == h {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ml := l
			if _, err := k.Mkdir(ctx, c, &ml, mode, umask); err != nil && !errors.Is(err, syscall.EEXIST) {
				d.Log().Warn("mkdir failed on a subvolume; lookup will heal it", "path", loc.Path, "child", k.Name(), "err", err)
			}
		}()
	}
	wg.Wait()
	lay := Spread(d.active(), rotation(l.GFID), 1, true)
	if err := d.writeLayout(ctx, &l, lay); err != nil {
		d.Log().Warn("writing the layout of a new directory failed; lookup will repair it", "path", loc.Path, "err", err)
	}
	d.inodes.set(l.GFID, dirSub)
	return st, nil
}

// Rmdir removes the directory from every subvolume, hashed one last. It
// is ENOTEMPTY if any subvolume holds an entry other than link files
// (which are removed with it). Every subvolume must be up.
func (d *Distribute) Rmdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	if !d.allUp() {
		return syscall.ENOTCONN
	}
	st, _, sub, err := d.lookup(ctx, c, loc, nil)
	if err != nil {
		return err
	}
	if sub != dirSub {
		return syscall.ENOTDIR
	}
	h, _, err := d.hashedOf(ctx, loc)
	if err != nil {
		return err
	}
	l := *loc
	l.GFID = st.GFID
	ctx = context.WithoutCancel(ctx)
	if err := d.emptyOfData(ctx, &l); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(d.kids))
	for i, k := range d.kids {
		if i == h {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rl := l
			errs[i] = k.Rmdir(ctx, c, &rl)
		}()
	}
	wg.Wait()
	for i, e := range errs {
		if e != nil && !errors.Is(e, syscall.ENOENT) {
			d.Log().Warn("rmdir failed on a subvolume; the directory stays and lookup heals it back", "path", loc.Path, "child", d.kids[i].Name(), "err", e)
			return e
		}
	}
	if err := d.kids[h].Rmdir(ctx, c, &l); err != nil && !errors.Is(err, syscall.ENOENT) {
		return err
	}
	d.layouts.forget(st.GFID)
	d.inodes.forget(st.GFID)
	return nil
}

// emptyOfData returns ENOTEMPTY if directory loc holds anything but link
// files on some child; otherwise it removes those link files, so that
// the directory can be removed or replaced on every child.
func (d *Distribute) emptyOfData(ctx context.Context, loc *xlator.Loc) error {
	links := make([][]xlator.DirEntry, len(d.kids))
	for i := range d.kids {
		ents, err := d.list(ctx, i, loc)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			if !e.HasStat || !isLinkFile(&e.Stat) {
				return syscall.ENOTEMPTY
			}
			links[i] = append(links[i], e)
		}
	}
	for i, lk := range links {
		for _, e := range lk {
			el := loc.Child(e.Name)
			el.GFID = e.Stat.GFID
			d.kids[i].Unlink(ctx, xlator.RootCall(), el)
		}
	}
	return nil
}

// list returns every entry of directory loc on child i, with attributes.
func (d *Distribute) list(ctx context.Context, i int, loc *xlator.Loc) ([]xlator.DirEntry, error) {
	fd := xlator.NewFD(loc, syscall.O_RDONLY, true)
	rc := xlator.RootCall()
	if err := d.kids[i].Opendir(ctx, rc, fd); err != nil {
		return nil, err
	}
	defer d.kids[i].Releasedir(context.WithoutCancel(ctx), rc, fd)
	var out []xlator.DirEntry
	off := uint64(0)
	for {
		ents, err := d.kids[i].Readdir(ctx, rc, fd, off, 64<<10, true)
		if err != nil {
			return nil, err
		}
		if len(ents) == 0 {
			return out, nil
		}
		out = append(out, ents...)
		off = ents[len(ents)-1].Off
	}
}
