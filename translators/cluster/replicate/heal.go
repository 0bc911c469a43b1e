package replicate

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// healInode heals everything about inode g: its entries (a directory,
// followed by the heal of what was created), its contents (a regular
// file), then its metadata, last, so that times stick (a directory's
// times are set after its entries). force compares every copy even where
// no changelog blames one (full heal). It reports whether anything was
// done.
func (r *Replicate) healInode(ctx context.Context, g xlator.GFID, force bool) (bool, error) {
	_, states := r.lookupAll(ctx, xlator.RootCall(), nameless(g), nil)
	if count(okSet(states)) == 0 {
		return false, syscall.ENOENT
	}
	if mismatch(states) {
		r.healer.splitBrain(g, "")
		return false, errSplitBrain
	}
	typ := firstOK(states).Stat.Type()
	policy := r.favoritePolicy()
	did := false
	var firstErr error
	note := func(d bool, err error) {
		did = did || d
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if typ == syscall.S_IFDIR && r.heal.entry {
		created, changed, err := r.healEntries(ctx, g, force)
		note(changed, err)
		for _, ne := range created {
			if ne.dir {
				d, err := r.healInode(ctx, ne.gfid, false)
				note(d, err)
				r.healer.settle(ctx, ne.gfid, err)
			}
		}
		var mu sync.Mutex
		pool := r.newFreshPool(ctx, r.healer.workers)
		r.healFresh(ctx, r.freshJobs(created, nil), pool, func(g xlator.GFID, err error) {
			mu.Lock()
			note(true, err)
			mu.Unlock()
			r.healer.settle(ctx, g, err)
		})
		pool.close()
		if changed {
			force = true // the sink's directory times changed
		}
	}
	if typ == syscall.S_IFREG && r.heal.data {
		d, err := r.healData(ctx, g, force, policy, -1)
		note(d, err)
		if d {
			force = true // writing changed the sink's times
		}
	}
	if r.heal.meta {
		note(r.healMeta(ctx, g, force, policy, -1))
	}
	if errors.Is(firstErr, errSplitBrain) {
		r.healer.splitBrain(g, "")
	}
	return did, firstErr
}

// okSet returns which children answered.
func okSet(states []replyState) []bool {
	ok := make([]bool, len(states))
	for i := range states {
		ok[i] = states[i].OK
	}
	return ok
}

// pendingOn reports whether inode g still has something to heal (a blamed
// copy, up or down, or a dirty mark) and whether it is in split-brain.
func (r *Replicate) pendingOn(ctx context.Context, g xlator.GFID) (heal bool, split bool) {
	p := r.pendingState(ctx, g)
	return p.heal, p.split
}

// pendingLook is what pendingState found of an inode.
type pendingLook struct {
	heal         bool   // something is to be healed (a blamed copy, up or down, or a dirty mark)
	split        bool   // in split-brain
	waitsForDown bool   // what is pending waits for a child that is down
	has, absent  []bool // per child: it has the inode; it answered that it has none
}

// pendingState is pendingOn that also says whether what is pending waits
// for a child that is down, and which children have the inode.
func (r *Replicate) pendingState(ctx context.Context, g xlator.GFID) pendingLook {
	up := r.upSet()
	ans, states := r.lookupAll(ctx, xlator.RootCall(), nameless(g), nil)
	p := pendingLook{has: okSet(states), absent: make([]bool, len(ans))}
	for i := range ans {
		p.absent[i] = errors.Is(ans[i].err, syscall.ENOENT) || errors.Is(ans[i].err, syscall.ESTALE)
	}
	if count(p.has) == 0 {
		return p
	}
	if mismatch(states) {
		p.heal, p.split = true, true
		return p
	}
	for typ := 0; typ < 3; typ++ {
		v := decide(states, typ)
		if v.SplitBrain {
			p.heal, p.split, p.waitsForDown = true, true, false
			return p
		}
		if count(v.Sinks) > 0 || dirty(states, typ) {
			p.heal = true
		}
		// Blame against a child that did not answer (down) waits for it.
		for i := range states {
			for j := range states[i].Pending {
				if states[i].OK && !states[j].OK && states[i].Pending[j][typ] > 0 {
					p.heal = true
					p.waitsForDown = p.waitsForDown || !up[j]
				}
			}
		}
	}
	return p
}
