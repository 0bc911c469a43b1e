package loomcli

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/loom-fs/loom/translators/protocol/server"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// serverVolfile is a storage/posix brick under a protocol/server on
// 127.0.0.1:port.
func serverVolfile(t *testing.T, port int) string {
	return fmt.Sprintf(`volume brick
    type storage/posix
    option directory %s
end-volume
volume server
    type protocol/server
    option transport.socket.listen-address 127.0.0.1
    option transport.socket.listen-port %d
    subvolumes brick
end-volume
`, t.TempDir(), port)
}

func TestServeUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "no volfile given"},
		{[]string{"serve", "-f", "x.vol", "extra"}, "unexpected arguments: extra"},
		{[]string{"serve", "-f", "x.vol", "--log-level", "loud"}, "--log-level"},
	} {
		status, _, stderr := run(t, c.args...)
		if status != exitUsage {
			t.Errorf("%v: status %d, want %d", c.args, status, exitUsage)
		}
		oneErrorLine(t, stderr, c.want)
	}
}

func TestServeNeedsAServer(t *testing.T) {
	vol := writeFile(t, "plain.vol", "volume brick\n    type storage/posix\n    option directory "+t.TempDir()+"\nend-volume\n")
	status, _, stderr := run(t, "serve", "-N", "-f", vol)
	if status != exitFail {
		t.Fatalf("status %d", status)
	}
	oneErrorLine(t, stderr, "no volume of type protocol/server")
}

// A port in use is a clear one-line error and exit status 1.
func TestServePortInUse(t *testing.T) {
	keepUmask(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	vol := writeFile(t, "server.vol", serverVolfile(t, port))
	status, _, stderr := run(t, "serve", "-N", "--log-level", "error", "-f", vol)
	if status != exitFail {
		t.Fatalf("status %d, stderr %q", status, stderr)
	}
	oneErrorLine(t, stderr, `volume "server"`, fmt.Sprintf("127.0.0.1:%d", port), "address already in use")
}

// serve -N listens, logs where and that it is ready, and stops cleanly
// when its context ends (as on SIGTERM).
func TestServeForeground(t *testing.T) {
	keepUmask(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	vol := writeFile(t, "server.vol", serverVolfile(t, port))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var errb xlatortest.SyncBuffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &errb, Stderr: &errb, Prog: "loom"}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, env, []string{"serve", "-N", "-f", vol}) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errb.String(), "msg=ready") {
		if time.Now().After(deadline) {
			t.Fatalf("no readiness line within 10s:\n%s", errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("ready, but not accepting: %v", err)
	}
	c.Close()
	if !strings.Contains(errb.String(), fmt.Sprintf("address=127.0.0.1:%d", port)) {
		t.Errorf("the log does not say where it listens:\n%s", errb.String())
	}
	cancel()
	select {
	case status := <-done:
		if status != exitOK {
			t.Errorf("status %d after stopping:\n%s", status, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10s of its context ending")
	}
}

// A serve daemon started with --cpuprofile (relative paths, as a user
// types them) writes the profile when SIGTERM ends it.
func TestServeCPUProfileWrittenOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if err := os.WriteFile(filepath.Join(dir, "server.vol"), []byte(serverVolfile(t, port)), 0o644); err != nil {
		t.Fatal(err)
	}
	pidFile, profile := filepath.Join(dir, "serve.pid"), filepath.Join(dir, "cpu.pprof")
	var pid int
	t.Cleanup(func() {
		if pid > 0 && !processGone(pid, 5*time.Second) {
			t.Errorf("serve daemon %d still running at cleanup; killing it", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	status, out := loomProcess(t, dir, "serve", "-f", "server.vol", "-l", "serve.log", "--pid-file", "serve.pid", "--cpuprofile", "cpu.pprof")
	if data, err := os.ReadFile(pidFile); err == nil {
		pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	if status != 0 || out != "" {
		t.Fatalf("loom serve: status %d, output %q", status, out)
	}
	if pid <= 0 {
		t.Fatalf("no pid in %s", pidFile)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM to %d: %v", pid, err)
	}
	if !processGone(pid, 10*time.Second) {
		t.Fatalf("serve daemon %d still running 10s after SIGTERM", pid)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	// A finished profile is a complete gzip stream (pprof's format) with
	// something in it.
	f, err := os.Open(profile)
	if err != nil {
		t.Fatalf("no profile: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s is not a gzip stream: %v", profile, err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n == 0 {
		t.Fatalf("%s: %d bytes, %v: the profile was not finished", profile, n, err)
	}
	logText, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
	if !strings.Contains(string(logText), `msg=stopping reason="terminated signal received"`) || !strings.Contains(string(logText), "msg=stopped") {
		t.Errorf("the log does not show the SIGTERM stop:\n%s", logText)
	}
}
