package distribute

import (
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    EntryFacts
		want Action
	}{
		{"in place", EntryFacts{Nlink: 1, On: 1, Hashed: 1}, Leave},
		{"directory", EntryFacts{Dir: true, On: 0, Hashed: 1}, Leave},
		{"link file", EntryFacts{Link: true, Nlink: 1, On: 0, Hashed: 1}, Leave},
		{"misplaced", EntryFacts{Nlink: 1, On: 0, Hashed: 2}, Migrate},
		{"hard links", EntryFacts{Nlink: 2, On: 0, Hashed: 2}, SkipHardLinks},
		{"target full", EntryFacts{Nlink: 1, On: 0, Hashed: 2, TargetFull: true}, SkipTargetFull},
		{"draining ignores a full target", EntryFacts{Nlink: 1, On: 0, Hashed: 2, TargetFull: true, Decommission: true}, Migrate},
	} {
		if got := Decide(tc.f); got != tc.want {
			t.Errorf("%s: Decide = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRates(t *testing.T) {
	for _, tc := range []struct {
		name    string
		p       Progress
		fps     float64
		bps     float64
		wantETA time.Duration
	}{
		{"nothing yet", Progress{}, 0, 0, 0},
		{"by bytes", Progress{Files: 10, Bytes: 100, TotalFiles: 40, TotalBytes: 300, Elapsed: 10 * time.Second}, 1, 10, 20 * time.Second},
		{"by files when no bytes moved", Progress{Files: 10, TotalFiles: 30, Elapsed: 5 * time.Second}, 2, 0, 10 * time.Second},
		{"past the estimate", Progress{Files: 50, TotalFiles: 30, Elapsed: 5 * time.Second}, 10, 0, 0},
	} {
		fps, bps, eta := tc.p.Rates()
		if fps != tc.fps || bps != tc.bps || eta != tc.wantETA {
			t.Errorf("%s: Rates = %v, %v, %v; want %v, %v, %v", tc.name, fps, bps, eta, tc.fps, tc.bps, tc.wantETA)
		}
	}
}
