package xlatortest

import (
	"context"
	"errors"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// A Recorder over a Recorder is the simplest passthrough there is.
func TestRecorderForwardsEverything(t *testing.T) {
	CheckForwarding(t, func(child xlator.Translator) xlator.Translator {
		return NewRecorder("middle", child)
	})
}

func TestRecorderCountsAndFails(t *testing.T) {
	leaf := NewRecorder("leaf", nil)
	top := NewRecorder("top", leaf)
	ctx := context.Background()
	st, err := top.Stat(ctx, xlator.RootCall(), xlator.RootLoc())
	if err != nil || st.GFID.IsZero() {
		t.Fatalf("stat through two recorders: %+v, %v", st, err)
	}
	if top.Count("Stat") != 1 || leaf.Count("Stat") != 1 || leaf.Total() != 1 {
		t.Fatalf("counts: top %d leaf %d total %d", top.Count("Stat"), leaf.Count("Stat"), leaf.Total())
	}
	top.Fail("Unlink", syscall.EROFS)
	if err := top.Unlink(ctx, xlator.RootCall(), xlator.RootLoc().Child("x")); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("scripted unlink: %v", err)
	}
	if leaf.Count("Unlink") != 0 {
		t.Fatal("a scripted failure reached the child")
	}
	recs := top.Records()
	if len(recs) != 2 || recs[1].Fop != "Unlink" || !recs[1].Done || !errors.Is(recs[1].Err, syscall.EROFS) {
		t.Fatalf("records: %+v", recs)
	}
	top.ClearFailures()
	top.Reset()
	if err := top.Unlink(ctx, xlator.RootCall(), xlator.RootLoc().Child("x")); err != nil || leaf.Count("Unlink") != 1 || top.Total() != 1 {
		t.Fatalf("after clearing: %v, leaf unlinks %d, top total %d", err, leaf.Count("Unlink"), top.Total())
	}
}

func TestRecorderPlaceholdersAreStable(t *testing.T) {
	r := NewRecorder("leaf", nil)
	ctx := context.Background()
	a, _, _ := r.Lookup(ctx, xlator.RootCall(), xlator.RootLoc(), nil)
	b, _, _ := r.Lookup(ctx, xlator.RootCall(), xlator.RootLoc(), nil)
	s, _ := r.Stat(ctx, xlator.RootCall(), xlator.RootLoc())
	if a != b || a.GFID.IsZero() || a.Size == 0 {
		t.Fatalf("lookup placeholders differ or are zero: %+v %+v", a, b)
	}
	if s == a {
		t.Fatal("different fops answer the same placeholder")
	}
}
