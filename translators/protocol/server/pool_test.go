package server

import (
	"testing"

	"github.com/loom-fs/loom/translators/protocol/wire"
)

func TestPoolClasses(t *testing.T) {
	for _, n := range []int{0, 1, 4096, 8192, 8193, 1 << 20, 1<<20 + 60, 1<<20 + poolSlack, 1<<20 + poolSlack + 1, wire.MaxFrame} {
		b := getBuf(n)
		if len(*b) != n || cap(*b) < n {
			t.Errorf("getBuf(%d): len %d cap %d", n, len(*b), cap(*b))
		}
		// A 1 MiB write and its fields fit the 1 MiB class.
		if n == 1<<20+60 && cap(*b) != 1<<20+poolSlack {
			t.Errorf("getBuf(%d): cap %d, want %d", n, cap(*b), 1<<20+poolSlack)
		}
		putBuf(b)
		if again := getBuf(n); cap(*again) < n || len(*again) != n {
			t.Errorf("reused buffer for %d: len %d cap %d", n, len(*again), cap(*again))
		}
	}
	foreign := make([]byte, 100, 5000)
	putBuf(&foreign) // not a class size: dropped, never handed out
	if b := getBuf(100); cap(*b) == 5000 {
		t.Error("a foreign buffer entered the pool")
	}
	putBuf(nil)
}
