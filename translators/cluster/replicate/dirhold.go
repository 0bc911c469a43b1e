package replicate

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// holdName is the entry-lock name a directory's dirty hold is kept
// under. It contains a '/', so no directory entry can have it: it
// conflicts only with itself and with a lock of the whole directory (the
// one an entry heal takes).
const holdName = "/dirty-hold"

// dirHolds keeps, per directory, one dirty mark across a stream of entry
// transactions in it (the entry counterpart of the eager lock's shared
// pre-op): the first create, unlink... in a directory marks it dirty on
// every participating copy; the following ones only take their name's
// entry lock and run the fop; the mark is taken off (with the blame of
// any copy that missed a change) once, when the stream pauses
// (post-op-delay), after maxEagerHold, at once when a copy fails or a
// heal in this process waits for the directory, and at fini.
//
// Crash safety is that of the per-fop pre-op: whenever an entry fop runs
// in the directory, the directory is marked dirty on every copy it runs
// on, so a crash leaves the mark and a heal compares the copies' entries.
// The hold owns an entry lock on holdName, which keeps an entry heal
// (which locks the whole directory and then clears the dirty count to
// exactly zero) out while the mark is up. That lock is only ever taken
// without waiting (a transaction that cannot have it runs with its own
// pre-op and post-op), and a transaction joins a hold only once it holds
// its name's lock, so no transaction waits on a hold while holding a
// lock a heal waits for.
type dirHolds struct {
	r  *Replicate
	mu sync.Mutex
	m  map[xlator.GFID]*dirHold

	finishing int        // holds being ended (closeLocked said so); under mu
	finished  *sync.Cond // on mu: signalled when finishing drops to 0
}

// dirHold is one directory's dirty mark and the lock that keeps it.
type dirHold struct {
	g       xlator.GFID
	ready   chan struct{} // closed when start has ended
	started bool          // the lock and mark are in place (valid after ready)
	tried   []bool        // the children the hold was started on
	t       *txn          // the pre-op's transaction: parts are the marked children
	held    *heldLocks
	since   time.Time
	timer   *time.Timer

	// under dirHolds.mu
	users   int    // transactions running under the hold
	anyOK   bool   // some transaction succeeded on some child
	missed  []bool // children that missed a change another child made
	closing bool   // no new users; the last one ends it
	done    bool
}

func newDirHolds(r *Replicate) *dirHolds {
	d := &dirHolds{r: r, m: map[xlator.GFID]*dirHold{}}
	d.finished = sync.NewCond(&d.mu)
	return d
}

// join returns the hold of directory g to run a transaction on parts
// under, starting one if there is none, or nil when the transaction must
// mark the directory itself (the hold's lock is taken elsewhere, or a
// child came up since the hold began). The caller holds its name's lock
// and must call leave.
func (d *dirHolds) join(ctx context.Context, g xlator.GFID, parts []bool) *dirHold {
	d.mu.Lock()
	if h := d.m[g]; h != nil {
		if !covers(h.tried, parts) {
			fin := d.closeLocked(h)
			d.mu.Unlock()
			if fin {
				d.finish(h)
			}
			return nil
		}
		h.users++
		d.mu.Unlock()
		<-h.ready
		if !h.started {
			d.mu.Lock()
			h.users--
			d.mu.Unlock()
			return nil
		}
		return h
	}
	h := &dirHold{g: g, ready: make(chan struct{}), tried: append([]bool(nil), parts...),
		missed: make([]bool, len(parts)), users: 1}
	d.m[g] = h
	d.mu.Unlock()
	h.started = d.start(ctx, h)
	d.mu.Lock()
	if h.started {
		h.timer = time.AfterFunc(time.Duration(d.r.postOpDelay), func() { d.expire(h) })
	} else {
		h.users--
		h.closing, h.done = true, true
		if d.m[g] == h {
			delete(d.m, g)
		}
	}
	d.mu.Unlock()
	close(h.ready)
	if !h.started {
		return nil
	}
	return h
}

// covers reports whether every child in parts was in tried.
func covers(tried, parts []bool) bool {
	for i := range parts {
		if parts[i] && !tried[i] {
			return false
		}
	}
	return true
}

// start takes h's lock without waiting, in the process and on every
// child it was tried on, and marks the directory dirty there. It reports
// false (and holds nothing) when the lock is taken elsewhere or a child
// could not be locked or marked.
func (d *dirHolds) start(ctx context.Context, h *dirHold) bool {
	r := d.r
	q := lockReq{entry: true, domain: r.domain, gfid: h.g, name: holdName}
	if r.local.contended(q.key()) || !r.local.tryLock(q.key(), q.span()) {
		// A heal here waits for the directory: no new hold keeps it
		// out longer.
		return false
	}
	held := &heldLocks{r: r, owner: r.newOwner(), reqs: []lockReq{q}, on: [][]bool{make([]bool, len(r.kids))}, local: 1}
	c := &xlator.Call{LockOwner: held.owner}
	parts := append([]bool(nil), h.tried...)
	for i := range r.kids {
		if !parts[i] || r.noLocks[i].Load() {
			continue
		}
		err := r.kids[i].Entrylk(ctx, c, q.domain, nameless(h.g), q.name, xlator.EntryLockNB, xlator.EntryWrite)
		switch {
		case err == nil:
			held.on[0][i] = true
		case errors.Is(err, syscall.ENOTSUP):
			r.noLocks[i].Store(true)
		default:
			// Held elsewhere (EAGAIN), or the child failed: this
			// transaction goes the plain way, which leaves out and
			// blames a child that is really gone.
			held.release()
			return false
		}
	}
	t := &txn{op: "entry hold", path: "<gfid:" + h.g.String() + ">", typ: tEntry,
		targets: []target{{gfid: h.g}}, parts: append([]bool(nil), parts...)}
	if count(parts) > 0 {
		r.preOp(context.WithoutCancel(ctx), t)
	}
	if count(parts) == 0 || count(t.parts) != count(parts) {
		// A child could not be marked: no hold (it would leave that
		// child out of every change while it lasts); take the other
		// marks off again.
		r.postOp(context.WithoutCancel(ctx), t, make([]bool, len(r.kids)), t.parts)
		held.release()
		return false
	}
	h.t, h.held, h.since = t, held, time.Now()
	return true
}

// leave ends one transaction under h; ok says where it succeeded. A child
// that missed a change another child made ends the hold at once (its
// blame is written down), as does a heal waiting in this process or a
// hold older than maxEagerHold; otherwise the mark stays up until
// post-op-delay passes without another transaction.
func (d *dirHolds) leave(h *dirHold, ok []bool) {
	d.mu.Lock()
	miss := false
	if count(ok) > 0 {
		h.anyOK = true
		for i := range ok {
			if !ok[i] {
				h.missed[i] = true
				miss = true
			}
		}
	}
	h.users--
	fin := false
	switch {
	case h.closing || miss || time.Since(h.since) > maxEagerHold ||
		d.r.local.contended(lockKey{domain: d.r.domain, gfid: h.g, entry: true}):
		fin = d.closeLocked(h)
	case h.users == 0:
		h.timer.Reset(time.Duration(d.r.postOpDelay))
	}
	d.mu.Unlock()
	if fin {
		d.finish(h)
	}
}

// closeLocked stops new transactions from joining h and reports whether
// the caller must end it now (nobody runs under it). d.mu is held.
func (d *dirHolds) closeLocked(h *dirHold) bool {
	h.closing = true
	if d.m[h.g] == h {
		delete(d.m, h.g)
	}
	if h.users == 0 && !h.done {
		h.done = true
		d.finishing++
		return true
	}
	return false
}

// expire is h's timer: the stream paused.
func (d *dirHolds) expire(h *dirHold) {
	d.mu.Lock()
	fin := d.closeLocked(h)
	d.mu.Unlock()
	if fin {
		d.finish(h)
	}
}

// finish takes h's mark off and releases its lock: on the children that
// missed nothing, dirty -= 1 and pending += 1 against those that missed a
// change (the post-op of the whole stream). When nothing succeeded the
// marks are simply removed; when every marked child missed a change,
// which one is right is for the heal to find out, so the marks stay.
func (d *dirHolds) finish(h *dirHold) {
	defer func() {
		d.mu.Lock()
		if d.finishing--; d.finishing == 0 {
			d.finished.Broadcast()
		}
		d.mu.Unlock()
	}()
	r := d.r
	h.timer.Stop()
	ctx := context.Background()
	n := len(r.kids)
	switch {
	case !h.anyOK:
		r.postOp(ctx, h.t, make([]bool, n), h.t.parts)
	default:
		ok := make([]bool, n)
		for i := range ok {
			ok[i] = h.t.parts[i] && !h.missed[i]
		}
		if count(ok) == 0 {
			r.Log().Warn("every copy of a directory missed an entry change; its dirty mark stays for the heal", "gfid", h.g)
			r.inodes.forget(h.g)
			r.healer.remember(h.g, nil)
		} else {
			r.postOp(ctx, h.t, ok, h.t.parts)
		}
	}
	h.held.release()
}

// flushAll ends every hold nobody runs under now and makes the others
// end with their last transaction. It returns once every hold being
// ended (by its timer, say) has ended, so that Fini does not stop the
// children under a post-op.
func (d *dirHolds) flushAll() {
	d.mu.Lock()
	var now []*dirHold
	for _, h := range d.m {
		if d.closeLocked(h) {
			now = append(now, h)
		}
	}
	d.mu.Unlock()
	for _, h := range now {
		d.finish(h)
	}
	d.mu.Lock()
	for d.finishing > 0 {
		d.finished.Wait()
	}
	d.mu.Unlock()
}

// heldEntryTxn runs an entry transaction on one directory under the
// directory's dirty hold: the name's entry lock, the fop, no pre-op or
// post-op of its own. When there is no hold to be had it runs as a
// plain transaction.
func (r *Replicate) heldEntryTxn(ctx context.Context, t *txn, fop func(ctx context.Context, i int) error) ([]error, error) {
	held, err := r.acquire(ctx, r.lockReqs(t), t.parts)
	if err != nil {
		return nil, xlator.Wrap(t.op, t.path, err)
	}
	defer held.release()
	g := t.targets[0].gfid
	h := r.dirs.join(ctx, g, t.parts)
	if h == nil {
		return r.transactLocked(ctx, t, fop)
	}
	parts := make([]bool, len(r.kids))
	for i := range parts {
		parts[i] = t.parts[i] && h.t.parts[i]
	}
	if !quorumMet(r.quorumType, r.quorumCount, parts) {
		r.dirs.leave(h, nil)
		return nil, xlator.Wrap(t.op, t.path, syscall.EROFS)
	}
	nctx := context.WithoutCancel(ctx)
	errs := r.fanOut(nctx, parts, func(i int) error { return fop(nctx, i) })
	ok := make([]bool, len(r.kids))
	for i, e := range errs {
		ok[i] = parts[i] && e == nil
	}
	if n := count(ok); n > 0 && n < len(ok) {
		failed := make([]bool, len(ok))
		for i := range ok {
			failed[i] = !ok[i]
		}
		r.inodes.blame(g, tEntry, failed)
	}
	r.dirs.leave(h, ok)
	if count(ok) > 0 {
		r.times.mark(g)
	}
	return errs, r.outcome(t, ok, errs)
}
