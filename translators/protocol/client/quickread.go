package client

import (
	"syscall"
	"time"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// Quick-read: an open of a small file for reading asks the server for
// the file's whole contents with the open reply (wire version 3; the
// server sends them only while no file open on it may be writing to the
// file). The read the kernel sends right after the open is then answered
// from them without a round trip: a small file's read costs lookup and
// open, not lookup, open and read.
//
// The contents are the file as it was when it was opened: what the
// kernel's page cache would hold had it read the file at the open. They
// answer reads of that descriptor only within reply-attr-timeout of the
// open, and only while this client has sent nothing that can change a
// file's data (dataGen counts those requests, whichever file they are
// about); otherwise reads go to the server.

// quickHeldMax bounds the bytes of all the contents kept at once; opens
// beyond it do not ask for any.
const quickHeldMax = 32 << 20

// quickData is the contents an open reply brought for one descriptor.
type quickData struct {
	data  []byte
	gen   uint64    // dataGen when the open was sent
	until time.Time // answered reads until then
	// touched: a read answered from data was sent on to the server for
	// the access time.
	touched bool
}

// changesData reports whether req may change the data of some file: a
// request quick-read contents must not outlive.
func changesData(req *wire.Request) bool {
	switch req.Op {
	case wire.OpCreate:
		return req.Flags&syscall.O_TRUNC != 0
	case wire.OpSetxattr, wire.OpFsetxattr, wire.OpRemovexattr, wire.OpFremovexattr,
		wire.OpXattrop, wire.OpFxattrop, wire.OpMknod, wire.OpMkdir, wire.OpSymlink,
		wire.OpLink, wire.OpUnlink, wire.OpRmdir, wire.OpRename:
		return false
	}
	return !readsOnly(req)
}

// quickAsk returns the largest file whose contents an open of fd should
// ask for (0: none).
func (c *Client) quickAsk(fd *xlator.FD) uint32 {
	if c.quickMax == 0 || c.quickTTL <= 0 || fd.Dir ||
		fd.Flags&syscall.O_ACCMODE != syscall.O_RDONLY || fd.Flags&(syscall.O_TRUNC|syscall.O_DIRECT) != 0 ||
		c.quickHeld.Load() >= quickHeldMax {
		return 0
	}
	return c.quickMax
}

// keepQuick keeps the contents an open reply brought for r.
func (c *Client) keepQuick(r *remoteFD, data []byte, gen uint64) {
	c.quickHeld.Add(int64(len(data)))
	r.quick = &quickData{data: data, gen: gen, until: time.Now().Add(c.quickTTL)}
}

// dropQuick forgets r's contents; the caller holds c.mu.
func (c *Client) dropQuick(r *remoteFD) {
	if r.quick != nil {
		c.quickHeld.Add(-int64(len(r.quick.data)))
		r.quick = nil
	}
}

// quickRead answers a read of fd from the contents its open reply
// brought, when it still may (ok false: ask the server). A read that
// reaches the end of the contents drops them: the kernel reads a small
// file once. The first read answered so is also sent to the server
// without waiting, one byte of it, so the file's access time changes
// as the read would have changed it (the open did not: the server reads
// the contents with O_NOATIME) — unless fd was itself opened with
// O_NOATIME (replicate's heal reading its source), whose reads change
// no access time.
func (c *Client) quickRead(s *session, id uint64, call *xlator.Call, fd *xlator.FD, dest []byte, off int64) (n int, ok bool) {
	r, _ := fd.Ctx(c).(*remoteFD)
	if r == nil {
		return 0, false
	}
	locked := c.behind.mayLock(fd.GFID())
	n, ok, touch := c.quickCopy(r, dest, off, locked)
	if touch && fd.Flags&syscall.O_NOATIME == 0 {
		req := request(wire.OpRead, call)
		req.FD, req.Off, req.Count = id, off, 1
		_ = s.oneWay(&req) // a session that ended has nothing to touch
	}
	return n, ok
}

// quickCopy is quickRead's part under c.mu: touch says to send the read
// on. On an inode this client may hold POSIX locks on (locked), whose
// flush and release do not queue behind other requests, nothing is
// answered from contents.
func (c *Client) quickCopy(r *remoteFD, dest []byte, off int64, locked bool) (n int, ok, touch bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	q := r.quick
	if q == nil {
		return 0, false, false
	}
	if q.gen != c.dataGen.Load() || time.Now().After(q.until) || off < 0 || locked {
		c.dropQuick(r)
		return 0, false, false
	}
	touch = !q.touched
	q.touched = true
	if off < int64(len(q.data)) {
		n = copy(dest, q.data[off:])
	}
	if off+int64(n) >= int64(len(q.data)) {
		c.dropQuick(r)
	}
	return n, true, touch
}
