package client

import (
	"syscall"
	"time"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// dirAhead is a directory listing fetched ahead for one open directory
// (readdir-ahead, as GlusterFS's performance/readdir-ahead): one readdir
// asks the server for readdir-ahead-size bytes of entries, and the
// kernel's next readdirs of that descriptor, which ask for a page or so
// each, are answered from them without a round trip.
type dirAhead struct {
	plus    bool              // fetched with attributes (readdirplus)
	start   uint64            // the offset the fetch began at
	entries []xlator.DirEntry // what it returned, in order
	at      time.Time         // when it was fetched
	modGen  uint64            // the client's modGen when it was sent
	eof     bool              // the server read the directory to its end
}

// readsOnly reports whether req changes nothing on the server but,
// perhaps, an access time: reads, opens without O_TRUNC, locks, flushes
// and closes.
func readsOnly(req *wire.Request) bool {
	switch req.Op {
	case wire.OpOpen:
		return req.Flags&syscall.O_TRUNC == 0
	case wire.OpLookup, wire.OpStat, wire.OpFstat, wire.OpAccess, wire.OpReadlink,
		wire.OpOpendir, wire.OpRead, wire.OpReaddir, wire.OpStatfs, wire.OpSeek,
		wire.OpGetxattr, wire.OpFgetxattr, wire.OpListxattr, wire.OpFlistxattr,
		wire.OpFlush, wire.OpFsync, wire.OpFsyncdir, wire.OpRelease, wire.OpReleasedir,
		wire.OpLk, wire.OpInodelk, wire.OpFinodelk, wire.OpEntrylk, wire.OpFentrylk:
		return true
	}
	return false
}

// changesAttrs reports whether req may change an inode's attributes or
// a directory's entries on the server: every request that does more
// than read.
func changesAttrs(req *wire.Request) bool { return !readsOnly(req) }

// aheadEntries answers a readdir of fd at off from the listing fetched
// ahead, when off is the offset of one of its entries (the kernel
// resuming where its last reply ended), within reply-attr-timeout of
// the fetch and before this client sent any request that may have
// changed attributes or entries. After the last entry of a listing the
// server read to its end, the answer is the end (no entries). A readdir
// at the offset the fetch began at (a new listing, rewinddir) is never
// answered from it: it sees the directory as it is. Entries it returns
// beyond what the kernel takes are asked for again by the kernel's next
// readdir, at the last entry's offset.
func (c *Client) aheadEntries(fd *xlator.FD, off uint64, plus bool) ([]xlator.DirEntry, bool) {
	r, _ := fd.Ctx(c).(*remoteFD)
	if r == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a := r.ahead
	if a == nil {
		return nil, false
	}
	if a.plus != plus || off == a.start || time.Since(a.at) >= c.aheadTTL || a.modGen != c.modGen.Load() {
		r.ahead = nil
		return nil, false
	}
	i := -1
	for k := range a.entries {
		if a.entries[k].Off == off {
			i = k + 1
			break
		}
	}
	switch {
	case i == len(a.entries) && a.eof:
		return []xlator.DirEntry{}, true
	case i < 0 || i >= len(a.entries):
		// Not from this listing, or all of it was given: the next
		// fetch begins at off.
		r.ahead = nil
		return nil, false
	}
	return a.entries[i:], true
}

// keepAhead keeps the entries a readdir of fd at off returned (eof: the
// server read the directory to its end), fetched with the client's
// modGen at gen, for aheadEntries.
func (c *Client) keepAhead(fd *xlator.FD, off uint64, plus bool, entries []xlator.DirEntry, eof bool, gen uint64) {
	r, _ := fd.Ctx(c).(*remoteFD)
	if r == nil || len(entries) == 0 {
		return
	}
	c.mu.Lock()
	r.ahead = &dirAhead{plus: plus, start: off, entries: entries, at: time.Now(), modGen: gen, eof: eof}
	c.mu.Unlock()
}
