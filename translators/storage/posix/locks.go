package posix

import (
	"sync"
	"unsafe"

	"github.com/loom-fs/loom/xlator"
)

// stripedLocks serialises work on one GFID (xattrop's read-add-write, and
// the link-count bookkeeping of unlink, link and rename) with a fixed set
// of mutexes, so that it never allocates.
type stripedLocks struct {
	mu [256]sync.Mutex
}

func (s *stripedLocks) of(g xlator.GFID) *sync.Mutex {
	return &s.mu[g[15]^g[11]^g[3]]
}

// openState counts the open FDs of one GFID.
type openState struct {
	n        int
	unlinked bool // its last name went while open: drop the handle on last release
}

// openTable records which GFIDs have open FDs, so that an unlinked file
// keeps its handle (and stays reachable by GFID) until its last release.
type openTable struct {
	mu sync.Mutex
	m  map[xlator.GFID]*openState
}

func (t *openTable) init() { t.m = make(map[xlator.GFID]*openState) }

// add counts one more open FD of g.
func (t *openTable) add(g xlator.GFID) {
	t.mu.Lock()
	st := t.m[g]
	if st == nil {
		st = &openState{}
		t.m[g] = st
	}
	st.n++
	t.mu.Unlock()
}

// remove counts one FD of g less; it reports whether that was the last one
// of a file whose last name was unlinked meanwhile.
func (t *openTable) remove(g xlator.GFID) (lastOfUnlinked bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.m[g]
	if st == nil {
		return false
	}
	st.n--
	if st.n > 0 {
		return false
	}
	delete(t.m, g)
	return st.unlinked
}

// markUnlinked records that g lost its last name; it reports whether g is
// open (and so must keep its handle).
func (t *openTable) markUnlinked(g xlator.GFID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.m[g]
	if st == nil {
		return false
	}
	st.unlinked = true
	return true
}

// isOpen reports whether g has open FDs.
func (t *openTable) isOpen(g xlator.GFID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[g] != nil
}

// relinked records that g got a name again (a link to an unlinked but
// open file), so its last release keeps the handle.
func (t *openTable) relinked(g xlator.GFID) {
	t.mu.Lock()
	if st := t.m[g]; st != nil {
		st.unlinked = false
	}
	t.mu.Unlock()
}

func uintptrOf(m *sync.Mutex) uintptr { return uintptr(unsafe.Pointer(m)) }
