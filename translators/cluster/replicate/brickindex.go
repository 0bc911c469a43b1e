package replicate

import (
	"context"
	"errors"
	"strconv"
	"syscall"

	"github.com/loom-fs/loom/translators/features/index"
	"github.com/loom-fs/loom/xlator"
)

// The bricks' pending indexes (features/index): each brick records the
// GFIDs whose changelog is not zero and lists them in a virtual directory
// with the fixed GFID index.IndexGFID. The healer reads every up child's
// index, a page at a time, when a child comes up, on "index", and every
// indexEvery; so a restarted mount (or brick) finds every pending heal
// without a crawl. A child without features/index simply has no index
// (its lookup of the virtual directory fails) and is skipped.

// maxIndexQueued bounds how many inodes an index crawl adds to the waiting
// set; the rest are found by the next crawl, after those are healed.
const maxIndexQueued = 100_000

// indexLoc is the nameless Loc of a brick's virtual index directory.
func indexLoc() *xlator.Loc { return &xlator.Loc{GFID: index.IndexGFID} }

// indexCount returns child i's number of records, or false when it has
// no index.
func (r *Replicate) indexCount(ctx context.Context, i int) (int64, bool) {
	_, x, err := r.kids[i].Lookup(ctx, xlator.RootCall(), indexLoc(), xlator.XData{index.CountKey: nil})
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(x[index.CountKey]), 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// readIndex calls fn with each page of GFIDs of child i's index, from the
// start, until fn returns false or the index ends.
func (r *Replicate) readIndex(ctx context.Context, i int, fn func([]xlator.GFID) bool) error {
	c := xlator.RootCall()
	fd := xlator.NewFD(indexLoc(), syscall.O_RDONLY|syscall.O_DIRECTORY, true)
	if err := r.kids[i].Opendir(ctx, c, fd); err != nil {
		return err
	}
	defer r.kids[i].Releasedir(context.Background(), c, fd)
	var off uint64
	for {
		ents, err := r.kids[i].Readdir(ctx, c, fd, off, 64<<10, false)
		if err != nil {
			return err
		}
		if len(ents) == 0 {
			return nil
		}
		page := make([]xlator.GFID, 0, len(ents))
		for _, e := range ents {
			off = e.Off
			if g, err := xlator.ParseGFID(e.Name); err == nil {
				page = append(page, g)
			}
		}
		if !fn(page) {
			return nil
		}
	}
}

// crawlIndexes adds the GFIDs of every up child's index to the waiting
// set (marked as found in an index, so their records are dropped when
// nothing is left to heal), up to maxIndexQueued waiting inodes.
func (h *healer) crawlIndexes(ctx context.Context) {
	r := h.r
	up := r.upSet()
	found := 0
	for i := range r.kids {
		if !up[i] || ctx.Err() != nil {
			continue
		}
		err := r.readIndex(ctx, i, func(page []xlator.GFID) bool {
			found += len(page)
			return h.rememberIndexed(page) < maxIndexQueued
		})
		if err != nil && !errors.Is(err, syscall.ENOENT) && !errors.Is(err, syscall.ENOTSUP) {
			r.Log().Debug("reading a brick's pending index failed", "child", r.kids[i].Name(), "err", err)
		}
	}
	if found > 0 {
		r.Log().Info("pending index read", "records", found)
	}
}

// rememberIndexed adds GFIDs found in an index and returns how many
// inodes wait now.
func (h *healer) rememberIndexed(gs []xlator.GFID) int {
	h.mu.Lock()
	for _, g := range gs {
		if g.IsZero() {
			continue
		}
		it := h.items[g]
		if it == nil {
			it = &healItem{}
			h.items[g] = it
		}
		it.indexed = true
		h.want(g, it)
	}
	n := len(h.items)
	h.mu.Unlock()
	h.poke()
	return n
}

// dropRecords removes inode g's index records once nothing is pending on
// it, as look (taken after the heal) found it: an unlink of the record on
// each child that no longer has the inode (features/index drops it after
// checking so), and, when present is set, an xattrop adding zero to every
// changelog key on each child that has it (features/index drops the
// record when all are zero; a copy's stray blame of itself, which would
// keep it, is taken off).
func (r *Replicate) dropRecords(ctx context.Context, g xlator.GFID, look pendingLook, present bool) {
	for i := range r.kids {
		switch {
		case look.absent[i]:
			r.kids[i].Unlink(ctx, xlator.RootCall(), &xlator.Loc{Parent: index.IndexGFID, Name: g.String()})
		case look.has[i] && present:
			out, err := r.kids[i].Xattrop(ctx, xlator.RootCall(), nameless(g), xlator.AddArray32, r.withAllKeys(xlator.XData{}))
			if err != nil {
				continue
			}
			// A copy's blame of itself is written by no fop and read
			// by no verdict (lookups do not ask for it), but it keeps
			// the record: take a stray one off.
			if self := decodeCounters(out[r.pendingKeys[i]]); !self.isZero() {
				x := xlator.XData{r.pendingKeys[i]: counters{-self[tData], -self[tMeta], -self[tEntry]}.encode()}
				r.kids[i].Xattrop(ctx, xlator.RootCall(), nameless(g), xlator.AddArray32, r.withAllKeys(x))
				r.Log().Info("took a copy's stray blame of itself off", "gfid", g, "child", r.kids[i].Name(), "counts", self)
			}
		}
	}
}
