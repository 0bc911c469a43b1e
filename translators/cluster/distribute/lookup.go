package distribute

import (
	"context"
	"encoding/binary"
	"errors"
	"path"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// linktoXattr names, on a link file, the subvolume that holds the data.
const linktoXattr = "loom.dht.linkto"

// linkMode is the mode of a link file: a regular file with only the
// sticky bit (---------T), as in GlusterFS. A file being migrated has it
// too on its destination until the switch.
const linkMode = syscall.S_IFREG | syscall.S_ISVTX

// isLinkFile reports whether st is a link file (or a migration's
// unfinished destination): such entries are never shown to clients.
func isLinkFile(st *xlator.Stat) bool {
	return st.Type() == syscall.S_IFREG && st.Mode&0o7777 == syscall.S_ISVTX
}

// nameOf returns the entry name of loc.
func nameOf(loc *xlator.Loc) string {
	if loc.Name != "" {
		return loc.Name
	}
	return path.Base(loc.Path)
}

// parentOf returns the Loc of loc's directory.
func parentOf(loc *xlator.Loc) *xlator.Loc {
	if loc.Path == "" {
		return &xlator.Loc{GFID: loc.Parent}
	}
	p := path.Dir(loc.Path)
	pl := &xlator.Loc{Path: p, GFID: loc.Parent, Name: path.Base(p)}
	if p == "/" {
		pl = xlator.RootLoc()
	}
	return pl
}

// withKeys returns req plus the given keys (req itself is not changed).
func withKeys(req xlator.XData, keys ...string) xlator.XData {
	out := make(xlator.XData, len(req)+len(keys))
	for k, v := range req {
		out[k] = v
	}
	for _, k := range keys {
		out[k] = nil
	}
	return out
}

// clean drops from a lookup reply the keys distribute asked for itself.
func clean(x, req xlator.XData) xlator.XData {
	for _, k := range []string{linktoXattr, layoutXattr} {
		if _, asked := req[k]; !asked {
			delete(x, k)
		}
	}
	return x
}

// rotation is where a directory's layout starts, derived from its GFID.
func rotation(g xlator.GFID) uint32 { return binary.BigEndian.Uint32(g[12:]) }

// parentLayout returns the layout of loc's directory, reading (and
// repairing) it when it is not cached.
func (d *Distribute) parentLayout(ctx context.Context, loc *xlator.Loc) (Layout, error) {
	if !loc.Parent.IsZero() {
		if l, ok := d.layouts.get(loc.Parent); ok {
			return l, nil
		}
	}
	if loc.Path == "" {
		return nil, syscall.ESTALE
	}
	pl := parentOf(loc)
	st, _, err := d.lookupDir(ctx, xlator.RootCall(), pl, nil)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return nil, syscall.ENOTDIR
	}
	l, ok := d.layouts.get(st.GFID)
	if !ok {
		return nil, syscall.EIO
	}
	return l, nil
}

// hashedIn returns the subvolume name hashes to in lay.
func (d *Distribute) hashedIn(lay Layout, name string) (int, error) {
	h, err := lay.Search(Hash(name))
	if err != nil {
		if !d.allUp() {
			return -1, syscall.ENOTCONN
		}
		return -1, xlator.Wrap("layout search", name, syscall.EIO)
	}
	return h, nil
}

// hashedOf returns the hashed subvolume of loc and its directory's layout.
func (d *Distribute) hashedOf(ctx context.Context, loc *xlator.Loc) (int, Layout, error) {
	lay, err := d.parentLayout(ctx, loc)
	if err != nil {
		return -1, nil, err
	}
	h, err := d.hashedIn(lay, nameOf(loc))
	return h, lay, err
}

// Lookup finds loc: a directory on every subvolume (healed and its layout
// repaired as needed), a file on its hashed subvolume, through the link
// file there, or — when the hashed subvolume has neither and the
// lookup-unhashed option allows — on any subvolume.
func (d *Distribute) Lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	st, x, _, err := d.lookup(ctx, c, loc, req)
	return st, x, err
}

// lookup is Lookup that also returns where the data lives (dirSub for a
// directory).
func (d *Distribute) lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, int, error) {
	if loc.IsRoot() {
		st, x, err := d.lookupDir(ctx, c, loc, req)
		return st, x, dirSub, err
	}
	if loc.Path == "" && loc.Name == "" {
		return d.lookupNameless(ctx, c, loc, req)
	}
	h, lay, err := d.hashedOf(ctx, loc)
	if err != nil {
		return xlator.Stat{}, nil, -1, err
	}
	if !d.isChildUp(h) {
		return d.lookupEverywhere(ctx, c, loc, req, h, false)
	}
	st, x, err := d.kids[h].Lookup(ctx, c, loc, withKeys(req, linktoXattr))
	switch {
	case err == nil && st.IsDir():
		st, x, err = d.lookupDir(ctx, c, loc, req)
		return st, x, dirSub, err
	case err == nil && isLinkFile(&st):
		return d.followLink(ctx, c, loc, req, h, st, x)
	case err == nil:
		d.inodes.set(st.GFID, h)
		return st, clean(x, req), h, nil
	case errors.Is(err, syscall.ENOENT):
		if d.unhashed == "off" || (d.unhashed == "auto" && lay.Committed()) {
			return xlator.Stat{}, nil, -1, syscall.ENOENT
		}
		return d.lookupEverywhere(ctx, c, loc, req, h, false)
	}
	return xlator.Stat{}, nil, -1, err
}

// followLink resolves the link file st (found on h) to its data.
func (d *Distribute) followLink(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData, h int, link xlator.Stat, x xlator.XData) (xlator.Stat, xlator.XData, int, error) {
	t := d.indexOf(string(x[linktoXattr]))
	if t < 0 || t == h {
		return d.lookupEverywhere(ctx, c, loc, req, h, true)
	}
	if !d.isChildUp(t) {
		return xlator.Stat{}, nil, -1, syscall.ENOTCONN
	}
	tl := *loc
	tl.GFID = link.GFID
	st, tx, err := d.kids[t].Lookup(ctx, c, &tl, req)
	if err == nil && st.GFID == link.GFID && !isLinkFile(&st) && !st.IsDir() {
		d.inodes.set(st.GFID, t)
		return st, clean(tx, req), t, nil
	}
	if err != nil && !errors.Is(err, syscall.ENOENT) {
		return xlator.Stat{}, nil, -1, err
	}
	return d.lookupEverywhere(ctx, c, loc, req, h, true)
}

// found is one child's answer to a lookup.
type found struct {
	st  xlator.Stat
	x   xlator.XData
	err error
}

// lookupAll looks loc up on every up child in parallel (skip excluded).
func (d *Distribute) lookupAll(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData, skip int) []found {
	res := make([]found, len(d.kids))
	up := d.upSet()
	var wg sync.WaitGroup
	for i, k := range d.kids {
		if !up[i] || i == skip {
			res[i].err = syscall.ENOTCONN
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := *loc
			res[i].st, res[i].x, res[i].err = k.Lookup(ctx, c, &l, req)
		}()
	}
	wg.Wait()
	return res
}

// lookupEverywhere looks for loc on every subvolume but h (its hashed
// one, already asked). A file found is given a link file on h; a stale
// link file on h (staleLink) is removed when the file is found nowhere.
func (d *Distribute) lookupEverywhere(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData, h int, staleLink bool) (xlator.Stat, xlator.XData, int, error) {
	res := d.lookupAll(ctx, c, loc, withKeys(req, linktoXattr), h)
	down := !d.isChildUp(h)
	for i, r := range res {
		if i == h {
			continue
		}
		if errors.Is(r.err, syscall.ENOTCONN) {
			down = true
		}
		if r.err == nil && r.st.IsDir() {
			st, x, err := d.lookupDir(ctx, c, loc, req)
			return st, x, dirSub, err
		}
	}
	for i, r := range res {
		if i == h || r.err != nil || isLinkFile(&r.st) {
			continue
		}
		d.inodes.set(r.st.GFID, i)
		if !down || d.isChildUp(h) {
			if err := d.makeLink(context.WithoutCancel(ctx), h, loc, i, r.st.GFID, true); err != nil {
				d.Log().Warn("could not make the link file on the hashed subvolume", "path", loc.Path, "hashed", d.kids[h].Name(), "err", err)
			}
		}
		return r.st, clean(r.x, req), i, nil
	}
	if down {
		return xlator.Stat{}, nil, -1, syscall.ENOTCONN
	}
	if staleLink {
		// A migration to h may have switched its copy into the file
		// and removed the source between our look at h and at the
		// source: h then holds the data now.
		bare := *loc
		bare.GFID = xlator.GFID{}
		if st, x, err := d.kids[h].Lookup(ctx, c, &bare, req); err == nil && !isLinkFile(&st) && !st.IsDir() {
			d.inodes.set(st.GFID, h)
			return st, clean(x, req), h, nil
		}
		d.removeStaleLink(context.WithoutCancel(ctx), h, loc)
	}
	return xlator.Stat{}, nil, -1, syscall.ENOENT
}

// lookupNameless finds a Loc that has only a GFID.
func (d *Distribute) lookupNameless(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, int, error) {
	if sub, ok := d.inodes.get(loc.GFID); ok && sub != dirSub && d.isChildUp(sub) {
		st, x, err := d.kids[sub].Lookup(ctx, c, loc, req)
		if err == nil && !isLinkFile(&st) {
			return st, x, sub, nil
		}
	}
	res := d.lookupAll(ctx, c, loc, req, -1)
	for i, r := range res {
		if r.err == nil && r.st.IsDir() {
			d.inodes.set(r.st.GFID, dirSub)
			return r.st, r.x, dirSub, nil
		}
		if r.err == nil && !isLinkFile(&r.st) {
			d.inodes.set(r.st.GFID, i)
			return r.st, r.x, i, nil
		}
	}
	for _, r := range res {
		if errors.Is(r.err, syscall.ENOTCONN) {
			return xlator.Stat{}, nil, -1, syscall.ENOTCONN
		}
	}
	return xlator.Stat{}, nil, -1, syscall.ENOENT
}

// ensureLink makes the entry loc on child h a link file to child target
// for the file with GFID g, replacing a link file that is there (never a
// data file: that is EEXIST).
func (d *Distribute) ensureLink(ctx context.Context, h int, loc *xlator.Loc, target int, g xlator.GFID) error {
	return d.makeLink(ctx, h, loc, target, g, false)
}

// makeLink is ensureLink; with keepHeld (a lookup's repair), a link file
// of another file that a fop of this process holds is left in place: a
// rename's new link, made before its data is renamed, while the lookup
// still finds the file the rename replaces.
func (d *Distribute) makeLink(ctx context.Context, h int, loc *xlator.Loc, target int, g xlator.GFID, keepHeld bool) error {
	rc := xlator.RootCall()
	l := *loc
	l.GFID = g
	for attempt := 0; attempt < 3; attempt++ {
		_, err := d.kids[h].Mknod(ctx, rc, &l, linkMode, 0, 0)
		if err == nil {
			return d.kids[h].Setxattr(ctx, rc, &l, linktoXattr, []byte(d.kids[target].Name()), 0)
		}
		if !errors.Is(err, syscall.EEXIST) {
			return err
		}
		bare := *loc
		bare.GFID = xlator.GFID{}
		st, _, err := d.kids[h].Lookup(ctx, rc, &bare, nil)
		if errors.Is(err, syscall.ENOENT) {
			// The name is free but the GFID is taken: a link file of
			// another hard link of this file. Link files of one file
			// are hard links of each other, as in GlusterFS.
			if _, err := d.kids[h].Link(ctx, rc, &xlator.Loc{GFID: g}, &l); err == nil {
				return d.kids[h].Setxattr(ctx, rc, &l, linktoXattr, []byte(d.kids[target].Name()), 0)
			}
			continue
		}
		if err != nil {
			return err
		}
		if !isLinkFile(&st) {
			return syscall.EEXIST
		}
		bare.GFID = st.GFID
		if st.GFID == g {
			return d.kids[h].Setxattr(ctx, rc, &bare, linktoXattr, []byte(d.kids[target].Name()), 0)
		}
		if keepHeld && d.gate.held(st.GFID) {
			return nil
		}
		if err := d.kids[h].Unlink(ctx, rc, &bare); err != nil && !errors.Is(err, syscall.ENOENT) {
			return err
		}
	}
	return xlator.Wrap("make link file", loc.Path, syscall.EEXIST)
}

// removeLink unlinks loc on child h if it is a link file.
func (d *Distribute) removeLink(ctx context.Context, h int, loc *xlator.Loc) {
	d.unlinkLink(ctx, h, loc, false)
}

// removeStaleLink is removeLink for a lookup that found no data under the
// link's name, unless a fop of this process holds the link's file: a
// rename makes the link file at the new name before it renames the data,
// so a lookup in between finds no data under the name (removing the link
// then failed the rename's setting of the link's target with ENOENT, or
// left the renamed file without a link at its hashed subvolume).
func (d *Distribute) removeStaleLink(ctx context.Context, h int, loc *xlator.Loc) {
	d.unlinkLink(ctx, h, loc, true)
}

// unlinkLink unlinks loc on child h if it is a link file (and, with
// notHeld, only if no fop of this process holds its file).
func (d *Distribute) unlinkLink(ctx context.Context, h int, loc *xlator.Loc, notHeld bool) {
	bare := *loc
	bare.GFID = xlator.GFID{}
	st, _, err := d.kids[h].Lookup(ctx, xlator.RootCall(), &bare, nil)
	if err != nil || !isLinkFile(&st) || notHeld && d.gate.held(st.GFID) {
		return
	}
	if notHeld {
		// A migration's copy is a link file until its switch makes it
		// the file: hold the file (a copying migration is abandoned, a
		// switching one waited for) and look again, so that a switch
		// between the look above and the unlink cannot lose the file.
		d.gate.enter(st.GFID)
		defer d.gate.leave(st.GFID)
		again, _, err := d.kids[h].Lookup(ctx, xlator.RootCall(), &bare, nil)
		if err != nil || !isLinkFile(&again) || again.GFID != st.GFID {
			return
		}
	}
	bare.GFID = st.GFID
	if err := d.kids[h].Unlink(ctx, xlator.RootCall(), &bare); err != nil && !errors.Is(err, syscall.ENOENT) {
		d.Log().Warn("removing a stale link file failed", "path", loc.Path, "child", d.kids[h].Name(), "err", err)
	}
}
