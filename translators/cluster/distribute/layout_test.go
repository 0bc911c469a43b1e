package distribute

import (
	"math"
	"testing"
)

func TestRangeEncodeDecode(t *testing.T) {
	for _, r := range []Range{
		{},
		{Version: 7, Has: true, Committed: true, Start: 0, Stop: math.MaxUint32},
		{Version: 1, Has: true, Start: 0x40000000, Stop: 0x7fffffff},
	} {
		got, err := DecodeRange(r.Encode())
		if err != nil || got != r {
			t.Errorf("round trip of %+v: %+v, %v", r, got, err)
		}
	}
	if _, err := DecodeRange([]byte{1, 2, 3}); err == nil {
		t.Error("a short value decoded")
	}
	bad := Range{Has: true, Start: 9, Stop: 3}.Encode()
	if _, err := DecodeRange(bad); err == nil {
		t.Error("stop before start decoded")
	}
}

func TestSpread(t *testing.T) {
	for _, tc := range []struct {
		name   string
		active []bool
		rotate uint32
		want   []Range
	}{
		{"one", []bool{true}, 5, []Range{{Has: true, Start: 0, Stop: math.MaxUint32}}},
		{"two", []bool{true, true}, 0, []Range{
			{Has: true, Start: 0, Stop: 0x7fffffff}, {Has: true, Start: 0x80000000, Stop: math.MaxUint32}}},
		{"two rotated", []bool{true, true}, 1, []Range{
			{Has: true, Start: 0x80000000, Stop: math.MaxUint32}, {Has: true, Start: 0, Stop: 0x7fffffff}}},
		{"three", []bool{true, true, true}, 0, []Range{
			{Has: true, Start: 0, Stop: 0x55555555}, {Has: true, Start: 0x55555556, Stop: 0xaaaaaaaa},
			{Has: true, Start: 0xaaaaaaab, Stop: math.MaxUint32}}},
		{"middle decommissioned", []bool{true, false, true}, 0, []Range{
			{Has: true, Start: 0, Stop: 0x7fffffff}, {}, {Has: true, Start: 0x80000000, Stop: math.MaxUint32}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := Spread(tc.active, tc.rotate, 0, false)
			if p := l.Problem(); p != "" {
				t.Fatalf("Spread gave a bad layout: %s", p)
			}
			for i := range tc.want {
				if l[i] != tc.want[i] {
					t.Errorf("range %d = %+v, want %+v", i, l[i], tc.want[i])
				}
			}
		})
	}
	if Spread([]bool{false, false}, 0, 0, false) != nil {
		t.Error("no active subvolume gave a layout")
	}
}

func TestSpreadManyIsSound(t *testing.T) {
	for n := 1; n <= 17; n++ {
		for rot := uint32(0); rot < 20; rot++ {
			active := make([]bool, n)
			for i := range active {
				active[i] = true
			}
			if p := Spread(active, rot, 3, true).Problem(); p != "" {
				t.Fatalf("n=%d rotate=%d: %s", n, rot, p)
			}
		}
	}
}

func TestProblem(t *testing.T) {
	full := func(a, b uint32) Range { return Range{Has: true, Start: a, Stop: b} }
	for _, tc := range []struct {
		name string
		l    Layout
		want string
	}{
		{"sound", Layout{full(0, 9), full(10, math.MaxUint32)}, ""},
		{"empty", Layout{{}, {}}, "no subvolume has a range"},
		{"missing subvolume leaves a hole", Layout{full(0, 0x7fffffff), {}}, "hole 0x80000000-0xffffffff"},
		{"hole in the middle", Layout{full(0, 9), full(20, math.MaxUint32)}, "hole 0xa-0x13"},
		{"hole at the start", Layout{full(5, math.MaxUint32)}, "hole 0x0-0x4"},
		{"overlap", Layout{full(0, 10), full(10, math.MaxUint32)}, "overlap at 0xa"},
		{"versions differ", Layout{{Version: 1, Has: true, Start: 0, Stop: 9}, {Version: 2, Has: true, Start: 10, Stop: math.MaxUint32}}, "versions differ"},
	} {
		if got := tc.l.Problem(); got != tc.want {
			t.Errorf("%s: Problem() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSearch(t *testing.T) {
	l := Layout{{Has: true, Start: 0, Stop: 99}, {}, {Has: true, Start: 100, Stop: math.MaxUint32}}
	for _, tc := range []struct {
		h    uint32
		want int
	}{{0, 0}, {99, 0}, {100, 2}, {math.MaxUint32, 2}} {
		if got, err := l.Search(tc.h); err != nil || got != tc.want {
			t.Errorf("Search(%d) = %d, %v; want %d", tc.h, got, err, tc.want)
		}
	}
	if _, err := (Layout{{Has: true, Start: 5, Stop: 6}}).Search(7); err != ErrNoSubvolume {
		t.Errorf("hash in a hole: err = %v", err)
	}
}

func TestCommittedAndSame(t *testing.T) {
	a := Spread([]bool{true, true}, 0, 1, true)
	if !a.Committed() {
		t.Error("committed layout reported uncommitted")
	}
	b := Spread([]bool{true, true}, 0, 2, false)
	if b.Committed() || !Same(a, b) {
		t.Error("same ranges at another version should be Same and uncommitted")
	}
	if Same(a, Spread([]bool{true, true, true}, 0, 1, true)) {
		t.Error("two and three subvolumes reported Same")
	}
	if a.MaxVersion() != 1 || b.MaxVersion() != 2 {
		t.Error("MaxVersion")
	}
}

// 10,000 names spread within ±15% of even over 2, 3 and 5 subvolumes.
func TestPlacementEven(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		active := make([]bool, n)
		for i := range active {
			active[i] = true
		}
		l := Spread(active, 0, 0, true)
		counts := make([]int, n)
		for i := 0; i < 10000; i++ {
			s, err := l.Search(Hash(fileName(i)))
			if err != nil {
				t.Fatal(err)
			}
			counts[s]++
		}
		even := 10000.0 / float64(n)
		for s, c := range counts {
			if dev := (float64(c) - even) / even; dev > 0.15 || dev < -0.15 {
				t.Errorf("%d subvolumes: subvolume %d got %d files (%.0f%% off even)", n, s, c, dev*100)
			}
		}
	}
}

func fileName(i int) string {
	const digits = "0123456789"
	b := []byte("file-00000")
	for k := len(b) - 1; i > 0; k-- {
		b[k] = digits[i%10]
		i /= 10
	}
	return string(b)
}
