package server

import (
	"context"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// parentOf returns the Loc of the directory whose entries a successful
// req changed (the new name's directory for link), or nil for an op
// whose reply carries no parent attributes.
func parentOf(req *wire.Request) *xlator.Loc {
	loc := &req.Loc
	switch req.Op {
	case wire.OpCreate, wire.OpMknod, wire.OpMkdir, wire.OpSymlink, wire.OpUnlink, wire.OpRmdir:
	case wire.OpLink:
		loc = &req.Loc2
	default:
		return nil
	}
	if loc.Parent.IsZero() {
		return nil
	}
	return &xlator.Loc{GFID: loc.Parent}
}

// addParent puts the attributes of the directory a successful entry op
// changed into its reply, read after the op, so the client can answer
// the stat of that directory the kernel sends next (its cached
// attributes were invalidated by the change) without a round trip. A
// failed stat leaves them out: the reply is still right.
func (c *conn) addParent(ctx context.Context, req *wire.Request, rep *wire.Reply) {
	loc := parentOf(req)
	if loc == nil {
		return
	}
	st, err := c.subvol.Stat(ctx, &req.Call, loc)
	if err != nil || st.GFID != loc.GFID {
		c.log.Debug("no parent attributes for the reply", "op", req.Op.String(), "gfid", loc.GFID.String(), "err", err)
		return
	}
	rep.Parent = st
}

// addOpenStat puts the attributes of the file just opened into the open
// reply, so the client can answer the fstat the kernel sends right after
// an open without a round trip; a failed fstat only leaves them out.
func (c *conn) addOpenStat(ctx context.Context, req *wire.Request, rep *wire.Reply) {
	if req.Op != wire.OpOpen {
		return
	}
	fd, err := c.fd(rep.FD)
	if err != nil {
		return
	}
	st, err := c.subvol.Fstat(ctx, &req.Call, fd)
	if err != nil {
		c.log.Debug("no attributes for the open reply", "gfid", fd.GFID().String(), "err", err)
		return
	}
	rep.Stat = st
}
