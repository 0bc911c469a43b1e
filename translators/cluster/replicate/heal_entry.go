package replicate

import (
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// newEntry is an entry an entry heal created on a sink; it still needs its
// contents and attributes healed.
type newEntry struct {
	gfid      xlator.GFID
	dir       bool
	typ       uint32 // file type bits
	src, sink int    // the copy it was made from, and where
	size      uint64 // the source's size when it was listed
	// fd is a regular file's descriptor on the sink, open for writing
	// from its create: the heal of its data writes through it (one open
	// and release fewer). Whoever takes the newEntry releases it.
	fd *xlator.FD
}

// healEntries makes the names in directory g the same on every answering
// child. Under the directory's entry lock it lists every copy: a name a
// source has is created where missing (same GFID and type; a regular file
// whose GFID already exists there becomes a hard link); a name only sinks
// have is removed from them, since the sources' changelog says it was
// deleted. With no source (split-brain or no changelog at all) nothing is
// deleted and every copy gets the union (a conservative merge). A name
// with different GFIDs is replaced on a sink when a source holds it, and
// is reported as split-brain otherwise.
//
// changed reports that the copies' times of g may differ and want a
// metadata heal that compares them: names were created or removed on a
// sink, or the directory was marked dirty or blamed. A mark with nothing
// to change is what an entry transaction leaves when its mount dies
// before its post-op: the change it made reached every copy, each
// stamping its own mtime, and the batched sync of times that would have
// made them equal died with it.
func (r *Replicate) healEntries(ctx context.Context, g xlator.GFID, force bool) (created []newEntry, changed bool, err error) {
	created, changed, _, err = r.healEntriesList(ctx, g, force)
	return created, changed, err
}

// healEntriesList is healEntries that also returns the directory's
// entries as a source for entries listed them (nil when it listed no
// source): a full crawl walks them without listing the directory again.
func (r *Replicate) healEntriesList(ctx context.Context, g xlator.GFID, force bool) (created []newEntry, changed bool, srcList map[string]xlator.DirEntry, err error) {
	up := r.upSet()
	held, err := r.acquireAll(ctx, []lockReq{{entry: true, domain: r.domain, gfid: g}}, up)
	if err != nil {
		return nil, false, nil, err
	}
	defer held.release()
	p, err := r.plan(ctx, g, tEntry, force, PolicyNone, -1)
	if err != nil && !errors.Is(err, errSplitBrain) {
		return nil, false, nil, err
	}
	if p == nil {
		return nil, false, nil, err
	}
	v := decide(p.states, tEntry)
	if !force && count(v.Sinks) == 0 && !v.SplitBrain && !dirty(p.states, tEntry) {
		return nil, false, nil, nil
	}
	// Blamed or dirty (see healEntries): the times are compared after.
	changed = count(v.Sinks) > 0 || dirty(p.states, tEntry)
	lists := make([]map[string]xlator.DirEntry, len(r.kids))
	for i := range r.kids {
		if !p.ok[i] {
			continue
		}
		if lists[i], err = r.listDir(ctx, i, g); err != nil {
			p.ok[i] = false
		}
	}
	names := map[string]bool{}
	for i := range lists {
		for n := range lists[i] {
			names[n] = true
		}
	}
	hasSource := !v.SplitBrain && count(v.Sources) > 0
	// A sink's directory mtime moves with every name changed on it: its
	// metadata is blamed around the changes, so that the metadata heal
	// after this one takes the source's times.
	var metaSources []bool
	if hasSource {
		metaSources = make([]bool, len(r.kids))
		for i := range metaSources {
			metaSources[i] = v.Sources[i] && p.ok[i]
		}
	}
	blame := r.newMetaBlame(g, metaSources, p.states)
	defer func() {
		if aerr := blame.after(ctx); aerr != nil && err == nil {
			err = aerr
		}
	}()
	touch := func(j int) error {
		if !v.Sinks[j] {
			return nil
		}
		return blame.before(ctx, j)
	}
	splitNames := 0
	// Names no source has are removed last: a file renamed while a sink
	// was away is still there under its old name, and its new name is
	// linked to that inode first (the create answers EEXIST), so the
	// sink keeps the inode (and what writers have open) instead of
	// getting a new, empty one under the file's GFID.
	var gone []string
	for name := range names {
		ref := -1
		for i := range r.kids {
			if _, ok := lists[i][name]; ok && p.ok[i] && (ref < 0 || hasSource && v.Sources[i] && !v.Sources[ref]) {
				ref = i
			}
		}
		if hasSource && !v.Sources[ref] {
			gone = append(gone, name)
			continue
		}
		re := lists[ref][name]
		for j := range r.kids {
			if !p.ok[j] || j == ref {
				continue
			}
			e, ok := lists[j][name]
			if ok && e.Stat.GFID == re.Stat.GFID && e.Type == re.Type {
				continue
			}
			if ok && !(hasSource && v.Sources[ref] && v.Sinks[j]) {
				splitNames++
				r.healer.splitBrain(re.Stat.GFID, name)
				continue
			}
			if err := touch(j); err != nil {
				return created, changed, nil, err
			}
			var ne *newEntry
			if ok {
				ne, err = r.replaceOn(ctx, j, ref, g, name, e, re)
			} else {
				ne, err = r.createOn(ctx, j, ref, g, name, re)
			}
			if err != nil {
				return created, changed, nil, err
			}
			changed = true
			if ne != nil {
				created = append(created, *ne)
			}
		}
	}
	for _, name := range gone {
		// No source has it: deleted while the sinks were away.
		for j := range r.kids {
			if e, ok := lists[j][name]; ok && p.ok[j] && v.Sinks[j] {
				if err := touch(j); err != nil {
					return created, changed, nil, err
				}
				if err := r.removeTree(ctx, j, g, name, e); err != nil {
					return created, changed, nil, err
				}
				changed = true
			}
		}
	}
	if splitNames == 0 {
		r.clearChangelog(ctx, g, tEntry, p)
	}
	if hasSource {
		for i := range r.kids {
			if p.ok[i] && v.Sources[i] && (srcList == nil || i == r.readChild) {
				srcList = lists[i]
			}
		}
	}
	return created, changed, srcList, nil
}

// replaceOn replaces the stale entry e under name in directory dir on
// sink j by the source's entry re. For a regular file it holds the data
// lock of re's inode meanwhile (after this process's eager lock on it has
// ended): a write transaction of that inode whose pre-op went to j's copy
// before the replacement would otherwise have its post-op land on
// another inode, leaving a changelog count on each that no heal matches.
func (r *Replicate) replaceOn(ctx context.Context, j, src int, dir xlator.GFID, name string, e, re xlator.DirEntry) (*newEntry, error) {
	if re.Type == syscall.S_IFREG {
		r.eager.flush(re.Stat.GFID)
		held, err := r.lockInode(ctx, r.domain, re.Stat.GFID, r.upSet())
		if err != nil {
			return nil, err
		}
		defer held.release()
	}
	if err := r.removeTree(ctx, j, dir, name, e); err != nil {
		return nil, err
	}
	return r.createOn(ctx, j, src, dir, name, re)
}

// listDir returns the entries of directory g on child i, with attributes.
func (r *Replicate) listDir(ctx context.Context, i int, g xlator.GFID) (map[string]xlator.DirEntry, error) {
	c := xlator.RootCall()
	fd := xlator.NewFD(nameless(g), syscall.O_RDONLY|syscall.O_DIRECTORY, true)
	if err := r.kids[i].Opendir(ctx, c, fd); err != nil {
		return nil, err
	}
	defer r.kids[i].Releasedir(context.Background(), c, fd)
	out := map[string]xlator.DirEntry{}
	off := uint64(0)
	for {
		ents, err := r.kids[i].Readdir(ctx, c, fd, off, 64<<10, true)
		if err != nil {
			return nil, err
		}
		if len(ents) == 0 {
			return out, nil
		}
		for _, e := range ents {
			off = e.Off
			if e.Name == "." || e.Name == ".." || !e.HasStat {
				continue
			}
			out[e.Name] = e
		}
	}
}

// createOn makes name in directory dir on child j as it is on child src:
// same GFID, type, owner and mode. Before, it marks the source's copy as
// blaming j for what the new copy still lacks, so that nothing is read
// from j until the heal of the new entry has finished. A new entry it
// returns is the caller's to heal; when it returns none after marking
// (a link to the inode j already had, or a failure), it queues the
// inode's heal itself, so the mark never stays without one.
func (r *Replicate) createOn(ctx context.Context, j, src int, dir xlator.GFID, name string, e xlator.DirEntry) (ne *newEntry, err error) {
	st := e.Stat
	loc := &xlator.Loc{Parent: dir, Name: name, GFID: st.GFID}
	c := &xlator.Call{UID: st.UID, GID: st.GID}
	// A regular file may already exist on j under another name (a hard
	// link): then it gets this name as a link. The source's link count
	// says whether to look: with one link there is no other name (and
	// should the GFID be there after all, after a rename that missed
	// j, the create fails with EEXIST and the link is made then).
	if st.Type() == syscall.S_IFREG && st.Nlink != 1 {
		if done, err := r.linkOn(ctx, j, st.GFID, loc); done {
			return nil, err
		}
	}
	var blame counters
	switch st.Type() {
	case syscall.S_IFREG:
		blame = counters{1, 1, 0}
	case syscall.S_IFDIR:
		blame = counters{0, 1, 1}
	default:
		blame = counters{0, 1, 0}
	}
	blamed := make([]bool, len(r.kids))
	blamed[j] = true
	if _, err := r.kids[src].Xattrop(ctx, xlator.RootCall(), nameless(st.GFID), xlator.AddArray32, r.marks(counters{}, blamed, blame)); err != nil {
		return nil, err
	}
	r.inodes.forget(st.GFID)
	defer func() {
		if ne == nil {
			r.healer.remember(st.GFID, nil)
		}
	}()
	switch st.Type() {
	case syscall.S_IFDIR:
		_, err = r.kids[j].Mkdir(ctx, c, loc, st.Mode&0o7777, 0)
	case syscall.S_IFREG:
		fd := xlator.NewFD(loc, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, false)
		if _, err = r.kids[j].Create(ctx, c, fd, st.Mode&0o7777, 0); err == nil {
			return &newEntry{gfid: st.GFID, typ: st.Type(), src: src, sink: j, size: st.Size, fd: fd}, nil
		}
		if errors.Is(err, syscall.EEXIST) && st.Nlink == 1 {
			if done, lerr := r.linkOn(ctx, j, st.GFID, loc); done {
				// The blame just marked stays, so the inode must be
				// healed: the deferred remember queues it now. The
				// bricks' indexes record it, but they are read only
				// on child-up, on "index" and every indexEvery; an
				// inode healed (and its records dropped) just before
				// this link would otherwise wait that long, the
				// sink's old copy served nowhere but counted as
				// pending.
				return nil, lerr
			}
		}
	case syscall.S_IFLNK:
		var target string
		target, err = r.kids[src].Readlink(ctx, xlator.RootCall(), nameless(st.GFID))
		if err == nil {
			_, err = r.kids[j].Symlink(ctx, c, target, loc, 0)
		}
	default:
		_, err = r.kids[j].Mknod(ctx, c, loc, st.Mode, st.Rdev, 0)
	}
	if err != nil {
		return nil, xlator.Wrap("heal create", name, err)
	}
	return &newEntry{gfid: st.GFID, dir: st.Type() == syscall.S_IFDIR, typ: st.Type(), src: src, sink: j, size: st.Size}, nil
}

// linkOn makes loc on child j a hard link to inode g when j has g;
// done is false (and nothing was done) when j has no g.
func (r *Replicate) linkOn(ctx context.Context, j int, g xlator.GFID, loc *xlator.Loc) (done bool, err error) {
	if _, _, err := r.kids[j].Lookup(ctx, xlator.RootCall(), nameless(g), nil); err != nil {
		return false, nil
	}
	_, err = r.kids[j].Link(ctx, xlator.RootCall(), nameless(g), loc)
	return true, err
}

// removeTree removes name from directory dir on child j only, with
// everything below it.
func (r *Replicate) removeTree(ctx context.Context, j int, dir xlator.GFID, name string, e xlator.DirEntry) error {
	c := xlator.RootCall()
	loc := &xlator.Loc{Parent: dir, Name: name, GFID: e.Stat.GFID}
	if e.Type != syscall.S_IFDIR {
		return r.kids[j].Unlink(ctx, c, loc)
	}
	kids, err := r.listDir(ctx, j, e.Stat.GFID)
	if err != nil {
		return err
	}
	for n, k := range kids {
		if err := r.removeTree(ctx, j, e.Stat.GFID, n, k); err != nil {
			return err
		}
	}
	return r.kids[j].Rmdir(ctx, c, loc)
}
