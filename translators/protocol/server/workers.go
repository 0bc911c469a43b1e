package server

import (
	"context"
	"time"

	"github.com/loom-fs/loom/translators/protocol/wire"
)

// workerIdle is how long a connection's worker waits for another request
// before it ends.
const workerIdle = 10 * time.Second

// job is a request read from the socket, for a worker to run.
type job struct {
	ctx    context.Context
	h      wire.Header
	body   []byte
	pooled *[]byte
	cost   int64
}

// run hands j to an idle worker of the connection, or starts one.
//
// Workers outlive their request because a goroutine started per request
// begins with a small stack and grows it on every request as the fop
// goes down the graph (runtime.morestack and copystack took 7.5 % of
// loom serve's CPU in a perf profile of small-file reads); a worker's
// stack stays grown. There are never more workers than requests served
// at once (rpc.outstanding-rpc-limit).
func (c *conn) run(j job) {
	if c.inline(&j) {
		c.handle(j.ctx, j.h, j.body, j.pooled, j.cost)
		return
	}
	select {
	case c.work <- j:
	default:
		go c.worker(j)
	}
}

// inlineMaxWrite is the largest write (frame body) the reader runs itself.
const inlineMaxWrite = 128 << 10

// inline reports whether the reader goroutine should run j itself
// instead of handing it to a worker: when it is the connection's only
// request in the server, no further frame is already buffered, and the
// op cannot wait long (no lock request, which may wait for another
// client; no fsync, fallocate or copy; no write over 128 KiB). Handing a
// request to a worker wakes a second thread (a futex wake and a context
// switch on each request); running it in the reader does not. Requests
// that arrive meanwhile wait in the socket for this one fop.
func (c *conn) inline(j *job) bool {
	switch j.h.Op {
	case wire.OpLookup, wire.OpStat, wire.OpFstat, wire.OpAccess, wire.OpReadlink,
		wire.OpOpen, wire.OpOpendir, wire.OpCreate, wire.OpMknod, wire.OpMkdir,
		wire.OpUnlink, wire.OpRmdir, wire.OpSymlink, wire.OpLink, wire.OpRename,
		wire.OpSetattr, wire.OpFsetattr, wire.OpRead, wire.OpFlush,
		wire.OpRelease, wire.OpReleasedir, wire.OpReaddir, wire.OpStatfs,
		wire.OpGetxattr, wire.OpFgetxattr, wire.OpListxattr, wire.OpFlistxattr,
		wire.OpSetxattr, wire.OpFsetxattr, wire.OpRemovexattr, wire.OpFremovexattr:
	case wire.OpWrite:
		if j.h.Len > inlineMaxWrite {
			return false
		}
	default:
		return false
	}
	if c.br.Buffered() > 0 {
		return false
	}
	c.mu.Lock()
	alone := len(c.inflight) == 1
	c.mu.Unlock()
	return alone
}

// worker runs j, then the requests it is handed, until it has been idle
// for workerIdle or the connection ends.
func (c *conn) worker(j job) {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		c.handle(j.ctx, j.h, j.body, j.pooled, j.cost)
		idle.Reset(workerIdle)
		select {
		case j = <-c.work:
		case <-idle.C:
			return
		case <-c.ctx.Done():
			return
		}
	}
}
