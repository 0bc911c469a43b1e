package client

import (
	"context"
	"sync"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// behind records the inodes on which this client ever asked for a POSIX
// lock, for the requests it sends without waiting: flush, release and
// releasedir (as GlusterFS's flush-behind does), the one-byte read that
// moves the access time of a file read from quick-read contents, and the
// unlocks of inodelk and entrylk.
//
// They go as one-way requests (wire.OneWay): the server runs each before
// it reads the connection's next frame and sends no reply. So every
// later request of this client sees its effect — a lock request of the
// same owner is never overtaken by an earlier flush or release that
// would drop the new lock, and a descriptor's release never runs before
// its flush — and neither side spends a frame on an answer nobody waits
// for. A failure is logged by the server.
//
// One rule remains for POSIX locks: a flush or release of an inode this
// client ever sent a POSIX lock request for waits for its reply, since
// closing a descriptor releases the owner's locks, for every client,
// before close returns.
type behind struct {
	mu     sync.Mutex
	locked map[xlator.GFID]struct{} // inodes with a POSIX lock request
}

func newBehind() *behind {
	return &behind{locked: map[xlator.GFID]struct{}{}}
}

// mayLock reports whether a POSIX lock was ever asked for on g through
// this client: its flush and release must wait for their replies.
func (b *behind) mayLock(g xlator.GFID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.locked[g]
	return ok
}

// beforeLock marks g as locked through this client. The flushes and
// releases sent behind on it before need no waiting for: the server ran
// them before it reads the lock request.
func (b *behind) beforeLock(g xlator.GFID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.locked[g] = struct{}{}
}

// sendBehind sends a flush, release or releasedir of fd as a one-way
// request, unless fd's inode may hold POSIX locks of this client (then
// it waits, as every other request does).
func (c *Client) sendBehind(ctx context.Context, s *session, fd *xlator.FD, req *wire.Request) error {
	g := fd.GFID()
	if g.IsZero() || c.behind.mayLock(g) {
		_, err := s.roundTrip(ctx, req, nil)
		return err
	}
	// A session that ended released fd on the server with it.
	_ = s.oneWay(req)
	return nil
}
