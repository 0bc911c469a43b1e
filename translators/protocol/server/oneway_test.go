package server

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// oneWay sends req as a one-way request (no reply comes).
func (r *rawClient) oneWay(req *wire.Request) {
	r.t.Helper()
	buf := wire.AppendRequest(make([]byte, wire.HeaderSize), req)
	(&wire.Header{Len: uint32(len(buf) - wire.HeaderSize), Kind: wire.KindOneWay, Op: req.Op}).Put(buf)
	if _, err := r.nc.Write(buf); err != nil {
		r.t.Fatal(err)
	}
}

// A one-way request is run before the next frame is read, and answered
// by nothing: the reply the client reads next is its next request's.
func TestOneWayRunsBeforeNextRequest(t *testing.T) {
	brick := t.TempDir()
	if err := os.WriteFile(filepath.Join(brick, "f"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, brick)
	r := dialRaw(t, s)
	for range 50 {
		open := r.do(&wire.Request{Op: wire.OpOpen, Loc: xlator.Loc{Path: "/f", Parent: xlator.RootGFID, Name: "f"}, Flags: syscall.O_RDONLY})
		if open.Errno != 0 {
			t.Fatalf("open: %v", open.Errno)
		}
		r.oneWay(&wire.Request{Op: wire.OpRelease, FD: open.FD})
		// The release ran before this read was read: the descriptor
		// is gone.
		if rep := r.do(&wire.Request{Op: wire.OpRead, FD: open.FD, Count: 4}); rep.Errno != syscall.EBADF {
			t.Fatalf("read after a one-way release: errno %v, want EBADF", rep.Errno)
		}
	}
}

// A one-way request that could wait (a lock request: the server's reader
// would stop on it) ends the connection that sent it.
func TestOneWayLockRefused(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := dialRaw(t, s)
	r.oneWay(&wire.Request{Op: wire.OpInodelk, Domain: "d", Loc: *xlator.RootLoc(),
		Cmd: uint32(xlator.LkSetWait), Lock: xlator.Flock{Type: xlator.WriteLock, Len: 0}})
	if _, err := r.br.ReadByte(); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("after a one-way lock request the connection is still open: %v", err)
	}
}
