package posix

import (
	"sync"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// dirCacheSize bounds the directory descriptors the brick keeps open.
const dirCacheSize = 1024

// dirFd is an O_PATH descriptor of a directory, shared by the fops that
// use it: refs counts them, plus one while the cache holds it. The last
// put closes it, so an evicted descriptor is never closed under a fop
// still using it (its number could be reused for another file).
type dirFd struct {
	fd   int
	refs int
	acl  aclMemo // whether the directory has a default ACL
}

// dirCache keeps O_PATH descriptors of directories by GFID, so that a fop
// on an entry of a known directory resolves its parent without an
// openat2 of the path. A descriptor follows its directory across renames;
// only removal (rmdir, or a rename over it) makes it stale, and both drop
// it. The generation counts those drops: a descriptor opened before a
// drop is not added afterwards (it may be the removed directory).
type dirCache struct {
	mu  sync.Mutex
	m   map[xlator.GFID]*dirFd
	gen uint64
}

func (c *dirCache) init() { c.m = make(map[xlator.GFID]*dirFd) }

// get returns g's cached descriptor, taking a reference, or nil.
func (c *dirCache) get(g xlator.GFID) *dirFd {
	c.mu.Lock()
	e := c.m[g]
	if e != nil {
		e.refs++
	}
	c.mu.Unlock()
	return e
}

// has reports whether g is cached (a directory, as far as the cache
// knows).
func (c *dirCache) has(g xlator.GFID) bool {
	c.mu.Lock()
	_, ok := c.m[g]
	c.mu.Unlock()
	return ok
}

// generation returns the current generation, to pass to add.
func (c *dirCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// add takes over fd, the directory g opened while the generation was
// gen, and returns it with a reference for the caller. It is cached
// unless a drop happened since gen or g is cached already; when the cache
// is full an arbitrary entry makes room.
func (c *dirCache) add(g xlator.GFID, fd int, gen uint64) *dirFd {
	e := &dirFd{fd: fd, refs: 1}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.m[g] != nil {
		return e
	}
	if len(c.m) >= dirCacheSize {
		for k, old := range c.m {
			delete(c.m, k)
			c.unref(old)
			break
		}
	}
	e.refs++
	c.m[g] = e
	return e
}

// put returns a reference taken by get or add.
func (c *dirCache) put(e *dirFd) {
	c.mu.Lock()
	c.unref(e)
	c.mu.Unlock()
}

// unref drops one reference of e, closing it with the last. The caller
// holds c.mu.
func (c *dirCache) unref(e *dirFd) {
	e.refs--
	if e.refs == 0 {
		unix.Close(e.fd)
	}
}

// drop forgets g's descriptor: the directory was removed.
func (c *dirCache) drop(g xlator.GFID) {
	c.mu.Lock()
	c.gen++
	if e := c.m[g]; e != nil {
		delete(c.m, g)
		c.unref(e)
	}
	c.mu.Unlock()
}

// clear forgets every descriptor (the brick is closing).
func (c *dirCache) clear() {
	c.mu.Lock()
	c.gen++
	for g, e := range c.m {
		delete(c.m, g)
		c.unref(e)
	}
	c.mu.Unlock()
}
