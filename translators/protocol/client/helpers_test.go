package client_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/protocol/client"
	"github.com/loom-fs/loom/translators/protocol/server"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// opts turns key, value pairs into option specs.
func opts(kv ...string) []xlator.OptionSpec {
	var out []xlator.OptionSpec
	for i := 0; i < len(kv); i += 2 {
		out = append(out, xlator.OptionSpec{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// startServer builds storage/posix over brick (a fresh directory if "")
// under protocol/server listening on 127.0.0.1:0 with the extra server
// options, and returns the server.
func startServer(t *testing.T, brick string, serverOpts ...string) *server.Server {
	t.Helper()
	if brick == "" {
		brick = t.TempDir()
	}
	specs := []xlator.VolumeSpec{
		xlatortest.PosixSpec("brick", brick),
		{Name: "server", Type: server.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "brick"}},
			Options: opts(append([]string{"transport.socket.listen-address", "127.0.0.1", "transport.socket.listen-port", "0"}, serverOpts...)...)},
	}
	return xlatortest.Build(t, specs).Top().(*server.Server)
}

// port returns the TCP port the server listens on.
func port(t testing.TB, s *server.Server) string {
	_, p, err := net.SplitHostPort(s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// clientSpec is a protocol/client volume pointed at s.
func clientSpec(t testing.TB, s *server.Server, clientOpts ...string) xlator.VolumeSpec {
	base := []string{"remote-host", "127.0.0.1", "remote-port", port(t, s), "remote-subvolume", "brick"}
	return xlator.VolumeSpec{Name: "client", Type: client.Type, Options: opts(append(base, clientOpts...)...)}
}

// startClient builds a started protocol/client graph pointed at s.
func startClient(t *testing.T, s *server.Server, clientOpts ...string) *client.Client {
	t.Helper()
	return xlatortest.Build(t, []xlator.VolumeSpec{clientSpec(t, s, clientOpts...)}).Top().(*client.Client)
}

// quietLog logs errors only, for graphs expected to fail.
func quietLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

// writeAndRead creates a file through c, writes and reads it back.
func writeAndRead(t *testing.T, c xlator.Translator) {
	t.Helper()
	ctx := context.Background()
	call := xlator.RootCall()
	fd := xlator.NewFD(xlator.RootLoc().Child("f-"+strconv.FormatInt(time.Now().UnixNano(), 36)), syscall.O_RDWR|syscall.O_CREAT, false)
	fd.Loc.GFID = xlator.NewGFID()
	if _, err := c.Create(ctx, call, fd, 0o644, 0); err != nil {
		t.Fatalf("create: %v", err)
	}
	defer c.Release(ctx, call, fd)
	data := []byte("through the wire")
	if n, err := c.Write(ctx, call, fd, data, 0); err != nil || n != len(data) {
		t.Fatalf("write: %d, %v", n, err)
	}
	buf := make([]byte, 100)
	n, err := c.Read(ctx, call, fd, buf, 0)
	if err != nil || string(buf[:n]) != string(data) {
		t.Fatalf("read: %q, %v", buf[:n], err)
	}
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
