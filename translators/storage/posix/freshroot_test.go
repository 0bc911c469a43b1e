package posix

import (
	"context"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// A brick whose root had no GFID says so on every root lookup of this
// process (replicate recognises a new, empty brick by it); a brick opened
// again, with its root GFID in place, does not.
func TestFreshRootReported(t *testing.T) {
	dir := t.TempDir()
	rootLookup := func(top xlator.Translator, loc *xlator.Loc) xlator.XData {
		t.Helper()
		_, x, err := top.Lookup(context.Background(), xlator.RootCall(), loc, nil)
		if err != nil {
			t.Fatalf("lookup root: %v", err)
		}
		return x
	}
	first := xlatortest.Build(t, []xlator.VolumeSpec{xlatortest.PosixSpec("first", dir)}).Top()
	for k, loc := range []*xlator.Loc{xlator.RootLoc(), xlator.RootLoc(), {GFID: xlator.RootGFID}} {
		if x := rootLookup(first, loc); x[XDataGFIDAssigned] == nil {
			t.Errorf("root lookup %d of a fresh brick: no %s in %v", k, XDataGFIDAssigned, x)
		}
	}
	if err := first.Fini(); err != nil {
		t.Fatal(err)
	}
	again := xlatortest.Build(t, []xlator.VolumeSpec{xlatortest.PosixSpec("again", dir)}).Top()
	if x := rootLookup(again, xlator.RootLoc()); x[XDataGFIDAssigned] != nil {
		t.Errorf("root lookup of a brick opened again: %v", x)
	}
}
