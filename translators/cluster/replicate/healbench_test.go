package replicate_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	"github.com/loom-fs/loom/xlator"
)

// startReplica builds and starts replicate over posix+locks bricks at
// dirs, stopped when the benchmark ends.
func startReplica(b *testing.B, dirs []string) *replicate.Replicate {
	b.Helper()
	var specs []xlator.VolumeSpec
	var kids []xlator.SubvolumeRef
	for i, d := range dirs {
		p, l := fmt.Sprintf("posix%d", i), fmt.Sprintf("locks%d", i)
		specs = append(specs,
			xlator.VolumeSpec{Name: p, Type: "storage/posix", Options: []xlator.OptionSpec{{Key: "directory", Value: d}}},
			xlator.VolumeSpec{Name: l, Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: p}}})
		kids = append(kids, xlator.SubvolumeRef{Name: l})
	}
	specs = append(specs, xlator.VolumeSpec{Name: "rep", Type: replicate.Type, Subvolumes: kids})
	g, err := xlator.Build(specs, xlator.BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Stop() })
	return g.Top().(*replicate.Replicate)
}

// makeBenchTree writes files files of about avg bytes each into dir, 50
// to a directory.
func makeBenchTree(b *testing.B, dir string, files, avg int) int64 {
	b.Helper()
	var total int64
	buf := make([]byte, 2*avg)
	for i := range buf {
		buf[i] = byte(i*7 + i/4096)
	}
	for i := 0; i < files; i++ {
		d := filepath.Join(dir, fmt.Sprintf("d%03d", i/50))
		if i%50 == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		n := avg/2 + (i*7919)%avg
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d", i)), buf[:n], 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(n)
	}
	return total
}

// BenchmarkFullHeal measures a full heal of a generated tree onto a fresh
// brick against `cp -a` of the same tree, in the same run. Sizes:
// LOOM_HEAL_FILES (default 2000) files of LOOM_HEAL_AVG (default 64KiB)
// bytes on average.
func BenchmarkFullHeal(b *testing.B) {
	files, avg := 2000, 64<<10
	if v := os.Getenv("LOOM_HEAL_FILES"); v != "" {
		fmt.Sscan(v, &files)
	}
	if v := os.Getenv("LOOM_HEAL_AVG"); v != "" {
		fmt.Sscan(v, &avg)
	}
	for k := 0; k < b.N; k++ {
		b.StopTimer()
		src := b.TempDir()
		bytes := makeBenchTree(b, src, files, avg)
		exec.Command("sync").Run()
		cpDst := filepath.Join(b.TempDir(), "copy")
		start := time.Now()
		if out, err := exec.Command("cp", "-a", src, cpDst).CombinedOutput(); err != nil {
			b.Fatalf("cp -a: %v: %s", err, out)
		}
		cpTime := time.Since(start)
		fresh := b.TempDir()
		b.StartTimer()
		start = time.Now()
		top := startReplica(b, []string{src, fresh})
		for {
			res, err := top.Control(context.Background(), "status", nil)
			if err != nil {
				b.Fatal(err)
			}
			if st := res.(*replicate.Status); !st.FullRunning && st.Pending == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		healTime := time.Since(start)
		b.StopTimer()
		mib := float64(bytes) / (1 << 20)
		b.ReportMetric(float64(files)/healTime.Seconds(), "files/s")
		b.ReportMetric(mib/healTime.Seconds(), "MiB/s")
		b.ReportMetric(healTime.Seconds()/cpTime.Seconds(), "x-cp-a")
		b.Logf("%d files, %.1f MiB: full heal %v (%.0f files/s, %.1f MiB/s); cp -a %v; ratio %.2f",
			files, mib, healTime.Round(time.Millisecond), float64(files)/healTime.Seconds(), mib/healTime.Seconds(),
			cpTime.Round(time.Millisecond), healTime.Seconds()/cpTime.Seconds())
	}
}
