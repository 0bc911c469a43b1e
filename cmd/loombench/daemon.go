package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// mountTimeout bounds how long a FUSE daemon may take to mount.
const mountTimeout = 20 * time.Second

// daemon is one FUSE server process started by this program. It is only
// ever signalled by its own pid, never by name.
type daemon struct {
	name       string
	mountpoint string
	logPath    string
	cmd        *exec.Cmd
	exited     chan struct{}
	waitErr    error
	// Release stops the daemon once; it is also registered with the
	// run's cleaner, so whichever runs first does the work.
	Release func() error
}

// startDaemon runs argv (wrapped in strace when -strace-dir is set),
// waits until a FUSE filesystem is mounted at mountpoint and answers,
// and registers its stop with env.Cleanup. If conn is not nil the mount
// already exists and conn, its /dev/fuse connection, becomes the
// daemon's fd 3 (and is closed here, so the daemon holds the only copy).
// On failure the daemon is already stopped and unmounted.
func startDaemon(env *Env, name string, argv []string, mountpoint string, conn *os.File) (*daemon, error) {
	var extra []*os.File
	if conn != nil {
		extra = []*os.File{conn}
	}
	cmd, logPath, err := startProcess(env, name, argv, extra)
	if conn != nil {
		conn.Close()
	}
	if err != nil {
		return nil, errors.Join(err, unmount(mountpoint))
	}
	d := &daemon{name: name, mountpoint: mountpoint, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		d.waitErr = cmd.Wait()
		close(d.exited)
	}()
	d.Release = env.Cleanup.Push("stop "+name, d.stop)
	err = waitForMount(mountpoint, "fuse", mountTimeout, d.exited)
	if err == nil {
		err = probe(mountpoint, mountTimeout)
	}
	if err != nil {
		stopErr := d.Release()
		return nil, errors.Join(fmt.Errorf("start %s: %w\n%s", name, err, d.logTail()), stopErr)
	}
	return d, nil
}

// probe stats dir, which waits for the daemon to answer the kernel's
// first requests. A probe stuck past timeout is left behind: the
// caller's unmount will unblock it.
func probe(dir string, timeout time.Duration) error {
	res := make(chan error, 1)
	go func() {
		_, err := os.Stat(dir)
		res <- err
	}()
	select {
	case err := <-res:
		if err != nil {
			return fmt.Errorf("probe %s: %w", dir, err)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("probe %s: no answer after %v", dir, timeout)
	}
}

// stop unmounts the daemon's mount point, lets it exit on its own (so a
// profile or strace summary is written), and escalates to SIGTERM and
// SIGKILL, sent to its process group (strace too under -strace-dir),
// only if it does not. Safe to call more than once.
func (d *daemon) stop() error {
	umErr := unmount(d.mountpoint)
	if d.waitExit(10 * time.Second) {
		return umErr
	}
	_ = signalGroup(d.cmd, syscall.SIGTERM)
	if d.waitExit(3 * time.Second) {
		return umErr
	}
	_ = signalGroup(d.cmd, syscall.SIGKILL)
	if !d.waitExit(5 * time.Second) {
		return errors.Join(umErr, fmt.Errorf("stop %s: pid %d did not exit after SIGKILL", d.name, d.cmd.Process.Pid))
	}
	return umErr
}

// waitExit waits up to timeout for the process to exit.
func (d *daemon) waitExit(timeout time.Duration) bool { return closedWithin(d.exited, timeout) }

// logTail returns the last lines the daemon wrote, for error messages.
func (d *daemon) logTail() string { return logTail(d.name, d.logPath) }

// logTail returns the last lines of the log of process name at path.
func logTail(name, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return name + " log (" + path + "):\n  " + strings.Join(lines, "\n  ")
}
