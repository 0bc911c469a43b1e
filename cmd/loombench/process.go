package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// startProcess starts argv, a daemon of this run called name: under
// `strace -f -c` when -strace-dir is set (NAME.strace there), its output
// to NAME.log in the work directory, in its own process group (a
// terminal's Ctrl-C reaches only loombench, which then stops it in order)
// and killed if loombench dies (Pdeathsig). extra become its fds 3 and
// on. It returns the started command and its log's path.
func startProcess(env *Env, name string, argv []string, extra []*os.File) (*exec.Cmd, string, error) {
	if env.Cfg.StraceDir != "" {
		out := filepath.Join(env.Cfg.StraceDir, name+".strace")
		argv = append([]string{"strace", "-f", "-c", "-o", out, "--"}, argv...)
	}
	logPath := filepath.Join(env.Work, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", fmt.Errorf("start %s: %w", name, err)
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.ExtraFiles = extra
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start %s: %s: %w", name, argv[0], err)
	}
	return cmd, logPath, nil
}

// closedWithin reports whether ch is closed within timeout.
func closedWithin(ch <-chan struct{}, timeout time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(timeout):
		return false
	}
}

// signalGroup sends sig to the process group startProcess gave cmd: the
// program and, under -strace-dir, strace with it.
func signalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// groupGone waits up to timeout until no process of cmd's group is left
// (a traced program can outlive strace, which detaches when signalled).
func groupGone(cmd *exec.Cmd, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for syscall.Kill(-cmd.Process.Pid, 0) == nil {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}
