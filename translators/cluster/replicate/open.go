package replicate

import (
	"context"
	"path"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// openAll opens fd on every up child in parallel (children lacking the
// file are left out) and records where it is open.
func (r *Replicate) openAll(ctx context.Context, op string, fd *xlator.FD, open func(i int) error) error {
	errs := r.fanOut(ctx, r.upSet(), open)
	s := &fdState{opened: make([]bool, len(r.kids)), readdir: -1}
	for i, e := range errs {
		s.opened[i] = e == nil
	}
	if count(s.opened) == 0 {
		return pickErr(errs, op, fd.Loc.Path)
	}
	fd.SetCtx(r, s)
	return nil
}

// Open opens the file on every up child that has it. O_TRUNC is done as a
// truncate transaction after the open, so that it is replicated and
// changelogged like any write.
func (r *Replicate) Open(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	trunc := fd.Flags&syscall.O_TRUNC != 0
	flags := fd.Flags
	if trunc {
		fd.Flags &^= syscall.O_TRUNC
	}
	err := r.openAll(ctx, "open", fd, func(i int) error { return r.kids[i].Open(ctx, c, fd) })
	fd.Flags = flags
	if err != nil {
		return err
	}
	r.trackOpen(fd, r.fdOf(fd))
	if !trunc {
		return nil
	}
	if _, err := r.Ftruncate(ctx, c, fd, 0); err != nil {
		r.Release(context.WithoutCancel(ctx), c, fd)
		return err
	}
	return nil
}

// Opendir opens the directory on every up child that has it.
func (r *Replicate) Opendir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	return r.openAll(ctx, "opendir", fd, func(i int) error { return r.kids[i].Opendir(ctx, c, fd) })
}

// Readdir lists the directory from one child that holds a good copy of
// its entries (the cookies belong to that child, so it serves the whole
// listing). With plus, each entry's attributes come from a good copy of
// that entry, learned by a lookup of it when replicate does not know it.
func (r *Replicate) Readdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) ([]xlator.DirEntry, error) {
	s := r.fdOf(fd)
	if s == nil {
		return nil, xlator.Wrap("readdir", fd.Loc.Path, syscall.EBADF)
	}
	s.mu.Lock()
	child := s.readdir
	s.mu.Unlock()
	if child < 0 || off == 0 {
		i, err := r.pickRead(ctx, c, fd.GFID(), &fd.Loc, tEntry, r.openedOn(fd))
		if err != nil {
			return nil, xlator.Wrap("readdir", fd.Loc.Path, err)
		}
		child = i
		s.mu.Lock()
		s.readdir = i
		s.mu.Unlock()
	}
	ents, err := r.kids[child].Readdir(ctx, c, fd, off, size, plus)
	if err != nil || !plus {
		return ents, err
	}
	r.fillPlus(ctx, c, fd, child, ents)
	return ents, nil
}

// plusWorkers bounds the lookups one readdirplus makes in parallel.
const plusWorkers = 8

// fillPlus makes sure each entry's attributes come from a good copy: an
// entry replicate knows to be good on child keeps them; the others are
// looked up (which also records their state and queues heals).
func (r *Replicate) fillPlus(ctx context.Context, c *xlator.Call, fd *xlator.FD, child int, ents []xlator.DirEntry) {
	sem := make(chan struct{}, plusWorkers)
	var wg sync.WaitGroup
	for k := range ents {
		e := &ents[k]
		if !e.HasStat || e.Name == "." || e.Name == ".." {
			continue
		}
		if in := r.inodes.get(e.Stat.GFID); in != nil && !in.mismatch {
			typ := statType(in)
			if !in.split[typ] && child < len(in.readable[typ]) && in.readable[typ][child] {
				continue
			}
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			loc := &xlator.Loc{Path: path.Join(fd.Loc.Path, e.Name), Parent: fd.GFID(), Name: e.Name, GFID: e.Stat.GFID}
			st, _, err := r.Lookup(ctx, c, loc, nil)
			if err != nil {
				e.HasStat = false
				return
			}
			e.Stat = st
		}()
	}
	wg.Wait()
}

// eachOpened runs fn on every up child holding fd open, in parallel, and
// succeeds if any child did.
func (r *Replicate) eachOpened(ctx context.Context, op string, fd *xlator.FD, fn func(i int) error) error {
	on := r.openedOn(fd)
	errs := r.fanOut(ctx, on, fn)
	for i, e := range errs {
		if on[i] && e == nil {
			return nil
		}
	}
	return pickErr(errs, op, fd.Loc.Path)
}

// Flush ends the file's delayed post-op and flushes every copy.
func (r *Replicate) Flush(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	r.eager.flush(fd.GFID())
	return r.eachOpened(ctx, "flush", fd, func(i int) error { return r.kids[i].Flush(ctx, c, fd) })
}

// Fsync ends the file's delayed post-op and syncs every copy.
func (r *Replicate) Fsync(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	r.eager.flush(fd.GFID())
	return r.eachOpened(ctx, "fsync", fd, func(i int) error { return r.kids[i].Fsync(ctx, c, fd, datasync) })
}

// Fsyncdir syncs every copy of the directory.
func (r *Replicate) Fsyncdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	return r.eachOpened(ctx, "fsyncdir", fd, func(i int) error { return r.kids[i].Fsyncdir(ctx, c, fd, datasync) })
}

// release closes fd on every child that opened it, up or not.
func (r *Replicate) release(ctx context.Context, fd *xlator.FD, fn func(i int) error) error {
	s, _ := fd.DelCtx(r).(*fdState)
	if s == nil {
		return nil
	}
	var first error
	for i, o := range s.opened {
		if o {
			if err := fn(i); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// Release ends the delayed post-op, ends what the fd counted for
// passthrough and closes every copy.
func (r *Replicate) Release(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	r.eager.flush(fd.GFID())
	if s := r.fdOf(fd); s != nil {
		r.untrack(fd, s)
	}
	return r.release(ctx, fd, func(i int) error { return r.kids[i].Release(ctx, c, fd) })
}

// Releasedir closes every copy of the directory.
func (r *Replicate) Releasedir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	return r.release(ctx, fd, func(i int) error { return r.kids[i].Releasedir(ctx, c, fd) })
}

// serialLock takes a lock on each child in turn (child order, so two
// callers never deadlock) and succeeds if any child granted it; if a
// child refuses, the ones granted are released again.
func (r *Replicate) serialLock(ctx context.Context, op, p string, on []bool, lock, undo func(i int) error) error {
	var granted []int
	var errs = make([]error, len(r.kids))
	for i := range r.kids {
		if !on[i] {
			errs[i] = syscall.ENOTCONN
			continue
		}
		err := lock(i)
		if err == nil {
			granted = append(granted, i)
			continue
		}
		errs[i] = err
		if !errorsIsConn(err) {
			for _, j := range granted {
				undo(j)
			}
			return err
		}
	}
	if len(granted) == 0 {
		return pickErr(errs, op, p)
	}
	return nil
}

// Lk takes or tests a POSIX lock on every copy (a test asks a good one).
func (r *Replicate) Lk(ctx context.Context, c *xlator.Call, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) (xlator.Flock, error) {
	if cmd == xlator.LkGet {
		var out xlator.Flock
		err := r.onRead(ctx, c, "lk", fd.GFID(), &fd.Loc, tData, r.openedOn(fd), func(i int) (e error) {
			out, e = r.kids[i].Lk(ctx, c, fd, cmd, lk)
			return e
		})
		return out, err
	}
	un := lk
	un.Type = xlator.Unlock
	err := r.serialLock(ctx, "lk", fd.Loc.Path, r.openedOn(fd),
		func(i int) error { _, e := r.kids[i].Lk(ctx, c, fd, cmd, lk); return e },
		func(i int) error {
			_, e := r.kids[i].Lk(context.WithoutCancel(ctx), c, fd, xlator.LkSet, un)
			return e
		})
	return lk, err
}

// Inodelk passes an internal lock of the translators above to every copy.
func (r *Replicate) Inodelk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, cmd xlator.LkCmd, lk xlator.Flock) error {
	un := lk
	un.Type = xlator.Unlock
	return r.serialLock(ctx, "inodelk", loc.Path, r.upSet(),
		func(i int) error { return r.kids[i].Inodelk(ctx, c, domain, loc, cmd, lk) },
		func(i int) error {
			return r.kids[i].Inodelk(context.WithoutCancel(ctx), c, domain, loc, xlator.LkSet, un)
		})
}

// Finodelk is Inodelk through an open fd.
func (r *Replicate) Finodelk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error {
	un := lk
	un.Type = xlator.Unlock
	return r.serialLock(ctx, "finodelk", fd.Loc.Path, r.openedOn(fd),
		func(i int) error { return r.kids[i].Finodelk(ctx, c, domain, fd, cmd, lk) },
		func(i int) error {
			return r.kids[i].Finodelk(context.WithoutCancel(ctx), c, domain, fd, xlator.LkSet, un)
		})
}

// Entrylk passes an internal entry lock to every copy.
func (r *Replicate) Entrylk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	return r.serialLock(ctx, "entrylk", loc.Path, r.upSet(),
		func(i int) error { return r.kids[i].Entrylk(ctx, c, domain, loc, basename, cmd, typ) },
		func(i int) error {
			return r.kids[i].Entrylk(context.WithoutCancel(ctx), c, domain, loc, basename, xlator.EntryUnlock, typ)
		})
}

// Fentrylk is Entrylk through an open directory.
func (r *Replicate) Fentrylk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	return r.serialLock(ctx, "fentrylk", fd.Loc.Path, r.openedOn(fd),
		func(i int) error { return r.kids[i].Fentrylk(ctx, c, domain, fd, basename, cmd, typ) },
		func(i int) error {
			return r.kids[i].Fentrylk(context.WithoutCancel(ctx), c, domain, fd, basename, xlator.EntryUnlock, typ)
		})
}

// Xattrop applies the counters of a translator above on every copy and
// answers the first copy's new values.
func (r *Replicate) Xattrop(ctx context.Context, c *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	outs := make([]xlator.XData, len(r.kids))
	errs := r.fanOut(context.WithoutCancel(ctx), r.upSet(), func(i int) (e error) {
		outs[i], e = r.kids[i].Xattrop(ctx, c, loc, op, xattrs)
		return e
	})
	for i, e := range errs {
		if e == nil {
			return outs[i], nil
		}
	}
	return nil, pickErr(errs, "xattrop", loc.Path)
}

// Fxattrop is Xattrop through an open fd.
func (r *Replicate) Fxattrop(ctx context.Context, c *xlator.Call, fd *xlator.FD, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	outs := make([]xlator.XData, len(r.kids))
	on := r.openedOn(fd)
	errs := r.fanOut(context.WithoutCancel(ctx), on, func(i int) (e error) {
		outs[i], e = r.kids[i].Fxattrop(ctx, c, fd, op, xattrs)
		return e
	})
	for i, e := range errs {
		if on[i] && e == nil {
			return outs[i], nil
		}
	}
	return nil, pickErr(errs, "fxattrop", fd.Loc.Path)
}
