package client

import (
	"context"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// Lk sends lk. A granted lock marks the file: after a reconnect it is not
// reopened (the server dropped the lock) and answers EBADF. It first
// waits for the flushes and releases of the inode sent without waiting
// (behind.go), and from then on those wait for their replies.
func (c *Client) Lk(ctx context.Context, call *xlator.Call, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) (xlator.Flock, error) {
	if g := fd.GFID(); !g.IsZero() && cmd != xlator.LkGet {
		c.behind.beforeLock(g)
	}
	req := request(wire.OpLk, call)
	req.Cmd, req.Lock = uint32(cmd), lk
	rep, err := c.doFD(ctx, fd, &req)
	if err != nil {
		return xlator.Flock{}, err
	}
	if cmd != xlator.LkGet && lk.Type != xlator.Unlock {
		c.markLocked(fd)
	}
	return rep.Lock, nil
}

// Inodelk sends inodelk; an unlock goes one way (internalLock).
func (c *Client) Inodelk(ctx context.Context, call *xlator.Call, domain string, loc *xlator.Loc, cmd xlator.LkCmd, lk xlator.Flock) error {
	req := request(wire.OpInodelk, call)
	req.Domain, req.Loc, req.Cmd, req.Lock = domain, *loc, uint32(cmd), lk
	return c.internalLock(ctx, nil, &req)
}

// Finodelk sends finodelk; an unlock goes one way (internalLock).
func (c *Client) Finodelk(ctx context.Context, call *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error {
	req := request(wire.OpFinodelk, call)
	req.Domain, req.Cmd, req.Lock = domain, uint32(cmd), lk
	return c.internalLock(ctx, fd, &req)
}

// Entrylk sends entrylk; an unlock goes one way (internalLock).
func (c *Client) Entrylk(ctx context.Context, call *xlator.Call, domain string, loc *xlator.Loc, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	req := request(wire.OpEntrylk, call)
	req.Domain, req.Loc, req.Name, req.Cmd, req.Type = domain, *loc, basename, uint32(cmd), uint32(typ)
	return c.internalLock(ctx, nil, &req)
}

// Fentrylk sends fentrylk; an unlock goes one way (internalLock).
func (c *Client) Fentrylk(ctx context.Context, call *xlator.Call, domain string, fd *xlator.FD, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	req := request(wire.OpFentrylk, call)
	req.Domain, req.Name, req.Cmd, req.Type = domain, basename, uint32(cmd), uint32(typ)
	return c.internalLock(ctx, fd, &req)
}

// internalLock sends an inodelk or entrylk request (of the open file fd
// for the f-forms). An unlock goes as a one-way request (behind.go): the
// caller does not wait for it, and the server runs it before any later
// request of this client, so a lock this client asks for next, with any
// owner, never finds the range still held by it. Another client's lock
// request may find it held for the moment the unlock takes to arrive
// (it waits, or a non-blocking one fails with EAGAIN and is retried as
// any lost race is). A lock request waits for its answer. An unlock
// that cannot be sent (the session ended) answers ENOTCONN, as before.
func (c *Client) internalLock(ctx context.Context, fd *xlator.FD, req *wire.Request) error {
	if !wire.OneWay(req) {
		var err error
		if fd != nil {
			_, err = c.doFD(ctx, fd, req)
		} else {
			_, err = c.do(ctx, req)
		}
		return err
	}
	var s *session
	var err error
	if fd != nil {
		s, req.FD, err = c.handle(fd)
	} else {
		s, err = c.current()
	}
	if err != nil {
		return err
	}
	return s.oneWay(req)
}
