package locks

import (
	"slices"
	"syscall"
)

// releaseClient drops every granted lock and queued request of client in
// every space, ending the requests with ENOTCONN, and grants what then
// can be. It returns how many locks and requests went.
func (t *table) releaseClient(client string) (locks, waits int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var changed []*space
	for _, sp := range t.spaces {
		n := t.removeGranted(sp, func(l *lockRec) bool { return l.owner.client == client })
		m := t.cancelWaiters(sp, func(w *waiter) bool { return w.rec.owner.client == client }, syscall.ENOTCONN)
		if n+m > 0 {
			changed = append(changed, sp)
		}
		locks += n
		waits += m
	}
	t.wake(changed...)
	return locks, waits
}

// cancelWaiters ends the queued requests of sp for which drop is true with
// err and reports how many there were.
func (t *table) cancelWaiters(sp *space, drop func(*waiter) bool, err error) int {
	n := 0
	for _, w := range slices.Clone(sp.waiting) {
		if drop(w) {
			t.dequeue(w)
			t.traceRec("lock wait ended", sp, &w.rec)
			w.ready <- err
			n++
		}
	}
	return n
}

// clear ends every queued request with ENOTCONN and forgets every lock.
func (t *table) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, sp := range t.spaces {
		t.cancelWaiters(sp, func(*waiter) bool { return true }, syscall.ENOTCONN)
	}
	t.spaces = map[spaceID]*space{}
	t.held = map[familyOwner]int{}
	t.waits = map[familyOwner][]*waiter{}
}
