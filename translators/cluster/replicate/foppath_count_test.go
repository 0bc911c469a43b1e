package replicate_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	"github.com/loom-fs/loom/xlator"
)

// The fop path's cost, counted: the fops replicate(2) sends to each brick
// per create, lookup, stat, read, write and unlink with both bricks up.
// Counts do not depend on the machine's load, so they are what the speed
// work on the fop path is checked by (docs/benchmarks.md, Replication).

func (f *fopCount) Unlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	f.n("unlink")
	return f.Base.Unlink(ctx, c, loc)
}

func (f *fopCount) Flush(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	f.n("flush")
	return f.Base.Flush(ctx, c, fd)
}

// countedReplica builds replicate over two posix+locks bricks, each under
// a fop counter, with the given replicate options.
func countedReplica(t *testing.T, opts ...string) (*replicate.Replicate, []*fopCount) {
	t.Helper()
	var specs []xlator.VolumeSpec
	var kids []xlator.SubvolumeRef
	for i := 0; i < 2; i++ {
		p, l, c := fmt.Sprintf("posix%d", i), fmt.Sprintf("locks%d", i), fmt.Sprintf("count%d", i)
		specs = append(specs,
			xlator.VolumeSpec{Name: p, Type: "storage/posix", Options: []xlator.OptionSpec{{Key: "directory", Value: t.TempDir()}}},
			xlator.VolumeSpec{Name: l, Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: p}}},
			xlator.VolumeSpec{Name: c, Type: fopCountType, Subvolumes: []xlator.SubvolumeRef{{Name: l}}})
		kids = append(kids, xlator.SubvolumeRef{Name: c})
	}
	top := xlator.VolumeSpec{Name: "rep", Type: replicate.Type, Subvolumes: kids}
	for k := 0; k+1 < len(opts); k += 2 {
		top.Options = append(top.Options, xlator.OptionSpec{Key: opts[k], Value: opts[k+1]})
	}
	specs = append(specs, top)
	g, err := xlator.Build(specs, xlator.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop() })
	var counts []*fopCount
	for i := 0; i < 2; i++ {
		counts = append(counts, g.Find(fmt.Sprintf("count%d", i)).(*fopCount))
	}
	return g.Top().(*replicate.Replicate), counts
}

// phaseCounts runs fn files times and returns the fops it sent to brick 0
// and to all bricks, per file, with the summary of brick 0's fops.
func phaseCounts(counts []*fopCount, files int, fn func(k int)) (float64, float64, string) {
	before := make([]map[string]int64, len(counts))
	for i, c := range counts {
		before[i], _ = c.counts()
	}
	for k := 0; k < files; k++ {
		fn(k)
	}
	var brick0 map[string]int64
	var total, first int64
	for i, c := range counts {
		now, _ := c.counts()
		diff := map[string]int64{}
		for op, n := range now {
			if d := n - before[i][op]; d > 0 {
				diff[op] = d
				total += d
				if i == 0 {
					first += d
				}
			}
		}
		if i == 0 {
			brick0 = diff
		}
	}
	return float64(first) / float64(files), float64(total) / float64(files), summary(brick0, files)
}

func TestFopPathCounts(t *testing.T) {
	// A write's delayed post-op ends with its release, as a small
	// file's does in the benchmark; a directory's dirty hold lasts
	// while entry changes in it follow each other within post-op-delay.
	// The long delay keeps the batched sync of times (lookup, inodelk,
	// setattr per inode and batch) out of the phases, so the counts do
	// not depend on timing; it is counted in no phase.
	r, counts := countedReplica(t, "post-op-delay", "10s")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := xlator.RootCall()
	root := xlator.RootLoc()
	if _, _, err := r.Lookup(ctx, c, root, nil); err != nil {
		t.Fatal(err)
	}
	const files = 50
	data := make([]byte, 4096)
	locs := make([]*xlator.Loc, files)
	loc := func(k int) *xlator.Loc {
		return &xlator.Loc{Path: fmt.Sprintf("/f%03d", k), Parent: root.GFID, Name: fmt.Sprintf("f%03d", k)}
	}
	rootSt, _, err := r.Lookup(ctx, c, root, nil)
	if err != nil {
		t.Fatal(err)
	}
	root.GFID = rootSt.GFID

	// The figures are upper bounds on fops per file to each brick,
	// measured when this test was written; the fop path must not get
	// dearer than them.
	check := func(name string, perBrick, bound float64, sum string) {
		t.Helper()
		t.Logf("%-7s %.2f fops per file on each brick:%s", name, perBrick, sum)
		if perBrick > bound {
			t.Errorf("%s: %.2f fops per file on a brick, want at most %.2f", name, perBrick, bound)
		}
	}

	b0, _, sum := phaseCounts(counts, files, func(k int) {
		fd := &xlator.FD{Loc: *loc(k), Flags: syscall.O_RDWR | syscall.O_CREAT}
		fd.Loc.Parent = root.GFID
		st, err := r.Create(ctx, c, fd, 0o644, 0)
		if err != nil {
			t.Fatal(err)
		}
		locs[k] = &xlator.Loc{Path: fd.Loc.Path, Parent: root.GFID, Name: fd.Loc.Name, GFID: st.GFID}
		if _, err := r.Write(ctx, c, fd, data, 0); err != nil {
			t.Fatal(err)
		}
		if err := r.Flush(ctx, c, fd); err != nil {
			t.Fatal(err)
		}
		if err := r.Release(ctx, c, fd); err != nil {
			t.Fatal(err)
		}
	})
	check("create", b0, 11, sum)

	b0, _, sum = phaseCounts(counts, files, func(k int) {
		l := loc(k)
		if _, _, err := r.Lookup(ctx, c, l, nil); err != nil {
			t.Fatal(err)
		}
	})
	check("lookup", b0, 1, sum)

	b0, _, sum = phaseCounts(counts, files, func(k int) {
		if _, err := r.Stat(ctx, c, locs[k]); err != nil {
			t.Fatal(err)
		}
	})
	check("stat", b0, 1, sum)

	b0, _, sum = phaseCounts(counts, files, func(k int) {
		fd := &xlator.FD{Loc: *locs[k], Flags: syscall.O_RDONLY}
		if err := r.Open(ctx, c, fd); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(data))
		if n, err := r.Read(ctx, c, fd, buf, 0); err != nil || n != len(data) {
			t.Fatalf("read %s: %d bytes, %v", fd.Loc.Path, n, err)
		}
		if err := r.Flush(ctx, c, fd); err != nil {
			t.Fatal(err)
		}
		if err := r.Release(ctx, c, fd); err != nil {
			t.Fatal(err)
		}
	})
	check("read", b0, 4, sum)

	b0, _, sum = phaseCounts(counts, files, func(k int) {
		if err := r.Unlink(ctx, c, locs[k]); err != nil {
			t.Fatal(err)
		}
	})
	check("unlink", b0, 3.1, sum)
}
