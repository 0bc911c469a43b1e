package distribute

import (
	"fmt"
	"math"
	"testing"
)

// all returns n active flags, all set.
func all(n int) []bool {
	a := make([]bool, n)
	for i := range a {
		a[i] = true
	}
	return a
}

// first returns n flags with the first k set.
func first(n, k int) []bool {
	a := make([]bool, n)
	for i := range k {
		a[i] = true
	}
	return a
}

// Growing and shrinking a volume: the new layout is sound, balanced, and
// moves the fraction of the hash space the table says, whatever the
// directory's rotation; an even re-split with the directory's rotation
// (what fix-layout did before), averaged over rotations as directories
// have them at random, is shown for comparison.
func TestRebuildMovesLittle(t *testing.T) {
	for _, tc := range []struct {
		name         string
		oldActive    []bool
		active       []bool
		moved, worst float64 // Rebuild's fraction: mean and most over rotations
		evenReSplit  float64 // Spread's fraction, mean over rotations
	}{
		{"1 to 2", first(2, 1), all(2), 0.500, 0.500, 0.500},
		{"2 to 3", first(3, 2), all(3), 0.333, 0.333, 0.667},
		{"3 to 4", first(4, 3), all(4), 0.333, 0.333, 0.750},
		{"4 to 5", first(5, 4), all(5), 0.300, 0.300, 0.800},
		{"5 to 6", first(6, 5), all(6), 0.300, 0.300, 0.833},
		{"8 to 9", first(9, 8), all(9), 0.278, 0.278, 0.889},
		{"4 to 6", first(6, 4), all(6), 0.333, 0.333, 0.833},
		{"5 to 4, one drained", all(5), first(5, 4), 0.400, 0.500, 0.800},
		{"unchanged", all(4), all(4), 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const rotations = 360 // every rotation modulo 1..6, 8 and 9 subvolumes
			var even, mean, worst float64
			for rot := uint32(0); rot < rotations; rot++ {
				old := Spread(tc.oldActive, rot, 1, true)
				got := Rebuild(old, tc.active, rot, 2, false)
				if p := got.Problem(); p != "" {
					t.Fatalf("rotate %d: Rebuild gave a bad layout: %s", rot, p)
				}
				checkBalanced(t, got, tc.active)
				m := Moved(old, got)
				mean, worst = mean+m/rotations, max(worst, m)
				even += Moved(old, Spread(tc.active, rot, 2, false)) / rotations
			}
			if math.Abs(mean-tc.moved) > 0.001 || math.Abs(worst-tc.worst) > 0.001 {
				t.Errorf("moved %.3f of the hash space on average, %.3f at most; want %.3f, %.3f", mean, worst, tc.moved, tc.worst)
			}
			if math.Abs(even-tc.evenReSplit) > 0.001 {
				t.Errorf("an even re-split moves %.3f, the table says %.3f", even, tc.evenReSplit)
			}
			t.Logf("moved %.1f%% on average, %.1f%% at most (even re-split: %.1f%%)", mean*100, worst*100, even*100)
		})
	}
}

// checkBalanced fails unless exactly the active subvolumes have a range
// and the ranges differ in size by at most one.
func checkBalanced(t *testing.T, l Layout, active []bool) {
	t.Helper()
	lo, hi := uint64(math.MaxUint64), uint64(0)
	for i, r := range l {
		if r.Has != active[i] {
			t.Errorf("subvolume %d has a range: %v, active: %v", i, r.Has, active[i])
		}
		if r.Has {
			size := uint64(r.Stop-r.Start) + 1
			lo, hi = min(lo, size), max(hi, size)
		}
	}
	if hi-lo > 1 {
		t.Errorf("range sizes from %d to %d", lo, hi)
	}
}

// A sound, balanced layout over the active subvolumes is kept as it is,
// whatever its rotation: fix-layout then writes nothing.
func TestRebuildKeepsBalancedLayout(t *testing.T) {
	for n := 1; n <= 9; n++ {
		for rot := uint32(0); rot < uint32(n); rot++ {
			old := Spread(all(n), rot, 4, true)
			got := Rebuild(old, all(n), rot+1, 5, false)
			if !Same(old, got) {
				t.Errorf("n=%d rotate=%d: %v became %v", n, rot, old, got)
			}
			if got.MaxVersion() != 5 || got.Committed() {
				t.Errorf("n=%d: version/committed not set: %+v", n, got[0])
			}
		}
	}
}

// With nothing to keep (a fresh directory, every xattr lost), Rebuild is
// Spread.
func TestRebuildFromNothing(t *testing.T) {
	for _, old := range []Layout{nil, {{}, {}, {}}} {
		if got, want := Rebuild(old, all(3), 7, 1, true), Spread(all(3), 7, 1, true); !Same(got, want) || got[0] != want[0] {
			t.Errorf("Rebuild(%v) = %v, want %v", old, got, want)
		}
	}
	if Rebuild(nil, []bool{false}, 0, 1, true) != nil {
		t.Error("no active subvolume gave a layout")
	}
}

// A damaged layout (one subvolume's xattr lost) is rebuilt sound, keeping
// the others' ranges.
func TestRebuildRepairsHole(t *testing.T) {
	old := Spread(all(4), 1, 3, true)
	old[2] = Range{}
	got := Rebuild(old, all(4), 1, 4, false)
	if p := got.Problem(); p != "" {
		t.Fatal(p)
	}
	if m := Moved(old, got); m > 0.25+1e-9 {
		t.Errorf("repairing one lost range moved %.3f, want only its quarter", m)
	}
}

// For every sound even layout over up to six subvolumes, every change of
// the active set and every rotation, the matching is as good as the best
// of all assignments of subvolumes to slots (found by trying them all).
func TestRebuildIsOptimal(t *testing.T) {
	for n := 1; n <= 6; n++ {
		for mask := 1; mask < 1<<n; mask++ {
			for newMask := 1; newMask < 1<<n; newMask++ {
				oldActive, active := bits(n, mask), bits(n, newMask)
				for rot := uint32(0); rot < 3; rot++ {
					old := Spread(oldActive, rot, 1, true)
					got := Rebuild(old, active, 0, 2, false)
					if p := got.Problem(); p != "" {
						t.Fatalf("n=%d %b->%b: %s", n, mask, newMask, p)
					}
					checkBalanced(t, got, active)
					if m, best := Moved(old, got), bestMoved(old, active); m > best+1e-9 {
						t.Errorf("n=%d %b->%b rotate=%d: moved %.4f, best assignment %.4f", n, mask, newMask, rot, m, best)
					}
				}
			}
		}
	}
}

func bits(n, mask int) []bool {
	a := make([]bool, n)
	for i := range a {
		a[i] = mask&(1<<i) != 0
	}
	return a
}

// bestMoved tries every assignment of the active subvolumes to Spread's
// slots and returns the smallest moved fraction.
func bestMoved(old Layout, active []bool) float64 {
	fresh := Spread(active, 0, 0, false)
	var idx []int
	var slots []Range
	for i, r := range fresh {
		if r.Has {
			idx = append(idx, i)
			slots = append(slots, r)
		}
	}
	best := 1.0
	permute(len(slots), func(p []int) {
		l := make(Layout, len(active))
		for k, i := range idx {
			l[i] = slots[p[k]]
		}
		best = min(best, Moved(old, l))
	})
	return best
}

// permute calls fn with every permutation of 0..n-1.
func permute(n int, fn func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			fn(p)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// Files, not just hashes: 10,000 names placed by the old and the new
// layout move in the proportion Moved predicts.
func TestRebuildMovesFiles(t *testing.T) {
	old := Spread(first(5, 4), 0, 1, true)
	got := Rebuild(old, all(5), 0, 2, false)
	moved := 0
	const files = 10000
	for i := range files {
		h := Hash(fmt.Sprintf("f%05d", i))
		a, _ := old.Search(h)
		b, _ := got.Search(h)
		if a != b {
			moved++
		}
	}
	frac := float64(moved) / files
	if want := Moved(old, got); math.Abs(frac-want) > 0.02 {
		t.Errorf("%d of %d files move (%.3f), the hash space says %.3f", moved, files, frac, want)
	}
	t.Logf("4 to 5 bricks: %d of %d files move (%.1f%%)", moved, files, frac*100)
}
