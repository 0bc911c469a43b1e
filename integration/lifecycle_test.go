package integration

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestSignalsUnmount(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(unix.SignalName(sig), func(t *testing.T) {
			m, brick := posixMount(t)
			writeFile(t, m.Path("before-signal"), []byte("kept"))
			must(t, syscall.Kill(m.Pid(), sig))
			exited, code := m.Exited(15 * time.Second)
			if !exited {
				t.Fatalf("loom still running 15s after %v", sig)
			}
			if code != 0 {
				t.Errorf("loom exited with %d after %v, want 0", code, sig)
			}
			if isMounted(m.Dir) {
				t.Errorf("%s still mounted after loom exited on %v", m.Dir, sig)
			}
			if got := readFile(t, filepath.Join(brick, "before-signal")); string(got) != "kept" {
				t.Errorf("brick file reads %q", got)
			}
		})
	}
}

// TestSignalRightAfterMount sends SIGTERM the moment the mount appears,
// as a service manager stopping a just-started mount would: loom must
// still unmount and exit 0, not die and leave a dead mount behind.
func TestSignalRightAfterMount(t *testing.T) {
	requireEnv(t)
	const rounds = 5
	for i := 0; i < rounds; i++ {
		m := startLoom(t, posixVolfile(newBrick(t)), mountConfig{})
		m.waitMounted(t, time.Millisecond)
		must(t, syscall.Kill(m.Pid(), syscall.SIGTERM))
		exited, code := m.Exited(5 * time.Second)
		if !exited {
			t.Fatalf("round %d: loom neither unmounted nor exited within 5s of SIGTERM (stuck on its own mount?)", i)
		}
		if code != 0 || isMounted(m.Dir) {
			t.Errorf("round %d: SIGTERM as soon as the mount appeared: exit code %d (-1: killed by the signal), still mounted %v",
				i, code, isMounted(m.Dir))
		}
	}
}

// TestSignalBusyMount sends SIGTERM while a file on the mount is open: the
// mount is detached at once (lazily), and loom exits 0 once the last user
// lets go.
func TestSignalBusyMount(t *testing.T) {
	m, _ := posixMount(t)
	writeFile(t, m.Path("held"), []byte("open during the signal"))
	f, err := os.Open(m.Path("held"))
	must(t, err)
	defer f.Close()
	must(t, syscall.Kill(m.Pid(), syscall.SIGTERM))
	deadline := time.Now().Add(15 * time.Second)
	for isMounted(m.Dir) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if isMounted(m.Dir) {
		t.Errorf("%s still mounted 15s after SIGTERM with a file open", m.Dir)
	}
	// The open file still reads: a lazy detach keeps it served.
	buf := make([]byte, 64)
	if n, err := f.ReadAt(buf, 0); string(buf[:n]) != "open during the signal" {
		t.Errorf("the file held open across the detach reads %q, %v", buf[:n], err)
	}
	must(t, f.Close())
	exited, code := m.Exited(15 * time.Second)
	if !exited {
		t.Fatalf("loom still running 15s after the last open file was closed")
	}
	if code != 0 {
		t.Errorf("loom exited with %d, want 0", code)
	}
}

func TestUmountEndsLoom(t *testing.T) {
	m, _ := posixMount(t)
	writeFile(t, m.Path("f"), []byte("x"))
	if code := m.Unmount(t); code != 0 {
		t.Errorf("loom exited with %d after umount, want 0", code)
	}
}

// pidsWithArg lists the processes (other than this one) whose command line
// has an argument equal to arg.
func pidsWithArg(arg string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		for _, a := range bytes.Split(b, []byte{0}) {
			if string(a) == arg {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

// waitPid waits up to d for pid to exit. As a subreaper this process
// inherits daemons whose parent exited, so it can reap them and learn
// the exit status; otherwise it watches /proc. It returns whether the
// process ended and its exit code (-1 if unknown or killed by a signal).
func waitPid(pid int, d time.Duration) (bool, int) {
	type result struct {
		ok   bool
		code int
	}
	done := make(chan result, 1)
	go func() {
		var ws unix.WaitStatus
		_, err := unix.Wait4(pid, &ws, 0, nil)
		switch {
		case err == nil && ws.Exited():
			done <- result{true, ws.ExitStatus()}
		case err == nil:
			done <- result{true, -1}
		case errors.Is(err, unix.ECHILD):
			for {
				if !alive(pid) {
					done <- result{true, -1}
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		default:
			done <- result{false, -1}
		}
	}()
	select {
	case r := <-done:
		return r.ok, r.code
	case <-time.After(d):
		return false, -1
	}
}

// alive reports whether pid is a process that has not exited (a zombie
// has exited).
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// TestDaemonMode mounts without -N: the command returns 0 only once the
// mount is ready, the daemon serves it, and umount ends the daemon with
// exit status 0.
func TestDaemonMode(t *testing.T) {
	requireEnv(t)
	dir := testDir(t)
	brick := mkdirAll(t, filepath.Join(dir, "brick"))
	mp := mkdirAll(t, filepath.Join(dir, "mnt"))
	vol := filepath.Join(dir, "loom.vol")
	writeFile(t, vol, []byte(posixVolfile(brick)))
	logFile := filepath.Join(dir, "loom.log")
	daemon := 0
	t.Cleanup(func() {
		if isMounted(mp) {
			if err := runUmount(mp, false); err != nil {
				runUmount(mp, true)
			}
		}
		for _, pid := range pidsWithArg(mp) {
			t.Logf("killing leftover loom pid %d", pid)
			syscall.Kill(pid, syscall.SIGKILL)
			waitPid(pid, 5*time.Second)
		}
		if isMounted(mp) {
			t.Errorf("%s still mounted after cleanup", mp)
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", tail(logFile, 30))
		}
	})

	start := time.Now()
	r := runLoom(t, "mount", "-f", vol, "-l", logFile, mp)
	if r.code != 0 {
		t.Fatalf("loom mount (daemon) exited %d: %s", r.code, r.stderr)
	}
	// No waiting: the mount must be there when the command returns.
	if !isMounted(mp) {
		t.Fatalf("loom mount returned 0 but %s is not mounted", mp)
	}
	t.Logf("daemon mount ready after %v", time.Since(start).Round(time.Millisecond))
	pids := pidsWithArg(mp)
	if len(pids) != 1 {
		t.Fatalf("want one loom process serving %s, found %v", mp, pids)
	}
	daemon = pids[0]
	if comm, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(daemon), "comm")); !strings.HasPrefix(string(comm), "loom") {
		t.Errorf("process %d serving the mount is %q, not loom", daemon, bytes.TrimSpace(comm))
	}

	w := startWatchdog(time.Minute, func() { syscall.Kill(daemon, syscall.SIGKILL) })
	writeFile(t, filepath.Join(mp, "via-daemon"), []byte("served by the daemon"))
	got, err := os.ReadFile(filepath.Join(brick, "via-daemon"))
	if w.stop() {
		t.Fatalf("I/O on the daemon's mount hung; the daemon was killed")
	}
	if err != nil || string(got) != "served by the daemon" {
		t.Errorf("brick file: %q, %v", got, err)
	}

	if err := runUmount(mp, false); err != nil {
		t.Fatalf("%v", err)
	}
	exited, code := waitPid(daemon, exitGrace)
	if !exited {
		t.Fatalf("daemon pid %d still running %v after umount", daemon, exitGrace)
	}
	if code != 0 {
		t.Errorf("daemon exited with %d after umount, want 0", code)
	}
}

// allThreadsStopped waits up to d until every thread of pid is in the
// stopped state.
func allThreadsStopped(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		tasks, err := os.ReadDir(filepath.Join("/proc", strconv.Itoa(pid), "task"))
		if err != nil {
			return false
		}
		stopped := 0
		for _, task := range tasks {
			b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "task", task.Name(), "stat"))
			if i := bytes.LastIndexByte(b, ')'); err == nil && i >= 0 && i+2 < len(b) && b[i+2] == 'T' {
				stopped++
			}
		}
		if stopped == len(tasks) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// TestWatchdogAbortsHungMount checks the harness itself: a loom process
// that stops answering makes I/O on its mount fail once the watchdog
// fires, instead of hanging the test run, and cleanup still unmounts.
func TestWatchdogAbortsHungMount(t *testing.T) {
	m, _ := posixMount(t)
	must(t, syscall.Kill(m.Pid(), syscall.SIGSTOP))
	if !allThreadsStopped(m.Pid(), 5*time.Second) {
		t.Fatalf("loom (pid %d) did not stop on SIGSTOP", m.Pid())
	}
	var err error
	start := time.Now()
	fired := m.runGuarded(2*time.Second, func() {
		_, err = os.Stat(m.Path("never-looked-up"))
	})
	if !fired {
		t.Fatalf("the watchdog did not fire; stat of a stopped mount returned %v after %v", err, time.Since(start))
	}
	if !errors.Is(err, syscall.ENOTCONN) && !errors.Is(err, syscall.ECONNABORTED) {
		t.Errorf("stat on the aborted mount: %v, want ENOTCONN or ECONNABORTED", err)
	}
	if exited, _ := m.Exited(5 * time.Second); !exited {
		t.Errorf("loom still running after the watchdog killed it")
	}
	// Cleanup unmounts the dead mount and checks nothing is left.
}
