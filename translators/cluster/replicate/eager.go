package replicate

import (
	"context"
	"sync"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// maxEagerHold bounds how long one eager lock is kept while writes keep
// coming, so that other clients (whose wait replicate cannot see) get
// their turn.
const maxEagerHold = time.Second

// eagerTable keeps, per file, the lock and pre-op of a stream of writes
// (GlusterFS's eager lock and delayed post-op): the first write locks and
// marks dirty; later writes only write; the post-op and unlock happen once,
// when writes pause (post-op-delay), on flush, fsync or release, when
// another transaction or a heal in this process wants the file, or after
// maxEagerHold.
type eagerTable struct {
	r  *Replicate
	mu sync.Mutex
	m  map[xlator.GFID]*eagerState
}

// eagerState is one file's open stream of writes.
type eagerState struct {
	mu     sync.Mutex
	t      *txn
	held   *heldLocks
	ok     []bool // participants that succeeded every write so far
	since  time.Time
	timer  *time.Timer
	closed bool
}

func newEagerTable(r *Replicate) *eagerTable {
	return &eagerTable{r: r, m: map[xlator.GFID]*eagerState{}}
}

// write runs fop, which writes n bytes, on every copy as part of fd's
// file's stream of writes.
func (e *eagerTable) write(ctx context.Context, fd *xlator.FD, n int, fop func(ctx context.Context, i int) error) ([]error, error) {
	r := e.r
	g := fd.GFID()
	st, err := e.enter(ctx, fd)
	if err != nil {
		return nil, err
	}
	defer st.mu.Unlock()
	on := r.openedOn(fd)
	parts := make([]bool, len(r.kids))
	for i := range parts {
		parts[i] = on[i] && st.ok[i]
	}
	if !quorumMet(r.quorumType, r.quorumCount, parts) {
		e.finishLocked(g, st)
		return nil, xlator.Wrap("write", fd.Loc.Path, syscall.EROFS)
	}
	nctx := context.WithoutCancel(ctx)
	pinned := r.enterData(g)
	defer r.exitData(g)
	var errs []error
	if pinned >= 0 {
		errs = r.pinnedFirst(nctx, "write", fd.Loc.Path, parts, pinned, func(i int) error { return fop(nctx, i) })
		if pinnedFailed(pinned, errs) {
			// Written nowhere: the stream's record of which copies
			// have every write so far stays as it was.
			e.finishLocked(g, st)
			return errs, pickErr(errs, "write", fd.Loc.Path)
		}
	} else {
		errs = r.fanOutData(nctx, n, parts, func(i int) error { return fop(nctx, i) })
	}
	ok := make([]bool, len(r.kids))
	failed := make([]bool, len(r.kids))
	for i := range errs {
		ok[i] = parts[i] && errs[i] == nil
		if st.ok[i] && !ok[i] {
			st.ok[i] = false
			failed[i] = true
		}
	}
	if count(failed) > 0 && count(ok) > 0 {
		r.inodes.blame(g, tData, failed)
	}
	res := r.outcome(st.t, ok, errs)
	if count(ok) == 0 || time.Since(st.since) > maxEagerHold || r.local.contended(lockKey{domain: r.domain, gfid: g}) {
		e.finishLocked(g, st)
	} else {
		st.timer.Reset(time.Duration(r.postOpDelay))
	}
	return errs, res
}

// enter returns g's stream locked, starting one (lock and pre-op) if there
// is none.
func (e *eagerTable) enter(ctx context.Context, fd *xlator.FD) (*eagerState, error) {
	r := e.r
	g := fd.GFID()
	for {
		e.mu.Lock()
		st := e.m[g]
		if st != nil {
			e.mu.Unlock()
			st.mu.Lock()
			if !st.closed {
				return st, nil
			}
			st.mu.Unlock()
			continue
		}
		st = &eagerState{}
		st.mu.Lock()
		e.m[g] = st
		e.mu.Unlock()
		t := &txn{op: "write", path: fd.Loc.Path, typ: tData,
			targets: []target{{gfid: g, fd: fd}}, parts: r.openedOn(fd)}
		err := func() error {
			if !quorumMet(r.quorumType, r.quorumCount, t.parts) {
				return xlator.Wrap("write", fd.Loc.Path, syscall.EROFS)
			}
			held, err := r.acquire(ctx, r.lockReqs(t), t.parts)
			if err != nil {
				return xlator.Wrap("write", fd.Loc.Path, err)
			}
			if errs := r.preOp(context.WithoutCancel(ctx), t); count(t.parts) == 0 {
				// No copy could be marked: the children's answer, not
				// EROFS (the stream would have no participant).
				held.release()
				return pickErr(errs, "write", fd.Loc.Path)
			}
			st.held = held
			return nil
		}()
		if err != nil {
			st.closed = true
			e.mu.Lock()
			delete(e.m, g)
			e.mu.Unlock()
			st.mu.Unlock()
			return nil, err
		}
		st.t = t
		st.ok = append([]bool(nil), t.parts...)
		st.since = time.Now()
		st.timer = time.AfterFunc(time.Duration(r.postOpDelay), func() { e.flush(g) })
		return st, nil
	}
}

// finishLocked does the delayed post-op and unlock of st (held locked).
func (e *eagerTable) finishLocked(g xlator.GFID, st *eagerState) {
	if st.closed {
		return
	}
	st.closed = true
	st.timer.Stop()
	e.r.postOp(context.Background(), st.t, st.ok, st.t.parts)
	st.held.release()
	e.r.times.mark(g)
	e.mu.Lock()
	if e.m[g] == st {
		delete(e.m, g)
	}
	e.mu.Unlock()
}

// flush ends g's stream of writes, if one is open.
func (e *eagerTable) flush(g xlator.GFID) {
	e.mu.Lock()
	st := e.m[g]
	e.mu.Unlock()
	if st == nil {
		return
	}
	st.mu.Lock()
	e.finishLocked(g, st)
	st.mu.Unlock()
}

// flushAll ends every open stream of writes.
func (e *eagerTable) flushAll() {
	e.mu.Lock()
	gs := make([]xlator.GFID, 0, len(e.m))
	for g := range e.m {
		gs = append(gs, g)
	}
	e.mu.Unlock()
	for _, g := range gs {
		e.flush(g)
	}
}

// childDown ends the streams, so that the blame of the child that went
// away is written down at once.
func (e *eagerTable) childDown(int) { go e.flushAll() }
