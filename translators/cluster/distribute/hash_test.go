package distribute

import (
	"hash/fnv"
	"testing"
)

func TestHashKnownValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		want uint32
	}{
		{"", 0x811c9dc5},
		{"a", 0xe40c292c},
		{"foobar", 0xbf9cf968},
		{"file-0001", 0x0adbb75d},
	} {
		if got := Hash(tc.name); got != tc.want {
			t.Errorf("Hash(%q) = %#08x, want %#08x", tc.name, got, tc.want)
		}
	}
}

// The hash is FNV-1a as the standard library computes it.
func TestHashIsFNV1a(t *testing.T) {
	for _, s := range []string{"x", "hello world", "ünïcödé", "a/b"} {
		h := fnv.New32a()
		h.Write([]byte(s))
		if got, want := Hash(s), h.Sum32(); got != want {
			t.Errorf("Hash(%q) = %#x, fnv.New32a = %#x", s, got, want)
		}
	}
}
