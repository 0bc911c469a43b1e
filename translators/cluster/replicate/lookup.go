package replicate

import (
	"context"
	"errors"
	"path"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// answer is one child's reply to a lookup.
type answer struct {
	stat xlator.Stat
	x    xlator.XData
	err  error
}

// lookupAll looks loc up on every up child in parallel, asking for the
// changelog too, and returns the answers and the pure states.
func (r *Replicate) lookupAll(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) ([]answer, []replyState) {
	up := r.upSet()
	ans := make([]answer, len(r.kids))
	states := make([]replyState, len(r.kids))
	for i := range r.kids {
		if !up[i] {
			ans[i].err = syscall.ENOTCONN
		}
	}
	r.fanOut(ctx, up, func(i int) error {
		st, x, err := r.kids[i].Lookup(ctx, c, loc, r.changelogReq(req, i))
		ans[i] = answer{stat: st, x: x, err: err}
		return err
	})
	fresh := r.freshSet()
	for i := range ans {
		if ans[i].err == nil {
			states[i].OK = true
			states[i].Stat = ans[i].stat
			r.parseChangelog(&states[i], ans[i].x)
			// posix reports an assigned root for as long as its process
			// runs; it counts as fresh only until markFresh has
			// recorded the blame (or found no brick to blame it).
			states[i].Fresh = states[i].Fresh && fresh[i]
		}
	}
	return ans, states
}

// Lookup looks loc up on every up child with its changelog, records which
// children hold good copies (so reads come only from those), queues a heal
// in the background when the copies differ, and answers from a good copy.
// When the entry exists on some children only, the parent directory's
// changelog decides: an entry a source lacks was deleted (ENOENT); one a
// sink lacks was created while it was away. A GFID or type mismatch, or a
// split-brain, answers EIO.
//
// A lookup that raced a heal's or a failed write's change of the same
// inode (inodeTable.setSince) looks again, up to lookupRetries times.
func (r *Replicate) Lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	for try := 0; ; try++ {
		st, x, err, raced := r.lookupOnce(ctx, c, loc, req, r.inodes.since(), try == lookupRetries)
		if !raced {
			return st, x, err
		}
		r.Log().Debug("lookup raced a change of its inode: looking again", "path", loc.Path, "try", try+1)
	}
}

// lookupRetries is how many times a lookup that raced a change of its
// inode looks again. Each race needs a heal step or a failed write on
// the same inode while the lookup runs, so a second try almost always
// settles it; the last try answers (and stores) whatever it finds.
const lookupRetries = 8

// lookupOnce is one pass of Lookup, begun when the inode table's change
// number was since. It returns raced (and nothing else) when its inode
// changed meanwhile, unless last is set.
func (r *Replicate) lookupOnce(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData, since uint64, last bool) (_ xlator.Stat, _ xlator.XData, _ error, raced bool) {
	ans, states := r.lookupAll(ctx, c, loc, req)
	present, absent := 0, 0
	for i := range ans {
		switch {
		case ans[i].err == nil:
			present++
		case errors.Is(ans[i].err, syscall.ENOENT):
			absent++
		}
	}
	if present == 0 {
		errs := make([]error, len(ans))
		for i := range ans {
			errs[i] = ans[i].err
		}
		return xlator.Stat{}, nil, pickErr(errs, "lookup", loc.Path), false
	}
	if absent > 0 && !loc.IsRoot() {
		if !r.entryExists(ctx, loc, states) {
			r.healer.remember(loc.Parent, r.parentLoc(loc))
			return xlator.Stat{}, nil, syscall.ENOENT, false
		}
		if r.healName(ctx, loc) {
			// The sinks have the entry now (blamed until its heal):
			// answer from what every copy says.
			if a, s := r.lookupAll(ctx, c, loc, req); firstOKIndex(s) != 0 || s[0].OK {
				ans, states = a, s
			}
		}
		r.healer.remember(loc.Parent, r.parentLoc(loc))
	}
	if mismatch(states) && !loc.IsRoot() {
		if keep := r.entrySources(ctx, loc, states); keep != nil {
			// The parent's entry changelog says which copies are
			// current: the others hold a stale entry under this name,
			// which the parent's entry heal replaces.
			r.healer.remember(loc.Parent, r.parentLoc(loc))
			for i := range states {
				if !keep[i] {
					states[i] = replyState{}
					ans[i].err = syscall.ENOENT
				}
			}
		}
	}
	in := infoFrom(states)
	g := firstOK(states).Stat.GFID
	if !r.inodes.store(g, in, since, last) {
		return xlator.Stat{}, nil, nil, true
	}
	if needsHeal(states) {
		r.healer.remember(g, loc)
	}
	if in.mismatch {
		r.Log().Warn("gfid or type split-brain: the replicas hold different files under one name", "path", loc.Path)
		return xlator.Stat{}, nil, xlator.Wrap("lookup", loc.Path, syscall.EIO), false
	}
	i, err := r.chooseRead(in, statType(in), r.upSet(), g, c)
	if err != nil {
		if in.typ == syscall.S_IFDIR {
			// A directory in split-brain can still be entered; its
			// listing and attributes come from the first copy.
			i = firstOKIndex(states)
		} else {
			return xlator.Stat{}, nil, xlator.Wrap("lookup", loc.Path, err), false
		}
	}
	return ans[i].stat, r.stripChangelog(ans[i].x, req), nil, false
}

// entryExists decides, for an entry some children lack, whether it exists:
// yes if a source of its parent's entries holds it, or if no child is a
// source (conservative: never lose an entry).
func (r *Replicate) entryExists(ctx context.Context, loc *xlator.Loc, states []replyState) bool {
	_, ps := r.lookupAll(ctx, xlator.RootCall(), r.parentLoc(loc), nil)
	v := decide(ps, tEntry)
	if count(v.Sources) == 0 {
		return true
	}
	for i := range states {
		if v.Sources[i] && states[i].OK {
			return true
		}
	}
	// No source holds it; it exists only if no source answered at all.
	for i := range ps {
		if v.Sources[i] && ps[i].OK {
			return false
		}
	}
	return true
}

// parentLoc returns a Loc of loc's parent directory.
func (r *Replicate) parentLoc(loc *xlator.Loc) *xlator.Loc {
	p := &xlator.Loc{GFID: loc.Parent}
	if loc.Path != "" {
		p.Path = path.Dir(loc.Path)
		if p.Path == "/" {
			p.GFID = xlator.RootGFID
		}
	}
	return p
}

// statType is the counter type whose good copies answer attributes: data
// for regular files (the size), metadata for everything else.
func statType(in *inodeInfo) int {
	if in.typ == syscall.S_IFREG {
		return tData
	}
	return tMeta
}

func firstOK(states []replyState) *replyState {
	return &states[firstOKIndex(states)]
}

func firstOKIndex(states []replyState) int {
	for i := range states {
		if states[i].OK {
			return i
		}
	}
	return 0
}

// refresh looks an inode up by GFID (or loc) to learn its state.
// A refresh that raced a change of the inode looks again, as Lookup does.
func (r *Replicate) refresh(ctx context.Context, g xlator.GFID, loc *xlator.Loc) *inodeInfo {
	l := loc
	if l == nil || l.Path == "" && l.GFID.IsZero() {
		l = &xlator.Loc{GFID: g}
	}
	var states []replyState
	var in *inodeInfo
	for try := 0; ; try++ {
		since := r.inodes.since()
		_, states = r.lookupAll(ctx, xlator.RootCall(), l, nil)
		if firstOKIndex(states) == 0 && !states[0].OK {
			return nil
		}
		in = infoFrom(states)
		if r.inodes.store(g, in, since, try == lookupRetries) {
			break
		}
	}
	if needsHeal(states) {
		r.healer.remember(g, loc)
	}
	return in
}

// chooseRead picks the child to read typ of an inode from, among those in
// within that hold a good copy: read-subvolume if it qualifies, else by
// read-hash-mode. A split-brain or mismatch is EIO; no good copy up is
// ENOTCONN.
func (r *Replicate) chooseRead(in *inodeInfo, typ int, within []bool, g xlator.GFID, c *xlator.Call) (int, error) {
	if in.mismatch || in.split[typ] {
		return -1, syscall.EIO
	}
	good := make([]int, 0, len(r.kids))
	for i := range r.kids {
		if within[i] && i < len(in.readable[typ]) && in.readable[typ][i] {
			good = append(good, i)
		}
	}
	if len(good) == 0 {
		return -1, syscall.ENOTCONN
	}
	return r.preferRead(good, g, c), nil
}

// preferRead picks, among the children in good, the one reads of inode g
// use: read-subvolume when it is there, else by read-hash-mode.
func (r *Replicate) preferRead(good []int, g xlator.GFID, c *xlator.Call) int {
	if r.readChild >= 0 {
		for _, i := range good {
			if i == r.readChild {
				return i
			}
		}
	}
	switch r.hashMode {
	case 1:
		return good[hashGFID(g, 0)%uint64(len(good))]
	case 2:
		var pid uint32
		if c != nil {
			pid = c.PID
		}
		return good[hashGFID(g, pid)%uint64(len(good))]
	}
	return good[0]
}

// hashGFID mixes a GFID (and a pid) into a number (FNV-1a).
func hashGFID(g xlator.GFID, pid uint32) uint64 {
	h := uint64(14695981039346656037)
	for _, b := range g {
		h ^= uint64(b)
		h *= 1099511628211
	}
	for k := 0; k < 4; k++ {
		h ^= uint64(byte(pid >> (8 * k)))
		h *= 1099511628211
	}
	return h
}

// pickRead returns the child to read typ of inode g from, limited to
// within, learning the inode's state by a lookup when it is not known.
func (r *Replicate) pickRead(ctx context.Context, c *xlator.Call, g xlator.GFID, loc *xlator.Loc, typ int, within []bool) (int, error) {
	in := r.inodes.get(g)
	if in == nil {
		in = r.refresh(ctx, g, loc)
		if in == nil {
			for i := range within {
				if within[i] {
					return i, nil
				}
			}
			return -1, syscall.ENOTCONN
		}
	}
	if typ < 0 {
		typ = statType(in)
	}
	i, err := r.chooseRead(in, typ, within, g, c)
	if err == syscall.ENOTCONN {
		// What we knew may be stale (a heal finished): look again.
		if in = r.refresh(ctx, g, loc); in != nil {
			if typ < 0 {
				typ = statType(in)
			}
			i, err = r.chooseRead(in, typ, within, g, c)
		}
	}
	return i, err
}

// entrySources resolves a GFID or type mismatch under one name by the
// parent directory's entry changelog: when the parent has sources (no
// split-brain) and every source that holds the name holds the same GFID
// and type, it returns the children that hold that one (the others are
// sinks with a stale entry). Otherwise it returns nil: a real split-brain.
func (r *Replicate) entrySources(ctx context.Context, loc *xlator.Loc, states []replyState) []bool {
	_, ps := r.lookupAll(ctx, xlator.RootCall(), r.parentLoc(loc), nil)
	v := decide(ps, tEntry)
	if v.SplitBrain || count(v.Sources) == 0 {
		return nil
	}
	ref := -1
	for i := range states {
		if !states[i].OK || !v.Sources[i] {
			continue
		}
		if ref < 0 {
			ref = i
			continue
		}
		if states[i].Stat.GFID != states[ref].Stat.GFID || states[i].Stat.Type() != states[ref].Stat.Type() {
			return nil
		}
	}
	if ref < 0 {
		return nil
	}
	keep := make([]bool, len(states))
	for i := range states {
		keep[i] = states[i].OK && states[i].Stat.GFID == states[ref].Stat.GFID && states[i].Stat.Type() == states[ref].Stat.Type()
	}
	return keep
}
