package locks

import (
	"context"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// posixFamily is the one family of application locks.
var posixFamily = family{kind: kindPosix}

// Lk answers F_GETLK, F_SETLK and F_SETLKW for the owner (c.Client,
// lk.Owner or c.LockOwner) on the FD's inode, with fcntl(2)'s rules: an
// owner's locks never conflict with each other and a new one replaces,
// splits and merges its own ranges; a conflict is EAGAIN for LkSet, and
// LkSetWait waits in arrival order, fails with EDEADLK when waiting would
// deadlock, and with EINTR when ctx is cancelled. LkGet returns the
// conflicting lock with the lowest start, or lk with type Unlock. flock(2)
// requests arrive as whole-file locks of the open file's owner and follow
// the same rules.
func (l *Locks) Lk(ctx context.Context, c *xlator.Call, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) (xlator.Flock, error) {
	op := lkOpName(cmd)
	g := fd.GFID()
	if g.IsZero() {
		return xlator.Flock{}, xlator.Wrap(op, fd.Loc.Path, syscall.EBADF)
	}
	sp, err := spanOf(lk)
	if err != nil {
		return xlator.Flock{}, xlator.Wrap(op, fd.Loc.Path, err)
	}
	if lk.Type != xlator.ReadLock && lk.Type != xlator.WriteLock && lk.Type != xlator.Unlock {
		return xlator.Flock{}, xlator.Wrap(op, fd.Loc.Path, syscall.EINVAL)
	}
	rec := lockRec{owner: ownerOf(c, lk.Owner), typ: lk.Type, span: sp, pid: pidOf(c, lk.PID)}
	id := spaceID{gfid: g, family: posixFamily}
	switch cmd {
	case xlator.LkGet:
		if lk.Type == xlator.Unlock {
			return xlator.Flock{}, xlator.Wrap(op, fd.Loc.Path, syscall.EINVAL)
		}
		out, found := l.tab.test(id, &rec)
		if !found {
			out = lk
			out.Type = xlator.Unlock
		}
		return out, nil
	case xlator.LkSet, xlator.LkSetWait:
		if lk.Type == xlator.Unlock {
			l.tab.unlockPosix(id, rec)
			return xlator.Flock{}, nil
		}
		l.tab.remember(fd, rec.owner)
		err := l.tab.acquire(ctx, id, rec, cmd == xlator.LkSetWait, true)
		return xlator.Flock{}, xlator.Wrap(op, fd.Loc.Path, err)
	}
	return xlator.Flock{}, xlator.Wrap(op, fd.Loc.Path, syscall.EINVAL)
}

// lkOpName names an Lk command for errors.
func lkOpName(cmd xlator.LkCmd) string {
	switch cmd {
	case xlator.LkGet:
		return "getlk"
	case xlator.LkSetWait:
		return "setlkw"
	}
	return "setlk"
}

// Flush releases the caller's POSIX locks on the FD's inode (closing any
// descriptor of a file drops the process's locks on it, and the kernel
// sends a flush with the lock owner on every close), wakes whoever waited
// for them, and passes the flush on.
func (l *Locks) Flush(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if g := fd.GFID(); !g.IsZero() {
		l.tab.releaseOwner(spaceID{gfid: g, family: posixFamily}, ownerOf(c, 0))
	}
	return l.Base.Flush(ctx, c, fd)
}

// Release drops the POSIX locks of every owner that locked through this
// FD (flock(2) locks, whose owner is the open file, above all; a POSIX
// owner's locks went at the flush of its close already) and passes the
// release on.
func (l *Locks) Release(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if set, ok := fd.DelCtx(l.tab).(*fdOwners); ok {
		l.tab.releaseFD(spaceID{gfid: fd.GFID(), family: posixFamily}, set)
	}
	return l.Base.Release(ctx, c, fd)
}

// fdOwners is the set of owners that asked for POSIX locks through one
// FD, kept in the FD's context under the table's key and guarded by the
// table's mutex.
type fdOwners struct {
	owners map[owner]bool
}

// remember records that o locks through fd.
func (t *table) remember(fd *xlator.FD, o owner) {
	t.mu.Lock()
	defer t.mu.Unlock()
	set, ok := fd.Ctx(t).(*fdOwners)
	if !ok {
		set = &fdOwners{owners: map[owner]bool{}}
		fd.SetCtx(t, set)
	}
	set.owners[o] = true
}

// releaseFD drops the POSIX locks in id of every owner in set.
func (t *table) releaseFD(id spaceID, set *fdOwners) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.spaces[id]
	if sp == nil {
		return
	}
	t.removeGranted(sp, func(l *lockRec) bool { return set.owners[l.owner] })
	t.wake(sp)
}

// releaseOwner drops o's POSIX locks in id.
func (t *table) releaseOwner(id spaceID, o owner) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.spaces[id]
	if sp == nil {
		return
	}
	t.removeGranted(sp, func(l *lockRec) bool { return l.owner == o })
	t.wake(sp)
}

// unlockPosix unlocks rec's range for rec's owner, splitting its locks
// where the range ends inside them.
func (t *table) unlockPosix(id spaceID, rec lockRec) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.spaces[id]
	if sp == nil {
		return
	}
	t.setPosix(sp, rec.owner, applyPosix(t.ownedBy(sp, rec.owner), rec))
	t.traceRec("lock released", sp, &rec)
	t.wake(sp)
}

// test returns the granted lock in id that conflicts with rec and starts
// first, as F_GETLK reports it.
func (t *table) test(id spaceID, rec *lockRec) (xlator.Flock, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.spaces[id]
	if sp == nil {
		return xlator.Flock{}, false
	}
	var first *lockRec
	for i := range sp.granted {
		g := &sp.granted[i]
		if conflicts(kindPosix, rec, g) && (first == nil || g.span.start < first.span.start) {
			first = g
		}
	}
	if first == nil {
		return xlator.Flock{}, false
	}
	return xlator.Flock{Type: first.typ, Start: first.span.start, Len: first.span.length(),
		PID: first.pid, Owner: first.owner.id}, true
}
