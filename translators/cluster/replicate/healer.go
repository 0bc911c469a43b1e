package replicate

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// retryEvery is how often parked heals (whose sink was down, or that
// failed) are tried again even without a child-up.
const retryEvery = 10 * time.Second

// indexEvery is how often the bricks' pending indexes are read even
// without a child-up or an "index" command (GlusterFS's heal-timeout).
const indexEvery = 10 * time.Minute

// quickRetries is how many times an inode healed with something still
// pending (and no sink down) is healed again at once before it waits for
// the retry.
const quickRetries = 5

// healer runs heals in the background: inodes remembered by lookups and
// failed transactions (a set, so nothing is ever dropped: when the workers
// are busy items wait in it, and items that cannot be healed yet are
// parked until a child comes up), and full crawls.
type healer struct {
	r       *Replicate
	workers int
	chunk   int64
	buffers *chunkPool
	rate    atomic.Int64 // bytes per second; 0 is unlimited

	mu      sync.Mutex
	items   map[xlator.GFID]*healItem
	ready   []xlator.GFID
	wake    chan struct{}
	paused  bool
	resumed chan struct{} // closed while not paused
	split   map[xlator.GFID]string
	full    bool // a full crawl is wanted or running
	index   bool // a read of the bricks' indexes is wanted
	upGen   int  // counts childUp calls, so a heal that raced one is requeued

	filesDone, bytesDone   atomic.Int64
	filesTotal, bytesTotal atomic.Int64
	crawlStart             atomic.Int64 // unix nanoseconds of the last full crawl's start
	crawling               atomic.Bool
	indexing               atomic.Bool
	throttleStart          time.Time
	throttleBytes          int64
	throttleMu             sync.Mutex

	idle idleCheck // see idlecheck.go; used by the tick goroutine

	wg sync.WaitGroup
}

// healItem is one inode waiting to be healed.
//
// Whoever writes a blame (a pending counter) remembers the inode after
// the write, so an item is forgotten only on a look at its changelog
// taken after its last remember: a remember while a worker heals it
// (busy, until the worker has decided) sets again, and healed forgets it
// only if gen has not moved since before its look.
type healItem struct {
	tries   int // heals that left something pending
	path    string
	indexed bool   // found in a brick's index: drop its records when healed
	queued  bool   // in ready
	busy    bool   // a worker heals it, or decides what follows
	again   bool   // remembered while busy: heal it once more
	gen     uint64 // counts remembers
	pinSaid bool   // the deferral by a passthrough pin was logged
}

// want records a new reason to heal the item: it is queued, or, while a
// worker has it, healed again after. The caller holds h.mu.
func (h *healer) want(g xlator.GFID, it *healItem) {
	it.gen++
	switch {
	case it.busy:
		it.again = true
	case !it.queued:
		it.queued = true
		h.ready = append(h.ready, g)
	}
}

func newHealer(r *Replicate, workers int, rate, chunk int64) *healer {
	h := &healer{r: r, workers: workers, chunk: chunk, buffers: newChunkPool(chunk), items: map[xlator.GFID]*healItem{},
		wake: make(chan struct{}, 1), split: map[xlator.GFID]string{}, resumed: make(chan struct{})}
	h.idle.wake = make(chan struct{}, 1)
	close(h.resumed)
	h.rate.Store(rate)
	return h
}

// start starts the workers and the retry ticker.
func (h *healer) start() {
	for k := 0; k < h.workers; k++ {
		h.wg.Add(1)
		go h.work()
	}
	h.wg.Add(1)
	go h.tick()
}

// wait waits for the workers to end (after the run context is cancelled).
func (h *healer) wait() { h.wg.Wait() }

func (h *healer) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// remember adds inode g to the heal set (loc, when known, names it in
// heal info). With self-heal off it is only listed, for heal info and the
// commands.
func (h *healer) remember(g xlator.GFID, loc *xlator.Loc) {
	if g.IsZero() {
		return
	}
	h.mu.Lock()
	it := h.items[g]
	if it == nil {
		it = &healItem{}
		h.items[g] = it
	}
	if loc != nil && loc.Path != "" {
		it.path = loc.Path
	}
	h.want(g, it)
	h.mu.Unlock()
	h.poke()
}

// childUp requeues every parked item, asks for a read of the bricks'
// indexes and, if a full crawl was waiting for a sink, lets it start.
func (h *healer) childUp() {
	h.mu.Lock()
	h.index = true
	h.mu.Unlock()
	h.requeue()
}

// requeue queues every parked item again.
func (h *healer) requeue() {
	h.mu.Lock()
	h.upGen++
	for g, it := range h.items {
		if !it.queued && !it.busy {
			it.queued = true
			h.ready = append(h.ready, g)
		}
	}
	h.mu.Unlock()
	h.poke()
}

// requestFull asks for a full crawl.
func (h *healer) requestFull() {
	h.mu.Lock()
	h.full = true
	h.mu.Unlock()
	h.poke()
}

// splitBrain records an inode found in split-brain, for heal info.
func (h *healer) splitBrain(g xlator.GFID, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.split[g]; !ok || old == "" {
		if it := h.items[g]; name == "" && it != nil {
			name = it.path
		}
		h.split[g] = name
	}
}

// tick retries parked items every retryEvery, reads the indexes every
// indexEvery, and runs the idle checks (idlecheck.go).
func (h *healer) tick() {
	defer h.wg.Done()
	ctx := h.r.runCtx
	t := time.NewTicker(retryEvery)
	defer t.Stop()
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	defer idle.Stop()
	for n := 1; ; {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n%int(indexEvery/retryEvery) == 0 {
				h.childUp()
			} else {
				h.requeue()
			}
			n++
		case <-h.idle.wake:
			idle.Reset(idleCheckDelay)
		case <-idle.C:
			if again := h.checkIdle(ctx); again > 0 {
				idle.Reset(again)
			}
		}
	}
}

// Work kinds next returns.
const (
	workItem = iota
	workFull
	workIndex
)

// next returns the next item to heal, or a full crawl or index read to
// run.
func (h *healer) next() (g xlator.GFID, kind int, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.paused {
		return g, 0, false
	}
	if h.full && !h.crawling.Load() {
		h.full = false
		h.crawling.Store(true)
		return g, workFull, true
	}
	if !h.r.heal.on {
		return g, 0, false
	}
	if h.index && !h.indexing.Load() {
		h.index = false
		h.indexing.Store(true)
		return g, workIndex, true
	}
	for len(h.ready) > 0 {
		g = h.ready[0]
		h.ready = h.ready[1:]
		it := h.items[g]
		if it == nil || !it.queued {
			continue
		}
		it.queued = false
		it.busy = true
		if len(h.ready) > 0 {
			h.poke() // more waits: wake another worker
		}
		return g, workItem, true
	}
	return g, 0, false
}

func (h *healer) work() {
	defer h.wg.Done()
	ctx := h.r.runCtx
	for {
		g, kind, ok := h.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-h.wake:
				continue
			}
		}
		switch kind {
		case workFull:
			h.runFull(ctx)
			continue
		case workIndex:
			h.crawlIndexes(ctx)
			h.indexing.Store(false)
			continue
		}
		h.healOne(ctx, g)
		if ctx.Err() != nil {
			return
		}
	}
}

// healOne heals one remembered inode and forgets it when done; otherwise
// it stays, parked, for the next child-up or retry. The item stays busy
// until that is decided: a remember meanwhile (an entry heal linking the
// inode and blaming the new name's copy, after the look that found
// nothing pending) makes it heal again instead of being forgotten.
func (h *healer) healOne(ctx context.Context, g xlator.GFID) {
	h.mu.Lock()
	gen := h.upGen
	h.mu.Unlock()
	_, err := h.r.healInode(ctx, g, false)
	finished := err == nil || errors.Is(err, syscall.ENOENT)
	var pending, waits bool
	if finished {
		h.mu.Lock()
		indexed := h.items[g] != nil && h.items[g].indexed // rememberIndexed sets it under h.mu
		h.mu.Unlock()
		look := h.r.pendingState(ctx, g)
		pending, waits = look.heal && !errors.Is(err, syscall.ENOENT), look.waitsForDown
		if !pending {
			// Records go with nothing pending: those of a brick that
			// no longer has the inode always (a copy marked just
			// before its last name went, by a write while another
			// brick was away or by a heal; nobody else would drop
			// them before the indexes are next read), the others
			// when the record is what queued it.
			h.r.dropRecords(ctx, g, look, indexed)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	it := h.items[g]
	if it == nil {
		return
	}
	it.busy = false
	again := it.again
	it.again = false
	defer func() {
		if _, still := h.items[g]; still && h.upGen != gen && !it.queued {
			it.queued = true
			h.ready = append(h.ready, g)
			h.poke()
		}
	}()
	if again {
		// Remembered while it healed: whatever was written then may
		// postdate both the heal and the look at the changelog.
		it.queued = true
		h.ready = append(h.ready, g)
		h.poke()
		return
	}
	switch {
	case finished:
		if !pending {
			h.forgetLocked(g)
			delete(h.split, g)
			return
		}
		it.tries++
		if !waits && it.tries < quickRetries {
			// Something changed while it healed (an entry heal made
			// its copy, a write failed): go again at once.
			it.queued = true
			h.ready = append(h.ready, g)
			h.poke()
			return
		}
		h.r.Log().Debug("healed, but something is still pending; retried later", "gfid", g, "path", it.path)
	case errors.Is(err, errPinned):
		// Not a failure: the heal waits for the last passthrough
		// handle on the copy to close, and is tried until then. Said
		// once per item, then only at debug level.
		if !it.pinSaid {
			it.pinSaid = true
			h.r.Log().Info("heal waits: an open passthrough handle reads the copy it would write; it runs once that handle closes", "gfid", g, "path", it.path)
		} else {
			h.r.Log().Debug("heal still waits for a passthrough handle to close", "gfid", g, "path", it.path)
		}
	case errors.Is(err, errSplitBrain):
		h.r.Log().Warn("split-brain: reads of it fail with EIO until it is resolved (heal split-brain, or favorite-child-policy)", "gfid", g, "path", it.path)
	default:
		h.r.Log().Warn("heal did not finish; it will be tried again", "gfid", g, "path", it.path, "err", err)
	}
}

// forgetLocked drops inode g from the waiting set and, when that empties
// it, has the idle check look at the bricks' indexes (idlecheck.go). The
// caller holds h.mu.
func (h *healer) forgetLocked(g xlator.GFID) {
	delete(h.items, g)
	if len(h.items) == 0 {
		h.idleNow()
	}
}

// setRate changes heal-rate-limit.
func (h *healer) setRate(bps int64) { h.rate.Store(bps) }

// throttle sleeps as long as needed to keep data heal under the rate.
func (h *healer) throttle(ctx context.Context, n int64) {
	rate := h.rate.Load()
	if rate <= 0 || n == 0 {
		return
	}
	h.throttleMu.Lock()
	now := time.Now()
	if h.throttleStart.IsZero() || now.Sub(h.throttleStart) > 10*time.Second {
		h.throttleStart, h.throttleBytes = now, 0
	}
	h.throttleBytes += n
	due := h.throttleStart.Add(time.Duration(float64(h.throttleBytes) / float64(rate) * float64(time.Second)))
	h.throttleMu.Unlock()
	if d := time.Until(due); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
}

// waitResumed blocks while heals are paused.
func (h *healer) waitResumed(ctx context.Context) {
	h.mu.Lock()
	ch := h.resumed
	h.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// pause stops heals from starting (and data heals between chunks).
func (h *healer) pause() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.paused {
		h.paused = true
		h.resumed = make(chan struct{})
	}
}

// resume lets heals run again.
func (h *healer) resume() {
	h.mu.Lock()
	if h.paused {
		h.paused = false
		close(h.resumed)
	}
	h.mu.Unlock()
	h.poke()
}

// settle follows the heal of an inode an entry heal created (err its
// outcome): healed, it leaves the waiting set if nothing is pending;
// failed, it is queued, since the blame the entry heal marked stays.
func (h *healer) settle(ctx context.Context, g xlator.GFID, err error) {
	if err != nil {
		h.remember(g, nil)
		return
	}
	h.healed(ctx, g)
}

// healed drops inode g from the waiting set when nothing is pending on it
// any more (it was healed as part of another heal). It keeps the item
// when it was remembered again after the look at its changelog began
// (the blame that remember follows may have been missed), or while a
// worker has it.
func (h *healer) healed(ctx context.Context, g xlator.GFID) {
	h.mu.Lock()
	it := h.items[g]
	var gen uint64
	if it != nil {
		gen = it.gen
	}
	h.mu.Unlock()
	if it == nil {
		return
	}
	if pending, _ := h.r.pendingOn(ctx, g); pending {
		return
	}
	h.mu.Lock()
	if h.items[g] == it && !it.busy && it.gen == gen {
		h.forgetLocked(g)
	}
	h.mu.Unlock()
}
