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
type inodeTable struct {
	mu sync.Mutex
	m  map[xlator.GFID]*inodeInfo
}

func newInodeTable() *inodeTable {
	return &inodeTable{m: map[xlator.GFID]*inodeInfo{}}
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
}

// blame marks the children in failed as no longer readable for typ.
func (t *inodeTable) blame(g xlator.GFID, typ int, failed []bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
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
