package replicate

import (
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// errSplitBrain reports an inode the heal could not resolve: the copies
// blame each other (or hold different files) and no policy chose one.
var errSplitBrain = errors.New("split-brain")

// errNoSink reports an inode whose sinks are not up: it waits for them.
var errNoSink = errors.New("no sink is up")

// nameless returns a Loc that names inode g by GFID alone.
func nameless(g xlator.GFID) *xlator.Loc { return &xlator.Loc{GFID: g} }

// healPlan is the outcome of a heal's look at one counter type.
type healPlan struct {
	states  []replyState
	source  int
	sinks   []bool
	ok      []bool // children that answered (all are healed to match)
	initial []replyState
}

// plan decides source and sinks of typ for inode g from fresh lookups.
// force heals every answering child from a source even if none is blamed
// (a full heal, or times after an entry heal). policy, when not none,
// resolves split-brain; override >= 0 forces that child as the source.
func (r *Replicate) plan(ctx context.Context, g xlator.GFID, typ int, force bool, policy string, override int) (*healPlan, error) {
	_, states := r.lookupAll(ctx, xlator.RootCall(), nameless(g), nil)
	p := &healPlan{states: states, source: -1, sinks: make([]bool, len(r.kids)), ok: make([]bool, len(r.kids))}
	for i := range states {
		p.ok[i] = states[i].OK
	}
	if count(p.ok) == 0 {
		return nil, syscall.ENOENT
	}
	if mismatch(states) {
		return nil, errSplitBrain
	}
	v := decide(states, typ)
	switch {
	case override >= 0:
		if !p.ok[override] {
			return nil, syscall.ENOTCONN
		}
		p.source = override
	case v.SplitBrain:
		p.source = favorite(policy, states, p.ok)
		if p.source < 0 {
			return p, errSplitBrain
		}
	default:
		for i := range v.Sources {
			if v.Sources[i] && (p.source < 0 || i == r.readChild) {
				p.source = i
			}
		}
		if typ == tData && count(v.Sinks) == 0 && dirty(states, typ) {
			p.source = biggest(states, v.Sources)
		}
	}
	for i := range states {
		p.sinks[i] = p.ok[i] && i != p.source
	}
	if !force && count(v.Sinks) == 0 && !dirty(states, typ) && !v.SplitBrain && override < 0 {
		p.sinks = make([]bool, len(r.kids))
	}
	p.initial = states
	return p, nil
}

// clear subtracts, on every answering child, the blame of type typ among
// the children healed (what was seen before the heal and is still there)
// and the dirty count now present. locked says no transaction can be in
// flight (the heal holds the inode's full lock).
func (r *Replicate) clearChangelog(ctx context.Context, g xlator.GFID, typ int, p *healPlan) {
	_, now := r.lookupAll(ctx, xlator.RootCall(), nameless(g), nil)
	for i := range now {
		if !now[i].OK || !p.ok[i] {
			continue
		}
		x := xlator.XData{}
		for j := range r.kids {
			if !p.ok[j] || j >= len(now[i].Pending) {
				continue
			}
			sub := min(p.initial[i].Pending[j][typ], now[i].Pending[j][typ])
			if sub > 0 {
				var c counters
				c[typ] = -sub
				x[r.pendingKeys[j]] = c.encode()
			}
		}
		if d := now[i].Dirty[typ]; d != 0 { // to exactly zero, negative counts too
			var c counters
			c[typ] = -d
			x[dirtyKey] = c.encode()
		}
		if len(x) == 0 && !p.sinks[i] {
			// A healed sink gets the (empty) xattrop too, with every
			// key: its features/index then drops a record left from an
			// earlier inode of this GFID (one an entry heal replaced).
			continue
		}
		if _, err := r.kids[i].Xattrop(ctx, xlator.RootCall(), nameless(g), xlator.AddArray32, r.withAllKeys(x)); err != nil {
			r.Log().Warn("clearing the changelog after a heal failed", "gfid", g, "child", r.kids[i].Name(), "err", err)
		}
	}
	r.inodes.forget(g)
}

// lockInode takes inode g's full lock in domain on the children in ok,
// on every one of them or on none (acquireAll).
func (r *Replicate) lockInode(ctx context.Context, domain string, g xlator.GFID, ok []bool) (*heldLocks, error) {
	return r.acquireAll(ctx, []lockReq{{domain: domain, gfid: g}}, ok)
}
