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
	select {
	case c.work <- j:
	default:
		go c.worker(j)
	}
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
