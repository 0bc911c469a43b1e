package replicate

import (
	"context"

	"github.com/loom-fs/loom/xlator"
)

// metaBlame blames an inode's sinks for metadata, on its sources, around
// a heal's changes to them that move their times: creating or removing a
// name moves a directory's mtime to "now", writing data moves a file's.
// Only a heal of the metadata from a source puts the times back. Without
// the blame, a later metadata heal of copies that agree on everything
// else takes the times of whichever copy it prefers (the read child),
// which may be the sink just changed: the source's times would then be
// lost on every copy.
//
// A sink is marked before its first change (a crash in between leaves
// the blame) and once more after the last one: a metadata heal that ran
// in between, and cleared the first mark, cannot leave the sink's new
// times behind. The metadata heal that follows clears the marks. A sink
// that itself blames a source for metadata is not marked: that would be
// a metadata split-brain; its metadata is the newer, times included.
type metaBlame struct {
	r       *Replicate
	g       xlator.GFID
	sources []bool       // the copies that record the blame
	states  []replyState // the copies' changelogs, as the heal found them
	marked  []bool       // sinks marked before a change
}

// newMetaBlame prepares the marks of inode g, recorded on the copies in
// sources (no source, nil, marks nothing); states are the changelogs the
// heal looked at.
func (r *Replicate) newMetaBlame(g xlator.GFID, sources []bool, states []replyState) *metaBlame {
	return &metaBlame{r: r, g: g, sources: sources, states: states, marked: make([]bool, len(r.kids))}
}

// before marks sink j, once, before its first change.
func (b *metaBlame) before(ctx context.Context, j int) error {
	if b.marked[j] || count(b.sources) == 0 || b.sources[j] || b.blamesSource(j) {
		return nil
	}
	sinks := make([]bool, len(b.marked))
	sinks[j] = true
	if err := b.mark(ctx, sinks); err != nil {
		return err
	}
	b.marked[j] = true
	return nil
}

// after marks every sink marked by before once more, after the last
// change to it.
func (b *metaBlame) after(ctx context.Context) error {
	if count(b.marked) == 0 {
		return nil
	}
	return b.mark(ctx, b.marked)
}

// blamesSource reports whether sink j blames a source for metadata.
func (b *metaBlame) blamesSource(j int) bool {
	if j >= len(b.states) {
		return false
	}
	for i, src := range b.sources {
		if src && i < len(b.states[j].Pending) && b.states[j].Pending[i][tMeta] > 0 {
			return true
		}
	}
	return false
}

// mark adds one metadata blame of sinks on every source.
func (b *metaBlame) mark(ctx context.Context, sinks []bool) error {
	x := b.r.marks(counters{}, sinks, one(tMeta))
	for i := range b.sources {
		if !b.sources[i] {
			continue
		}
		if _, err := b.r.kids[i].Xattrop(ctx, xlator.RootCall(), nameless(b.g), xlator.AddArray32, x); err != nil {
			return xlator.Wrap("heal: blame for metadata", b.g.String(), err)
		}
	}
	b.r.inodes.forget(b.g)
	return nil
}

// only returns a set of n children holding child i alone.
func only(n, i int) []bool {
	s := make([]bool, n)
	s[i] = true
	return s
}
