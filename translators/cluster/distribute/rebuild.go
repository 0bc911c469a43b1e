package distribute

import (
	"math"
	"sort"
)

// hashSpace is the number of hashes, 2^32.
const hashSpace = uint64(math.MaxUint32) + 1

// Rebuild computes a new layout over the active subvolumes that keeps as
// much of old as it can, so that a rebalance moves as few files as
// possible (GlusterFS's "layout overlap maximisation" in dht-selfheal.c).
//
// The new layout has the same equal slots as Spread (the hash space cut
// into as many contiguous parts as there are active subvolumes); only
// which subvolume gets which slot is chosen: the assignment that keeps
// the most hashes with the subvolume that owned them in old (an
// assignment problem, solved exactly by the Hungarian method; GlusterFS
// swaps pairs of ranges greedily, which can stop short of the best).
//
// Adding a fifth subvolume to four moves 30% of the hashes (an even
// re-split moved 80%); the lower bound, 20%, would need a subvolume to
// own two ranges, which the layout xattr cannot say. The table in
// rebuild_test.go lists the fractions for other changes.
//
// With no old range on an active subvolume it is Spread(active, rotate,
// ...). old shorter than active holds nothing for the missing
// subvolumes. version and committed are set on every range; with no
// active subvolume it returns nil.
func Rebuild(old Layout, active []bool, rotate uint32, version uint32, committed bool) Layout {
	fresh := Spread(active, rotate, version, committed)
	if fresh == nil {
		return nil
	}
	var subs []int    // the active subvolumes
	var slots []Range // their slots in Spread, in hash order
	keeps := false
	for i, r := range fresh {
		if r.Has {
			subs = append(subs, i)
			slots = append(slots, r)
			keeps = keeps || (i < len(old) && old[i].Has)
		}
	}
	if !keeps {
		return fresh
	}
	sort.Slice(slots, func(i, j int) bool { return slots[i].Start < slots[j].Start })
	gain := make([][]int64, len(subs))
	for a, i := range subs {
		gain[a] = make([]int64, len(slots))
		if i < len(old) {
			for s, r := range slots {
				gain[a][s] = int64(overlap(old[i], r))
			}
		}
	}
	out := make(Layout, len(active))
	for i := range out {
		out[i] = Range{Version: version, Committed: committed}
	}
	for a, s := range bestAssignment(gain) {
		i := subs[a]
		out[i].Has, out[i].Start, out[i].Stop = true, slots[s].Start, slots[s].Stop
	}
	return out
}

// bestAssignment returns, for the square matrix gain, the column of each
// row in the one-to-one assignment with the largest total gain
// (Hungarian method with potentials, O(n^3)).
func bestAssignment(gain [][]int64) []int {
	n := len(gain)
	const inf = math.MaxInt64 / 4
	// Minimise cost = -gain. Rows and columns are 1-based below; column
	// 0 is the free start of each augmenting path.
	u := make([]int64, n+1)
	v := make([]int64, n+1)
	rowOf := make([]int, n+1) // rowOf[col]: the row assigned to col
	way := make([]int, n+1)
	for row := 1; row <= n; row++ {
		rowOf[0] = row
		col0 := 0
		minv := make([]int64, n+1)
		used := make([]bool, n+1)
		for j := range minv {
			minv[j] = inf
		}
		for rowOf[col0] != 0 {
			used[col0] = true
			r, delta, col1 := rowOf[col0], int64(inf), 0
			for j := 1; j <= n; j++ {
				if used[j] {
					continue
				}
				if cur := -gain[r-1][j-1] - u[r] - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, col0
				}
				if minv[j] < delta {
					delta, col1 = minv[j], j
				}
			}
			for j := 0; j <= n; j++ {
				if used[j] {
					u[rowOf[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			col0 = col1
		}
		for col0 != 0 {
			prev := way[col0]
			rowOf[col0] = rowOf[prev]
			col0 = prev
		}
	}
	colOf := make([]int, n)
	for j := 1; j <= n; j++ {
		colOf[rowOf[j]-1] = j - 1
	}
	return colOf
}

// overlap returns how many hashes a and b both own.
func overlap(a, b Range) uint64 {
	if !a.Has || !b.Has {
		return 0
	}
	lo, hi := max(a.Start, b.Start), min(a.Stop, b.Stop)
	if lo > hi {
		return 0
	}
	return uint64(hi-lo) + 1
}

// Moved returns the fraction of the hash space whose subvolume differs
// between old and new: the share of a directory's files that a rebalance
// from a sound layout old to new migrates (for evenly hashed names).
// Hashes in a hole of old count as moved.
func Moved(old, new Layout) float64 {
	var kept uint64
	for i := range min(len(old), len(new)) {
		kept += overlap(old[i], new[i])
	}
	return 1 - float64(kept)/float64(hashSpace)
}
