package distribute

import (
	"sync"

	"github.com/loom-fs/loom/xlator"
)

// Readdir cookies name a subvolume and that subvolume's own cookie in one
// uint64, so a listing resumes on the right subvolume. A child cookie c of
// subvolume s among n is encoded as c*n + s when that fits below 2^62;
// larger child cookies (ext4's 63-bit hash cookies) are kept in a
// per-directory table (cookieTable), and the cookie is then 2^62 + i*n + s
// for the table's slot i. Every cookie stays below 2^63: the kernel keeps
// directory offsets as a signed loff_t, and seekdir to a negative one
// fails with EINVAL. Cookie 0 is the start of the listing.

// bigCookie marks a cookie that names a table slot.
const bigCookie = 1 << 62

// EncodeCookie packs subvolume sub of n and child cookie c; ok is false
// when c is too large and needs a table slot (EncodeSlot).
func EncodeCookie(sub, n int, c uint64) (uint64, bool) {
	if c > (bigCookie-1-uint64(sub))/uint64(n) {
		return 0, false
	}
	return c*uint64(n) + uint64(sub), true
}

// EncodeSlot packs subvolume sub of n and table slot i.
func EncodeSlot(sub, n int, i uint64) uint64 {
	return bigCookie + (i*uint64(n)+uint64(sub))%bigCookie
}

// DecodeCookie unpacks a cookie: the subvolume, and either the child
// cookie or (slot true) the table slot holding it.
func DecodeCookie(off uint64, n int) (sub int, v uint64, slot bool) {
	if off >= bigCookie {
		off -= bigCookie
		return int(off % uint64(n)), off / uint64(n), true
	}
	return int(off % uint64(n)), off / uint64(n), false
}

// maxSlots bounds the large cookies kept in memory; past it the table
// starts afresh (a listing resumed from a forgotten cookie gets EINVAL).
const maxSlots = 4 << 20

// cookieTable keeps child cookies too large to encode, per directory, so
// that a cookie stays valid across handles of the same directory (a
// listing resumed on another open, as NFS and telldir users do).
type cookieTable struct {
	mu    sync.Mutex
	total int
	dirs  map[xlator.GFID]*dirCookies
}

type dirCookies struct {
	index map[uint64]uint64
	vals  []uint64
}

func newCookieTable() *cookieTable { return &cookieTable{dirs: map[xlator.GFID]*dirCookies{}} }

// slot returns the slot of child cookie c in directory g, adding it.
func (t *cookieTable) slot(g xlator.GFID, c uint64) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	dc := t.dirs[g]
	if dc == nil {
		if t.total >= maxSlots {
			t.dirs, t.total = map[xlator.GFID]*dirCookies{}, 0
		}
		dc = &dirCookies{index: map[uint64]uint64{}}
		t.dirs[g] = dc
	}
	if i, ok := dc.index[c]; ok {
		return i
	}
	i := uint64(len(dc.vals))
	dc.vals = append(dc.vals, c)
	dc.index[c] = i
	t.total++
	return i
}

// get returns the child cookie in slot i of directory g.
func (t *cookieTable) get(g xlator.GFID, i uint64) (uint64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	dc := t.dirs[g]
	if dc == nil || i >= uint64(len(dc.vals)) {
		return 0, false
	}
	return dc.vals[i], true
}
