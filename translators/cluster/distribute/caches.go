package distribute

import (
	"context"
	"sync"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// cacheLimit bounds the in-memory caches; past it they start afresh
// (everything in them can be found again by lookup).
const cacheLimit = 200_000

// layoutCache keeps the last layout read or written of each directory.
type layoutCache struct {
	mu sync.Mutex
	m  map[xlator.GFID]Layout
}

func newLayoutCache() *layoutCache { return &layoutCache{m: map[xlator.GFID]Layout{}} }

func (c *layoutCache) get(g xlator.GFID) (Layout, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.m[g]
	return l, ok
}

func (c *layoutCache) set(g xlator.GFID, l Layout) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cacheLimit {
		c.m = map[xlator.GFID]Layout{}
	}
	c.m[g] = l
}

func (c *layoutCache) forget(g xlator.GFID) {
	c.mu.Lock()
	delete(c.m, g)
	c.mu.Unlock()
}

// dirSub marks a directory in the inode cache (it lives everywhere).
const dirSub = -1

// inodeCache remembers where each known file's data lives (its cached
// subvolume, GlusterFS's "cached subvol"), or that a GFID is a directory.
type inodeCache struct {
	mu sync.Mutex
	m  map[xlator.GFID]int
}

func newInodeCache() *inodeCache { return &inodeCache{m: map[xlator.GFID]int{}} }

func (c *inodeCache) get(g xlator.GFID) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[g]
	return s, ok
}

func (c *inodeCache) set(g xlator.GFID, sub int) {
	if g.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cacheLimit {
		c.m = map[xlator.GFID]int{}
	}
	c.m[g] = sub
}

func (c *inodeCache) forget(g xlator.GFID) {
	c.mu.Lock()
	delete(c.m, g)
	c.mu.Unlock()
}

// spaceTTL is how long a statfs answer is used for placement.
const spaceTTL = 5 * time.Second

// spaceCache keeps each child's recent statfs for min-free-disk.
type spaceCache struct {
	d  *Distribute
	mu sync.Mutex
	at time.Time
	s  []Space
}

func newSpaceCache(d *Distribute) *spaceCache {
	return &spaceCache{d: d, s: make([]Space, len(d.kids))}
}

// get returns every child's space, refreshed when older than spaceTTL.
func (c *spaceCache) get(ctx context.Context) []Space {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.at) < spaceTTL {
		return append([]Space(nil), c.s...)
	}
	up := c.d.upSet()
	for i, k := range c.d.kids {
		c.s[i] = Space{}
		if !up[i] {
			continue
		}
		fs, err := k.Statfs(ctx, xlator.RootCall(), xlator.RootLoc())
		if err != nil {
			continue
		}
		c.s[i] = Space{Known: true, Total: fs.Blocks * uint64(fs.Frsize), Available: fs.Bavail * uint64(fs.Frsize)}
	}
	c.at = time.Now()
	return append([]Space(nil), c.s...)
}
