package replicate

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// target is one inode a transaction locks and marks: the file itself for a
// data or metadata fop, the parent directory (and the name in it) for an
// entry fop.
type target struct {
	gfid xlator.GFID
	loc  *xlator.Loc // for Xattrop; nil means nameless by GFID (or fd)
	fd   *xlator.FD  // for Fxattrop and Finodelk, when the fop has one
	name string      // the entry name of an entry fop
}

// txn describes one transaction.
type txn struct {
	op, path string
	typ      int      // tData, tMeta or tEntry
	targets  []target // 1, or 2 for a rename across directories
	parts    []bool   // the children to do it on (up, and holding the fd)
}

// lockReqs returns the locks the transaction needs.
func (r *Replicate) lockReqs(t *txn) []lockReq {
	reqs := make([]lockReq, 0, len(t.targets))
	for _, tg := range t.targets {
		q := lockReq{gfid: tg.gfid, loc: tg.loc, fd: tg.fd}
		switch t.typ {
		case tEntry:
			q.entry, q.domain, q.name = true, r.domain, tg.name
		case tMeta:
			q.domain = r.metaDomain
		default:
			q.domain = r.domain
		}
		reqs = append(reqs, q)
	}
	return reqs
}

// transact runs fop on every participating child as a transaction: lock,
// pre-op (dirty += 1 on every participant), fop in parallel, post-op
// (dirty -= 1 on those that succeeded, and there pending += 1 against
// every child that did not), unlock. Waiting for locks can be interrupted
// through ctx; everything after that runs to completion. It returns each
// child's error (nil for success; ENOTCONN for children left out) and the
// overall result: success if any child succeeded (and quorum holds), else
// the most telling error.
func (r *Replicate) transact(ctx context.Context, t *txn, fop func(ctx context.Context, i int) error) ([]error, error) {
	if !quorumMet(r.quorumType, r.quorumCount, t.parts) {
		return nil, xlator.Wrap(t.op, t.path, syscall.EROFS)
	}
	for _, tg := range t.targets {
		if t.typ == tData {
			r.eager.flush(tg.gfid)
		}
	}
	if t.typ == tEntry && len(t.targets) == 1 && r.eagerLock {
		return r.heldEntryTxn(ctx, t, fop)
	}
	held, err := r.acquire(ctx, r.lockReqs(t), t.parts)
	if err != nil {
		return nil, xlator.Wrap(t.op, t.path, err)
	}
	defer held.release()
	return r.transactLocked(ctx, t, fop)
}

// transactLocked is the part of a transaction after its locks are taken:
// pre-op, the fop on every participant, post-op.
func (r *Replicate) transactLocked(ctx context.Context, t *txn, fop func(ctx context.Context, i int) error) ([]error, error) {
	nctx := context.WithoutCancel(ctx)
	if errs := r.preOp(nctx, t); count(t.parts) == 0 {
		// No copy could be marked (and so none was): the children's
		// answer, not EROFS, which says too few children are up.
		return nil, pickErr(errs, t.op, t.path)
	}
	if !quorumMet(r.quorumType, r.quorumCount, t.parts) {
		r.postOp(nctx, t, make([]bool, len(r.kids)), t.parts)
		return nil, xlator.Wrap(t.op, t.path, syscall.EROFS)
	}
	pinned := -1
	if t.typ == tData {
		g := t.targets[0].gfid
		pinned = r.enterData(g)
		defer r.exitData(g)
	}
	var errs []error
	if pinned >= 0 {
		errs = r.pinnedFirst(nctx, t.op, t.path, t.parts, pinned, func(i int) error { return fop(nctx, i) })
	} else {
		errs = r.fanOut(nctx, t.parts, func(i int) error { return fop(nctx, i) })
	}
	ok := make([]bool, len(r.kids))
	for i, e := range errs {
		ok[i] = t.parts[i] && e == nil
	}
	r.postOp(nctx, t, ok, t.parts)
	if t.typ != tMeta && count(ok) > 0 {
		for _, tg := range t.targets {
			r.times.mark(tg.gfid)
		}
	}
	return errs, r.outcome(t, ok, errs)
}

// outcome turns per-child results into the fop's result.
func (r *Replicate) outcome(t *txn, ok []bool, errs []error) error {
	if count(ok) > 0 {
		if !quorumMet(r.quorumType, r.quorumCount, ok) {
			return xlator.Wrap(t.op, t.path, syscall.EROFS)
		}
		return nil
	}
	return pickErr(errs, t.op, t.path)
}

// pickErr returns the most telling of the children's errors: one that is
// not ENOTCONN if there is one (the file system's answer rather than a
// missing brick).
func pickErr(errs []error, op, path string) error {
	var first error
	for _, e := range errs {
		if e == nil {
			continue
		}
		if first == nil {
			first = e
		}
		if !errors.Is(e, syscall.ENOTCONN) {
			return e
		}
	}
	if first == nil {
		return xlator.Wrap(op, path, syscall.ENOTCONN)
	}
	return first
}

// fanOut runs fop on every child in parts and returns each child's error
// (ENOTCONN for those not in parts). With the fan-out option serial (the
// default when every child is in this process) the children run one after
// the other in the calling goroutine; else in parallel: the last
// participant in the calling goroutine, the others each in a goroutine of
// their own (with two children, one goroutine per fop instead of two).
// Thread wake-ups are what a fop costs most on a small machine: a fop on
// a local brick takes a few microseconds, less than handing it over.
func (r *Replicate) fanOut(ctx context.Context, parts []bool, fop func(i int) error) []error {
	return r.fanOutAs(r.serial, parts, fop)
}

// fanOutData is fanOut for a fop that moves n bytes of data: from
// parallelBytes on, copies in this process are written in parallel too,
// so that two cores copy at once.
func (r *Replicate) fanOutData(ctx context.Context, n int, parts []bool, fop func(i int) error) []error {
	return r.fanOutAs(r.serial && n < parallelBytes, parts, fop)
}

// parallelBytes is the size from which fanOutData runs in parallel even
// when fan-out is serial.
const parallelBytes = 64 << 10

func (r *Replicate) fanOutAs(serial bool, parts []bool, fop func(i int) error) []error {
	errs := make([]error, len(r.kids))
	last := -1
	for i := range r.kids {
		if parts[i] {
			last = i
		} else {
			errs[i] = syscall.ENOTCONN
		}
	}
	if serial {
		for i := range r.kids {
			if parts[i] {
				errs[i] = fop(i)
			}
		}
		return errs
	}
	var wg sync.WaitGroup
	for i := 0; i < last; i++ {
		if !parts[i] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fop(i)
		}()
	}
	if last >= 0 {
		errs[last] = fop(last)
	}
	wg.Wait()
	return errs
}

// xattrop applies x to tg on child i.
func (r *Replicate) xattrop(ctx context.Context, i int, tg *target, x xlator.XData) error {
	var err error
	if tg.fd != nil {
		_, err = r.kids[i].Fxattrop(ctx, xlator.RootCall(), tg.fd, xlator.AddArray32, x)
	} else {
		_, err = r.kids[i].Xattrop(ctx, xlator.RootCall(), r.gfidLoc(tg.gfid, tg.loc), xlator.AddArray32, x)
	}
	return err
}

// preOp marks every participant dirty for t.typ on every target; a child
// where that fails is left out of the transaction (and so blamed). It
// returns each child's error (ENOTCONN for those not taking part): when
// no child could be marked, that is the fop's answer (the inode is gone,
// say), not a lack of quorum.
func (r *Replicate) preOp(ctx context.Context, t *txn) []error {
	x := r.marks(one(t.typ), nil, counters{})
	errs := r.fanOut(ctx, t.parts, func(i int) error {
		for k := range t.targets {
			if markedBefore(t.targets, k) {
				continue
			}
			if err := r.xattrop(ctx, i, &t.targets[k], x); err != nil {
				return err
			}
		}
		return nil
	})
	for i, e := range errs {
		if t.parts[i] && e != nil {
			r.Log().Debug("pre-op failed; leaving the child out", "op", t.op, "path", t.path, "child", r.kids[i].Name(), "err", e)
			t.parts[i] = false
		}
	}
	return errs
}

// postOp ends a transaction: on each child that succeeded, dirty -= 1 and
// pending += 1 against every child that did not. When no child succeeded,
// the dirty marks of the participants are simply removed (nobody holds a
// newer copy). Children that failed keep their dirty mark.
func (r *Replicate) postOp(ctx context.Context, t *txn, ok, parts []bool) {
	failed := make([]bool, len(r.kids))
	for i := range failed {
		failed[i] = !ok[i]
	}
	who := ok
	if count(ok) == 0 {
		who = parts
		failed = make([]bool, len(r.kids))
	}
	all := r.withAllKeys(r.marks(one(t.typ).neg(), failed, one(t.typ)))
	xs := make([]xlator.XData, len(r.kids))
	for i := range xs {
		if who[i] {
			xs[i] = r.withoutSelf(all, i)
		}
	}
	r.fanOut(ctx, who, func(i int) error {
		for k := range t.targets {
			if markedBefore(t.targets, k) {
				continue
			}
			if err := r.xattrop(ctx, i, &t.targets[k], xs[i]); err != nil {
				if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ESTALE) {
					// The target went away meanwhile (a directory
					// removed while its dirty hold was up).
					r.Log().Debug("post-op on a removed inode", "op", t.op, "path", t.path, "child", r.kids[i].Name(), "err", err)
					continue
				}
				r.Log().Warn("post-op failed", "op", t.op, "path", t.path, "child", r.kids[i].Name(), "err", err)
			}
		}
		return nil
	})
	if count(ok) > 0 && count(failed) > 0 {
		for _, tg := range t.targets {
			r.inodes.blame(tg.gfid, t.typ, failed)
			r.healer.remember(tg.gfid, tg.loc)
		}
	}
}

// errorsIsConn reports whether err says the child is not reachable.
func errorsIsConn(err error) bool { return errors.Is(err, syscall.ENOTCONN) }

// markedBefore reports whether an earlier target names the same inode
// (a rename within one directory marks it once).
func markedBefore(ts []target, k int) bool {
	for j := 0; j < k; j++ {
		if ts[j].gfid == ts[k].gfid {
			return true
		}
	}
	return false
}
