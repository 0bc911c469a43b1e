package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// TestQuickRun runs `loombench -quick` end to end: real tmpfs, real FUSE
// daemons, every workload once, and checks that every target produced a
// figure for every workload and that nothing stays mounted.
func TestQuickRun(t *testing.T) {
	cfg, res := quickRun(t, "-only", "native,loopback,loopback-nopt,loopback-ao,loom,loom-nopt")
	if len(res.Targets) != len(cfg.Only) {
		t.Fatalf("got %d targets, want %v", len(res.Targets), cfg.Only)
	}
	if want := len(selectWorkloads(cfg.Groups)); len(res.Workloads) != want {
		t.Fatalf("got %d workloads, want %d", len(res.Workloads), want)
	}
	for _, w := range res.Workloads {
		for _, c := range w.Cells {
			if len(c.Samples) != 1 || c.Median <= 0 {
				t.Errorf("%s on %s: samples %v, median %v", w.Name, c.Target, c.Samples, c.Median)
			}
			if c.Target == referenceTarget && c.Ratio != 1 {
				t.Errorf("%s: reference ratio %v, want 1", w.Name, c.Ratio)
			}
		}
	}
}

// quickRun runs `loombench -quick -json` with args end to end, in a work
// directory of its own and within 4 minutes; it fails if the run fails or
// leaves anything mounted, and returns the run's config and results. It
// skips without root or /dev/fuse.
func quickRun(t *testing.T, args ...string) (*Config, Results) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("loombench needs root (tmpfs, drop_caches, FUSE mounts)")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skipf("loombench needs /dev/fuse: %v", err)
	}
	work := t.TempDir()
	args = append([]string{"-quick", "-json", "-timeout", "4m", "-workdir", work}, args...)
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	var out, log bytes.Buffer
	start := time.Now()
	runErr := run(ctx, cfg, args, &out, &log)
	t.Logf("quick run took %v", time.Since(start).Round(time.Millisecond))
	assertNothingMounted(t, work)
	if runErr != nil {
		t.Fatalf("run: %v\nlog:\n%s", runErr, log.String())
	}
	var res Results
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("decode -json output: %v\n%s", err, out.String())
	}
	return cfg, res
}

// assertNothingMounted fails if any mount under dir is left behind, and
// detaches it so the test's own cleanup cannot descend into it.
func assertNothingMounted(t *testing.T, dir string) {
	t.Helper()
	ms, err := readMounts()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if strings.HasPrefix(m.Point, dir+"/") {
			t.Errorf("left mounted: %s (%s)", m.Point, m.FSType)
			_ = unmount(m.Point)
		}
	}
}

func TestTurnOrder(t *testing.T) {
	ts := []string{"a", "b", "c"}
	got := strings.Join(turnOrder(ts, 0), "") + strings.Join(turnOrder(ts, 1), "") + strings.Join(turnOrder(ts, 2), "")
	if got != "abccbaabc" {
		t.Errorf("turn order %q, want abccbaabc", got)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/mnt/a\040b\011c`); got != "/mnt/a b\tc" {
		t.Errorf("unescapeMount = %q", got)
	}
}

func TestParseFlagsRejectsUnknown(t *testing.T) {
	var sink bytes.Buffer
	for _, args := range [][]string{{"-only", "nosuch"}, {"-groups", "nosuch"}, {"-rounds", "0"}, {"extra"}} {
		if _, err := parseFlags(args, &sink); err == nil {
			t.Errorf("parseFlags(%q): no error", args)
		}
	}
}
