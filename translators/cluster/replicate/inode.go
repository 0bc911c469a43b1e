package replicate

import (
	"sync"

	"github.com/loom-fs/loom/xlator"
)

// maxInodes bounds the inode table; when it is full it starts afresh (a
// forgotten inode's state is found again by its next lookup).
const maxInodes = 1 << 18

// inodeInfo is what replicate last learned about an inode from its
// children: which copies may answer reads of each kind.
type inodeInfo struct {
	typ      uint32    // file type bits
	readable [3][]bool // per counter type: children that hold a good copy
	split    [3]bool   // split-brain per counter type
	mismatch bool      // the children disagree on GFID or type
}

// inodeTable maps GFIDs to their inodeInfo.
//
// A lookup reads the children one after another (or in parallel) with no
// lock held, while a heal or a failed write changes the same inode's
// changelog and drops (forget) or lowers (blame) what is known of it. A
// lookup that read one child before such a change and another after it
// would record a state that never existed, say "both copies good" for a
// copy the entry heal has just created empty. So every forget and blame
// is numbered, and a lookup stores what it learned only when no change of
// its inode was numbered after it began (setSince); otherwise it looks
// again.
type inodeTable struct {
	mu sync.Mutex
	m  map[xlator.GFID]*inodeInfo

	seq     uint64                 // changes (forget, blame) numbered so far
	changed map[xlator.GFID]uint64 // number of each inode's last change
	floor   uint64                 // changes up to this number were dropped from changed
}

func newInodeTable() *inodeTable {
	return &inodeTable{m: map[xlator.GFID]*inodeInfo{}, changed: map[xlator.GFID]uint64{}}
}

// since returns the number of the last change: a lookup that begins now
// passes it to setSince.
func (t *inodeTable) since() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seq
}

// setSince records the state of g learned by a lookup that began at
// since, unless g was forgotten or blamed after that: then it stores
// nothing and returns false (the lookup must look again).
func (t *inodeTable) setSince(g xlator.GFID, in *inodeInfo, since uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.floor > since || t.changed[g] > since {
		return false
	}
	t.setLocked(g, in)
	return true
}

// store records what a lookup begun at since learned of g, as setSince
// does; on its last try (last) it stores it whatever changed meanwhile.
func (t *inodeTable) store(g xlator.GFID, in *inodeInfo, since uint64, last bool) bool {
	if last {
		t.set(g, in)
		return true
	}
	return t.setSince(g, in, since)
}

// changedLocked numbers a change of g.
func (t *inodeTable) changedLocked(g xlator.GFID) {
	t.seq++
	if len(t.changed) >= maxInodes {
		// Forget the numbers, conservatively: every lookup begun
		// before now counts as raced.
		t.changed = map[xlator.GFID]uint64{}
		t.floor = t.seq
	}
	t.changed[g] = t.seq
}

// get returns the state of g, or nil when it is not known.
func (t *inodeTable) get(g xlator.GFID) *inodeInfo {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[g]
}

// set records the state of g.
func (t *inodeTable) set(g xlator.GFID, in *inodeInfo) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.setLocked(g, in)
}

func (t *inodeTable) setLocked(g xlator.GFID, in *inodeInfo) {
	if len(t.m) >= maxInodes {
		t.m = map[xlator.GFID]*inodeInfo{}
	}
	t.m[g] = in
}

// forget drops what is known about g, so the next access looks it up.
func (t *inodeTable) forget(g xlator.GFID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, g)
	t.changedLocked(g)
}

// blame marks the children in failed as no longer readable for typ.
func (t *inodeTable) blame(g xlator.GFID, typ int, failed []bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.changedLocked(g)
	in := t.m[g]
	if in == nil {
		return
	}
	cp := *in
	cp.readable[typ] = append([]bool(nil), in.readable[typ]...)
	for i, f := range failed {
		if f && i < len(cp.readable[typ]) {
			cp.readable[typ][i] = false
		}
	}
	t.m[g] = &cp
}

// infoFrom builds an inodeInfo from the children's lookup answers.
func infoFrom(states []replyState) *inodeInfo {
	in := &inodeInfo{mismatch: mismatch(states)}
	for i := range states {
		if states[i].OK {
			in.typ = states[i].Stat.Type()
			break
		}
	}
	for typ := 0; typ < 3; typ++ {
		v := decide(states, typ)
		in.split[typ] = v.SplitBrain
		in.readable[typ] = v.Sources
	}
	return in
}

// needsHeal reports whether the answers show something to heal: a blamed
// copy, a split-brain, or a child that lacks the inode.
func needsHeal(states []replyState) bool {
	for typ := 0; typ < 3; typ++ {
		v := decide(states, typ)
		if v.SplitBrain || count(v.Sinks) > 0 {
			return true
		}
	}
	return mismatch(states)
}
