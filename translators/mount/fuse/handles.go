package fuse

import (
	"sync"

	"github.com/loom-fs/loom/xlator"
)

// handle is an open file or directory: the FD the graph keeps its state
// in, and the inode it was opened on.
type handle struct {
	fd   *xlator.FD
	node *inode
	// backing: the handle is tied to the node's backing file (FUSE
	// passthrough, or FOPEN_DIRECT_IO beside passthrough handles); its
	// release drops a reference to the node's backing id. cached: it is
	// open in the kernel's cached I/O mode (counted in the node).
	// cacheable: it may keep the pages the kernel cached
	// (FOPEN_KEEP_CACHE), which only a cached handle can.
	backing, cached, cacheable bool

	// For directories: whether the graph's listing lacks "." and ".."
	// (the bridge adds them and shifts the graph's cookies by two).
	dirMode int32
}

// handleTable maps the fh numbers given to the kernel to handles. Slots
// are reused; fh is the slot index plus one, so 0 is never valid.
type handleTable struct {
	mu    sync.RWMutex
	slots []*handle
	free  []uint64
}

func newHandleTable() *handleTable { return &handleTable{} }

// add stores h and returns its fh.
func (t *handleTable) add(h *handle) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n := len(t.free); n > 0 {
		i := t.free[n-1]
		t.free = t.free[:n-1]
		t.slots[i] = h
		return i + 1
	}
	t.slots = append(t.slots, h)
	return uint64(len(t.slots))
}

// get returns the handle of fh, or nil.
func (t *handleTable) get(fh uint64) *handle {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if fh == 0 || fh > uint64(len(t.slots)) {
		return nil
	}
	return t.slots[fh-1]
}

// remove deletes fh and returns its handle, or nil.
func (t *handleTable) remove(fh uint64) *handle {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fh == 0 || fh > uint64(len(t.slots)) || t.slots[fh-1] == nil {
		return nil
	}
	h := t.slots[fh-1]
	t.slots[fh-1] = nil
	t.free = append(t.free, fh-1)
	return h
}

// len returns the number of open handles.
func (t *handleTable) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.slots) - len(t.free)
}
