package replicate

import (
	"context"
	"time"
)

// idleCheckDelay is how long after the healer's waiting set empties it
// asks the bricks' indexes whether they still hold records.
const idleCheckDelay = 500 * time.Millisecond

// idleBackoffMin is the first wait between index reads the idle check
// starts while records stay; each read that leaves records doubles it,
// up to indexEvery.
const idleBackoffMin = time.Second

// idleCheck reconciles the healer with the bricks' pending indexes, the
// durable list of what waits for a heal: when the healer has nothing left
// to do, a record that is still there is one it does not know of (made
// after the last index read, by a transaction whose inode went before it
// was healed, say). Its count is one Lookup per brick; when a brick
// counts records, the index is read and each inode healed, which drops
// the record once nothing is pending. So heal info reaches 0 in about a
// second instead of at the next periodic read (indexEvery). Records that
// stay anyway (an inode that cannot be healed yet) are read again with a
// doubling wait, never more often. The checks run in the healer's tick
// goroutine (see tick), so none outlives the healer.
type idleCheck struct {
	wake    chan struct{} // the waiting set emptied: check after idleCheckDelay
	backoff time.Duration // wait before another read a check starts
	next    time.Time     // no read a check starts before this
}

// idleNow tells the tick goroutine that the waiting set has emptied (the
// caller just forgot its last item).
func (h *healer) idleNow() {
	select {
	case h.idle.wake <- struct{}{}:
	default:
	}
}

// checkIdle runs in the tick goroutine: if the healer is still idle and
// some up brick's index counts records, it asks for an index read. It
// returns how long to wait before checking again (the backoff has not
// passed), or 0 for no further check.
func (h *healer) checkIdle(ctx context.Context) time.Duration {
	if !h.idleState() {
		return 0
	}
	var most int64
	up := h.r.upSet()
	for i := range h.r.kids {
		if up[i] {
			if n, ok := h.r.indexCount(ctx, i); ok {
				most = max(most, n)
			}
		}
	}
	c := &h.idle
	if most == 0 {
		c.backoff = 0
		return 0
	}
	if wait := time.Until(c.next); wait > 0 {
		return wait
	}
	c.backoff = min(max(c.backoff*2, idleBackoffMin), indexEvery)
	c.next = time.Now().Add(c.backoff)
	h.r.Log().Debug("the pending index holds records the healer does not know of: reading it", "records", most)
	h.requestIndex()
	return 0
}

// idleState reports whether the healer has nothing to do: no waiting
// item, no crawl or index read running or asked for, not paused.
func (h *healer) idleState() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.items) == 0 && !h.paused && !h.full && !h.index && !h.crawling.Load() && !h.indexing.Load() && h.r.heal.on
}

// requestIndex asks for a read of the bricks' indexes.
func (h *healer) requestIndex() {
	h.mu.Lock()
	h.index = true
	h.mu.Unlock()
	h.poke()
}
