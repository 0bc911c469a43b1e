package client

import (
	"context"
	"errors"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// behind tracks the requests this client sent without waiting for their
// replies (flush, release and releasedir of files that never held a
// POSIX lock through it, as GlusterFS's flush-behind does), and the
// inodes on which it ever asked for a POSIX lock.
//
// The server runs a connection's requests concurrently, so a flush sent
// behind could run after a later lock request of the same owner on the
// same inode and release that new lock. Two rules keep the lock
// semantics exact:
//
//   - a flush or release of an inode this client ever sent a POSIX lock
//     request for waits for its reply (closing a descriptor releases the
//     owner's locks before close returns, as without flush-behind);
//   - a POSIX lock request first marks its inode, then waits until no
//     flush or release sent behind on that inode is still in flight.
type behind struct {
	mu       sync.Mutex
	idle     *sync.Cond                    // signalled when an inflight count drops to 0
	inflight map[xlator.GFID]int           // requests sent behind, per inode
	locked   map[xlator.GFID]struct{}      // inodes with a POSIX lock request
	log      func(msg string, args ...any) // where failures of requests sent behind go
}

func newBehind(log func(msg string, args ...any)) *behind {
	b := &behind{inflight: map[xlator.GFID]int{}, locked: map[xlator.GFID]struct{}{}, log: log}
	b.idle = sync.NewCond(&b.mu)
	return b
}

// mayLock reports whether a POSIX lock was ever asked for on g through
// this client: its flush and release must wait for their replies.
func (b *behind) mayLock(g xlator.GFID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.locked[g]
	return ok
}

// beforeLock marks g as locked through this client and waits until the
// flushes and releases sent behind on it have been answered.
func (b *behind) beforeLock(g xlator.GFID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.locked[g] = struct{}{}
	for b.inflight[g] > 0 {
		b.idle.Wait()
	}
}

// send posts req on s without waiting; g is its inode (zero for one the
// lock rules do not concern) and path names it in the log.
func (b *behind) send(s *session, req *wire.Request, g xlator.GFID, path string) {
	b.mu.Lock()
	b.inflight[g]++
	b.mu.Unlock()
	op := req.Op
	s.post(req, func(err error) {
		b.mu.Lock()
		if b.inflight[g]--; b.inflight[g] <= 0 {
			delete(b.inflight, g)
			b.idle.Broadcast()
		}
		b.mu.Unlock()
		if err != nil && !errors.Is(err, syscall.ENOTCONN) {
			// ENOTCONN: the server released it with the connection.
			b.log("a request sent without waiting failed", "op", op.String(), "path", path, "gfid", g.String(), "err", err)
		}
	})
}

// sendBehind sends a flush, release or releasedir of fd without
// waiting, unless fd's inode may hold POSIX locks of this client (then
// it waits, as every other request does).
func (c *Client) sendBehind(ctx context.Context, s *session, fd *xlator.FD, req *wire.Request) error {
	g := fd.GFID()
	if g.IsZero() || c.behind.mayLock(g) {
		_, err := s.roundTrip(ctx, req, nil)
		return err
	}
	c.behind.send(s, req, g, fd.Loc.Path)
	return nil
}
