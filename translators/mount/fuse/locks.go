package fuse

import (
	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// lockEOF is the kernel's End of a lock that runs to the end of the file.
const lockEOF = 1<<63 - 1

// flockOf converts the kernel's lock (inclusive end) to an xlator.Flock
// (length, 0 meaning to the end) of owner.
func flockOf(lk *gofuse.FileLock, owner uint64) xlator.Flock {
	f := xlator.Flock{Type: xlator.LockType(lk.Typ), Start: int64(lk.Start), PID: lk.Pid, Owner: owner}
	if lk.End != lockEOF && lk.End >= lk.Start {
		f.Len = int64(lk.End - lk.Start + 1)
	}
	return f
}

// fileLockOf converts an xlator.Flock back to the kernel's form.
func fileLockOf(f xlator.Flock) gofuse.FileLock {
	lk := gofuse.FileLock{Typ: uint32(f.Type), Pid: f.PID}
	if f.Type == xlator.Unlock {
		return lk
	}
	lk.Start = uint64(f.Start)
	if f.Len == 0 {
		lk.End = lockEOF
	} else {
		lk.End = uint64(f.Start + f.Len - 1)
	}
	return lk
}

// GetLk answers F_GETLK: the conflicting lock, or one of type F_UNLCK.
func (b *bridge) GetLk(cancel <-chan struct{}, in *gofuse.LkIn, out *gofuse.LkOut) gofuse.Status {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return gofuse.EBADF
	}
	o := b.newOp(cancel, &in.InHeader, in.Owner)
	defer o.done()
	res, err := b.top.Lk(&o.ctx, &o.call, hd.fd, xlator.LkGet, flockOf(&in.Lk, in.Owner))
	if err != nil {
		return neverENOSYS(o.status(err))
	}
	out.Lk = fileLockOf(res)
	return gofuse.OK
}

// SetLk answers F_SETLK (and flock(2) with LOCK_NB): fail at once on a
// conflict.
func (b *bridge) SetLk(cancel <-chan struct{}, in *gofuse.LkIn) gofuse.Status {
	return b.setLk(cancel, in, xlator.LkSet)
}

// SetLkw answers F_SETLKW (and blocking flock(2)): wait for the lock.
// A signal to the waiting process interrupts the request, which cancels
// the context the graph waits on.
func (b *bridge) SetLkw(cancel <-chan struct{}, in *gofuse.LkIn) gofuse.Status {
	return b.setLk(cancel, in, xlator.LkSetWait)
}

// setLk sends a lock request on. flock(2) locks arrive as whole-file
// locks of the open file's owner (LK_FLOCK) and are treated as POSIX
// locks of that owner, as GlusterFS does.
func (b *bridge) setLk(cancel <-chan struct{}, in *gofuse.LkIn, cmd xlator.LkCmd) gofuse.Status {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return gofuse.EBADF
	}
	var o *op
	if cmd == xlator.LkSetWait {
		o = b.newWaitOp(cancel, &in.InHeader, in.Owner)
	} else {
		o = b.newOp(cancel, &in.InHeader, in.Owner)
	}
	defer o.done()
	lk := flockOf(&in.Lk, in.Owner)
	lk.Flock = in.LkFlags&gofuse.FUSE_LK_FLOCK != 0
	_, err := b.top.Lk(&o.ctx, &o.call, hd.fd, cmd, lk)
	return neverENOSYS(o.status(err))
}
