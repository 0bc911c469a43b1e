package replicate_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/cmd/loomcli/treecheck"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	_ "github.com/loom-fs/loom/translators/protocol/client"
	_ "github.com/loom-fs/loom/translators/protocol/server"
	"github.com/loom-fs/loom/xlator"
)

// startReplica builds and starts replicate over posix+locks bricks at
// dirs, each under a fop counter, stopped when the benchmark ends.
//
// With LOOM_HEAL_VIA_SERVER set, the bricks are exported by a
// protocol/server on 127.0.0.1 and each counter sits on a protocol/client
// of its brick (as loom migrate --via-server does): every fop is a round
// trip over TCP. With LOOM_HEAL_INDEX set, features/index sits right
// above each storage/posix (as in a volume served by loom serve), and the
// heal is over only when no brick's index holds a record.
func startReplica(b *testing.B, dirs []string) (*replicate.Replicate, []*fopCount) {
	b.Helper()
	var specs []xlator.VolumeSpec
	var kids []xlator.SubvolumeRef
	viaServer := os.Getenv("LOOM_HEAL_VIA_SERVER") != ""
	withIndex := os.Getenv("LOOM_HEAL_INDEX") != ""
	var port string
	server := xlator.VolumeSpec{Name: "server", Type: "protocol/server"}
	if viaServer {
		port = freePort(b)
		server.Options = []xlator.OptionSpec{
			{Key: "transport.socket.listen-address", Value: "127.0.0.1"},
			{Key: "transport.socket.listen-port", Value: port}}
	}
	for i, d := range dirs {
		p, l, c := fmt.Sprintf("posix%d", i), fmt.Sprintf("locks%d", i), fmt.Sprintf("count%d", i)
		specs = append(specs,
			xlator.VolumeSpec{Name: p, Type: "storage/posix", Options: []xlator.OptionSpec{{Key: "directory", Value: d}}})
		if withIndex {
			x := fmt.Sprintf("index%d", i)
			specs = append(specs, xlator.VolumeSpec{Name: x, Type: "features/index", Subvolumes: []xlator.SubvolumeRef{{Name: p}}})
			p = x
		}
		specs = append(specs, xlator.VolumeSpec{Name: l, Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: p}}})
		below := l
		if viaServer {
			below = fmt.Sprintf("client%d", i)
			server.Options = append(server.Options, xlator.OptionSpec{Key: "auth.addr." + l + ".allow", Value: "127.0.0.1"})
			server.Subvolumes = append(server.Subvolumes, xlator.SubvolumeRef{Name: l})
			specs = append(specs, xlator.VolumeSpec{Name: below, Type: "protocol/client", Options: []xlator.OptionSpec{
				{Key: "remote-host", Value: "127.0.0.1"}, {Key: "remote-port", Value: port}, {Key: "remote-subvolume", Value: l}}})
		}
		specs = append(specs, xlator.VolumeSpec{Name: c, Type: fopCountType, Subvolumes: []xlator.SubvolumeRef{{Name: below}}})
		kids = append(kids, xlator.SubvolumeRef{Name: c})
	}
	if viaServer {
		specs = append(specs, server)
	}
	var opts []xlator.OptionSpec
	if v := os.Getenv("LOOM_HEAL_WORKERS"); v != "" {
		opts = append(opts, xlator.OptionSpec{Key: "heal-workers", Value: v})
	}
	specs = append(specs, xlator.VolumeSpec{Name: "rep", Type: replicate.Type, Subvolumes: kids, Options: opts})
	g, err := xlator.Build(specs, xlator.BuildOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Stop() })
	var counts []*fopCount
	for i := range dirs {
		counts = append(counts, g.Find(fmt.Sprintf("count%d", i)).(*fopCount))
	}
	return g.Top().(*replicate.Replicate), counts
}

// makeBenchTree writes files files of about avg bytes on average (mixed:
// from a few hundred bytes to 4x avg) into dir, 50 to a directory, and
// per directory one hard link, one symlink and one directory symlink;
// plus one sparse file (data at both ends of a 64 MiB hole). It returns
// the bytes of data written.
func makeBenchTree(b *testing.B, dir string, files, avg int) int64 {
	b.Helper()
	var total int64
	buf := make([]byte, 4*avg)
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
		// Mixed sizes: a quarter small (under 4 KiB), half around avg,
		// a quarter up to 4x avg.
		var n int
		switch i % 4 {
		case 0:
			n = 200 + (i*7919)%4000
		case 3:
			n = avg + (i*7919)%(3*avg)
		default:
			n = avg/2 + (i*7919)%avg
		}
		name := filepath.Join(d, fmt.Sprintf("f%05d", i))
		if err := os.WriteFile(name, buf[:n], 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(n)
		if i%50 == 1 {
			if err := os.Link(name, filepath.Join(d, "hardlink")); err != nil {
				b.Fatal(err)
			}
			if err := os.Symlink(filepath.Base(name), filepath.Join(d, "symlink")); err != nil {
				b.Fatal(err)
			}
		}
	}
	f, err := os.Create(filepath.Join(dir, "sparse"))
	if err != nil {
		b.Fatal(err)
	}
	f.WriteAt(buf[:64<<10], 0)
	f.WriteAt(buf[:64<<10], 64<<20)
	f.Close()
	return total + 128<<10
}

// BenchmarkFullHeal measures a full heal of a generated tree onto a fresh
// brick against `cp -a` of the same tree, in the same run, and counts the
// fops replicate sends to the bricks per healed entry (a figure that does
// not depend on the machine's load). Sizes: LOOM_HEAL_FILES (default 2000)
// files of LOOM_HEAL_AVG (default 64KiB) bytes on average; LOOM_HEAL_WORKERS
// sets replicate's heal-workers (default: the option's default);
// LOOM_HEAL_VIA_SERVER reaches the bricks through protocol/server and
// protocol/client on 127.0.0.1 (see startReplica);
// LOOM_HEAL_CPUPROFILE names a file for a CPU profile of the heal alone
// (the tree's creation and cp -a left out). Besides the wall clock, the
// CPU time of the heal (this process) and of cp -a are compared, and the
// heap allocations per healed entry are counted. The healed
// brick is compared with the source afterwards (outside the clock).
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
		cp := exec.Command("cp", "-a", src, cpDst)
		if out, err := cp.CombinedOutput(); err != nil {
			b.Fatalf("cp -a: %v: %s", err, out)
		}
		cpTime := time.Since(start)
		cpCPU := cp.ProcessState.UserTime() + cp.ProcessState.SystemTime()
		fresh := b.TempDir()
		stopProfile := startHealProfile(b)
		var mem0, mem1 runtime.MemStats
		runtime.ReadMemStats(&mem0)
		cpu0 := processCPU(b)
		b.StartTimer()
		start = time.Now()
		top, counts := startReplica(b, []string{src, fresh})
		// The heal is over once a full crawl has been seen (running, or
		// files healed) and nothing runs, waits or is indexed: a status
		// read before the crawl starts shows nothing running either.
		for seen := false; ; {
			res, err := top.Control(context.Background(), "status", nil)
			if err != nil {
				b.Fatal(err)
			}
			st := res.(*replicate.Status)
			seen = seen || st.FullRunning || st.FilesDone > 0
			if seen && !st.FullRunning && st.Pending == 0 && st.Indexed == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		healTime := time.Since(start)
		b.StopTimer()
		healCPU := processCPU(b) - cpu0
		runtime.ReadMemStats(&mem1)
		stopProfile()
		entries := files + 3*((files+49)/50) + (files+49)/50 + 1
		m0, t0 := counts[0].counts()
		m1, t1 := counts[1].counts()
		if os.Getenv("LOOM_HEAL_CHECK") != "" {
			_, diffs, err := treecheck.CompareDirs(src, fresh, treecheck.CompareOptions{IgnoreRootTimes: true, IgnoreRootMode: true})
			if err != nil {
				b.Fatal(err)
			}
			shown := 0
			for _, d := range diffs {
				// Reading a symlink moves its atime where its ctime is
				// newer (relatime): the scan itself does that.
				if len(d.What) == 1 && strings.HasPrefix(d.What[0], "atime") && strings.HasSuffix(d.Path, "symlink") {
					continue
				}
				if shown++; shown <= 10 {
					b.Errorf("healed brick differs: %s", d)
				}
			}
		}
		mib := float64(bytes) / (1 << 20)
		b.ReportMetric(float64(files)/healTime.Seconds(), "files/s")
		b.ReportMetric(mib/healTime.Seconds(), "MiB/s")
		b.ReportMetric(healTime.Seconds()/cpTime.Seconds(), "x-cp-a")
		b.ReportMetric(float64(t0+t1)/float64(entries), "fops/entry")
		b.ReportMetric(healCPU.Seconds()/cpCPU.Seconds(), "cpu-x-cp-a")
		// Heap allocations of the whole process during the heal (the
		// status polling included) per healed entry: exact, and a good
		// part of the heal's CPU time (allocation and collection).
		b.ReportMetric(float64(mem1.Mallocs-mem0.Mallocs)/float64(entries), "allocs/entry")
		b.Logf("CPU time: heal %v, cp -a %v; ratio %.2f", healCPU.Round(time.Millisecond), cpCPU.Round(time.Millisecond), healCPU.Seconds()/cpCPU.Seconds())
		b.Logf("%d files, %.1f MiB: full heal %v (%.0f files/s, %.1f MiB/s); cp -a %v; ratio %.2f; fops per entry: source %.1f, sink %.1f",
			files, mib, healTime.Round(time.Millisecond), float64(files)/healTime.Seconds(), mib/healTime.Seconds(),
			cpTime.Round(time.Millisecond), healTime.Seconds()/cpTime.Seconds(), float64(t0)/float64(entries), float64(t1)/float64(entries))
		b.Logf("source:%s", summary(m0, entries))
		b.Logf("sink:%s", summary(m1, entries))
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(b *testing.B) string {
	b.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// processCPU returns the user and system CPU time this process has used.
// The heal's CPU time, unlike its wall clock, hardly moves with the
// machine's load: compared with cp -a's it shows how much work the heal
// does for the same tree.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startHealProfile starts a CPU profile into the file LOOM_HEAL_CPUPROFILE
// names, if any, and returns what stops it.
func startHealProfile(b *testing.B) func() {
	b.Helper()
	name := os.Getenv("LOOM_HEAL_CPUPROFILE")
	if name == "" {
		return func() {}
	}
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}
