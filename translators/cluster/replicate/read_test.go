package replicate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// An fstat of an open file after its last name is gone answers from the
// same copy as a stat before: the copies' times may differ until their
// batched sync (here they differ for good: set on the bricks), and
// go-fuse's posixtest FstatDeleted failed when the unlinked file, which
// replicate can no longer look up, was read from the first child while
// its stat had come from the copy read-hash-mode picks.
func TestFstatAfterUnlinkSameCopyAsStat(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, locks: true})
	f := client(t, cl.top)
	ctx := context.Background()
	// Enough files that the read hash sends some to each child.
	for k := 0; k < 16; k++ {
		name := fmt.Sprintf("f%d", k)
		f.writeFile("/"+name, []byte("data"))
		cl.control(t, "sync")
		for i, d := range cl.dirs {
			mt := time.Unix(1_700_000_000+int64(i), 0)
			if err := os.Chtimes(filepath.Join(d, name), mt, mt); err != nil {
				t.Fatal(err)
			}
		}
		loc := f.loc("/" + name)
		st, err := cl.top.Stat(ctx, f.c, loc)
		if err != nil {
			t.Fatal(err)
		}
		fd := xlator.NewFD(loc, syscall.O_RDONLY, false)
		if err := cl.top.Open(ctx, f.c, fd); err != nil {
			t.Fatal(err)
		}
		if err := cl.top.Unlink(ctx, f.c, f.loc("/"+name)); err != nil {
			t.Fatal(err)
		}
		fst, err := cl.top.Fstat(ctx, f.c, fd)
		if err != nil {
			t.Fatalf("fstat of unlinked %s: %v", name, err)
		}
		if fst.Mtime != st.Mtime {
			t.Errorf("%s: fstat after unlink has mtime %v, stat before had %v (another copy)", name, fst.Mtime, st.Mtime)
		}
		cl.top.Release(ctx, f.c, fd)
	}
}

// The batched sync of times gives the other copies the times of the copy
// reads come from, so a stat answers the same times before and after the
// sync (the sync took the first child's times while read-hash-mode read
// some files from the second: their stat changed, as posixtest
// FstatDeleted saw through a mount).
func TestTimesSyncKeepsWhatStatAnswered(t *testing.T) {
	// A long post-op-delay: the batch runs when asked to (a slow run that
	// reaches the timer only makes the check weaker).
	cl := newCluster(t, buildOpts{n: 2, locks: true, options: []string{"post-op-delay", "10s"}})
	f := client(t, cl.top)
	ctx := context.Background()
	// Enough files that the read hash sends some to each child.
	for k := 0; k < 16; k++ {
		name := fmt.Sprintf("g%d", k)
		fd := f.create("/" + name)
		f.write(fd, []byte("data"), 0)
		f.close(fd)
		// The copies' times differ, as two bricks' stamps of one write
		// do until the sync.
		for i, d := range cl.dirs {
			mt := time.Unix(1_700_000_000+int64(i), 0)
			if err := os.Chtimes(filepath.Join(d, name), mt, mt); err != nil {
				t.Fatal(err)
			}
		}
		before, err := cl.top.Stat(ctx, f.c, f.loc("/"+name))
		if err != nil {
			t.Fatal(err)
		}
		cl.control(t, "sync")
		after, err := cl.top.Stat(ctx, f.c, f.loc("/"+name))
		if err != nil {
			t.Fatal(err)
		}
		if after.Mtime != before.Mtime || after.Atime != before.Atime {
			t.Errorf("%s: the sync changed what stat answers: mtime %v -> %v, atime %v -> %v",
				name, before.Mtime, after.Mtime, before.Atime, after.Atime)
		}
	}
	sameTrees(t, cl.dirs[0], cl.dirs[1])
}
