package fuse

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A root mount's readahead is raised to the whole request size, so a
// sequential read that reaches the graph (no passthrough) arrives in
// 1 MiB READs, not the kernel default's 128 KiB.
func TestReadAheadRaised(t *testing.T) {
	m := startServe(t, serveConfig{CountIO: true, Options: "passthrough=off"})
	path, err := bdiReadAheadPath(m.dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if kb, _ := strconv.Atoi(strings.TrimSpace(string(got))); kb != maxWrite/1024 {
		t.Errorf("%s = %q, want %d", path, got, maxWrite/1024)
	}
	// Written into the brick, not through the mount, so that the
	// mount's page cache does not hold it.
	const size = 16 << 20
	data := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	if err := os.WriteFile(filepath.Join(m.brick, "big"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	readsBefore, _, _ := m.ioCounts(t)
	guard(t, 30*time.Second, "sequential read", func() {
		back, err := os.ReadFile(m.path("big"))
		if err != nil || !bytes.Equal(back, data) {
			t.Fatalf("read back %d bytes, %v", len(back), err)
		}
	})
	reads, _, _ := m.ioCounts(t)
	// 16 READs of 1 MiB plus a few short ones; 128 KiB READs would be 128.
	if n := reads - readsBefore; n > 40 {
		t.Errorf("a 16 MiB sequential read took %d READs, want at most 40 (readahead not raised?)", n)
	}
}
