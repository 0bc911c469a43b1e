package replicate

import (
	"context"
	"sync"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// Identical times on every copy. Each brick stamps its own mtime and
// atime when it applies a write or an entry change, so copies would differ
// by the nanoseconds between them. Replicate therefore copies the times of
// the copy reads use (the read child) to the other good copies:
//
//   - a new entry (mknod, mkdir, symlink, create) gets them at once, from
//     the read child's reply, inside the entry transaction;
//   - after a data transaction (a stream of writes at its delayed
//     post-op, a truncate, fallocate...), an entry transaction (the parent
//     directories) and a setattr to "now", the inode is queued, and a
//     batch is synced after post-op-delay (at least minTimesDelay): one
//     sync per inode however many fops touched it in the meantime. A sync
//     takes the inode's metadata lock, looks the inode up on every child
//     and sets atime and mtime where they differ from the read child's.
//
// Only copies that are sources for data, metadata and entries are
// changed or copied from; sinks get the times from their heal. Fini syncs what is queued.

// minTimesDelay is the shortest wait before a queued sync runs.
const minTimesDelay = 20 * time.Millisecond

// timesTable is the set of inodes whose copies' times are to be synced.
type timesTable struct {
	r     *Replicate
	mu    sync.Mutex
	m     map[xlator.GFID]bool
	timer *time.Timer
	wg    sync.WaitGroup
}

func newTimesTable(r *Replicate) *timesTable {
	return &timesTable{r: r, m: map[xlator.GFID]bool{}}
}

// mark queues g for a sync.
func (t *timesTable) mark(g xlator.GFID) {
	if g.IsZero() || len(t.r.kids) < 2 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m[g] = true
	if t.timer == nil {
		d := max(time.Duration(t.r.postOpDelay), minTimesDelay)
		t.wg.Add(1)
		t.timer = time.AfterFunc(d, func() {
			defer t.wg.Done()
			t.flush()
		})
	}
}

// flush syncs every queued inode.
func (t *timesTable) flush() {
	t.mu.Lock()
	batch := t.m
	t.m = map[xlator.GFID]bool{}
	t.timer = nil
	t.mu.Unlock()
	for g := range batch {
		if err := t.r.syncTimes(t.r.runCtx, g); err != nil {
			t.r.Log().Debug("syncing the copies' times failed", "gfid", g, "err", err)
		}
	}
}

// flushAll syncs what is queued now and waits for a running batch.
func (t *timesTable) flushAll() {
	t.mu.Lock()
	if t.timer != nil && t.timer.Stop() {
		t.timer = nil
		t.wg.Done()
	}
	t.mu.Unlock()
	t.wg.Wait()
	t.flush()
}

// syncTimes gives every other good copy of inode g the read child's atime
// and mtime, under g's metadata lock.
// A copy that cannot take them (down, or its setattr failed) is blamed for
// metadata on the read child, so its heal brings the times later.
func (r *Replicate) syncTimes(ctx context.Context, g xlator.GFID) error {
	up := r.upSet()
	if count(up) == 0 {
		return nil
	}
	// Not all-or-nothing (lockInode): a copy whose lock fails is still
	// sent the times, and blamed if its setattr fails.
	held, err := r.acquire(ctx, []lockReq{{domain: r.metaDomain, gfid: g}}, append([]bool(nil), up...))
	if err != nil {
		return err
	}
	defer held.release()
	ans, states := r.lookupAll(ctx, xlator.RootCall(), nameless(g), nil)
	src, targets := timesPlan(states, r.timesPrefer(states, g))
	if src < 0 {
		return nil
	}
	// A copy that answered the lookup is not missed, even if it was
	// not up when this began (it came up meanwhile): it was sent the
	// times, or is the source. Blaming it here blamed the source
	// itself when the source was that copy, and nothing clears a copy's
	// blame of itself.
	missed := make([]bool, len(r.kids))
	for i := range ans {
		missed[i] = !states[i].OK && (!up[i] || errorsIsConn(ans[i].err))
	}
	s := states[src].Stat
	attr := &xlator.SetAttr{Valid: xlator.SetAtime | xlator.SetMtime, Atime: s.Atime, Mtime: s.Mtime}
	var firstErr error
	for _, i := range targets {
		if _, err := r.kids[i].Setattr(ctx, xlator.RootCall(), nameless(g), attr); err != nil {
			missed[i] = true
			firstErr = err
		}
	}
	if count(missed) > 0 {
		x := r.withoutSelf(r.marks(counters{}, missed, one(tMeta)), src)
		if _, err := r.kids[src].Xattrop(ctx, xlator.RootCall(), nameless(g), xlator.AddArray32, x); err != nil {
			return err
		}
		r.inodes.forget(g)
		r.healer.remember(g, nil)
	}
	return firstErr
}

// timesPlan picks, from the children's lookups, the copy whose times the
// others take (prefer, when it qualifies) and the copies whose atime or
// mtime differ from it. Only copies that are sources for data, metadata
// and entries take part (a directory that misses entries has the times of
// before: it must not give them to the others); a split-brain or a GFID
// mismatch syncs nothing.
func timesPlan(states []replyState, prefer int) (src int, targets []int) {
	good := timesGood(states)
	if good == nil {
		return -1, nil
	}
	src = -1
	for i := range good {
		if good[i] && (src < 0 || i == prefer) {
			src = i
		}
	}
	if src < 0 {
		return -1, nil
	}
	s := states[src].Stat
	for i := range good {
		if i != src && good[i] && (states[i].Stat.Mtime != s.Mtime || states[i].Stat.Atime != s.Atime) {
			targets = append(targets, i)
		}
	}
	return src, targets
}

// timesGood returns which copies may give or take times: those that
// answered and are sources for data, metadata and entries; nil for a
// split-brain or a GFID mismatch.
func timesGood(states []replyState) []bool {
	if mismatch(states) {
		return nil
	}
	good := make([]bool, len(states))
	for i := range states {
		good[i] = states[i].OK
	}
	for typ := tData; typ <= tEntry; typ++ {
		v := decide(states, typ)
		if v.SplitBrain {
			return nil
		}
		for i := range good {
			good[i] = good[i] && v.Sources[i]
		}
	}
	return good
}

// timesPrefer returns the copy whose times a sync of inode g gives the
// others: the one reads of g are answered from (read-subvolume, else by
// read-hash-mode among the good copies), so a sync never changes the
// times a stat has already answered (go-fuse's posixtest FstatDeleted saw
// them change when the first child was the source while reads came from
// the second). -1 when there is no good copy.
func (r *Replicate) timesPrefer(states []replyState, g xlator.GFID) int {
	var list []int
	for i, ok := range timesGood(states) {
		if ok {
			list = append(list, i)
		}
	}
	if len(list) == 0 {
		return -1
	}
	return r.preferRead(list, g, nil)
}

// sameNewTimes gives the other copies of a just-created entry the times of
// the copy the reply came from (sts[from]), so all copies start equal.
func (r *Replicate) sameNewTimes(ctx context.Context, loc *xlator.Loc, sts []xlator.Stat, errs []error, from xlator.Stat) {
	attr := &xlator.SetAttr{Valid: xlator.SetAtime | xlator.SetMtime, Atime: from.Atime, Mtime: from.Mtime}
	nctx := context.WithoutCancel(ctx)
	for i := range r.kids {
		if errs[i] != nil || sts[i].Atime == from.Atime && sts[i].Mtime == from.Mtime {
			continue
		}
		if _, err := r.kids[i].Setattr(nctx, xlator.RootCall(), nameless(from.GFID), attr); err != nil {
			r.Log().Debug("setting a new entry's times failed", "path", loc.Path, "child", r.kids[i].Name(), "err", err)
			r.times.mark(from.GFID)
		}
	}
}

// timesDiffer reports whether the good copies of inode g differ in atime
// or mtime (a full heal then heals its metadata).
func (r *Replicate) timesDiffer(ctx context.Context, g xlator.GFID) bool {
	_, states := r.lookupAll(ctx, xlator.RootCall(), nameless(g), nil)
	_, targets := timesPlan(states, r.readChild)
	return len(targets) > 0
}
