package loomcli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/loom-fs/loom/translators/protocol/server"
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

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
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
	var errb syncBuffer
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
