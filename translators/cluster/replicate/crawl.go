package replicate

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	"github.com/loom-fs/loom/translators/features/index"
	"github.com/loom-fs/loom/xlator"
)

// filesPerWorker is how many new files a full crawl heals at once per
// heal worker. A new file's heal is a chain of small fops, each a round
// trip through protocol/client; more of them in flight keep a remote
// brick busy while each waits for its answers.
const filesPerWorker = 4

// runFull crawls the whole volume from the root, directories in parallel
// (heal-workers of them at once): each directory's entries are healed
// (missing ones created with their contents), every entry with something
// pending is healed, and the directory's times are set after its entries.
// It is what heals a fresh, empty brick.
func (h *healer) runFull(ctx context.Context) {
	defer h.crawling.Store(false)
	r := h.r
	h.crawlStart.Store(time.Now().UnixNano())
	h.filesDone.Store(0)
	h.bytesDone.Store(0)
	h.filesTotal.Store(0)
	h.bytesTotal.Store(0)
	r.Log().Info("full heal started")
	q := &dirQueue{newBricks: r.newBricks(ctx),
		progress: &crawlProgress{h: h, files: map[xlator.GFID]*fileProgress{}}}
	ctx = withCrawlProgress(ctx, q.progress)
	q.files = r.newFreshPool(ctx, h.workers*filesPerWorker)
	defer q.files.close()
	q.cond = sync.NewCond(&q.mu)
	q.push(xlator.RootGFID)
	var wg sync.WaitGroup
	for k := 0; k < h.workers; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				g, ok := q.pop()
				if !ok {
					return
				}
				if ctx.Err() == nil {
					h.waitResumed(ctx)
					h.crawlDir(ctx, g, q)
				}
				q.done()
			}
		}()
	}
	wg.Wait()
	d := time.Since(time.Unix(0, h.crawlStart.Load()))
	r.Log().Info("full heal finished", "files", h.filesDone.Load(), "bytes", h.bytesDone.Load(), "seconds", d.Seconds())
}

// newBricks reports, per child, whether it is a new brick whose pending
// index holds nothing: its root had no GFID when the brick was opened
// (storage/posix says so on every root lookup for as long as it runs),
// and its features/index has no records now (or it has no index). A new
// inode the crawl creates there then has no index record left from an
// earlier inode of its GFID. A child that cannot be asked counts as not
// new.
func (r *Replicate) newBricks(ctx context.Context) []bool {
	out := make([]bool, len(r.kids))
	up := r.upSet()
	for i := range r.kids {
		if !up[i] {
			continue
		}
		_, x, err := r.kids[i].Lookup(ctx, xlator.RootCall(), xlator.RootLoc(), nil)
		if err != nil {
			continue
		}
		if _, fresh := x[xlator.XDataGFIDAssigned]; !fresh {
			continue
		}
		_, x, err = r.kids[i].Lookup(ctx, xlator.RootCall(), indexLoc(), xlator.XData{index.CountKey: nil})
		switch {
		case err == nil:
			out[i] = string(x[index.CountKey]) == "0"
		case errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ESTALE):
			out[i] = true // no features/index here: no records
		}
	}
	return out
}

// crawlDir heals one directory during a full crawl and queues its
// subdirectories.
func (h *healer) crawlDir(ctx context.Context, g xlator.GFID, q *dirQueue) {
	r := h.r
	created, changed, ents, err := r.healEntriesList(ctx, g, true)
	if err != nil {
		r.Log().Warn("full heal: entry heal failed", "gfid", g, "err", err)
	}
	isNew := map[xlator.GFID]bool{}
	for _, ne := range created {
		isNew[ne.gfid] = true
	}
	if ents == nil {
		// No source listed it (split-brain, or the entry heal failed):
		// list the copy reads would use.
		if src, err := r.pickRead(ctx, xlator.RootCall(), g, nil, tEntry, r.upSet()); err == nil {
			ents, _ = r.listDir(ctx, src, g)
		}
	}
	// Progress counts the listed entries; a new file's names are done
	// when its heal ends.
	var mu sync.Mutex
	newNames := map[xlator.GFID][]xlator.DirEntry{}
	for _, e := range ents {
		q.progress.listed(e)
		if isNew[e.Stat.GFID] && e.Type != syscall.S_IFDIR {
			newNames[e.Stat.GFID] = append(newNames[e.Stat.GFID], e)
		}
	}
	r.healFresh(ctx, r.freshJobs(created, q.newBricks), q.files, func(g xlator.GFID, err error) {
		if err != nil {
			r.Log().Warn("full heal: heal of a new entry failed", "gfid", g, "err", err)
			h.remember(g, nil) // its entry heal's blame stays
			return
		}
		mu.Lock()
		names := newNames[g]
		delete(newNames, g)
		mu.Unlock()
		for _, e := range names {
			q.progress.done(e)
		}
	})
	for _, e := range ents {
		switch {
		case e.Type == syscall.S_IFDIR:
			q.push(e.Stat.GFID)
			q.progress.done(e)
		case isNew[e.Stat.GFID]:
		default:
			if pending, _ := r.pendingOn(ctx, e.Stat.GFID); pending {
				switch _, err := r.healInode(ctx, e.Stat.GFID, false); {
				case errors.Is(err, errPinned):
					// Not a failure: the healer retries it (and
					// says once that it waits for the pin).
					h.remember(e.Stat.GFID, nil)
				case err != nil:
					r.Log().Warn("full heal: heal failed", "gfid", e.Stat.GFID, "err", err)
				}
			} else if r.timesDiffer(ctx, e.Stat.GFID) {
				// Times are metadata: copies that differ only in
				// them get the source's.
				if _, err := r.healMeta(ctx, e.Stat.GFID, true, r.favoritePolicy(), -1); err != nil {
					r.Log().Warn("full heal: metadata heal failed", "gfid", e.Stat.GFID, "err", err)
				}
			}
			q.progress.done(e)
		}
	}
	if _, err := r.healMeta(ctx, g, changed, r.favoritePolicy(), -1); err != nil {
		r.Log().Warn("full heal: directory metadata heal failed", "gfid", g, "err", err)
	}
}

// dirQueue is the unbounded work queue of a crawl; it ends when it is
// empty and no directory is being worked on.
type dirQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []xlator.GFID
	active int
	files  *freshPool // heals the new files, a bounded number at once, crawl-wide
	// newBricks says which children were new bricks when the crawl
	// began (see Replicate.newBricks).
	newBricks []bool
	progress  *crawlProgress
}

func (q *dirQueue) push(g xlator.GFID) {
	q.mu.Lock()
	q.items = append(q.items, g)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop returns the next directory, waiting while others may still add
// some; false when the crawl is over.
func (q *dirQueue) pop() (xlator.GFID, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 {
		if q.active == 0 {
			q.cond.Broadcast()
			return xlator.GFID{}, false
		}
		q.cond.Wait()
	}
	g := q.items[len(q.items)-1]
	q.items = q.items[:len(q.items)-1]
	q.active++
	return g, true
}

// done marks one popped directory finished.
func (q *dirQueue) done() {
	q.mu.Lock()
	q.active--
	q.mu.Unlock()
	q.cond.Broadcast()
}
