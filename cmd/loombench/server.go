package main

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// listenTimeout bounds how long a brick server may take to listen.
const listenTimeout = 20 * time.Second

// serverProc is a brick server process started by this program (`loom
// serve`, glusterfsd): a daemon that listens on a loopback TCP port and
// mounts nothing. Like a FUSE daemon it runs in its own process group
// with PDEATHSIG, logs to a file in the work directory, and is only ever
// signalled by its own pid.
type serverProc struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	// Release stops the server once; it is registered with the run's
	// cleaner too, so whichever runs first does the work.
	Release func() error
}

// startServer runs argv (under `strace -f -c` with -strace-dir), waits
// until 127.0.0.1:port accepts a connection and registers the stop with
// env.Cleanup. Register a client of it after this call, so that the
// client is released first. On failure the server is already stopped.
func startServer(env *Env, name string, argv []string, port int) (*serverProc, error) {
	cmd, logPath, err := startProcess(env, name, argv, nil)
	if err != nil {
		return nil, err
	}
	s := &serverProc{name: name, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	s.Release = env.Cleanup.Push("stop "+name, s.stop)
	if err := waitListening(port, listenTimeout, s.exited); err != nil {
		stopErr := s.Release()
		return nil, errors.Join(fmt.Errorf("start %s: %w\n%s", name, err, logTail(name, logPath)), stopErr)
	}
	return s, nil
}

// waitListening polls until 127.0.0.1:port accepts a TCP connection, the
// process exits (exited is closed) or timeout passes.
func waitListening(port int, timeout time.Duration, exited <-chan struct{}) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("the server exited before listening on %s", addr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listens on %s after %v: %v", addr, timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM to the server's process group (so that under
// -strace-dir it reaches the server, not only strace, which would detach
// and leave it running): the server releases its brick and writes its
// profile, strace its summary. SIGKILL follows if the group has not
// exited 10 s later.
func (s *serverProc) stop() error {
	_ = signalGroup(s.cmd, syscall.SIGTERM)
	if s.waitExit(10*time.Second) && groupGone(s.cmd, 10*time.Second) {
		return nil
	}
	_ = signalGroup(s.cmd, syscall.SIGKILL)
	if !s.waitExit(5*time.Second) || !groupGone(s.cmd, 5*time.Second) {
		return fmt.Errorf("stop %s: process group %d did not exit after SIGKILL", s.name, s.cmd.Process.Pid)
	}
	return nil
}

// waitExit waits up to timeout for the process to exit.
func (s *serverProc) waitExit(timeout time.Duration) bool { return closedWithin(s.exited, timeout) }

// freePort returns a TCP port on 127.0.0.1 that nothing listened on a
// moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
