package replicate

import (
	"sync"

	"github.com/loom-fs/loom/xlator"
)

// fdState is replicate's part of an open file or directory: which children
// hold it open, and for a directory the child its listing comes from
// (readdir cookies belong to one child).
type fdState struct {
	mu      sync.Mutex
	opened  []bool
	readdir int  // child serving this directory's listing; -1 until chosen
	writer  bool // a file open for writing, counted in its pinState
	pinned  bool // counted in its pinState's pin (see BackingFile)
}

// fdOf returns the state replicate keeps in fd, or nil if replicate did not
// open it.
func (r *Replicate) fdOf(fd *xlator.FD) *fdState {
	s, _ := fd.Ctx(r).(*fdState)
	return s
}

// openedOn returns which children hold fd open (all up children when
// replicate did not open it, as for an FD made by a heal).
func (r *Replicate) openedOn(fd *xlator.FD) []bool {
	s := r.fdOf(fd)
	up := r.upSet()
	if s == nil {
		return up
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range up {
		up[i] = up[i] && s.opened[i]
	}
	return up
}
