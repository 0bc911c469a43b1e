package replicate

import (
	"context"
	"sync"

	"github.com/loom-fs/loom/xlator"
)

// localLocks is the lock manager inside this process. Every transaction
// takes its lock here first, then on the children that have
// features/locks. When a child answers ENOTSUP for inodelk or entrylk
// (storage/posix directly below, all in one process), this lock is what
// keeps transactions apart: every writer of such a brick goes through
// this one translator, so a process-local lock is enough there. All locks
// are exclusive.
type localLocks struct {
	mu      sync.Mutex
	held    map[lockKey][]lockSpan
	changed chan struct{} // closed and replaced on every release
	waiters map[lockKey]int
}

// lockKey names one lock space: a domain on one inode.
type lockKey struct {
	domain string
	gfid   xlator.GFID
	entry  bool
}

// lockSpan is one held lock: a byte range [start, end) (end 0 means to the
// end of the file) for inode locks, or a name ("" for the whole directory)
// for entry locks.
type lockSpan struct {
	start, end int64
	name       string
}

func newLocalLocks() *localLocks {
	return &localLocks{held: map[lockKey][]lockSpan{}, changed: make(chan struct{}), waiters: map[lockKey]int{}}
}

func (s lockSpan) conflicts(o lockSpan, entry bool) bool {
	if entry {
		return s.name == "" || o.name == "" || s.name == o.name
	}
	sEnd, oEnd := s.end, o.end
	if sEnd == 0 {
		sEnd = 1<<63 - 1
	}
	if oEnd == 0 {
		oEnd = 1<<63 - 1
	}
	return s.start < oEnd && o.start < sEnd
}

// lock waits until sp is free in k, then holds it; it fails with ctx's
// error if ctx ends first.
func (l *localLocks) lock(ctx context.Context, k lockKey, sp lockSpan) error {
	l.mu.Lock()
	waiting := false
	for {
		free := true
		for _, h := range l.held[k] {
			if h.conflicts(sp, k.entry) {
				free = false
				break
			}
		}
		if free {
			l.held[k] = append(l.held[k], sp)
			if waiting {
				l.waiters[k]--
				if l.waiters[k] == 0 {
					delete(l.waiters, k)
				}
			}
			l.mu.Unlock()
			return nil
		}
		if !waiting {
			waiting = true
			l.waiters[k]++
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			l.mu.Lock()
			l.waiters[k]--
			if l.waiters[k] == 0 {
				delete(l.waiters, k)
			}
			l.mu.Unlock()
			return ctx.Err()
		}
		l.mu.Lock()
	}
}

// tryLock holds sp in k if it is free now and reports whether it did.
func (l *localLocks) tryLock(k lockKey, sp lockSpan) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range l.held[k] {
		if h.conflicts(sp, k.entry) {
			return false
		}
	}
	l.held[k] = append(l.held[k], sp)
	return true
}

// unlock releases one held sp in k and wakes the waiters.
func (l *localLocks) unlock(k lockKey, sp lockSpan) {
	l.mu.Lock()
	defer l.mu.Unlock()
	hs := l.held[k]
	for i, h := range hs {
		if h == sp {
			hs = append(hs[:i], hs[i+1:]...)
			break
		}
	}
	if len(hs) == 0 {
		delete(l.held, k)
	} else {
		l.held[k] = hs
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// contended reports whether someone waits for a lock in k.
func (l *localLocks) contended(k lockKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.waiters[k] > 0
}
