package client_test

import (
	"net"
	"strconv"
	"testing"

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
func port(t *testing.T, s *server.Server) string {
	_, p, err := net.SplitHostPort(s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// clientSpec is a protocol/client volume pointed at s.
func clientSpec(t *testing.T, s *server.Server, clientOpts ...string) xlator.VolumeSpec {
	base := []string{"remote-host", "127.0.0.1", "remote-port", port(t, s), "remote-subvolume", "brick"}
	return xlator.VolumeSpec{Name: "client", Type: client.Type, Options: opts(append(base, clientOpts...)...)}
}

// startClient builds a started protocol/client graph pointed at s.
func startClient(t *testing.T, s *server.Server, clientOpts ...string) *client.Client {
	t.Helper()
	return xlatortest.Build(t, []xlator.VolumeSpec{clientSpec(t, s, clientOpts...)}).Top().(*client.Client)
}

var _ = strconv.Itoa
