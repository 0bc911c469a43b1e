package main

import (
	"context"
	"os"
	"testing"
)

// writeCopies writes the bytes once per copy, reports the caller's data
// rate, and leaves nothing behind.
func TestWriteCopiesLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	block := make([]byte, 64<<10)
	for _, copies := range []int{1, 2} {
		rate, err := writeCopies(context.Background(), dir, copies, block, 1<<20)
		if err != nil {
			t.Fatalf("%d copies: %v", copies, err)
		}
		if rate <= 0 {
			t.Errorf("%d copies: rate %v MiB/s, want > 0", copies, rate)
		}
		left, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Errorf("%d copies: %d files left in %s", copies, len(left), dir)
		}
	}
}

// The footer's ratio looks figures up by name, whatever order they came in.
func TestCeilingMedianByName(t *testing.T) {
	cs := addSample(nil, "tmpfs-2-copies", "MiB/s", 500)
	cs = addSample(cs, "tmpfs-1-copy", "MiB/s", 1000)
	cs = addSample(cs, "tmpfs-1-copy", "MiB/s", 1200)
	for i := range cs {
		cs[i].Median = median(cs[i].Samples)
	}
	if got := ceilingMedian(cs, "tmpfs-1-copy"); got != 1100 {
		t.Errorf("tmpfs-1-copy median %v, want 1100", got)
	}
	if got := ceilingMedian(cs, "tmpfs-2-copies"); got != 500 {
		t.Errorf("tmpfs-2-copies median %v, want 500", got)
	}
	if got := ceilingMedian(cs, "absent"); got != 0 {
		t.Errorf("absent figure %v, want 0", got)
	}
}
