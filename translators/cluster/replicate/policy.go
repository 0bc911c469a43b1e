package replicate

import (
	"github.com/loom-fs/loom/xlator"
)

// Counter types of the changelog, in the order they are stored.
const (
	tData  = 0 // file contents
	tMeta  = 1 // mode, owner, times, xattrs
	tEntry = 2 // the names in a directory
)

// typeNames name the counter types in messages and control results.
var typeNames = [3]string{"data", "metadata", "entry"}

// counters are the three changelog counters (data, metadata, entry).
type counters [3]int32

// replyState is what one child said about one inode: the pure input of the
// source and sink decisions.
type replyState struct {
	OK      bool        // the child answered the lookup
	Stat    xlator.Stat // its attributes when OK
	Pending []counters  // Pending[j]: what this child holds against child j
	Dirty   counters    // transactions that began here and never ended
	Fresh   bool        // a brick root that had no GFID: an empty, new brick
	// XattrNames are the entry's xattr names without Loom's own, when
	// the lookup asked for them (xlator.XDataXattrNames) and the child
	// answered: XattrNamesKnown.
	XattrNames      []string
	XattrNamesKnown bool
	// Content is a small file's whole contents, when the lookup asked
	// for them (xlator.XDataContent) and the child read them:
	// ContentKnown.
	Content      []byte
	ContentKnown bool
}

// verdict is the outcome of comparing the children's changelogs for one
// counter type.
type verdict struct {
	Sources    []bool // children nobody blames: they may be read and healed from
	Sinks      []bool // children some other child blames
	SplitBrain bool   // every answering child is blamed by another
}

// decide computes sources and sinks of counter type typ. A child is a sink
// when another answering child blames it (pending > 0 against it), or when
// it is a fresh brick beside one that is not; the rest are sources. When
// every answering child is blamed, it is split-brain and there is no
// source.
func decide(states []replyState, typ int) verdict {
	n := len(states)
	v := verdict{Sources: make([]bool, n), Sinks: make([]bool, n)}
	anyOld := false
	for i := range states {
		if states[i].OK && !states[i].Fresh {
			anyOld = true
		}
	}
	answered := 0
	for j := range states {
		if !states[j].OK {
			continue
		}
		answered++
		blamed := states[j].Fresh && anyOld
		for i := range states {
			if i == j || !states[i].OK || j >= len(states[i].Pending) {
				continue
			}
			if states[i].Pending[j][typ] > 0 {
				blamed = true
			}
		}
		v.Sinks[j] = blamed
		v.Sources[j] = !blamed
	}
	if answered > 0 && count(v.Sources) == 0 {
		v.SplitBrain = true
	}
	return v
}

// mismatch reports whether the answering children disagree on the GFID or
// the file type of what they hold: a GFID (or type) split-brain.
func mismatch(states []replyState) bool {
	first := -1
	for i := range states {
		if !states[i].OK {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		a, b := &states[first].Stat, &states[i].Stat
		if a.GFID != b.GFID || a.Type() != b.Type() {
			return true
		}
	}
	return false
}

// dirty reports whether any answering child has an unfinished transaction
// of type typ recorded.
func dirty(states []replyState, typ int) bool {
	for i := range states {
		// A negative count is as unfinished as a positive one: a
		// post-op that landed on an inode an entry heal had just
		// replaced leaves -1 there, and only a heal zeroes it.
		if states[i].OK && states[i].Dirty[typ] != 0 {
			return true
		}
	}
	return false
}

// Favorite-child policies (GlusterFS's cluster.favorite-child-policy).
const (
	PolicyNone     = "none"
	PolicySize     = "size"
	PolicyMtime    = "mtime"
	PolicyCtime    = "ctime"
	PolicyMajority = "majority"
)

// favorite picks the child that resolves a split-brain among candidates
// under policy: the biggest file (size), the newest modification (mtime)
// or change (ctime), or the copy that more than half of all children hold
// with the same size and mtime (majority). It returns -1 when the policy
// is none or does not single out one child (a tie).
func favorite(policy string, states []replyState, candidates []bool) int {
	better := func(a, b *xlator.Stat) int { return 0 }
	switch policy {
	case PolicySize:
		better = func(a, b *xlator.Stat) int { return cmpU(a.Size, b.Size) }
	case PolicyMtime:
		better = func(a, b *xlator.Stat) int { return cmpTime(a.Mtime, b.Mtime) }
	case PolicyCtime:
		better = func(a, b *xlator.Stat) int { return cmpTime(a.Ctime, b.Ctime) }
	case PolicyMajority:
		return majority(states, candidates)
	default:
		return -1
	}
	best, tie := -1, false
	for i := range states {
		if !candidates[i] || !states[i].OK {
			continue
		}
		if best < 0 {
			best = i
			continue
		}
		switch better(&states[i].Stat, &states[best].Stat) {
		case 1:
			best, tie = i, false
		case 0:
			tie = true
		}
	}
	if tie {
		return -1
	}
	return best
}

// majority returns the first candidate whose size and mtime are shared by
// more than half of all children, or -1.
func majority(states []replyState, candidates []bool) int {
	for i := range states {
		if !candidates[i] || !states[i].OK {
			continue
		}
		same := 0
		for j := range states {
			if states[j].OK && states[j].Stat.Size == states[i].Stat.Size && states[j].Stat.Mtime == states[i].Stat.Mtime {
				same++
			}
		}
		if same*2 > len(states) {
			return i
		}
	}
	return -1
}

// biggest returns the answering child among candidates with the largest
// size (the first of equals), or -1: the source of a data heal when no
// changelog blames anyone but a transaction was left unfinished.
func biggest(states []replyState, candidates []bool) int {
	best := -1
	for i := range states {
		if candidates[i] && states[i].OK && (best < 0 || states[i].Stat.Size > states[best].Stat.Size) {
			best = i
		}
	}
	return best
}

func cmpU(a, b uint64) int {
	switch {
	case a > b:
		return 1
	case a < b:
		return -1
	}
	return 0
}

func cmpTime(a, b xlator.Timespec) int {
	switch {
	case a.Sec != b.Sec:
		if a.Sec > b.Sec {
			return 1
		}
		return -1
	case a.Nsec != b.Nsec:
		if a.Nsec > b.Nsec {
			return 1
		}
		return -1
	}
	return 0
}

func count(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// quorumMet reports whether the children in set are enough to modify the
// volume: quorum-type none needs one, fixed needs quorumCount, and auto
// needs more than half of all children, or exactly half including the
// first (GlusterFS's rule, so that two halves never both write).
func quorumMet(qtype string, quorumCount int, set []bool) bool {
	n := count(set)
	switch qtype {
	case "fixed":
		return n >= quorumCount && n > 0
	case "auto":
		total := len(set)
		if n*2 > total {
			return true
		}
		return n*2 == total && set[0]
	}
	return n > 0
}
