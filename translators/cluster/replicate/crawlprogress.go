package replicate

import (
	"context"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// crawlProgress is what a full crawl reports as done (files_done,
// bytes_done) against its totals (files_total, bytes_total): only the
// entries the crawl listed, each once. Heals that are not the crawl's (a
// lookup's, the index's, a file written during the migration healed
// again) count nothing, and the bytes a heal copies count only up to the
// size the file was listed with, so done never exceeds total.
type crawlProgress struct {
	h     *healer
	mu    sync.Mutex
	files map[xlator.GFID]*fileProgress
}

// fileProgress is one listed regular file: its listed size (one per
// listed name) and the bytes counted for it so far.
type fileProgress struct {
	limit, counted int64
}

type crawlProgressKey struct{}

// withCrawlProgress returns ctx carrying p: heals run with it report
// their bytes to it.
func withCrawlProgress(ctx context.Context, p *crawlProgress) context.Context {
	return context.WithValue(ctx, crawlProgressKey{}, p)
}

// listed adds an entry the crawl listed to the totals.
func (p *crawlProgress) listed(e xlator.DirEntry) {
	p.h.filesTotal.Add(1)
	if e.Type != syscall.S_IFREG {
		return
	}
	size := int64(e.Stat.Size)
	p.h.bytesTotal.Add(size)
	p.mu.Lock()
	f := p.files[e.Stat.GFID]
	if f == nil {
		f = &fileProgress{}
		p.files[e.Stat.GFID] = f
	}
	f.limit += size
	p.mu.Unlock()
}

// copied counts n bytes a heal of inode g copied, up to g's listed size.
func (p *crawlProgress) copied(g xlator.GFID, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.files[g]
	if f == nil {
		return
	}
	add := max(min(n, f.limit-f.counted), 0)
	f.counted += add
	p.h.bytesDone.Add(add)
}

// done counts a listed entry as healed; a regular file's bytes not
// counted while it was copied (chunks already equal, holes) count now.
func (p *crawlProgress) done(e xlator.DirEntry) {
	p.h.filesDone.Add(1)
	if e.Type != syscall.S_IFREG {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.files[e.Stat.GFID]
	if f == nil {
		return
	}
	add := max(min(int64(e.Stat.Size), f.limit-f.counted), 0)
	f.counted += add
	p.h.bytesDone.Add(add)
}

// progressBytes reports n bytes a heal of inode g copied to the crawl
// running it, if any.
func (h *healer) progressBytes(ctx context.Context, g xlator.GFID, n int64) {
	if p, ok := ctx.Value(crawlProgressKey{}).(*crawlProgress); ok {
		p.copied(g, n)
	}
}
