package index

import (
	"testing"

	"github.com/loom-fs/loom/xlator"
)

func c32(vs ...int32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(uint32(v)>>24), byte(uint32(v)>>16), byte(uint32(v)>>8), byte(uint32(v))
	}
	return b
}

func TestDecisions(t *testing.T) {
	cases := []struct {
		name              string
		x                 xlator.XData
		watches, pos, all bool
	}{
		{"nothing", xlator.XData{}, false, false, true},
		{"other key", xlator.XData{"loom.gfid": c32(1)}, false, false, true},
		{"dirty up", xlator.XData{"loom.dirty": c32(1, 0, 0)}, true, true, false},
		{"dirty down", xlator.XData{"loom.dirty": c32(-1, 0, 0)}, true, false, false},
		{"zeros", xlator.XData{"loom.dirty": c32(0, 0, 0), "loom.pending.b": c32(0, 0, 0)}, true, false, true},
		{"entry blame", xlator.XData{"loom.pending.b": c32(0, 0, 2)}, true, true, false},
		{"unwatched non-zero ignored", xlator.XData{"loom.dirty": c32(0, 0, 0), "user.x": c32(7)}, true, false, true},
	}
	for _, c := range cases {
		if got := watches(c.x); got != c.watches {
			t.Errorf("%s: watches = %v, want %v", c.name, got, c.watches)
		}
		if got := anyPositive(xlator.AddArray32, c.x); got != c.pos {
			t.Errorf("%s: anyPositive = %v, want %v", c.name, got, c.pos)
		}
		if got := allZero(xlator.AddArray32, c.x); got != c.all {
			t.Errorf("%s: allZero = %v, want %v", c.name, got, c.all)
		}
	}
	b64 := make([]byte, 8)
	b64[7] = 1
	if !anyPositive(xlator.AddArray64, xlator.XData{"loom.dirty": b64}) {
		t.Error("a positive int64 element is not seen")
	}
}

func TestParseDirents(t *testing.T) {
	rec := func(off uint64, name string) []byte {
		n := 19 + len(name) + 1
		n = (n + 7) &^ 7
		b := make([]byte, n)
		b[8] = byte(off)
		b[16] = byte(n)
		copy(b[19:], name)
		return b
	}
	var buf []byte
	for i, n := range []string{".", "..", "abc", "base-1"} {
		buf = append(buf, rec(uint64(i+1), n)...)
	}
	got := parseDirents(buf)
	if len(got) != 2 || got[0].name != "abc" || got[0].off != 3 || got[1].name != "base-1" || got[1].off != 4 {
		t.Fatalf("parseDirents = %+v", got)
	}
}
