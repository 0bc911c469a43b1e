package replicate_test

import (
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
)

// The full heal's progress counts what the crawl listed, each entry once:
// heals that are not the crawl's (here, lookups of every path while the
// fresh brick is healed) add nothing, so files and bytes done never
// exceed their totals, and they equal them when the crawl is over
// (a sparse file's holes count as done once the file is).
func TestFullHealProgressWithinTotals(t *testing.T) {
	_, _, cl := newFreshPair(t)
	f := client(t, cl.top)
	paths := []string{"/a/b/c/deep", "/a/plain", "/a/sparse", "/a/b/hardlink", "/a/b/symlink", "/a/fifo", "/a/chardev"}
	check := func(st *replicate.Status) {
		t.Helper()
		if st.FilesDone > st.FilesTotal || st.BytesDone > st.BytesTotal {
			t.Fatalf("progress beyond its totals: files %d/%d, bytes %d/%d", st.FilesDone, st.FilesTotal, st.BytesDone, st.BytesTotal)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, p := range paths {
			f.resolve(p)
		}
		st := cl.control(t, "status").(*replicate.Status)
		check(st)
		in := cl.control(t, "info").(*replicate.Info)
		if st.Seconds > 0 && !st.FullRunning && in.Pending == 0 {
			if st.FilesDone != st.FilesTotal || st.BytesDone != st.BytesTotal || st.FilesTotal == 0 {
				t.Errorf("progress after the full heal: files %d/%d, bytes %d/%d", st.FilesDone, st.FilesTotal, st.BytesDone, st.BytesTotal)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the full heal did not end within 30s: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
