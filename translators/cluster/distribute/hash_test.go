package distribute

import (
	"fmt"
	"hash/fnv"
	"testing"
)

func TestHashKnownValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		want uint32
	}{
		{"", 0xab3e7c0b},
		{"a", 0x1a80b1b3},
		{"foobar", 0x0c0da6dc},
		{"file-0001", 0x877ad02b},
	} {
		if got := Hash(tc.name); got != tc.want {
			t.Errorf("Hash(%q) = %#08x, want %#08x", tc.name, got, tc.want)
		}
	}
}

// The hash is FNV-1a as the standard library computes it, finalised by
// fmix32.
func TestHashIsFNV1aMixed(t *testing.T) {
	for _, s := range []string{"x", "hello world", "ünïcödé", "a/b"} {
		h := fnv.New32a()
		h.Write([]byte(s))
		if got, want := Hash(s), fmix32(h.Sum32()); got != want {
			t.Errorf("Hash(%q) = %#x, fnv.New32a = %#x", s, got, want)
		}
	}
}

// Short names that differ only at the end spread evenly: 300 names
// f000..f299 over two halves of the hash space within ±15%.
func TestHashSpreadsShortNames(t *testing.T) {
	var halves [2]int
	for i := 0; i < 300; i++ {
		halves[Hash(fmt.Sprintf("f%03d", i))>>31]++
	}
	if halves[0] < 128 || halves[0] > 172 {
		t.Fatalf("halves %v", halves)
	}
}
