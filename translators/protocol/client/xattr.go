package client

import (
	"context"
	"syscall"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// Setxattr sends setxattr.
func (c *Client) Setxattr(ctx context.Context, call *xlator.Call, loc *xlator.Loc, name string, value []byte, flags int) error {
	if len(value) > wire.MaxXattrValue {
		return syscall.E2BIG // as Linux answers; the wire refuses larger values
	}
	req := request(wire.OpSetxattr, call)
	req.Loc, req.Name, req.Value, req.Flags = *loc, name, value, uint32(flags)
	_, err := c.do(ctx, &req)
	return err
}

// Getxattr sends getxattr.
// A probe of security.capability may be answered from noCaps (caps.go).
func (c *Client) Getxattr(ctx context.Context, call *xlator.Call, loc *xlator.Loc, name string) ([]byte, error) {
	return c.noCaps.getxattr(loc.GFID, name, func() ([]byte, error) {
		req := request(wire.OpGetxattr, call)
		req.Loc, req.Name = *loc, name
		rep, err := c.do(ctx, &req)
		if err != nil {
			return nil, err
		}
		return value(rep.Data), nil
	})
}

// value returns a non-nil copy-free value (an empty value is not nil).
func value(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Listxattr sends listxattr.
func (c *Client) Listxattr(ctx context.Context, call *xlator.Call, loc *xlator.Loc) ([]string, error) {
	req := request(wire.OpListxattr, call)
	req.Loc = *loc
	rep, err := c.do(ctx, &req)
	if err != nil {
		return nil, err
	}
	return rep.Names, nil
}

// Removexattr sends removexattr.
func (c *Client) Removexattr(ctx context.Context, call *xlator.Call, loc *xlator.Loc, name string) error {
	req := request(wire.OpRemovexattr, call)
	req.Loc, req.Name = *loc, name
	_, err := c.do(ctx, &req)
	return err
}

// Fsetxattr sends fsetxattr.
func (c *Client) Fsetxattr(ctx context.Context, call *xlator.Call, fd *xlator.FD, name string, value []byte, flags int) error {
	if len(value) > wire.MaxXattrValue {
		return syscall.E2BIG
	}
	req := request(wire.OpFsetxattr, call)
	req.Name, req.Value, req.Flags = name, value, uint32(flags)
	_, err := c.doFD(ctx, fd, &req)
	return err
}

// Fgetxattr sends fgetxattr; as Getxattr, a probe of
// security.capability may be answered from noCaps.
func (c *Client) Fgetxattr(ctx context.Context, call *xlator.Call, fd *xlator.FD, name string) ([]byte, error) {
	if c.released(fd) {
		return c.Getxattr(ctx, call, byGFID(fd), name)
	}
	return c.noCaps.getxattr(fd.GFID(), name, func() ([]byte, error) {
		req := request(wire.OpFgetxattr, call)
		req.Name = name
		rep, err := c.doFD(ctx, fd, &req)
		if err != nil {
			return nil, err
		}
		return value(rep.Data), nil
	})
}

// Flistxattr sends flistxattr.
func (c *Client) Flistxattr(ctx context.Context, call *xlator.Call, fd *xlator.FD) ([]string, error) {
	if c.released(fd) {
		return c.Listxattr(ctx, call, byGFID(fd))
	}
	req := request(wire.OpFlistxattr, call)
	rep, err := c.doFD(ctx, fd, &req)
	if err != nil {
		return nil, err
	}
	return rep.Names, nil
}

// Fremovexattr sends fremovexattr.
func (c *Client) Fremovexattr(ctx context.Context, call *xlator.Call, fd *xlator.FD, name string) error {
	req := request(wire.OpFremovexattr, call)
	req.Name = name
	_, err := c.doFD(ctx, fd, &req)
	return err
}

// Xattrop sends xattrop.
func (c *Client) Xattrop(ctx context.Context, call *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	req := request(wire.OpXattrop, call)
	req.Loc, req.Cmd, req.XData = *loc, uint32(op), xattrs
	rep, err := c.do(ctx, &req)
	if err != nil {
		return nil, err
	}
	return rep.XData, nil
}

// Fxattrop sends fxattrop.
func (c *Client) Fxattrop(ctx context.Context, call *xlator.Call, fd *xlator.FD, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	req := request(wire.OpFxattrop, call)
	req.Cmd, req.XData = uint32(op), xattrs
	rep, err := c.doFD(ctx, fd, &req)
	if err != nil {
		return nil, err
	}
	return rep.XData, nil
}
