package replicate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// lockReq is one lock a transaction or heal needs: an inode lock (a byte
// range of the inode loc or fd names) or an entry lock (a name in the
// directory loc or fd names; "" for the whole directory).
type lockReq struct {
	entry  bool
	domain string
	// also is a second inode lock domain taken with the same range (the
	// metadata domain beside the data one): locally right after domain,
	// and on each child by the same request (xlator.JoinLockDomains),
	// which saves a round trip per child over the network.
	also   string
	joined string // domain and also joined, set by acquire
	gfid   xlator.GFID
	loc    *xlator.Loc // nameless by GFID when nil and fd is nil
	fd     *xlator.FD
	name   string
	start  int64
	length int64 // 0: to the end of the file
}

func (q *lockReq) key() lockKey { return lockKey{domain: q.domain, gfid: q.gfid, entry: q.entry} }

// alsoKey is the local lock key of q's second domain.
func (q *lockReq) alsoKey() lockKey { return lockKey{domain: q.also, gfid: q.gfid} }

// childDomain is the domain q's child requests name.
func (q *lockReq) childDomain() string {
	if q.also == "" {
		return q.domain
	}
	if q.joined == "" {
		q.joined = xlator.JoinLockDomains(q.domain, q.also)
	}
	return q.joined
}

// lockLocal takes q's lock, or both of its domains, in this process.
func (r *Replicate) lockLocal(ctx context.Context, q *lockReq) error {
	if err := r.local.lock(ctx, q.key(), q.span()); err != nil {
		return err
	}
	if q.also == "" {
		return nil
	}
	if err := r.local.lock(ctx, q.alsoKey(), q.span()); err != nil {
		r.local.unlock(q.key(), q.span())
		return err
	}
	return nil
}

// unlockLocal releases what lockLocal took.
func (r *Replicate) unlockLocal(q *lockReq) {
	if q.also != "" {
		r.local.unlock(q.alsoKey(), q.span())
	}
	r.local.unlock(q.key(), q.span())
}

func (q *lockReq) span() lockSpan {
	if q.entry {
		return lockSpan{name: q.name}
	}
	end := int64(0)
	if q.length > 0 {
		end = q.start + q.length
	}
	return lockSpan{start: q.start, end: end}
}

// heldLocks are locks taken by one owner: locally, and on the children
// marked in on[k] for reqs[k].
type heldLocks struct {
	r     *Replicate
	owner uint64
	reqs  []lockReq
	on    [][]bool
	local int // how many reqs hold their local locks
}

// newOwner returns a lock owner no other transaction of this process uses.
func (r *Replicate) newOwner() uint64 {
	return r.owners.Add(1) | uint64(0x5eed)<<48
}

// acquire takes reqs in a fixed order (by GFID, then name), each first in
// the process and then on every child in parts, in child order, waiting
// as needed. A child that answers ENOTSUP has no lock translator and is
// skipped from then on; a child that fails otherwise is dropped from parts
// (it is down, and blamed by the transaction). If ctx ends while waiting,
// everything taken is released and ctx's error returned as EINTR.
func (r *Replicate) acquire(ctx context.Context, reqs []lockReq, parts []bool) (*heldLocks, error) {
	slices.SortFunc(reqs, func(a, b lockReq) int {
		if c := slices.Compare(a.gfid[:], b.gfid[:]); c != 0 {
			return c
		}
		switch {
		case a.name < b.name:
			return -1
		case a.name > b.name:
			return 1
		}
		return 0
	})
	h := &heldLocks{r: r, owner: r.newOwner(), reqs: reqs, on: make([][]bool, len(reqs))}
	c := &xlator.Call{LockOwner: h.owner}
	for k := range reqs {
		q := &reqs[k]
		if q.fd == nil && q.loc == nil {
			// One nameless Loc for every child's lock and unlock of
			// this request, instead of one per call (childLock).
			q.loc = &xlator.Loc{GFID: q.gfid}
		}
		q.childDomain() // joined once, before the requests share q
		if err := r.lockLocal(ctx, q); err != nil {
			h.release()
			return nil, syscall.EINTR
		}
		h.local++
		h.on[k] = make([]bool, len(r.kids))
		for i := range r.kids {
			if !parts[i] || r.noLocks[i].Load() {
				continue
			}
			err := r.childLock(ctx, c, i, q, true)
			switch {
			case err == nil:
				h.on[k][i] = true
			case errors.Is(err, syscall.ENOTSUP):
				r.noLocks[i].Store(true)
				r.Log().Info("child has no lock translator; transactions are serialised in this process only", "child", r.kids[i].Name())
			case ctx.Err() != nil:
				h.release()
				return nil, syscall.EINTR
			default:
				r.Log().Debug("lock failed on a child; leaving it out", "child", r.kids[i].Name(), "err", err)
				parts[i] = false
			}
		}
	}
	return h, nil
}

// acquireAll is acquire for a heal: it fails, holding nothing, unless
// every child in parts that has a lock translator granted every request.
// A heal must not write a copy it could not lock (acquire leaves such a
// child out of its own copy of parts, which a heal does not read); the
// index or the crawl brings the entry back.
func (r *Replicate) acquireAll(ctx context.Context, reqs []lockReq, parts []bool) (*heldLocks, error) {
	held, err := r.acquire(ctx, reqs, append([]bool(nil), parts...))
	if err != nil {
		return nil, err
	}
	for k := range held.reqs {
		for i, want := range parts {
			if want && !held.on[k][i] && !r.noLocks[i].Load() {
				held.release()
				return nil, fmt.Errorf("heal lock on %s: %w", r.kids[i].Name(), errLockMissing)
			}
		}
	}
	return held, nil
}

// errLockMissing is a heal's lock that a child did not grant (it went
// down or failed the request): the heal is left for later.
var errLockMissing = fmt.Errorf("a copy did not grant the heal's lock: %w", syscall.EAGAIN)

// childLock takes (lock) or releases one request on child i.
func (r *Replicate) childLock(ctx context.Context, c *xlator.Call, i int, q *lockReq, lock bool) error {
	kid := r.kids[i]
	if q.entry {
		cmd := xlator.EntryLock
		if !lock {
			cmd = xlator.EntryUnlock
		}
		if q.fd != nil {
			return kid.Fentrylk(ctx, c, q.domain, q.fd, q.name, cmd, xlator.EntryWrite)
		}
		return kid.Entrylk(ctx, c, q.domain, r.gfidLoc(q.gfid, q.loc), q.name, cmd, xlator.EntryWrite)
	}
	lk := xlator.Flock{Type: xlator.WriteLock, Start: q.start, Len: q.length, Owner: c.LockOwner}
	if !lock {
		lk.Type = xlator.Unlock
	}
	domain := q.childDomain()
	if q.fd != nil {
		return kid.Finodelk(ctx, c, domain, q.fd, xlator.LkSetWait, lk)
	}
	return kid.Inodelk(ctx, c, domain, r.gfidLoc(q.gfid, q.loc), xlator.LkSetWait, lk)
}

// gfidLoc returns loc if it is given, else a nameless Loc of g.
func (r *Replicate) gfidLoc(g xlator.GFID, loc *xlator.Loc) *xlator.Loc {
	if loc != nil {
		return loc
	}
	return &xlator.Loc{GFID: g}
}

// release gives back every lock, children first, in reverse order. It
// always completes (its context cannot be cancelled).
func (h *heldLocks) release() {
	if h == nil {
		return
	}
	ctx := context.Background()
	c := &xlator.Call{LockOwner: h.owner}
	for k := len(h.reqs) - 1; k >= 0; k-- {
		q := &h.reqs[k]
		for i := len(h.r.kids) - 1; i >= 0; i-- {
			if h.on[k] != nil && h.on[k][i] {
				if err := h.r.childLock(ctx, c, i, q, false); err != nil {
					h.r.Log().Debug("unlock failed on a child; retried when it comes back", "child", h.r.kids[i].Name(), "err", err)
					h.r.staleUnlock(i, h.owner, *q)
				}
			}
		}
		if k < h.local {
			h.r.unlockLocal(q)
		}
	}
	h.local = 0
	h.reqs = nil
}

// staleLock is an unlock that failed because the child was away: the
// child may still hold the lock (a brick that was cut off but not
// restarted), so it is sent again when the child comes back.
type staleLock struct {
	child int
	owner uint64
	req   lockReq
}

// staleUnlock remembers a failed unlock.
func (r *Replicate) staleUnlock(i int, owner uint64, q lockReq) {
	r.staleMu.Lock()
	r.stale = append(r.stale, staleLock{child: i, owner: owner, req: q})
	r.staleMu.Unlock()
}

// replayUnlocks sends the failed unlocks of child i again (an EINVAL
// answer means the child no longer held the lock: it restarted).
func (r *Replicate) replayUnlocks(i int) {
	r.staleMu.Lock()
	var mine, rest []staleLock
	for _, s := range r.stale {
		if s.child == i {
			mine = append(mine, s)
		} else {
			rest = append(rest, s)
		}
	}
	r.stale = rest
	r.staleMu.Unlock()
	for _, s := range mine {
		q := s.req
		q.fd = nil // the fd may be closed by now; unlock by GFID
		_ = r.childLock(context.Background(), &xlator.Call{LockOwner: s.owner}, i, &q, false)
	}
}
