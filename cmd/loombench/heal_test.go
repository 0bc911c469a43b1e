package main

import (
	"os"
	"testing"
)

// TestQuickHeal runs `loombench -quick -groups heal` end to end, on the
// tmpfs and with -heal-on-disk: a real loom mount of replicate(2) heals
// the generated tree onto the empty brick (the run checks the healed
// brick's entries and bytes), every heal row gets a figure, only
// loom-heal is set up, nothing stays mounted.
func TestQuickHeal(t *testing.T) {
	for _, extra := range [][]string{nil, {"-heal-on-disk"}} {
		_, res := quickRun(t, append([]string{"-groups", "heal"}, extra...)...)
		if len(res.Targets) != 1 || res.Targets[0].Name != healTarget {
			t.Fatalf("%v: targets %v, want only %s", extra, res.Targets, healTarget)
		}
		if len(res.Workloads) != 3 {
			t.Fatalf("%v: got %d workloads, want the 3 heal rows", extra, len(res.Workloads))
		}
		for _, w := range res.Workloads {
			if c := w.cell(healTarget); c == nil || len(c.Samples) != 1 || c.Median <= 0 {
				t.Errorf("%v: %s: no figure: %+v", extra, w.Name, c)
			}
		}
	}
}

// The heal group is not a default group, and runs only on loom-heal.
func TestHealGroupSelection(t *testing.T) {
	cfg, err := parseFlags(nil, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if targetUsed(cfg, healTarget) {
		t.Errorf("default groups %v run the heal target", cfg.Groups)
	}
	if groupOn(healGroup, "loom") || groupOn("seq", healTarget) || !groupOn(healGroup, healTarget) || !groupOn("seq", "loom") {
		t.Error("groupOn: the heal group runs on loom-heal only, and loom-heal nothing else")
	}
}
