package integration

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Time limits of the harness.
const (
	readyTimeout    = 30 * time.Second // loom mount until the mount is listed
	defaultDeadline = 2 * time.Minute  // a test's whole use of one mount
	exitGrace       = 10 * time.Second // after unmounting, before signals
	commandTimeout  = 30 * time.Second // any loom command that should just fail
)

// fuseSuperMagic is statfs's f_type of a FUSE mount.
const fuseSuperMagic = 0x65735546

// testDir makes a fresh directory (mode 0755, so that helper users can
// reach mounts inside it) for the test. Cleanup removes it, unless
// something is still mounted below it: then it fails the test and keeps
// it, so that nothing is deleted through a mount.
func testDir(t *testing.T) string {
	t.Helper()
	requireEnv(t)
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	if len(name) > 60 {
		name = name[:60]
	}
	dir, err := os.MkdirTemp(baseDir, name+"-")
	if err != nil {
		t.Fatalf("testDir: %v", err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("testDir: %v", err)
	}
	t.Cleanup(func() {
		if mps := mountsUnder(dir); len(mps) > 0 {
			t.Errorf("not removing %s: still mounted below it: %v", dir, mps)
			return
		}
		if err := os.RemoveAll(dir); err != nil {
			t.Logf("removing %s: %v", dir, err)
		}
	})
	return dir
}

// mkdirAll makes dir and its parents with mode 0755 or fails the test.
func mkdirAll(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrick makes an empty brick directory for the test.
func newBrick(t *testing.T) string {
	t.Helper()
	return mkdirAll(t, filepath.Join(testDir(t), "brick"))
}

// posixVolfile is the GlusterFS-syntax volfile of one storage/posix brick.
func posixVolfile(brick string) string {
	return fmt.Sprintf("volume brick\n    type storage/posix\n    option directory %s\nend-volume\n", brick)
}

// mountConfig adjusts mountLoomWith.
type mountConfig struct {
	args     []string      // extra "loom mount" arguments, before the mountpoint
	env      []string      // extra environment of the loom process
	deadline time.Duration // watchdog for the whole test; 0 means defaultDeadline
	volName  string        // the volfile's file name; "" means loom.vol
}

// Mount is a running "loom mount -N" subprocess and its mountpoint.
type Mount struct {
	Dir     string // the mountpoint
	Volfile string // the volfile it was started with
	Output  string // file holding loom's stdout and stderr

	cmd     *exec.Cmd
	conn    string        // FUSE connection number, for aborting it
	done    chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's result, valid once done is closed
	dog     *watchdog
}

// mountLoom writes volfile, runs "loom mount -N -f VOLFILE extraArgs...
// MOUNTPOINT" in its own process group and waits until the mountpoint is
// listed in /proc/self/mountinfo. Cleanup unmounts (lazily if busy), ends
// the process (SIGTERM, then SIGKILL to its group after a grace period) and
// fails the test if a mount is left. A watchdog kills loom, aborting the
// FUSE connection, if the test still runs after defaultDeadline.
func mountLoom(t *testing.T, volfile string, extraArgs ...string) *Mount {
	t.Helper()
	return mountLoomWith(t, volfile, mountConfig{args: extraArgs})
}

// mountLoomWith is mountLoom with extra settings.
func mountLoomWith(t *testing.T, volfile string, mc mountConfig) *Mount {
	t.Helper()
	m := startLoom(t, volfile, mc)
	start := time.Now()
	m.waitMounted(t, 20*time.Millisecond)
	var sfs unix.Statfs_t
	if err := statfsWithin(m.Dir, &sfs, 10*time.Second); err != nil {
		t.Fatalf("statfs %s after mounting: %v", m.Dir, err)
	}
	if sfs.Type != fuseSuperMagic {
		t.Fatalf("%s is mounted but statfs type is %#x, not FUSE", m.Dir, sfs.Type)
	}
	m.conn = fuseConnection(m.Pid())
	t.Logf("mounted %s in %v", m.Dir, time.Since(start).Round(time.Millisecond))
	return m
}

// startLoom writes volfile and starts "loom mount -N" on a fresh
// mountpoint without waiting for the mount; cleanup and the watchdog are
// set up as for mountLoom.
func startLoom(t *testing.T, volfile string, mc mountConfig) *Mount {
	t.Helper()
	dir := testDir(t)
	mp := mkdirAll(t, filepath.Join(dir, "mnt"))
	volName := mc.volName
	if volName == "" {
		volName = "loom.vol"
	}
	volPath := filepath.Join(dir, volName)
	if err := os.WriteFile(volPath, []byte(volfile), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "loom.out")
	of, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer of.Close()
	args := append([]string{"mount", "-N", "-f", volPath}, mc.args...)
	args = append(args, mp)
	cmd := exec.Command(loomBin, args...)
	cmd.Stdout = of
	cmd.Stderr = of
	cmd.Env = append(os.Environ(), mc.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	m := &Mount{Dir: mp, Volfile: volPath, Output: out, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting loom: %v", err)
	}
	go func() {
		m.waitErr = cmd.Wait()
		close(m.done)
	}()
	deadline := mc.deadline
	if deadline == 0 {
		deadline = defaultDeadline
	}
	m.dog = startWatchdog(deadline, m.kill)
	t.Cleanup(func() { m.cleanup(t) })
	return m
}

// waitMounted polls /proc/self/mountinfo every interval until the
// mountpoint is listed; it fails the test if loom exits first or the
// mount is not there within readyTimeout.
func (m *Mount) waitMounted(t *testing.T, interval time.Duration) {
	t.Helper()
	start := time.Now()
	for !isMounted(m.Dir) {
		select {
		case <-m.done:
			t.Fatalf("loom mount exited before the mount was ready (%v); output:\n%s", m.waitErr, tail(m.Output, 30))
		case <-time.After(interval):
		}
		if time.Since(start) > readyTimeout {
			t.Fatalf("loom mount: %s not mounted after %v; output:\n%s", m.Dir, readyTimeout, tail(m.Output, 30))
		}
	}
}

// statfsWithin runs statfs in a goroutine and gives up after d (the
// goroutine stays blocked until the mount is aborted).
func statfsWithin(path string, st *unix.Statfs_t, d time.Duration) error {
	errc := make(chan error, 1)
	var res unix.Statfs_t
	go func() { errc <- unix.Statfs(path, &res) }()
	select {
	case err := <-errc:
		*st = res
		return err
	case <-time.After(d):
		return fmt.Errorf("no answer within %v", d)
	}
}

// Path joins names to the mountpoint.
func (m *Mount) Path(names ...string) string {
	return filepath.Join(append([]string{m.Dir}, names...)...)
}

// Pid is the loom process's id.
func (m *Mount) Pid() int { return m.cmd.Process.Pid }

// kill aborts loom's FUSE connection (so that system calls blocked on the
// mount return) and ends the loom process group with SIGKILL.
func (m *Mount) kill() {
	conn := m.conn
	if conn == "" {
		conn = fuseConnection(m.Pid())
	}
	abortConnection(conn)
	syscall.Kill(-m.Pid(), syscall.SIGKILL)
}

// Exited waits up to d for the loom process to exit and reports whether it
// did, with its exit code (-1 if a signal ended it).
func (m *Mount) Exited(d time.Duration) (bool, int) {
	select {
	case <-m.done:
	case <-time.After(d):
		return false, 0
	}
	var exit *exec.ExitError
	switch {
	case m.waitErr == nil:
		return true, 0
	case errors.As(m.waitErr, &exit):
		return true, exit.ExitCode()
	}
	return true, -1
}

// Unmount runs "umount MOUNTPOINT" and waits for loom to exit; it returns
// loom's exit code. It fails the test if either does not happen.
func (m *Mount) Unmount(t *testing.T) int {
	t.Helper()
	if err := runUmount(m.Dir, false); err != nil {
		t.Fatalf("%v", err)
	}
	exited, code := m.Exited(exitGrace)
	if !exited {
		t.Fatalf("loom (pid %d) still running %v after umount %s", m.Pid(), exitGrace, m.Dir)
	}
	return code
}

// cleanup unmounts, ends the process and checks nothing is left mounted.
// It unmounts with the system call rather than umount(8), which stats the
// mountpoint and so hangs on a hung server.
func (m *Mount) cleanup(t *testing.T) {
	if m.dog.stop() {
		t.Errorf("watchdog: the test was still using %s after its deadline; loom was killed to abort the hung mount", m.Dir)
	}
	if m.conn == "" {
		m.conn = fuseConnection(m.Pid())
	}
	if isMounted(m.Dir) {
		if err := unmountWithin(m.Dir, 0); err != nil {
			t.Logf("umount %s: %v; unmounting lazily", m.Dir, err)
			if err := unmountWithin(m.Dir, unix.MNT_DETACH); err != nil {
				t.Errorf("umount -l %s: %v", m.Dir, err)
			}
		}
	}
	if exited, _ := m.Exited(exitGrace); !exited {
		t.Logf("loom (pid %d) still running %v after unmount: sending SIGTERM", m.Pid(), exitGrace)
		syscall.Kill(-m.Pid(), syscall.SIGTERM)
		if exited, _ := m.Exited(5 * time.Second); !exited {
			t.Logf("loom (pid %d) ignored SIGTERM: aborting its FUSE connection and sending SIGKILL", m.Pid())
			m.kill()
			if exited, _ := m.Exited(5 * time.Second); !exited {
				t.Errorf("loom (pid %d) does not end even after SIGKILL and aborting FUSE connection %q", m.Pid(), m.conn)
			}
		}
	}
	if isMounted(m.Dir) {
		t.Errorf("%s is still mounted after cleanup; unmounting lazily", m.Dir)
		unmountWithin(m.Dir, unix.MNT_DETACH)
	}
	if t.Failed() {
		t.Logf("loom output (%s), last lines:\n%s", m.Output, tail(m.Output, 40))
	}
}

// unmountWithin calls umount2(dir, flags), giving up after 10s.
func unmountWithin(dir string, flags int) error {
	errc := make(chan error, 1)
	go func() { errc <- unix.Unmount(dir, flags) }()
	select {
	case err := <-errc:
		return err
	case <-time.After(10 * time.Second):
		return errors.New("no answer within 10s")
	}
}

// fusectlDir is where the fusectl filesystem shows FUSE connections.
const fusectlDir = "/sys/fs/fuse/connections"

var (
	fusectlMu      sync.Mutex
	fusectlMounted bool // this test run mounted fusectl and unmounts it at the end
)

// fuseConnection returns the FUSE connection number (its fusectl
// directory name) of the /dev/fuse descriptor pid holds, or "".
func fuseConnection(pid int) string {
	dir := fmt.Sprintf("/proc/%d/fdinfo", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "fuse_connection:"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return ""
}

// abortConnection aborts a FUSE connection through fusectl (mounting
// fusectl first if nothing has): every request waiting on it fails with
// ENOTCONN. This frees even a server that is stuck waiting on its own
// mount, which SIGKILL alone cannot.
func abortConnection(conn string) error {
	if conn == "" {
		return errors.New("FUSE connection unknown")
	}
	fusectlMu.Lock()
	if !isMounted(fusectlDir) {
		if err := unix.Mount("fusectl", fusectlDir, "fusectl", 0, ""); err != nil && !isMounted(fusectlDir) {
			fusectlMu.Unlock()
			return fmt.Errorf("mounting fusectl: %w", err)
		}
		fusectlMounted = true
	}
	fusectlMu.Unlock()
	return os.WriteFile(filepath.Join(fusectlDir, conn, "abort"), []byte("1"), 0)
}

// unmountFusectl removes the fusectl mount if this test run made it.
func unmountFusectl() {
	fusectlMu.Lock()
	defer fusectlMu.Unlock()
	if fusectlMounted {
		unix.Unmount(fusectlDir, 0)
		fusectlMounted = false
	}
}

// runUmount runs umount (lazily with -l) on dir with a timeout.
func runUmount(dir string, lazy bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	args := []string{dir}
	if lazy {
		args = []string{"-l", dir}
	}
	out, err := exec.CommandContext(ctx, "umount", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("umount %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// tail returns the last n lines of a file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// watchdog calls fire once if it is not stopped within its deadline.
type watchdog struct {
	mu    sync.Mutex
	timer *time.Timer
	fired bool
}

// startWatchdog arms a watchdog that calls fire after d.
func startWatchdog(d time.Duration, fire func()) *watchdog {
	w := &watchdog{}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.timer = time.AfterFunc(d, func() {
		w.mu.Lock()
		w.fired = true
		w.mu.Unlock()
		fire()
	})
	return w
}

// stop disarms the watchdog and reports whether it had fired.
func (w *watchdog) stop() bool {
	w.timer.Stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fired
}

// guard runs fn, a part of a test that uses m, under its own watchdog of
// d: if fn is still running then, loom is killed (so that fn's system
// calls return) and the test fails.
func (m *Mount) guard(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	if m.runGuarded(d, fn) {
		t.Errorf("watchdog: %s took longer than %v; loom was killed to abort the mount", what, d)
	}
}

// runGuarded runs fn; if it is still running after d, loom is killed to
// abort the mount. It reports whether that happened.
func (m *Mount) runGuarded(d time.Duration, fn func()) (fired bool) {
	w := startWatchdog(d, m.kill)
	defer func() { fired = w.stop() }()
	fn()
	return false
}

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	Point  string
	FSType string
	Source string
}

// mountinfo lists the current mounts.
func mountinfo() []mountEntry {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var list []mountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		e := mountEntry{Point: unescapeMount(fields[4])}
		for i, f := range fields {
			if f == "-" && i+2 < len(fields) {
				e.FSType, e.Source = fields[i+1], unescapeMount(fields[i+2])
				break
			}
		}
		list = append(list, e)
	}
	return list
}

// unescapeMount decodes the kernel's \NNN octal escapes in mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// isMounted reports whether something is mounted on dir.
func isMounted(dir string) bool {
	for _, e := range mountinfo() {
		if e.Point == dir {
			return true
		}
	}
	return false
}

// mountsUnder lists the mount points at or below dir.
func mountsUnder(dir string) []string {
	var out []string
	for _, e := range mountinfo() {
		if e.Point == dir || strings.HasPrefix(e.Point, dir+"/") {
			out = append(out, e.Point)
		}
	}
	return out
}

// must fails the test if err is not nil.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// writeFile writes data to path with mode 0644 or fails the test.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	must(t, os.WriteFile(path, data, 0o644))
}

// readFile returns the contents of path or fails the test.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	return b
}

// lstat returns the lstat of path or fails the test.
func lstat(t *testing.T, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatalf("lstat %s: %v", path, err)
	}
	return st
}

// wantErrno fails the test unless err is (or wraps) want.
func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v (%s)", what, err, want, unix.ErrnoName(want))
	}
}
