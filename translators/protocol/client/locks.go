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

// Inodelk sends inodelk.
func (c *Client) Inodelk(ctx context.Context, call *xlator.Call, domain string, loc *xlator.Loc, cmd xlator.LkCmd, lk xlator.Flock) error {
	req := request(wire.OpInodelk, call)
	req.Domain, req.Loc, req.Cmd, req.Lock = domain, *loc, uint32(cmd), lk
	_, err := c.do(ctx, &req)
	return err
}

// Finodelk sends finodelk.
func (c *Client) Finodelk(ctx context.Context, call *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error {
	req := request(wire.OpFinodelk, call)
	req.Domain, req.Cmd, req.Lock = domain, uint32(cmd), lk
	_, err := c.doFD(ctx, fd, &req)
	return err
}

// Entrylk sends entrylk.
func (c *Client) Entrylk(ctx context.Context, call *xlator.Call, domain string, loc *xlator.Loc, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	req := request(wire.OpEntrylk, call)
	req.Domain, req.Loc, req.Name, req.Cmd, req.Type = domain, *loc, basename, uint32(cmd), uint32(typ)
	_, err := c.do(ctx, &req)
	return err
}

// Fentrylk sends fentrylk.
func (c *Client) Fentrylk(ctx context.Context, call *xlator.Call, domain string, fd *xlator.FD, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	req := request(wire.OpFentrylk, call)
	req.Domain, req.Name, req.Cmd, req.Type = domain, basename, uint32(cmd), uint32(typ)
	_, err := c.doFD(ctx, fd, &req)
	return err
}
