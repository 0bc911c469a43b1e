package client

import (
	"sync"
	"syscall"
	"time"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// capsXattr is the xattr the kernel reads before every write(2) to a
// file on a FUSE mount, to clear file capabilities on a write.
const capsXattr = "security.capability"

// noCaps remembers the inodes the server recently found without a
// security.capability xattr: said by a create or open-for-writing reply,
// or by an ENODATA answer to a getxattr of it. A getxattr of it on such
// an inode is answered ENODATA within ttl (reply-attr-timeout) of what
// the server said, without a round trip: otherwise a file's every write
// costs two round trips (the check and the write), the first write of a
// new file three. GlusterFS's md-cache caches this xattr the same way.
//
// Coherence: a capability another client sets on the inode within ttl is
// not seen by this client's writes until ttl passes (they do not clear
// it). Any request through this client that can change the inode's
// xattrs (setxattr, removexattr, xattrop, and their fd forms) drops its
// entry before it is sent.
type noCaps struct {
	ttl time.Duration // 0: nothing is kept
	mu  sync.Mutex
	m   map[xlator.GFID]time.Time // when the server said so
	gen uint64                    // bumped by every forget: an answer to an older request is not kept
}

// maxNoCaps bounds the entries kept; past it the stale ones are dropped.
const maxNoCaps = 4096

func newNoCaps(ttl time.Duration) *noCaps {
	return &noCaps{ttl: ttl, m: map[xlator.GFID]time.Time{}}
}

// generation returns the value put needs: taken before the request
// whose answer is put is sent.
func (n *noCaps) generation() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.gen
}

// put records that the server just found no capability xattr on g, in
// answer to a request sent at generation gen; if a request that can
// change xattrs was sent since, the answer may be stale and is dropped.
func (n *noCaps) put(g xlator.GFID, gen uint64) {
	if n.ttl == 0 || g.IsZero() {
		return
	}
	now := time.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if gen != n.gen {
		return
	}
	if _, ok := n.m[g]; !ok && len(n.m) >= maxNoCaps {
		for k, at := range n.m {
			if now.Sub(at) > n.ttl {
				delete(n.m, k)
			}
		}
		if len(n.m) >= maxNoCaps {
			return
		}
	}
	n.m[g] = now
}

// absent reports whether a getxattr of name on g can be answered
// ENODATA from what the server said within ttl.
func (n *noCaps) absent(g xlator.GFID, name string) bool {
	if n.ttl == 0 || g.IsZero() || name != capsXattr {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	at, ok := n.m[g]
	if ok && time.Since(at) > n.ttl {
		delete(n.m, g)
		ok = false
	}
	return ok
}

// forget drops g's entry before a request that can change g's xattrs.
func (n *noCaps) forget(req *wire.Request, fdGFID xlator.GFID) {
	switch req.Op {
	case wire.OpSetxattr, wire.OpFsetxattr, wire.OpRemovexattr, wire.OpFremovexattr,
		wire.OpXattrop, wire.OpFxattrop:
	default:
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.gen++
	delete(n.m, req.Loc.GFID)
	delete(n.m, fdGFID)
}

// getxattr answers a getxattr of name on g from what is kept (ok true),
// or sends it with send and keeps an ENODATA answer about
// security.capability.
func (n *noCaps) getxattr(g xlator.GFID, name string, send func() ([]byte, error)) ([]byte, error) {
	if n.absent(g, name) {
		return nil, syscall.ENODATA
	}
	if name != capsXattr || n.ttl == 0 {
		return send()
	}
	gen := n.generation()
	v, err := send()
	if err == syscall.ENODATA {
		n.put(g, gen)
	}
	return v, err
}
