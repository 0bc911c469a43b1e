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
//
// For the same reason, the requests sent behind for one descriptor go
// out one after the other, each once the one before it is answered: a
// release that overtook its descriptor's flush would close the server's
// descriptor under it (the flush then failed with EBADF and was logged).
type behind struct {
	mu       sync.Mutex
	idle     *sync.Cond                    // signalled when an inflight count drops to 0
	inflight map[xlator.GFID]int           // requests sent behind, per inode
	locked   map[xlator.GFID]struct{}      // inodes with a POSIX lock request
	queued   map[*xlator.FD][]func()       // per descriptor: requests waiting for the one in flight
	log      func(msg string, args ...any) // where failures of requests sent behind go
}

func newBehind(log func(msg string, args ...any)) *behind {
	b := &behind{inflight: map[xlator.GFID]int{}, locked: map[xlator.GFID]struct{}{},
		queued: map[*xlator.FD][]func(){}, log: log}
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

// send posts req on s without waiting, after the requests sent behind
// for fd before it have been answered; dest receives a read's data; g
// is fd's inode (zero for one the lock rules do not concern) and path
// names it in the log.
func (b *behind) send(s *session, req *wire.Request, dest []byte, fd *xlator.FD, g xlator.GFID, path string) {
	op := req.Op
	post := func() {
		s.post(req, dest, func(err error) {
			b.mu.Lock()
			if b.inflight[g]--; b.inflight[g] <= 0 {
				delete(b.inflight, g)
				b.idle.Broadcast()
			}
			var next func()
			if q := b.queued[fd]; len(q) > 0 {
				next, b.queued[fd] = q[0], q[1:]
			} else {
				delete(b.queued, fd)
			}
			b.mu.Unlock()
			if next != nil {
				// Not on the goroutine that reads replies, which
				// must not wait for a send.
				go next()
			}
			if err != nil && !errors.Is(err, syscall.ENOTCONN) {
				// ENOTCONN: the server released it with the connection.
				b.log("a request sent without waiting failed", "op", op.String(), "path", path, "gfid", g.String(), "err", err)
			}
		})
	}
	b.mu.Lock()
	b.inflight[g]++
	q, busy := b.queued[fd]
	if busy {
		b.queued[fd] = append(q, post)
	} else {
		b.queued[fd] = nil // fd has a request in flight from now on
	}
	b.mu.Unlock()
	if !busy {
		post()
	}
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
	c.behind.send(s, req, nil, fd, g, fd.Loc.Path)
	return nil
}
