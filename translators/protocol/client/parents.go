package client

import (
	"sync"
	"time"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// parentAttrs keeps attributes the server returned with a reply, read
// right after the op: a directory's with an entry op (create, mknod,
// mkdir, symlink, link, unlink, rmdir) and a file's with an open. The
// kernel drops a directory's cached attributes when an entry in it
// changes and asks for them again (a GETATTR, a stat here) before the
// next lookup in it, and it asks for a file's (an fstat) right after
// opening it; that stat or fstat is answered from here, once, if it
// comes within ttl (reply-attr-timeout) of the reply.
//
// Coherence: the answer is the inode as it was just after this client's
// op. Another client's change to it within ttl is not seen by that one
// stat — the same window the mount's attribute timeout (1 s by default)
// opens for every cached attribute. Any other request through this
// client that names the inode (setattr, write, xattrs, rename, an open,
// ...) drops its entry first.
type parentAttrs struct {
	ttl time.Duration // 0: nothing is kept
	mu  sync.Mutex
	m   map[xlator.GFID]parentEntry
}

type parentEntry struct {
	st xlator.Stat
	at time.Time
}

// maxParents bounds the entries kept; past it the stale ones are dropped.
const maxParents = 1024

func newParentAttrs(ttl time.Duration) *parentAttrs {
	return &parentAttrs{ttl: ttl, m: map[xlator.GFID]parentEntry{}}
}

// put keeps st, unless an entry of the same directory with a newer
// change time is already there (replies of concurrent ops come back in
// any order).
func (p *parentAttrs) put(st xlator.Stat) {
	if p.ttl == 0 || st.GFID.IsZero() {
		return
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.m[st.GFID]; ok && newer(old.st.Ctime, st.Ctime) {
		return
	}
	if len(p.m) >= maxParents {
		for g, e := range p.m {
			if now.Sub(e.at) > p.ttl {
				delete(p.m, g)
			}
		}
		if len(p.m) >= maxParents {
			return
		}
	}
	p.m[st.GFID] = parentEntry{st: st, at: now}
}

// take returns and drops the attributes kept for g, if fresh.
func (p *parentAttrs) take(g xlator.GFID) (xlator.Stat, bool) {
	if p.ttl == 0 || g.IsZero() {
		return xlator.Stat{}, false
	}
	p.mu.Lock()
	e, ok := p.m[g]
	if ok {
		delete(p.m, g)
	}
	p.mu.Unlock()
	if !ok || time.Since(e.at) > p.ttl {
		return xlator.Stat{}, false
	}
	return e.st, true
}

// forget drops what is kept about the inodes req names, before req is
// sent: every request but a stat may change them or depend on them.
func (p *parentAttrs) forget(req *wire.Request, fdGFID xlator.GFID) {
	if p.ttl == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.m) == 0 {
		return
	}
	for _, g := range []xlator.GFID{req.Loc.GFID, req.Loc2.GFID, fdGFID} {
		if !g.IsZero() {
			delete(p.m, g)
		}
	}
	if req.Op == wire.OpRename { // the source's directory gets no new entry from the reply
		delete(p.m, req.Loc.Parent)
		delete(p.m, req.Loc2.Parent)
	}
}

// drop forgets what is kept about g (a write or a copy into it).
func (p *parentAttrs) drop(g xlator.GFID) {
	if p.ttl == 0 || g.IsZero() {
		return
	}
	p.mu.Lock()
	delete(p.m, g)
	p.mu.Unlock()
}

// newer reports whether a is a later time than b.
func newer(a, b xlator.Timespec) bool {
	return a.Sec > b.Sec || (a.Sec == b.Sec && a.Nsec > b.Nsec)
}
