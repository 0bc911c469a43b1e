package replicate

import (
	"context"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// probeTimeout bounds the root lookup made when a child comes up.
const probeTimeout = 10 * time.Second

// Notify counts the children that are up. Before a child is counted up
// its root is looked up: a root that had no GFID is a fresh, empty brick
// (a replaced disk, or the new side of a migration), which every other
// brick then blames so it never answers a read for what it lacks, and a
// full heal is started. Replicate reports child-down when no child is up,
// and child-up when a child is up, once it can answer: a child that is
// up and not fresh, or every child has been up since the start (so the
// fresh ones are known), or startWait has passed since the first child
// came up. A fresh brick alone answers nothing a brick yet to come may
// hold (its reads fail with ENOTCONN), so a mount that started on the new
// side of a migration before the old side connected failed its first
// requests. A child's first child-down does not count: a protocol/client
// reports one when its server does not listen yet (a server started in
// the same process).
func (r *Replicate) Notify(ev xlator.Event, from xlator.Translator) {
	i := r.index(from)
	if i < 0 {
		return
	}
	switch ev {
	case xlator.EventChildUp:
		r.replayUnlocks(i)
		r.probeRoot(i)
		r.upMu.Lock()
		r.up[i] = true
		r.seenUp[i] = true
		r.upMu.Unlock()
		r.Log().Info("child up", "child", from.Name())
		r.markFresh()
		r.healer.childUp()
	case xlator.EventChildDown:
		r.upMu.Lock()
		r.up[i] = false
		r.upMu.Unlock()
		r.Log().Warn("child down: it is blamed for what it misses and healed when it returns", "child", from.Name())
		r.eager.childDown(i)
		go r.dirs.flushAll()
	}
	r.report()
}

// startWait bounds how long replicate waits, after its first child came
// up, for the others to come up before it reports child-up with only
// fresh bricks up.
const startWait = 5 * time.Second

// report tells the parents child-up or child-down when that changed (see
// Notify for when replicate counts as up).
func (r *Replicate) report() {
	r.upMu.Lock()
	any := count(r.up) > 0
	ready := any && (r.waited || count(r.seenUp) == len(r.seenUp))
	for i := range r.up {
		if r.up[i] && !r.fresh[i] {
			ready = true
		}
	}
	if any && !ready && !r.waitArmed {
		r.waitArmed = true
		time.AfterFunc(startWait, func() {
			r.upMu.Lock()
			r.waited = true
			r.upMu.Unlock()
			r.report()
		})
	}
	changed := ready != r.isUp && (ready || !any)
	if changed {
		r.isUp = ready
	}
	r.upMu.Unlock()
	if changed {
		if ready {
			r.Emit(xlator.EventChildUp)
		} else {
			r.Emit(xlator.EventChildDown)
		}
	}
}

// probeRoot looks up child i's root and remembers whether it was fresh:
// it had no GFID and is empty.
func (r *Replicate) probeRoot(i int) {
	ctx, cancel := context.WithTimeout(r.runCtx, probeTimeout)
	defer cancel()
	_, x, err := r.kids[i].Lookup(ctx, xlator.RootCall(), xlator.RootLoc(), r.changelogReq(nil, i))
	if err != nil {
		r.Log().Warn("root lookup of a child coming up failed", "child", r.kids[i].Name(), "err", err)
		return
	}
	var st replyState
	r.parseChangelog(&st, x)
	if st.Fresh {
		// A root without a GFID that holds files is an existing tree
		// being adopted, not an empty brick.
		ents, err := r.listDir(ctx, i, xlator.RootGFID)
		if err != nil || len(ents) > 0 {
			return
		}
		r.upMu.Lock()
		r.fresh[i] = true
		r.upMu.Unlock()
		r.Log().Info("fresh brick: its root had no GFID; it will be healed in full and is read from only where healed", "child", r.kids[i].Name())
	}
}

// markFresh records, on the root of every up brick that is not fresh, that
// it blames each fresh brick for metadata and entries. The mark persists,
// so a fresh brick stays a sink until a heal clears it, across restarts.
// A full heal is then queued.
func (r *Replicate) markFresh() {
	r.upMu.Lock()
	var fresh, holders []int
	for i := range r.kids {
		switch {
		case r.fresh[i] && r.up[i]:
			fresh = append(fresh, i)
		case !r.fresh[i] && r.up[i]:
			holders = append(holders, i)
		}
	}
	if len(fresh) == 0 {
		r.upMu.Unlock()
		return
	}
	if len(holders) == 0 && len(fresh) == len(r.kids) {
		// Every brick is up, new and empty: nothing to heal between
		// them, and what is written from now on is written to all.
		for _, i := range fresh {
			r.fresh[i] = false
		}
		r.upMu.Unlock()
		return
	}
	if len(holders) == 0 {
		r.upMu.Unlock()
		return
	}
	for _, i := range fresh {
		r.fresh[i] = false
	}
	r.upMu.Unlock()
	blamed := make([]bool, len(r.kids))
	for _, i := range fresh {
		blamed[i] = true
	}
	x := r.marks(counters{}, blamed, counters{0, 1, 1})
	ctx, cancel := context.WithTimeout(r.runCtx, probeTimeout)
	defer cancel()
	for _, h := range holders {
		if _, err := r.kids[h].Xattrop(ctx, xlator.RootCall(), xlator.RootLoc(), xlator.AddArray32, x); err != nil {
			r.Log().Error("marking a fresh brick as a sink on a full brick failed", "child", r.kids[h].Name(), "err", err)
		}
	}
	r.inodes.forget(xlator.RootGFID)
	r.healer.requestFull()
}
