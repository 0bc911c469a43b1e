package locks

import (
	"context"
	"slices"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// Inodelk takes or releases an internal byte-range lock on loc's inode in
// a domain. Domains are independent lock spaces. Locks are records: an
// owner may hold overlapping ranges (nested locks), and an Unlock releases
// one record with exactly that owner, start and length (EINVAL if there
// is none). LkSet fails with EAGAIN on a conflict, LkSetWait waits in
// arrival order (EINTR when ctx is cancelled); LkGet is EINVAL.
func (l *Locks) Inodelk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, cmd xlator.LkCmd, lk xlator.Flock) error {
	return l.inodelk(ctx, c, "inodelk", domain, loc.GFID, loc.Path, cmd, lk)
}

// Finodelk is Inodelk on the inode of an open FD.
func (l *Locks) Finodelk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error {
	return l.inodelk(ctx, c, "finodelk", domain, fd.GFID(), fd.Loc.Path, cmd, lk)
}

func (l *Locks) inodelk(ctx context.Context, c *xlator.Call, op, domain string, g xlator.GFID, path string, cmd xlator.LkCmd, lk xlator.Flock) error {
	if g.IsZero() {
		return xlator.Wrap(op, path, syscall.EINVAL)
	}
	sp, err := spanOf(lk)
	if err != nil {
		return xlator.Wrap(op, path, err)
	}
	rec := lockRec{owner: ownerOf(c, lk.Owner), typ: lk.Type, span: sp, pid: pidOf(c, lk.PID)}
	switch {
	case cmd != xlator.LkSet && cmd != xlator.LkSetWait:
		return xlator.Wrap(op, path, syscall.EINVAL)
	case lk.Type == xlator.Unlock:
		return xlator.Wrap(op, path, l.inodeUnlock(g, xlator.SplitLockDomains(domain), &rec))
	case lk.Type == xlator.ReadLock || lk.Type == xlator.WriteLock:
		return xlator.Wrap(op, path, l.inodeLock(ctx, g, xlator.SplitLockDomains(domain), rec, cmd == xlator.LkSetWait))
	}
	return xlator.Wrap(op, path, syscall.EINVAL)
}

// inodeLock takes rec in each of domains, in order (a joined domain:
// xlator.JoinLockDomains). If one cannot be had, those already taken are
// released: the request is granted whole or not at all.
func (l *Locks) inodeLock(ctx context.Context, g xlator.GFID, domains []string, rec lockRec, wait bool) error {
	for k, d := range domains {
		id := spaceID{gfid: g, family: family{kind: kindInode, domain: d}}
		if err := l.tab.acquire(ctx, id, rec, wait, false); err != nil {
			for _, taken := range slices.Backward(domains[:k]) {
				l.tab.unlockRecord(spaceID{gfid: g, family: family{kind: kindInode, domain: taken}}, &rec)
			}
			return err
		}
	}
	return nil
}

// inodeUnlock releases rec in each of domains, last first; every domain
// is released even if one holds no such record (EINVAL is then returned).
func (l *Locks) inodeUnlock(g xlator.GFID, domains []string, rec *lockRec) error {
	var first error
	for _, d := range slices.Backward(domains) {
		id := spaceID{gfid: g, family: family{kind: kindInode, domain: d}}
		if err := l.tab.unlockRecord(id, rec); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Entrylk takes or releases an internal lock on the name basename in the
// directory loc, in a domain; basename "" locks the whole directory, which
// conflicts with every name lock of the domain in it. EntryRead locks
// share, EntryWrite locks exclude. EntryLock waits (in arrival order,
// EINTR when ctx is cancelled), EntryLockNB fails with EAGAIN, and
// EntryUnlock releases one lock of this owner on that name (EINVAL if it
// holds none).
func (l *Locks) Entrylk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	return l.entrylk(ctx, c, "entrylk", domain, loc.GFID, loc.Path, basename, cmd, typ)
}

// Fentrylk is Entrylk on the directory of an open FD.
func (l *Locks) Fentrylk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	return l.entrylk(ctx, c, "fentrylk", domain, fd.GFID(), fd.Loc.Path, basename, cmd, typ)
}

func (l *Locks) entrylk(ctx context.Context, c *xlator.Call, op, domain string, g xlator.GFID, path, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	if g.IsZero() {
		return xlator.Wrap(op, path, syscall.EINVAL)
	}
	rec := lockRec{owner: ownerOf(c, 0), name: basename, pid: c.PID}
	switch typ {
	case xlator.EntryRead:
		rec.typ = xlator.ReadLock
	case xlator.EntryWrite:
		rec.typ = xlator.WriteLock
	default:
		return xlator.Wrap(op, path, syscall.EINVAL)
	}
	id := spaceID{gfid: g, family: family{kind: kindEntry, domain: domain}}
	switch cmd {
	case xlator.EntryLock, xlator.EntryLockNB:
		return xlator.Wrap(op, path, l.tab.acquire(ctx, id, rec, cmd == xlator.EntryLock, false))
	case xlator.EntryUnlock:
		return xlator.Wrap(op, path, l.tab.unlockRecord(id, &rec))
	}
	return xlator.Wrap(op, path, syscall.EINVAL)
}

// unlockRecord releases one granted internal lock matching rec (same
// owner, and the same range or name) and grants what then can be. It is
// EINVAL when rec's owner holds no such lock.
func (t *table) unlockRecord(id spaceID, rec *lockRec) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := t.spaces[id]
	if sp == nil {
		return syscall.EINVAL
	}
	done := false
	n := t.removeGranted(sp, func(l *lockRec) bool {
		match := !done && l.owner == rec.owner && l.span == rec.span && l.name == rec.name
		done = done || match
		return match
	})
	t.wake(sp)
	if n == 0 {
		return syscall.EINVAL
	}
	return nil
}
