package fuse

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
)

// Real-mount tests run the FUSE server in a child process (this test
// binary, re-executed with serveEnv set): serving FUSE and doing I/O on it
// in one process can deadlock.
const serveEnv = "LOOM_FUSE_TEST_SERVE"

// serveConfig is what the child is told to mount.
type serveConfig struct {
	Brick      string
	Mountpoint string
	Options    string // a -o list for ParseMountOptions
	// CountIO puts a translator that counts Read and Write fops on top
	// of the brick (it forwards the brick's passthrough capability);
	// SIGUSR2 makes the child print "io READS WRITES".
	CountIO bool
	// Replica serves cluster/replicate over two storage/posix bricks
	// (Brick/b0 and Brick/b1, each under features/locks), reading from
	// b0, which has debug/error-gen above it (see replicaGraph).
	Replica bool
}

func TestMain(m *testing.M) {
	if cfg := os.Getenv(serveEnv); cfg != "" {
		os.Exit(serve(cfg))
	}
	os.Exit(m.Run())
}

// serve is the child: mount a storage/posix graph, print "ready", answer
// SIGUSR1 with "inodes N", unmount on SIGTERM, exit when unmounted.
func serve(cfgJSON string) int {
	var cfg serveConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "serve config:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	specs := []xlator.VolumeSpec{{Name: "brick", Type: "storage/posix",
		Options: []xlator.OptionSpec{{Key: "directory", Value: cfg.Brick}}}}
	if cfg.Replica {
		specs = replicaGraph(cfg.Brick)
	}
	g, err := xlator.Build(specs, xlator.BuildOptions{Log: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		return 2
	}
	defer g.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		return 2
	}
	top := g.Top()
	var counter *countIO
	if cfg.CountIO {
		counter = newCountIO(top)
		top = counter
	}
	o := Options{Log: log}
	if err := ParseMountOptions(cfg.Options, &o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	m, err := Mount(top, cfg.Mountpoint, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGTERM, syscall.SIGINT)
	unmounted := make(chan struct{})
	go func() { m.Wait(); close(unmounted) }()
	if cfg.Replica {
		go replicaCommands(g)
	}
	fmt.Println("ready")
	for {
		select {
		case <-unmounted:
			return 0
		case s := <-sigs:
			if s == syscall.SIGUSR1 {
				fmt.Printf("inodes %d\n", m.Inodes())
				continue
			}
			if s == syscall.SIGUSR2 {
				if counter == nil {
					fmt.Println("io -1 -1 -1")
				} else {
					fmt.Printf("io %d %d %d\n", counter.reads.Load(), counter.writes.Load(), counter.open.Load())
				}
				continue
			}
			if err := m.Unmount(); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			return 0
		}
	}
}

// testMount is a mount served by a child process.
type testMount struct {
	dir   string // the mountpoint
	brick string
	cmd   *exec.Cmd
	lines chan string    // the child's stdout
	in    io.WriteCloser // the child's stdin (replicaCommands)

	exited   chan struct{} // closed when the child has exited
	stopOnce sync.Once
}

// startMount serves a storage/posix brick (a new one when brick is "")
// at a new mountpoint with the -o list opts, and unmounts it when the
// test ends.
func startMount(t *testing.T, brick, opts string) *testMount {
	t.Helper()
	return startServe(t, serveConfig{Brick: brick, Options: opts})
}

// startServe is startMount with the whole child configuration (its
// Mountpoint is chosen here).
func startServe(t *testing.T, cfg serveConfig) *testMount {
	t.Helper()
	brick := cfg.Brick
	if os.Geteuid() != 0 {
		t.Skip("real-mount tests need root (direct mount and trusted xattrs)")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("no /dev/fuse")
	}
	if brick == "" {
		brick = t.TempDir()
	}
	m := &testMount{dir: t.TempDir(), brick: brick, lines: make(chan string, 16), exited: make(chan struct{})}
	cfg.Brick, cfg.Mountpoint = brick, m.dir
	cfgJSON, _ := json.Marshal(cfg)
	m.cmd = exec.Command(os.Args[0], "-test.run=^$")
	m.cmd.Env = append(os.Environ(), serveEnv+"="+string(cfgJSON))
	m.cmd.Stderr = os.Stderr
	in, err := m.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	m.in = in
	out, err := m.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := m.exited
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			m.lines <- sc.Text()
		}
		io.Copy(io.Discard, out)
		m.cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() { m.stop(t) })
	select {
	case l := <-m.lines:
		if l != "ready" {
			t.Fatalf("server said %q, want ready", l)
		}
	case <-exited:
		t.Fatal("server exited before the mount was ready")
	case <-time.After(20 * time.Second):
		t.Fatal("mount not ready within 20s")
	}
	return m
}

// stop unmounts through the child (SIGTERM), and if that does not end it
// in time, detaches the mount and kills the child. It fails the test if
// the mount is left behind. It runs once; later calls do nothing.
func (m *testMount) stop(t *testing.T) {
	m.stopOnce.Do(func() { m.stopNow(t) })
}

func (m *testMount) stopNow(t *testing.T) {
	exited := m.exited
	m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(15 * time.Second):
		t.Errorf("server did not exit within 15s of SIGTERM; killing it")
		exec.Command("umount", "-l", m.dir).Run()
		m.cmd.Process.Kill()
		<-exited
	}
	if mounted(m.dir) {
		exec.Command("umount", "-l", m.dir).Run()
		t.Errorf("%s was still mounted after the server exited", m.dir)
	}
}

// mounted reports whether dir is in /proc/mounts.
func mounted(dir string) bool {
	data, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == dir {
			return true
		}
	}
	return false
}

// inodes asks the child for the size of its inode table.
func (m *testMount) inodes(t *testing.T) int {
	t.Helper()
	m.cmd.Process.Signal(syscall.SIGUSR1)
	select {
	case l := <-m.lines:
		n, err := strconv.Atoi(strings.TrimPrefix(l, "inodes "))
		if err != nil {
			t.Fatalf("server said %q", l)
		}
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no inode count within 10s")
	}
	return 0
}

// ioCounts asks the child how many Read and Write fops reached the
// graph and how many file handles are open in it (the mount must have
// been started with CountIO).
func (m *testMount) ioCounts(t *testing.T) (reads, writes, open int64) {
	t.Helper()
	m.cmd.Process.Signal(syscall.SIGUSR2)
	select {
	case l := <-m.lines:
		if _, err := fmt.Sscanf(l, "io %d %d %d", &reads, &writes, &open); err != nil || reads < 0 {
			t.Fatalf("server said %q", l)
		}
		return reads, writes, open
	case <-time.After(10 * time.Second):
		t.Fatal("no I/O counts within 10s")
	}
	return 0, 0, 0
}

// waitReleased waits up to 10 s until the graph holds no open file
// handle. close(2) returns before the kernel's RELEASE reaches the
// graph, so a test that opens a file right after closing another handle
// of it would otherwise race with that release (replicate passes a
// reader through only when no writer is open).
func (m *testMount) waitReleased(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, open := m.ioCounts(t)
		if open == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d file handles still open in the graph after 10s", open)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countIO counts the Read and Write fops that reach it, and the file fds
// open below it, and passes every fop to its child; it forwards the
// child's passthrough capability, as a translator that needs to see no
// I/O may.
type countIO struct {
	xlator.Base
	reads, writes atomic.Int64
	// open counts the fds opened or created through it whose Release
	// has not returned: the kernel sends RELEASE after close(2) has
	// returned, so a test sees here when the graph is done with a
	// handle it closed.
	open atomic.Int64
}

func newCountIO(child xlator.Translator) *countIO {
	c := &countIO{Base: xlator.NewBase(&xlator.Config{Name: "count", Type: "test/count-io",
		Children: []xlator.Translator{child}})}
	xlator.Attach(c)
	return c
}

func (c *countIO) Read(ctx context.Context, call *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	c.reads.Add(1)
	return c.Base.Read(ctx, call, fd, dest, off)
}

func (c *countIO) Write(ctx context.Context, call *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	c.writes.Add(1)
	return c.Base.Write(ctx, call, fd, data, off)
}

func (c *countIO) Open(ctx context.Context, call *xlator.Call, fd *xlator.FD) error {
	err := c.Base.Open(ctx, call, fd)
	if err == nil {
		c.open.Add(1)
	}
	return err
}

func (c *countIO) Create(ctx context.Context, call *xlator.Call, fd *xlator.FD, mode, umask uint32) (xlator.Stat, error) {
	st, err := c.Base.Create(ctx, call, fd, mode, umask)
	if err == nil {
		c.open.Add(1)
	}
	return st, err
}

func (c *countIO) Release(ctx context.Context, call *xlator.Call, fd *xlator.FD) error {
	defer c.open.Add(-1)
	return c.Base.Release(ctx, call, fd)
}

func (c *countIO) BackingFile(fd *xlator.FD) (int, bool) {
	bf, ok := c.FirstChild().(xlator.BackingFiler)
	if !ok {
		return -1, false
	}
	return bf.BackingFile(fd)
}

// path returns name inside the mount.
func (m *testMount) path(name string) string { return filepath.Join(m.dir, name) }

// guard runs fn, failing the test if it takes longer than d (a hung FUSE
// request); the cleanup then kills the server, which ends the request.
func guard(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %v", what, d)
	}
}
