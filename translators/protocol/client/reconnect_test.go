package client_test

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/protocol/server"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// serverGraph builds and starts a server over brick on 127.0.0.1:port
// without the test's automatic stop, so that a test can stop it and start
// another on the same port.
func serverGraph(t *testing.T, brick, port string, extra ...xlator.VolumeSpec) *xlator.Graph {
	t.Helper()
	specs := []xlator.VolumeSpec{xlatortest.PosixSpec("brick", brick)}
	specs = append(specs, extra...)
	top := specs[len(specs)-1].Name
	specs = append(specs, xlator.VolumeSpec{Name: "server", Type: server.Type, Subvolumes: []xlator.SubvolumeRef{{Name: top}},
		Options: opts("transport.socket.listen-address", "127.0.0.1", "transport.socket.listen-port", port,
			"auth.addr."+top+".allow", "127.0.0.1")})
	g, err := xlator.Build(specs, xlator.BuildOptions{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop() })
	return g
}

// The server goes away: waiting and new fops fail with ENOTCONN (never
// hang), the graph sees child-down; it comes back on the same port: the
// client reconnects, reopens its open file by GFID, and sends child-up;
// a file that held a POSIX lock answers EBADF.
func TestServerRestart(t *testing.T) {
	brick := t.TempDir()
	first := serverGraph(t, brick, "0")
	port := port(t, first.Top().(*server.Server))
	g := xlatortest.Build(t, []xlator.VolumeSpec{clientSpec(t, first.Top().(*server.Server), "ping-timeout", "1s", "reconnect-max-backoff", "200ms")})
	c := g.Top()
	ctx := context.Background()
	call := &xlator.Call{LockOwner: 7}

	open := func(name string) *xlator.FD {
		fd := xlator.NewFD(xlator.RootLoc().Child(name), syscall.O_RDWR|syscall.O_CREAT, false)
		fd.Loc.GFID = xlator.NewGFID()
		if _, err := c.Create(ctx, call, fd, 0o644, 0); err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return fd
	}
	plain, locked := open("plain"), open("locked")
	if _, err := c.Lk(ctx, call, locked, xlator.LkSet, xlator.Flock{Type: xlator.WriteLock, Owner: 7}); err != nil {
		t.Fatalf("lock: %v", err)
	}

	first.Stop()
	waitFor(t, 5*time.Second, "child-down after the server stopped", func() bool { return !g.IsUp() })
	start := time.Now()
	_, err := c.Write(ctx, call, plain, []byte("x"), 0)
	if !errors.Is(err, syscall.ENOTCONN) {
		t.Fatalf("write while the server is down: %v, want ENOTCONN", err)
	}
	if _, _, err := c.Lookup(ctx, call, xlator.RootLoc(), nil); !errors.Is(err, syscall.ENOTCONN) {
		t.Fatalf("lookup while the server is down: %v, want ENOTCONN", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("failing fops took %v", d)
	}

	serverGraph(t, brick, port)
	waitFor(t, 10*time.Second, "child-up after the server came back", g.IsUp)
	if n, err := c.Write(ctx, call, plain, []byte("after"), 0); err != nil || n != 5 {
		t.Fatalf("write on the reopened file: %d, %v", n, err)
	}
	if _, err := c.Write(ctx, call, locked, []byte("x"), 0); !errors.Is(err, syscall.EBADF) {
		t.Fatalf("write on the file that held a lock: %v, want EBADF", err)
	}
	c.Release(ctx, call, plain)
	c.Release(ctx, call, locked)
}

// With the server gone before the client starts, the graph comes up
// down (child-down), keeps retrying, and comes up when the server starts.
func TestServerLaterThanClient(t *testing.T) {
	probe := serverGraph(t, t.TempDir(), "0")
	port := port(t, probe.Top().(*server.Server))
	probe.Stop()
	spec := clientSpec(t, probe.Top().(*server.Server), "reconnect-max-backoff", "200ms")
	g, err := xlator.Build([]xlator.VolumeSpec{spec}, xlator.BuildOptions{Log: quietLog()})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	if err := g.Start(context.Background()); err != nil {
		t.Fatalf("start with the server away must not fail: %v", err)
	}
	if g.IsUp() {
		t.Fatal("up without a server")
	}
	serverGraph(t, t.TempDir(), port)
	waitFor(t, 10*time.Second, "child-up once the server started", g.IsUp)
	writeAndRead(t, g.Top())
}

// A fop waiting on the server (a blocked lock) ends with EINTR when its
// context does, and the server cancels it.
func TestCancelWaitingLock(t *testing.T) {
	s := startLockServer(t)
	a := startClient(t, s)
	b := startClient(t, s)
	ctx := context.Background()
	fa := createFD(t, a, "f")
	fb := openFD(t, b, "f")
	wl := xlator.Flock{Type: xlator.WriteLock}
	if _, err := a.Lk(ctx, &xlator.Call{LockOwner: 1}, fa, xlator.LkSet, wl); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := b.Lk(cctx, &xlator.Call{LockOwner: 2}, fb, xlator.LkSetWait, wl)
	if !errors.Is(err, syscall.EINTR) {
		t.Fatalf("interrupted lock wait: %v, want EINTR", err)
	}
	// The cancelled wait must not be granted later: after A unlocks, a
	// try-lock by a third owner succeeds.
	if _, err := a.Lk(ctx, &xlator.Call{LockOwner: 1}, fa, xlator.LkSet, xlator.Flock{Type: xlator.Unlock}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "lock free after the cancelled wait", func() bool {
		_, err := a.Lk(ctx, &xlator.Call{LockOwner: 3}, fa, xlator.LkSet, wl)
		return err == nil
	})
}
