package replicate

import (
	"fmt"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// states builds reply states from a blame matrix: m[i][j] is what child i
// holds against child j (one counter type, the data counter); a row of
// nil marks a child that did not answer.
func statesOf(m [][]int32) []replyState {
	out := make([]replyState, len(m))
	for i, row := range m {
		if row == nil {
			continue
		}
		out[i].OK = true
		out[i].Pending = make([]counters, len(m))
		for j, v := range row {
			out[i].Pending[j][tData] = v
		}
	}
	return out
}

func bits(b []bool) string {
	s := ""
	for _, x := range b {
		if x {
			s += "1"
		} else {
			s += "0"
		}
	}
	return s
}

func TestDecide(t *testing.T) {
	for _, c := range []struct {
		name           string
		m              [][]int32
		sources, sinks string
		split          bool
	}{
		{"all clean", [][]int32{{0, 0}, {0, 0}}, "11", "00", false},
		{"a blames b", [][]int32{{0, 1}, {0, 0}}, "10", "01", false},
		{"b blames a", [][]int32{{0, 0}, {3, 0}}, "01", "10", false},
		{"mutual blame", [][]int32{{0, 1}, {1, 0}}, "00", "11", true},
		{"self blame ignored", [][]int32{{5, 0}, {0, 0}}, "11", "00", false},
		{"b down, a blames b", [][]int32{{0, 1}, nil}, "10", "00", false},
		{"three: two blame c", [][]int32{{0, 0, 2}, {0, 0, 2}, {0, 0, 0}}, "110", "001", false},
		{"three: chain", [][]int32{{0, 1, 0}, {0, 0, 1}, {0, 0, 0}}, "100", "011", false},
		{"three: cycle", [][]int32{{0, 1, 0}, {0, 0, 1}, {1, 0, 0}}, "000", "111", true},
		{"negative counts are no blame", [][]int32{{0, -1}, {0, 0}}, "11", "00", false},
		{"nobody answered", [][]int32{nil, nil}, "00", "00", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := decide(statesOf(c.m), tData)
			if bits(v.Sources) != c.sources || bits(v.Sinks) != c.sinks || v.SplitBrain != c.split {
				t.Errorf("sources %s sinks %s split %v; want %s %s %v",
					bits(v.Sources), bits(v.Sinks), v.SplitBrain, c.sources, c.sinks, c.split)
			}
			if other := decide(statesOf(c.m), tMeta); other.SplitBrain || count(other.Sinks) > 0 {
				t.Errorf("data blame leaked into the metadata verdict: %+v", other)
			}
		})
	}
}

func TestDecideFreshBrick(t *testing.T) {
	s := statesOf([][]int32{{0, 0}, {0, 0}})
	s[1].Fresh = true
	v := decide(s, tEntry)
	if bits(v.Sources) != "10" || bits(v.Sinks) != "01" {
		t.Errorf("fresh brick beside a full one: sources %s sinks %s; want 10 01", bits(v.Sources), bits(v.Sinks))
	}
	s[0].Fresh = true
	if v := decide(s, tEntry); bits(v.Sources) != "11" {
		t.Errorf("two fresh bricks: sources %s; want 11", bits(v.Sources))
	}
}

func TestMismatch(t *testing.T) {
	a, b := xlator.NewGFID(), xlator.NewGFID()
	mk := func(g xlator.GFID, mode uint32, ok bool) replyState {
		return replyState{OK: ok, Stat: xlator.Stat{GFID: g, Mode: mode}}
	}
	for _, c := range []struct {
		name string
		s    []replyState
		want bool
	}{
		{"same", []replyState{mk(a, 0o100644, true), mk(a, 0o100600, true)}, false},
		{"gfid differs", []replyState{mk(a, 0o100644, true), mk(b, 0o100644, true)}, true},
		{"type differs", []replyState{mk(a, 0o100644, true), mk(a, 0o040755, true)}, true},
		{"other is down", []replyState{mk(a, 0o100644, true), mk(b, 0o040755, false)}, false},
	} {
		if got := mismatch(c.s); got != c.want {
			t.Errorf("%s: mismatch %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFavorite(t *testing.T) {
	st := func(size uint64, mtime, ctime int64) replyState {
		return replyState{OK: true, Stat: xlator.Stat{Size: size, Mtime: xlator.Timespec{Sec: mtime}, Ctime: xlator.Timespec{Sec: ctime}}}
	}
	all := []bool{true, true, true}
	for _, c := range []struct {
		policy string
		s      []replyState
		want   int
	}{
		{PolicyNone, []replyState{st(1, 1, 1), st(2, 2, 2), st(3, 3, 3)}, -1},
		{PolicySize, []replyState{st(10, 1, 1), st(30, 2, 2), st(20, 3, 3)}, 1},
		{PolicySize, []replyState{st(30, 1, 1), st(30, 2, 2), st(20, 3, 3)}, -1},
		{PolicyMtime, []replyState{st(10, 5, 1), st(30, 2, 2), st(20, 3, 9)}, 0},
		{PolicyMtime, []replyState{st(10, 5, 1), st(30, 5, 2), st(20, 3, 9)}, -1},
		{PolicyCtime, []replyState{st(10, 5, 1), st(30, 2, 2), st(20, 3, 9)}, 2},
		{PolicyMajority, []replyState{st(10, 5, 1), st(20, 3, 2), st(20, 3, 9)}, 1},
		{PolicyMajority, []replyState{st(10, 5, 1), st(20, 3, 2), st(30, 3, 9)}, -1},
	} {
		t.Run(fmt.Sprintf("%s-%d", c.policy, c.want), func(t *testing.T) {
			if got := favorite(c.policy, c.s, all); got != c.want {
				t.Errorf("favorite(%s) = %d, want %d", c.policy, got, c.want)
			}
		})
	}
	// Only candidates may win.
	s := []replyState{st(100, 1, 1), st(5, 2, 2), st(7, 3, 3)}
	if got := favorite(PolicySize, s, []bool{false, true, true}); got != 2 {
		t.Errorf("favorite among candidates = %d, want 2", got)
	}
}

func TestQuorum(t *testing.T) {
	for _, c := range []struct {
		typ  string
		n    int
		set  []bool
		want bool
	}{
		{"none", 0, []bool{false, true}, true},
		{"none", 0, []bool{false, false}, false},
		{"auto", 0, []bool{true, false}, true},
		{"auto", 0, []bool{false, true}, false},
		{"auto", 0, []bool{true, true, false}, true},
		{"auto", 0, []bool{false, false, true}, false},
		{"fixed", 2, []bool{true, false, true}, true},
		{"fixed", 2, []bool{true, false, false}, false},
	} {
		if got := quorumMet(c.typ, c.n, c.set); got != c.want {
			t.Errorf("quorumMet(%s, %d, %s) = %v, want %v", c.typ, c.n, bits(c.set), got, c.want)
		}
	}
}

func TestCountersRoundTrip(t *testing.T) {
	c := counters{1, -2, 3}
	if got := decodeCounters(c.encode()); got != c {
		t.Errorf("round trip: %v, want %v", got, c)
	}
	if got := decodeCounters([]byte{0, 0, 0, 7}); got != (counters{7, 0, 0}) {
		t.Errorf("short value: %v", got)
	}
}

// A dirty count left negative (a post-op that landed on an inode an entry
// heal had just replaced) still needs a heal; zero does not.
func TestDirtyCountsAnyNonZero(t *testing.T) {
	for _, c := range []struct {
		dirty counters
		want  bool
	}{
		{counters{0, 0, 0}, false},
		{counters{1, 0, 0}, true},
		{counters{-1, 0, 0}, true},
		{counters{0, -1, 0}, false}, // another type's count
	} {
		states := []replyState{{OK: true, Dirty: c.dirty}, {OK: true}}
		if got := dirty(states, tData); got != c.want {
			t.Errorf("dirty(%v) = %v, want %v", c.dirty, got, c.want)
		}
	}
}
