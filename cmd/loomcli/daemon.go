package loomcli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readyFDEnv names the environment variable that tells a re-executed loom
// it is the daemon and which file descriptor its parent waits on.
const readyFDEnv = "LOOM_DAEMON_READY_FD"

// readyPipe returns the pipe on which this process, when it is the daemon
// child, reports to its parent; nil in a process started by a user.
func readyPipe() *os.File {
	v := os.Getenv(readyFDEnv)
	if v == "" {
		return nil
	}
	os.Unsetenv(readyFDEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil
	}
	// Keep the pipe out of programs the daemon runs (fusermount3).
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "loom-ready-pipe")
}

// reportReady tells the waiting parent the mount is ready.
func reportReady(p *os.File) {
	if p == nil {
		return
	}
	fmt.Fprintln(p, "ready")
	p.Close()
}

// readyReporter returns what a serving process calls once it serves: as
// the daemon child (pipe not nil) it leaves the directory it was started
// in, which a daemon must not keep busy, and tells the waiting parent;
// otherwise it does nothing.
func readyReporter(pipe *os.File) func() {
	return func() {
		if pipe != nil {
			os.Chdir("/")
			reportReady(pipe)
		}
	}
}

// reportError tells the waiting parent why the mount failed.
func reportError(p *os.File, err error) {
	if p == nil {
		return
	}
	fmt.Fprintln(p, "error "+oneLine(err.Error()))
	p.Close()
}

// daemonize re-executes this program with childArgs as a detached daemon
// (a new session, in the current directory; stdin from /dev/null; stdout
// and stderr to the log file)
// and waits up to timeout for it to report. It returns nil once the
// daemon says the mount is ready, and otherwise the daemon's error.
func daemonize(childArgs []string, logPath string, timeout time.Duration) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("daemonize: finding this program: %w", err)
	}
	logf, err := openLogFile(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	defer devnull.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	defer r.Close()

	cmd := exec.Command(exe, childArgs...)
	cmd.Env = append(os.Environ(), readyFDEnv+"=3")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logf, logf
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return fmt.Errorf("daemonize: starting %s: %w", exe, err)
	}

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	select {
	case line := <-lines:
		switch {
		case line == "ready":
			return nil
		case strings.HasPrefix(line, "error "):
			return errors.New(strings.TrimPrefix(line, "error "))
		}
		// The pipe closed without a word: the daemon died.
		select {
		case werr := <-exited:
			return fmt.Errorf("the daemon (pid %d) exited before the mount was ready (%v); see %s", cmd.Process.Pid, werr, logPath)
		case <-time.After(5 * time.Second):
			return fmt.Errorf("the daemon (pid %d) closed its report pipe without a word; see %s", cmd.Process.Pid, logPath)
		}
	case <-time.After(timeout):
		// SIGTERM makes the daemon unmount (if it got that far) and exit.
		cmd.Process.Signal(syscall.SIGTERM)
		return fmt.Errorf("the daemon (pid %d) was not ready within %v and was stopped; see %s", cmd.Process.Pid, timeout, logPath)
	}
}
