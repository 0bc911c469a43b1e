package fuse

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// reqContext is the context of one kernel request: it is Done when the
// kernel interrupts the request (go-fuse closes the cancel channel). It
// has no deadline and no values, so it needs no goroutine and no
// allocation beyond the op that holds it.
type reqContext struct {
	cancel <-chan struct{}
}

// Deadline reports that a request has no deadline.
func (c *reqContext) Deadline() (time.Time, bool) { return time.Time{}, false }

// Done is closed when the kernel interrupts the request.
func (c *reqContext) Done() <-chan struct{} { return c.cancel }

// Err is context.Canceled once the request is interrupted.
func (c *reqContext) Err() error {
	select {
	case <-c.cancel:
		return context.Canceled
	default:
		return nil
	}
}

// Value returns nil: a request carries no values.
func (c *reqContext) Value(any) any { return nil }

// op is the per-request state passed to the graph: context, caller and a
// Loc. Ops are pooled so that a request allocates none of them.
type op struct {
	ctx  reqContext
	call xlator.Call
	loc  xlator.Loc
	loc2 xlator.Loc
}

var opPool = sync.Pool{New: func() any { return new(op) }}

// newOp returns an op for a request from the caller in h. lockOwner is
// the kernel's lock owner where the request has one. The caller returns
// it with done.
//
// The kernel's interrupt (cancel) is not passed on: Go programs, and the
// kernel on their behalf, signal threads all the time (the runtime's
// preemption), and an open or a write that answered EINTR because of it
// would fail where a local file system never does. As in GlusterFS's fuse
// bridge, only a request that may wait indefinitely honours interrupts:
// see newWaitOp.
func (b *bridge) newOp(cancel <-chan struct{}, h *gofuse.InHeader, lockOwner uint64) *op {
	return b.newWaitOp(nil, h, lockOwner)
}

// newWaitOp is newOp for a request that may wait indefinitely (F_SETLKW):
// the kernel's interrupt cancels its context.
func (b *bridge) newWaitOp(cancel <-chan struct{}, h *gofuse.InHeader, lockOwner uint64) *op {
	o := opPool.Get().(*op)
	o.ctx.cancel = cancel
	o.call = xlator.Call{UID: h.Uid, GID: h.Gid, PID: h.Pid, LockOwner: lockOwner}
	if b.opts.ResolveGroups {
		o.call.Groups = b.groups.get(h.Pid, h.Uid, h.Gid)
	}
	return o
}

// done returns o to the pool. Nothing of the request may be used after.
func (o *op) done() {
	o.ctx.cancel = nil
	o.call = xlator.Call{}
	o.loc = xlator.Loc{}
	o.loc2 = xlator.Loc{}
	opPool.Put(o)
}

// status converts a fop's error to the status sent to the kernel (see
// errno).
func (o *op) status(err error) gofuse.Status {
	return gofuse.Status(errno(err, &o.ctx))
}

// errno converts a fop's error to an errno with xlator.Errno (which finds
// a wrapped errno with errors.As), except that a request the kernel
// interrupted answers EINTR when the graph gave up with the context's
// error rather than an errno.
func errno(err error, ctx context.Context) syscall.Errno {
	if err == nil {
		return 0
	}
	// A bare errno (storage/posix answers ENOENT, ENODATA and EEXIST
	// so) needs no search: errors.As would move its target to the heap,
	// one allocation per failed lookup. A bare ENOSYS is a genuine
	// "never supported", as xlator.Errno treats it.
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	if errors.Is(err, context.Canceled) || (ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded)) {
		var e syscall.Errno
		if !errors.As(err, &e) {
			return syscall.EINTR
		}
	}
	return xlator.Errno(err)
}

// neverENOSYS keeps a fop the kernel would switch off for good on ENOSYS
// (flush, fsync, locks, fallocate, xattrs) alive: ENOSYS becomes ENOTSUP
// for this one call.
func neverENOSYS(st gofuse.Status) gofuse.Status {
	if st == gofuse.ENOSYS {
		return gofuse.ENOTSUP
	}
	return st
}
