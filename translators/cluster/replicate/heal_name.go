package replicate

import (
	"context"
	"errors"
	"path"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// nameHealTimeout bounds what a lookup spends on a name heal: waiting for
// the name's entry lock, and creating the entry. When it runs out the
// lookup answers anyway and the parent's entry heal, in the background,
// creates the entry later.
const nameHealTimeout = 5 * time.Second

// healName is the name heal of a lookup that found loc's entry missing on
// some copies (GlusterFS's lookup name heal): under the entry lock of the
// name in its parent directory, it creates the entry, with the GFID, type,
// owner and mode a source of the parent's entries has, on every sink of
// the parent that lacks it. Only the entry is made: its contents,
// attributes and (for a directory) its own entries are left to the heal
// of the new inode, in the background, which createOn's blame leaves it
// to; the parent, whose times the creation moved, is blamed for metadata
// and queued too. So a crawl (find, ls -R) through the mount creates a
// whole tree on a sink in one pass. It reports whether anything was
// created; nothing is when the parent has no clear source (split-brain,
// no changelog), when a source's name disagrees with another source's, or
// when the lock is not had within nameHealTimeout.
func (r *Replicate) healName(ctx context.Context, loc *xlator.Loc) bool {
	if !r.heal.on || !r.heal.entry || loc.Parent.IsZero() {
		return false
	}
	name := loc.Name
	if name == "" && loc.Path != "" {
		name = path.Base(loc.Path)
	}
	if name == "" || name == "/" || name == "." || name == ".." {
		return false
	}
	// The caller's cancellation must not stop a creation half-way; the
	// timeout bounds the wait.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), nameHealTimeout)
	defer cancel()
	// Only a parent with a sink of its entries needs the lock: an entry
	// missing on some copies while nothing is blamed is one being
	// created or removed right now, and its transaction holds the lock.
	if _, ps := r.lookupAll(ctx, xlator.RootCall(), r.parentLoc(loc), nil); !hasEntrySink(ps) {
		return false
	}
	held, err := r.acquireAll(ctx, []lockReq{{entry: true, domain: r.domain, gfid: loc.Parent, name: name}}, r.upSet())
	if err != nil {
		r.Log().Debug("name heal: the entry lock was not had in time; left to the parent's heal", "path", loc.Path, "err", err)
		return false
	}
	defer held.release()
	_, ps := r.lookupAll(ctx, xlator.RootCall(), r.parentLoc(loc), nil)
	if !hasEntrySink(ps) {
		return false
	}
	v := decide(ps, tEntry)
	eloc := &xlator.Loc{Path: loc.Path, Parent: loc.Parent, Name: name}
	ans, states := r.lookupAll(ctx, xlator.RootCall(), eloc, nil)
	src := nameSource(states, v.Sources, r.readChild)
	if src < 0 {
		return false
	}
	sources := make([]bool, len(r.kids))
	for i := range sources {
		sources[i] = v.Sources[i] && ps[i].OK
	}
	blame := r.newMetaBlame(loc.Parent, sources, ps)
	st := ans[src].stat
	e := xlator.DirEntry{Name: name, Type: st.Type(), HasStat: true, Stat: st}
	made := false
	for j := range r.kids {
		if !v.Sinks[j] || !ps[j].OK || !errors.Is(ans[j].err, syscall.ENOENT) {
			continue
		}
		if err := blame.before(ctx, j); err != nil {
			r.Log().Debug("name heal failed; left to the parent's heal", "path", loc.Path, "child", r.kids[j].Name(), "err", err)
			break
		}
		ne, err := r.createOn(ctx, j, src, loc.Parent, name, e)
		if err != nil {
			r.Log().Debug("name heal failed; left to the parent's heal", "path", loc.Path, "child", r.kids[j].Name(), "err", err)
			continue
		}
		made = true
		if ne != nil && ne.fd != nil {
			r.kids[j].Release(context.Background(), xlator.RootCall(), ne.fd)
		}
	}
	if err := blame.after(ctx); err != nil {
		r.Log().Debug("name heal: blaming the parent's metadata failed", "path", loc.Path, "err", err)
	}
	if made {
		r.healer.remember(st.GFID, loc)
	}
	if made || count(blame.marked) > 0 {
		// The parent's metadata blame waits for its heal.
		r.healer.remember(loc.Parent, r.parentLoc(loc))
	}
	return made
}

// hasEntrySink reports whether the directory answers ps show a source and
// a sink of its entries (and no split-brain).
func hasEntrySink(ps []replyState) bool {
	v := decide(ps, tEntry)
	return !v.SplitBrain && count(v.Sources) > 0 && count(v.Sinks) > 0
}

// nameSource picks the copy a name heal creates the entry from: a source
// of the parent's entries that holds the name, prefer when it is one. It
// returns -1 when no source holds the name or two sources hold different
// files under it.
func nameSource(states []replyState, sources []bool, prefer int) int {
	src := -1
	for i := range states {
		if !sources[i] || !states[i].OK {
			continue
		}
		if src >= 0 && (states[i].Stat.GFID != states[src].Stat.GFID || states[i].Stat.Type() != states[src].Stat.Type()) {
			return -1
		}
		if src < 0 || i == prefer {
			src = i
		}
	}
	return src
}
