package locks_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/loom-fs/loom/translators/features/locks"
)

// These tests mount a volfile with the built loom binary in a subprocess
// and contend for locks from helper processes: this test binary re-run
// with helperEnv set (see runHelper).

// helperEnv, when set, makes the test binary a lock helper.
const helperEnv = "LOOM_LOCKS_HELPER"

// Time limits of the mount tests.
const (
	mountReady  = 30 * time.Second // loom mount until the mount is listed
	helperLimit = 30 * time.Second // any helper process, killed after this
	lineWithin  = 10 * time.Second // a helper's next line, when one is due
	notBefore   = 300 * time.Millisecond
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper(os.Args[len(os.Args)-2:]))
	}
	code := m.Run()
	if loomDir != "" {
		os.RemoveAll(loomDir)
	}
	os.Exit(code)
}

// runHelper does one lock operation on a file through the mount and
// reports on standard output:
//
//	hold fcntl|flock FILE   take a write lock on the whole file (waiting),
//	                        print "locked PID", hold it until stdin closes
//	getlk FILE              print "unlocked" or "locked TYPE PID" (F_GETLK)
//	trylock flock FILE      flock LOCK_EX|LOCK_NB: print "locked" or "busy"
func runHelper(args []string) int {
	mode, file := os.Getenv(helperEnv), args[1]
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	fd := int(f.Fd())
	whole := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	switch mode {
	case "hold":
		if args[0] == "flock" {
			err = unix.Flock(fd, unix.LOCK_EX)
		} else {
			err = unix.FcntlFlock(uintptr(fd), unix.F_SETLKW, &whole)
		}
		if err != nil {
			fmt.Println("error", err)
			return 1
		}
		fmt.Println("locked", os.Getpid())
		io.Copy(io.Discard, os.Stdin)
		return 0
	case "getlk":
		if err := unix.FcntlFlock(uintptr(fd), unix.F_GETLK, &whole); err != nil {
			fmt.Println("error", err)
			return 1
		}
		if whole.Type == unix.F_UNLCK {
			fmt.Println("unlocked")
		} else {
			fmt.Println("locked", whole.Type, whole.Pid)
		}
		return 0
	case "trylock":
		switch err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err {
		case nil:
			fmt.Println("locked")
		case unix.EWOULDBLOCK:
			fmt.Println("busy")
		default:
			fmt.Println("error", err)
			return 1
		}
		return 0
	}
	fmt.Println("error: unknown mode", mode)
	return 1
}

// helper is a running helper process and its output lines.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}
}

// startHelper runs a helper in mode with args; it is killed when the test
// ends or after helperLimit.
func startHelper(t *testing.T, mode string, args ...string) *helper {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), helperLimit)
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"-test.run=^$"}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start helper %s: %v", mode, err)
	}
	h := &helper{cmd: cmd, stdin: stdin, lines: make(chan string, 8), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			h.lines <- sc.Text()
		}
		cmd.Wait()
		close(h.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-h.done
		cancel()
	})
	return h
}

// line returns the helper's next output line, failing the test if none
// comes within lineWithin.
func (h *helper) line(t *testing.T, what string) string {
	t.Helper()
	select {
	case l := <-h.lines:
		return l
	case <-time.After(lineWithin):
		t.Fatalf("%s: no answer from the helper within %v", what, lineWithin)
		return ""
	}
}

// quiet fails the test if the helper prints within notBefore.
func (h *helper) quiet(t *testing.T, what string) {
	t.Helper()
	select {
	case l := <-h.lines:
		t.Fatalf("%s: the helper answered %q, want it still waiting", what, l)
	case <-time.After(notBefore):
	}
}

// lockedBy checks that the helper reports holding its lock.
func (h *helper) locked(t *testing.T, what string) {
	t.Helper()
	if l := h.line(t, what); !strings.HasPrefix(l, "locked") {
		t.Fatalf("%s: helper says %q", what, l)
	}
}

var (
	loomOnce sync.Once
	loomDir  string // holds the built loom binary
	loomBin  string
	loomErr  error
)

// buildLoom builds cmd/loom once per test binary.
func buildLoom(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mount tests need root")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skipf("mount tests need /dev/fuse: %v", err)
	}
	loomOnce.Do(func() {
		loomDir, loomErr = os.MkdirTemp("", "loom-locks-bin-")
		if loomErr != nil {
			return
		}
		loomBin = filepath.Join(loomDir, "loom")
		out, err := exec.Command("go", "build", "-o", loomBin, "github.com/loom-fs/loom/cmd/loom").CombinedOutput()
		if err != nil {
			loomErr = fmt.Errorf("go build cmd/loom: %v\n%s", err, out)
		}
	})
	if loomErr != nil {
		t.Fatal(loomErr)
	}
	return loomBin
}

// isMounted reports whether dir is a mount point, from /proc/self/mountinfo.
func isMounted(dir string) bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[4] == dir {
			return true
		}
	}
	return false
}

// mountVolfile runs "loom mount -N -f VOLFILE MNT" for volfile (where
// BRICK stands for a fresh brick directory) and returns the mountpoint
// and the file loom logs to. Cleanup unmounts (lazily if busy) and ends
// loom.
func mountVolfile(t *testing.T, volfile string) (mnt, logPath string) {
	t.Helper()
	bin := buildLoom(t)
	dir := t.TempDir()
	brick := filepath.Join(dir, "brick")
	mnt = filepath.Join(dir, "mnt")
	for _, d := range []string{brick, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	vol := filepath.Join(dir, "locks.vol")
	if err := os.WriteFile(vol, []byte(strings.ReplaceAll(volfile, "BRICK", brick)), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "loom.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "mount", "-N", "-f", vol, mnt)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		if isMounted(mnt) {
			if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
				t.Logf("umount %s: %v: %s; unmounting lazily", mnt, err, out)
				exec.Command("umount", "-l", mnt).Run()
			}
		}
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		if isMounted(mnt) {
			t.Errorf("%s still mounted after cleanup", mnt)
			exec.Command("umount", "-l", mnt).Run()
		}
		if t.Failed() {
			out, _ := os.ReadFile(logf.Name())
			t.Logf("loom output:\n%s", out)
		}
	})
	deadline := time.Now().Add(mountReady)
	for !isMounted(mnt) {
		select {
		case <-exited:
			out, _ := os.ReadFile(logf.Name())
			t.Fatalf("loom mount exited early:\n%s", out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not mounted within %v", mnt, mountReady)
		}
	}
	return mnt, logf.Name()
}

const locksVolfile = `volume brick
    type storage/posix
    option directory BRICK
end-volume

volume locks
    type features/locks
    option trace on
    subvolumes brick
end-volume
`

const posixVolfile = `volume brick
    type storage/posix
    option directory BRICK
end-volume
`

// writeFile creates a file in the mount (from this process, in a
// goroutine with a time limit so a hung mount fails rather than hangs).
func writeFile(t *testing.T, path string) {
	t.Helper()
	errc := make(chan error, 1)
	go func() { errc <- os.WriteFile(path, []byte("data"), 0o666) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(lineWithin):
		t.Fatalf("creating %s hung", path)
	}
}

// contend checks, through a mount, that a second process's F_SETLKW (or
// blocking flock) waits while a first holds the lock, and gets it when
// the first ends: by exiting, or by kill -9.
func contend(t *testing.T, file, style string) {
	t.Helper()
	a := startHelper(t, "hold", style, file)
	a.locked(t, "first holder")
	b := startHelper(t, "hold", style, file)
	b.quiet(t, "second locker while the first holds")
	a.stdin.Close() // a exits; closing its file releases the lock
	b.locked(t, "second locker after the first exited")

	c := startHelper(t, "hold", style, file)
	c.quiet(t, "third locker while the second holds")
	b.cmd.Process.Signal(syscall.SIGKILL)
	c.locked(t, "third locker after the second was killed")
	c.stdin.Close()
	<-c.done
}

// Two processes contend through a mount with features/locks; F_GETLK
// names the holder's pid; kill -9 releases; flock works too.
func TestMountLocks(t *testing.T) {
	mnt, logPath := mountVolfile(t, locksVolfile)
	file := filepath.Join(mnt, "f")
	writeFile(t, file)

	a := startHelper(t, "hold", "fcntl", file)
	a.locked(t, "holder")
	g := startHelper(t, "getlk", file)
	want := fmt.Sprintf("locked %d %d", unix.F_WRLCK, a.cmd.Process.Pid)
	if l := g.line(t, "getlk"); l != want {
		t.Fatalf("F_GETLK through the mount: %q, want %q", l, want)
	}
	dump, err := unix.Getxattr(file, locks.DumpXattr, make([]byte, 4096))
	if err != nil || dump == 0 {
		t.Fatalf("getxattr of the dump through the mount: %d bytes, %v", dump, err)
	}
	a.stdin.Close()
	<-a.done
	g = startHelper(t, "getlk", file)
	if l := g.line(t, "getlk after unlock"); l != "unlocked" {
		t.Fatalf("F_GETLK after the holder exited: %q", l)
	}

	t.Run("fcntl", func(t *testing.T) { contend(t, file, "fcntl") })
	t.Run("flock", func(t *testing.T) {
		contend(t, file, "flock")
		h := startHelper(t, "hold", "flock", file)
		h.locked(t, "flock holder")
		try := startHelper(t, "trylock", "flock", file)
		if l := try.line(t, "LOCK_NB"); l != "busy" {
			t.Fatalf("flock LOCK_NB while another file holds it: %q", l)
		}
		h.stdin.Close()
		<-h.done
		try = startHelper(t, "trylock", "flock", file)
		if l := try.line(t, "LOCK_NB after release"); l != "locked" {
			t.Fatalf("flock LOCK_NB after the holder's file closed: %q", l)
		}
	})
	// A waiter interrupted by signals (the kernel restarts F_SETLKW) leaves
	// one request queued, not one per interruption.
	t.Run("interrupted", func(t *testing.T) {
		h := startHelper(t, "hold", "fcntl", file)
		h.locked(t, "holder")
		w := startHelper(t, "hold", "fcntl", file)
		w.quiet(t, "waiter")
		for range 3 {
			w.cmd.Process.Signal(syscall.SIGURG)
			time.Sleep(50 * time.Millisecond)
		}
		buf := make([]byte, 4096)
		n, err := unix.Getxattr(file, locks.DumpXattr, buf)
		if err != nil {
			t.Fatal(err)
		}
		if c := strings.Count(string(buf[:n]), "waiting"); c != 1 {
			t.Fatalf("after signals, %d waiting requests:\n%s", c, buf[:n])
		}
		if log, _ := os.ReadFile(logPath); !strings.Contains(string(log), "lock wait interrupted") {
			t.Fatalf("the signals interrupted no lock request; loom log:\n%s", log)
		}
		h.stdin.Close()
		w.locked(t, "interrupted waiter after the holder exited")
		w.stdin.Close()
		<-w.done
	})
}

// Without features/locks, storage/posix's own OFD locks still serve the
// same contention through a mount.
func TestMountWithoutLocksTranslator(t *testing.T) {
	mnt, _ := mountVolfile(t, posixVolfile)
	file := filepath.Join(mnt, "f")
	writeFile(t, file)
	t.Run("fcntl", func(t *testing.T) { contend(t, file, "fcntl") })
	t.Run("flock", func(t *testing.T) { contend(t, file, "flock") })
}
