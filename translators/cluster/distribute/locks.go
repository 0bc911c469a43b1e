package distribute

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// localLocks are exclusive locks by key inside this process. They order
// distribute's own work (mkdir against layout heal, a migration's switch
// against a rename) even where the children have no lock translator.
type localLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

func newLocalLocks() *localLocks { return &localLocks{held: map[string]chan struct{}{}} }

// lock waits for key, or returns EINTR when ctx ends first.
func (l *localLocks) lock(ctx context.Context, key string) error {
	for {
		l.mu.Lock()
		ch, busy := l.held[key]
		if !busy {
			l.held[key] = make(chan struct{})
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return syscall.EINTR
		}
	}
}

func (l *localLocks) unlock(key string) {
	l.mu.Lock()
	ch := l.held[key]
	delete(l.held, key)
	l.mu.Unlock()
	if ch != nil {
		close(ch)
	}
}

// lockEntry takes the entry lock on name in directory dir (GFID g): in
// this process, then with entrylk in distribute's domain on child sub
// (GlusterFS locks the hashed subvolume). A child without features/locks
// answers ENOTSUP; it is remembered and skipped from then on, leaving the
// process lock. The returned function releases both; it always completes.
func (d *Distribute) lockEntry(ctx context.Context, sub int, dir *xlator.Loc, name string) (func(), error) {
	key := "e:" + dir.GFID.String() + "/" + name
	if err := d.local.lock(ctx, key); err != nil {
		return nil, err
	}
	c := &xlator.Call{LockOwner: d.owners.Add(1) | uint64(0xd47)<<48}
	held := false
	if !d.noLocks[sub].Load() {
		err := d.kids[sub].Entrylk(ctx, c, d.domain, dir, name, xlator.EntryLock, xlator.EntryWrite)
		switch {
		case err == nil:
			held = true
		case errors.Is(err, syscall.ENOTSUP):
			d.noLocks[sub].Store(true)
			d.Log().Info("child has no lock translator; distribute's entry and inode locks hold in this process only", "child", d.kids[sub].Name())
		default:
			d.local.unlock(key)
			return nil, err
		}
	}
	return func() {
		if held {
			if err := d.kids[sub].Entrylk(context.Background(), c, d.domain, dir, name, xlator.EntryUnlock, xlator.EntryWrite); err != nil {
				d.Log().Debug("entry unlock failed", "child", d.kids[sub].Name(), "dir", dir.Path, "name", name, "err", err)
			}
		}
		d.local.unlock(key)
	}, nil
}

// lockInode takes a whole-inode write lock on loc in distribute's domain:
// in this process, then with inodelk on child sub (ENOTSUP handled as for
// lockEntry).
func (d *Distribute) lockInode(ctx context.Context, sub int, loc *xlator.Loc, domain string) (func(), error) {
	key := "i:" + domain + ":" + loc.GFID.String()
	if err := d.local.lock(ctx, key); err != nil {
		return nil, err
	}
	c := &xlator.Call{LockOwner: d.owners.Add(1) | uint64(0xd47)<<48}
	lk := xlator.Flock{Type: xlator.WriteLock, Owner: c.LockOwner}
	held := false
	if !d.noLocks[sub].Load() {
		err := d.kids[sub].Inodelk(ctx, c, domain, loc, xlator.LkSetWait, lk)
		switch {
		case err == nil:
			held = true
		case errors.Is(err, syscall.ENOTSUP):
			d.noLocks[sub].Store(true)
		default:
			d.local.unlock(key)
			return nil, err
		}
	}
	return func() {
		if held {
			lk.Type = xlator.Unlock
			if err := d.kids[sub].Inodelk(context.Background(), c, domain, loc, xlator.LkSetWait, lk); err != nil {
				d.Log().Debug("inode unlock failed", "child", d.kids[sub].Name(), "path", loc.Path, "err", err)
			}
		}
		d.local.unlock(key)
	}, nil
}
