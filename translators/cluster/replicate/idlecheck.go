package replicate

import (
	"context"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// idleCheckDelay is how long after the healer's waiting set empties it
// asks the bricks' indexes whether they still hold records.
const idleCheckDelay = 500 * time.Millisecond

// idleConfirmAfter is how long a record must stay to be healed by an idle
// check: longer than a transaction keeps its mark (an eager lock or a
// directory's dirty hold ends within maxEagerHold plus post-op-delay), so
// that the records of writes in flight are left to their post-ops.
const idleConfirmAfter = 2 * time.Second

// idleSampleMax is how many records of each brick an idle check reads;
// more wait for the next check (or the periodic read).
const idleSampleMax = 1000

// idleBackoffMin is the first wait between idle checks that queue
// records while records stay; each doubles it, up to indexEvery.
const idleBackoffMin = time.Second

// idleCheck reconciles the healer with the bricks' pending indexes, the
// durable list of what waits for a heal: when the healer has nothing left
// to do, a record that stays is one it does not know of (made after the
// last index read, by a transaction whose inode went before it was
// healed, say). Half a second after the waiting set empties, each up
// brick is asked for its count (one Lookup each); if records are there,
// up to idleSampleMax of each brick's are read, and read again
// idleConfirmAfter later; those found both times are healed, which drops
// each record once nothing is pending. So heal info reaches 0 a few
// seconds after the last heal instead of at the next periodic read
// (indexEvery), and the marks of writes in flight are left alone. Records
// that stay anyway (an inode that cannot be healed yet) are queued again
// with a doubling wait, never more often. The checks run in the healer's
// tick goroutine (see tick), so none outlives the healer.
type idleCheck struct {
	wake     chan struct{}        // the waiting set emptied: check after idleCheckDelay
	suspects map[xlator.GFID]bool // records seen by the first look, to confirm
	seenAt   time.Time            // when suspects were read
	backoff  time.Duration        // wait before another check queues records
	next     time.Time            // no check queues records before this
}

// idleNow tells the tick goroutine that the waiting set has emptied (the
// caller just forgot its last item).
func (h *healer) idleNow() {
	select {
	case h.idle.wake <- struct{}{}:
	default:
	}
}

// checkIdle runs in the tick goroutine. It returns how long to wait
// before checking again, or 0 for no further check.
func (h *healer) checkIdle(ctx context.Context) time.Duration {
	c := &h.idle
	if !h.idleState() {
		c.suspects = nil
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
	if most == 0 {
		c.backoff, c.suspects = 0, nil
		return 0
	}
	if wait := time.Until(c.next); wait > 0 {
		return wait
	}
	if c.suspects != nil {
		if wait := max(idleConfirmAfter, c.backoff) - time.Since(c.seenAt); wait > 0 {
			return wait
		}
	}
	seen := h.sampleIndexes(ctx, up)
	if c.suspects == nil {
		c.suspects, c.seenAt = seen, time.Now()
		return idleConfirmAfter
	}
	var stayed []xlator.GFID
	for g := range seen {
		if c.suspects[g] {
			stayed = append(stayed, g)
		}
	}
	if len(stayed) == 0 {
		// Others came and went (writes in flight): confirm these,
		// looking less often while that goes on.
		c.suspects, c.seenAt = seen, time.Now()
		c.backoff = min(max(c.backoff*2, idleConfirmAfter), indexEvery)
		return c.backoff
	}
	c.suspects = nil
	c.backoff = min(max(c.backoff*2, idleBackoffMin), indexEvery)
	c.next = time.Now().Add(c.backoff)
	h.r.Log().Debug("the pending index holds records the healer does not know of: healing them", "records", len(stayed))
	h.rememberIndexed(stayed)
	return 0
}

// sampleIndexes returns up to idleSampleMax records of each up brick.
func (h *healer) sampleIndexes(ctx context.Context, up []bool) map[xlator.GFID]bool {
	seen := map[xlator.GFID]bool{}
	for i := range h.r.kids {
		if !up[i] {
			continue
		}
		n := 0
		h.r.readIndex(ctx, i, func(page []xlator.GFID) bool {
			for _, g := range page {
				seen[g] = true
			}
			n += len(page)
			return n < idleSampleMax
		})
	}
	return seen
}

// idleState reports whether the healer has nothing to do: no waiting
// item, no crawl or index read running or asked for, not paused.
func (h *healer) idleState() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.items) == 0 && !h.paused && !h.full && !h.index && !h.crawling.Load() && !h.indexing.Load() && h.r.heal.on
}
