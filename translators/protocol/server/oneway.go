package server

import (
	"fmt"
	"io"

	"github.com/loom-fs/loom/translators/protocol/wire"
)

// oneWay reads the body of a one-way request with header h and runs it
// in the reader, before the connection's next frame is read, so that
// every later request of the connection sees its effect; it sends no
// reply, and logs a failure (the client does not wait to hear of it). A
// request wire.OneWay does not allow (one that could wait, such as a
// lock request) is a protocol error that ends the connection: run in the
// reader, it could stop the connection forever.
func (c *conn) oneWay(h wire.Header) error {
	body := make([]byte, h.Len)
	if _, err := io.ReadFull(c.br, body); err != nil {
		return err
	}
	var req wire.Request
	if err := wire.DecodeRequest(h.Op, body, &req); err != nil {
		c.log.Warn("malformed one-way request", "op", h.Op.String(), "err", err)
		return nil
	}
	if !wire.OneWay(&req) {
		return fmt.Errorf("protocol error: a one-way %s request that may wait", h.Op)
	}
	var rep wire.Reply
	var readBuf *[]byte
	if req.Op == wire.OpRead {
		readBuf = getBuf(int(req.Count))
		rep.Data = *readBuf
	}
	req.Call.Client = c.id
	c.dispatch(c.ctx, &req, &rep)
	putBuf(readBuf)
	if rep.Errno != 0 {
		c.log.Warn("a one-way request failed", "op", h.Op.String(), "path", req.Loc.Path, "fd", req.FD, "err", rep.Errno)
	}
	return nil
}
