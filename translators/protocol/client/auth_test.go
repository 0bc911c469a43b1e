package client_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/translators/protocol/client"
	"github.com/loom-fs/loom/xlator"
)

// startRefused builds a client graph that the server must refuse and
// returns the start error.
func startRefused(t *testing.T, spec xlator.VolumeSpec) error {
	t.Helper()
	g, err := xlator.Build([]xlator.VolumeSpec{spec}, xlator.BuildOptions{Log: quietLog()})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	defer g.Stop()
	err = g.Start(context.Background())
	if err == nil {
		t.Fatal("the server accepted a client it should refuse")
	}
	var refused *client.RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("start failed, but not with a refusal: %v", err)
	}
	return err
}

func wantMessage(t *testing.T, err error, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func TestAuthAddrAllow(t *testing.T) {
	s := startServer(t, "", "auth.addr.brick.allow", "10.9.9.*")
	err := startRefused(t, clientSpec(t, s))
	wantMessage(t, err, "127.0.0.1:"+port(t, s), `"brick"`, "127.0.0.1 is not in auth.addr allow")

	ok := startServer(t, "", "auth.addr.brick.allow", "10.9.9.*,127.0.0.0/8")
	startClient(t, ok)
}

func TestAuthAddrRejectWins(t *testing.T) {
	s := startServer(t, "", "auth.addr.brick.allow", "*", "auth.addr.brick.reject", "127.0.0.*")
	err := startRefused(t, clientSpec(t, s))
	wantMessage(t, err, "rejected")
}

func TestAuthLogin(t *testing.T) {
	s := startServer(t, "", "auth.login.brick.allow", "alice", "auth.login.alice.password", "s3cret")
	wantMessage(t, startRefused(t, clientSpec(t, s)), "username and password are required")
	wantMessage(t, startRefused(t, clientSpec(t, s, "username", "alice", "password", "wrong")), "wrong username or password")
	wantMessage(t, startRefused(t, clientSpec(t, s, "username", "bob", "password", "s3cret")), "wrong username or password")
	c := startClient(t, s, "username", "alice", "password", "s3cret")
	if _, _, err := c.Lookup(context.Background(), xlator.RootCall(), xlator.RootLoc(), nil); err != nil {
		t.Fatalf("lookup as the allowed user: %v", err)
	}
}

func TestUnknownSubvolume(t *testing.T) {
	s := startServer(t, "")
	spec := clientSpec(t, s)
	spec.Options = opts("remote-host", "127.0.0.1", "remote-port", port(t, s), "remote-subvolume", "nosuch")
	err := startRefused(t, spec)
	wantMessage(t, err, `no exported subvolume "nosuch"`)
	if !errors.Is(err, syscall.ENOENT) {
		t.Errorf("refusal errno: %v", err)
	}
}

// Auth options must name exported subvolumes, and allowed users need a
// password.
func TestAuthOptionsChecked(t *testing.T) {
	for _, c := range []struct {
		kv   []string
		want string
	}{
		{[]string{"auth.addr.other.allow", "*"}, `"other" is not an exported subvolume`},
		{[]string{"auth.login.brick.allow", "carol"}, "auth.login.carol.password is not set"},
		{[]string{"auth.addr.brick.allow", "not an address"}, "not an address"},
	} {
		specs := []xlator.VolumeSpec{
			{Name: "brick", Type: "storage/posix", Options: opts("directory", t.TempDir())},
			{Name: "server", Type: "protocol/server", Subvolumes: []xlator.SubvolumeRef{{Name: "brick"}},
				Options: opts(append([]string{"transport.socket.listen-port", "0"}, c.kv...)...)},
		}
		_, err := xlator.Build(specs, xlator.BuildOptions{Log: quietLog()})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: got %v, want an error containing %q", c.kv, err, c.want)
		}
	}
}
