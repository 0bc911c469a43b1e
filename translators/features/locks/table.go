package locks

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// owner is who holds a lock: the client a call came through and the lock
// owner within it (GlusterFS's client + lk-owner). One owner's locks never
// conflict with each other.
type owner struct {
	client string
	id     uint64
}

// kind says which of the three lock families a space holds.
type kind int

const (
	kindPosix kind = iota // application byte-range locks (Lk, flock)
	kindInode             // internal byte-range locks (Inodelk, Finodelk)
	kindEntry             // internal name locks (Entrylk, Fentrylk)
)

// String names the kind as Dump and the trace log show it.
func (k kind) String() string {
	return [...]string{"posix", "inodelk", "entrylk"}[k]
}

// family is one independent lock space across all inodes: the POSIX
// locks, or the inode or entry locks of one domain.
type family struct {
	kind   kind
	domain string // "" for POSIX locks
}

// spaceID names the locks of one family on one inode.
type spaceID struct {
	gfid xlator.GFID
	family
}

// lockRec is a granted lock or a pending request. Byte-range kinds use
// span; entry locks use name ("" is the whole directory). typ is
// ReadLock or WriteLock (entry locks map EntryRead and EntryWrite to
// them).
type lockRec struct {
	owner owner
	typ   xlator.LockType
	span  span
	name  string
	pid   uint32
}

// space holds the granted locks and the queued requests of one spaceID.
// Waiters are in arrival order.
type space struct {
	id      spaceID
	granted []lockRec
	waiting []*waiter
}

// waiter is a blocked request. ready receives the outcome once (nil:
// granted), always under the table's mutex.
type waiter struct {
	sp    *space
	rec   lockRec
	ready chan error
}

// familyOwner is one owner within one family, the key of the per-owner
// indexes.
type familyOwner struct {
	family
	owner
}

// table is all lock state of one brick. One mutex guards everything:
// lock calls are short, and deadlock detection and fairness look across
// inodes.
type table struct {
	log   *slog.Logger
	trace *atomic.Bool

	mu     sync.Mutex
	spaces map[spaceID]*space
	held   map[familyOwner]int       // granted locks per owner, all inodes
	waits  map[familyOwner][]*waiter // queued requests per owner
}

func newTable(log *slog.Logger, trace *atomic.Bool) *table {
	return &table{log: log, trace: trace, spaces: map[spaceID]*space{},
		held: map[familyOwner]int{}, waits: map[familyOwner][]*waiter{}}
}

// conflicts reports whether a and b of one space cannot both be held.
func conflicts(k kind, a, b *lockRec) bool {
	if a.owner == b.owner || (a.typ != xlator.WriteLock && b.typ != xlator.WriteLock) {
		return false
	}
	if k == kindEntry {
		return a.name == b.name || a.name == "" || b.name == ""
	}
	return a.span.overlaps(b.span)
}

// spaceOf returns the space of id, made on first use. Callers hold mu and
// call tidy when done with it.
func (t *table) spaceOf(id spaceID) *space {
	sp := t.spaces[id]
	if sp == nil {
		sp = &space{id: id}
		t.spaces[id] = sp
	}
	return sp
}

// tidy forgets a space with nothing in it.
func (t *table) tidy(sp *space) {
	if len(sp.granted) == 0 && len(sp.waiting) == 0 && t.spaces[sp.id] == sp {
		delete(t.spaces, sp.id)
	}
}

// grantable reports whether rec can be granted in sp now. It must not
// conflict with a granted lock of another owner. For fairness it must
// also not conflict with a request queued before it (ahead), unless its
// owner already holds a lock of this family somewhere: making such an
// owner wait behind newer requests could close a wait-for cycle, whereas
// an owner that holds nothing can never be waited for.
func (t *table) grantable(sp *space, rec *lockRec, ahead []*waiter) bool {
	for i := range sp.granted {
		if conflicts(sp.id.kind, rec, &sp.granted[i]) {
			return false
		}
	}
	if t.held[familyOwner{sp.id.family, rec.owner}] > 0 {
		return true
	}
	for _, w := range ahead {
		if conflicts(sp.id.kind, rec, &w.rec) {
			return false
		}
	}
	return true
}

// grant adds rec to sp's granted locks: POSIX locks merge with the
// owner's others, internal locks are kept as separate records (nested
// locks of one owner count). It returns whether the owner held no lock
// of this family before, which lifts fairness from its other requests.
func (t *table) grant(sp *space, rec lockRec) (first bool) {
	key := familyOwner{sp.id.family, rec.owner}
	first = t.held[key] == 0
	if sp.id.kind == kindPosix {
		t.setPosix(sp, rec.owner, applyPosix(t.ownedBy(sp, rec.owner), rec))
	} else {
		sp.granted = append(sp.granted, rec)
		t.held[key]++
	}
	t.traceRec("lock granted", sp, &rec)
	return first
}

// ownedBy returns o's granted locks in sp.
func (t *table) ownedBy(sp *space, o owner) []lockRec {
	var out []lockRec
	for _, l := range sp.granted {
		if l.owner == o {
			out = append(out, l)
		}
	}
	return out
}

// setPosix replaces o's granted locks in sp with mine and keeps the
// per-owner count right.
func (t *table) setPosix(sp *space, o owner, mine []lockRec) {
	kept := sp.granted[:0:0]
	for _, l := range sp.granted {
		if l.owner != o {
			kept = append(kept, l)
		}
	}
	key := familyOwner{sp.id.family, o}
	t.held[key] += len(mine) - (len(sp.granted) - len(kept))
	if t.held[key] == 0 {
		delete(t.held, key)
	}
	sp.granted = append(kept, mine...)
}

// removeGranted drops the granted locks of sp for which drop is true and
// reports how many went.
func (t *table) removeGranted(sp *space, drop func(*lockRec) bool) int {
	kept := sp.granted[:0:0]
	n := 0
	for i := range sp.granted {
		l := &sp.granted[i]
		if !drop(l) {
			kept = append(kept, *l)
			continue
		}
		n++
		key := familyOwner{sp.id.family, l.owner}
		if t.held[key]--; t.held[key] <= 0 {
			delete(t.held, key)
		}
		t.traceRec("lock released", sp, l)
	}
	sp.granted = kept
	return n
}

// enqueue adds a blocked request at the end of sp's queue.
func (t *table) enqueue(sp *space, rec lockRec) *waiter {
	w := &waiter{sp: sp, rec: rec, ready: make(chan error, 1)}
	sp.waiting = append(sp.waiting, w)
	key := familyOwner{sp.id.family, rec.owner}
	t.waits[key] = append(t.waits[key], w)
	t.traceRec("lock waiting", sp, &rec)
	return w
}

// unindex removes w from its owner's index (not from its space's queue).
func (t *table) unindex(w *waiter) {
	key := familyOwner{w.sp.id.family, w.rec.owner}
	list := t.waits[key]
	for i, x := range list {
		if x == w {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(t.waits, key)
	} else {
		t.waits[key] = list
	}
}

// dequeue removes w from its space's queue and its owner's index.
func (t *table) dequeue(w *waiter) {
	q := w.sp.waiting
	for i, x := range q {
		if x == w {
			w.sp.waiting = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	t.unindex(w)
}

// wake grants what can be granted after the given spaces changed, in
// arrival order, and follows on to the other spaces where a newly granted
// owner waits (its first lock lifts the fairness hold on its other
// requests).
func (t *table) wake(changed ...*space) {
	if len(changed) == 1 && len(changed[0].waiting) == 0 {
		// The common case (an unlock nobody waits for): nothing to
		// grant, and no copy of changed to make.
		t.tidy(changed[0])
		return
	}
	work := append([]*space(nil), changed...)
	for len(work) > 0 {
		sp := work[len(work)-1]
		work = work[:len(work)-1]
		var still []*waiter
		for _, w := range sp.waiting {
			if !t.grantable(sp, &w.rec, still) {
				still = append(still, w)
				continue
			}
			t.unindex(w)
			if t.grant(sp, w.rec) {
				work = append(work, t.waitSpaces(sp.id.family, w.rec.owner)...)
			}
			w.ready <- nil
		}
		sp.waiting = still
		t.tidy(sp)
	}
}

// waitSpaces returns the spaces where o has queued requests in fam.
func (t *table) waitSpaces(fam family, o owner) []*space {
	list := t.waits[familyOwner{fam, o}]
	out := make([]*space, len(list))
	for i, w := range list {
		out[i] = w.sp
	}
	return out
}

// acquire takes rec in the space id: at once if it can be granted, else
// EAGAIN, or (with wait) queues it and blocks until it is granted or ctx
// is cancelled (EINTR, leaving nothing queued). With detect, a request
// that would close a cycle of owners waiting for each other fails with
// EDEADLK instead of waiting.
func (t *table) acquire(ctx context.Context, id spaceID, rec lockRec, wait, detect bool) error {
	// A request whose caller has already given up (a FUSE interrupt, a
	// client that stopped waiting) is not granted, even if the range is
	// free: nobody would ever release it.
	if ctx.Err() != nil {
		return syscall.EINTR
	}
	t.mu.Lock()
	sp := t.spaceOf(id)
	if t.grantable(sp, &rec, sp.waiting) {
		if t.grant(sp, rec) {
			t.wake(t.waitSpaces(id.family, rec.owner)...)
		}
		t.mu.Unlock()
		return nil
	}
	if !wait {
		t.tidy(sp)
		t.mu.Unlock()
		return syscall.EAGAIN
	}
	if detect && t.wouldDeadlock(sp, &rec) {
		t.tidy(sp)
		t.mu.Unlock()
		t.traceRec("lock would deadlock", sp, &rec)
		return syscall.EDEADLK
	}
	w := t.enqueue(sp, rec)
	t.mu.Unlock()

	select {
	case err := <-w.ready:
		return err
	case <-ctx.Done():
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case err := <-w.ready: // decided before we took the mutex
		return err
	default:
	}
	t.dequeue(w)
	t.traceRec("lock wait interrupted", sp, &rec)
	t.wake(sp)
	return syscall.EINTR
}

// traceRec logs one lock event when the trace option is on.
func (t *table) traceRec(msg string, sp *space, l *lockRec) {
	if !t.trace.Load() {
		return
	}
	t.log.Info(msg, "kind", sp.id.kind.String(), "gfid", sp.id.gfid.String(), "domain", sp.id.domain,
		"lock", describe(sp.id.kind, l))
}
