package client_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/protocol/server"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// buildTB builds and starts a graph for a benchmark (xlatortest.Build
// takes a *testing.T) and stops it when the benchmark ends.
func buildTB(b *testing.B, specs []xlator.VolumeSpec) xlator.Translator {
	b.Helper()
	g, err := xlator.Build(specs, xlator.BuildOptions{Log: quietLog()})
	if err != nil {
		b.Fatalf("build graph: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Start(ctx); err != nil {
		b.Fatalf("start graph: %v", err)
	}
	b.Cleanup(func() { g.Stop() })
	if err := g.WaitUp(ctx); err != nil {
		b.Fatalf("graph did not come up: %v", err)
	}
	return g.Top()
}

// benchFile creates a file of size bytes through a fresh server and
// client on loopback TCP, and returns the client and the open file.
func benchFile(b *testing.B, size int) (xlator.Translator, *xlator.FD) {
	b.Helper()
	srv := buildTB(b, []xlator.VolumeSpec{
		xlatortest.PosixSpec("brick", b.TempDir()),
		{Name: "server", Type: server.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "brick"}},
			Options: opts("transport.socket.listen-address", "127.0.0.1", "transport.socket.listen-port", "0")},
	}).(*server.Server)
	c := buildTB(b, []xlator.VolumeSpec{clientSpec(b, srv)})
	ctx := context.Background()
	fd := xlator.NewFD(xlator.RootLoc().Child("bench"), syscall.O_RDWR|syscall.O_CREAT, false)
	fd.Loc.GFID = xlator.NewGFID()
	if _, err := c.Create(ctx, xlator.RootCall(), fd, 0o644, 0); err != nil {
		b.Fatalf("create: %v", err)
	}
	b.Cleanup(func() { c.Release(ctx, xlator.RootCall(), fd) })
	if size > 0 {
		buf := make([]byte, 1<<20)
		for off := 0; off < size; off += len(buf) {
			if _, err := c.Write(ctx, xlator.RootCall(), fd, buf, int64(off)); err != nil {
				b.Fatalf("write: %v", err)
			}
		}
	}
	return c, fd
}

// BenchmarkWrite1M is one 1 MiB write round trip (the FUSE bridge's
// largest WRITE): the sequential-write path without the kernel.
func BenchmarkWrite1M(b *testing.B) {
	c, fd := benchFile(b, 0)
	ctx, call := context.Background(), xlator.RootCall()
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for i := 0; b.Loop(); i++ {
		if _, err := c.Write(ctx, call, fd, buf, int64(i%64)<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead1M is one 1 MiB read round trip.
func BenchmarkRead1M(b *testing.B) {
	c, fd := benchFile(b, 64<<20)
	ctx, call := context.Background(), xlator.RootCall()
	buf := make([]byte, 1<<20)
	b.SetBytes(int64(len(buf)))
	for i := 0; b.Loop(); i++ {
		if _, err := c.Read(ctx, call, fd, buf, int64(i%64)<<20); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRead4K is one 4 KiB read round trip: latency per request.
func BenchmarkRead4K(b *testing.B) {
	c, fd := benchFile(b, 4<<20)
	ctx, call := context.Background(), xlator.RootCall()
	buf := make([]byte, 4096)
	for i := 0; b.Loop(); i++ {
		if _, err := c.Read(ctx, call, fd, buf, int64(i%1024)<<12); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFstat is the smallest round trip with a reply body.
func BenchmarkFstat(b *testing.B) {
	c, fd := benchFile(b, 0)
	ctx, call := context.Background(), xlator.RootCall()
	for b.Loop() {
		if _, err := c.Fstat(ctx, call, fd); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMknod is one entry-creating round trip (a new name in the
// root), with the parent attributes the server adds to its reply.
func BenchmarkMknod(b *testing.B) {
	c, _ := benchFile(b, 0)
	ctx, call := context.Background(), xlator.RootCall()
	i := 0
	for b.Loop() {
		i++
		loc := xlator.RootLoc().Child(fmt.Sprintf("n%d", i))
		loc.GFID = xlator.NewGFID()
		if _, err := c.Mknod(ctx, call, loc, syscall.S_IFREG|0o644, 0, 0); err != nil {
			b.Fatal(err)
		}
	}
}
