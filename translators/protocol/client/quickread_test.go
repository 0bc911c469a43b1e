package client_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/loom-fs/loom/translators/debug/trace"
	"github.com/loom-fs/loom/translators/protocol/server"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// quickFile writes name with data on the brick and returns its Loc as c
// looks it up.
func quickFile(t *testing.T, c xlator.Translator, brick, name, data string) *xlator.Loc {
	t.Helper()
	if err := os.WriteFile(filepath.Join(brick, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	loc := xlator.RootLoc().Child(name)
	st, _, err := c.Lookup(context.Background(), xlator.RootCall(), loc, nil)
	if err != nil {
		t.Fatalf("lookup %s: %v", name, err)
	}
	loc.GFID = st.GFID
	return loc
}

// openQuick opens loc through c with flags.
func openQuick(t *testing.T, c xlator.Translator, loc *xlator.Loc, flags uint32) *xlator.FD {
	t.Helper()
	fd := xlator.NewFD(loc, flags, false)
	if err := c.Open(context.Background(), xlator.RootCall(), fd); err != nil {
		t.Fatalf("open %s: %v", loc.Path, err)
	}
	t.Cleanup(func() { c.Release(context.Background(), xlator.RootCall(), fd) })
	return fd
}

// readAt reads up to n bytes of fd at off through c.
func readAt(t *testing.T, c xlator.Translator, fd *xlator.FD, n int, off int64) string {
	t.Helper()
	buf := make([]byte, n)
	got, err := c.Read(context.Background(), xlator.RootCall(), fd, buf, off)
	if err != nil {
		t.Fatalf("read %s at %d: %v", fd.Loc.Path, off, err)
	}
	return string(buf[:got])
}

// rewrite changes a file on the brick behind the server's back (same
// inode): a read that still returns the old bytes was answered from the
// contents the open reply brought.
func rewrite(t *testing.T, brick, name, data string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(brick, name), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The read after an open of a small file is answered from the contents
// the open reply brought, at any offset, once: the read that reaches
// their end drops them, and later reads go to the server.
func TestQuickReadAnswersReadsAfterOpen(t *testing.T) {
	brick := t.TempDir()
	s := startServer(t, brick)
	c := startClient(t, s, "reply-attr-timeout", "10s")
	loc := quickFile(t, c, brick, "f", "old contents")
	fd := openQuick(t, c, loc, syscall.O_RDONLY)
	rewrite(t, brick, "f", "NEW CONTENTS")
	if got := readAt(t, c, fd, 3, 4); got != "con" {
		t.Fatalf("read 3 at 4: %q, want %q (from the open reply)", got, "con")
	}
	if got := readAt(t, c, fd, 100, 0); got != "old contents" {
		t.Fatalf("read at 0: %q, want %q (from the open reply)", got, "old contents")
	}
	if got := readAt(t, c, fd, 100, 0); got != "NEW CONTENTS" {
		t.Fatalf("read after the contents were used: %q, want the server's %q", got, "NEW CONTENTS")
	}

	fd2 := openQuick(t, c, loc, syscall.O_RDONLY)
	rewrite(t, brick, "f", "third versio")
	if got := readAt(t, c, fd2, 100, 50); got != "" {
		t.Fatalf("read past the end: %q, want nothing", got)
	}
	if got := readAt(t, c, fd2, 100, 0); got != "third versio" {
		t.Fatalf("read after a read past the end: %q, want the server's %q", got, "third versio")
	}

	empty := quickFile(t, c, brick, "empty", "")
	fd3 := openQuick(t, c, empty, syscall.O_RDONLY)
	rewrite(t, brick, "empty", "grown")
	if got := readAt(t, c, fd3, 100, 0); got != "" {
		t.Fatalf("read of an empty file: %q, want nothing (from the open reply)", got)
	}
}

// No contents come with the open, or they are not used, when they could
// be stale: another descriptor open for writing on the server, a request
// of this client that can change data, the window after the open passed,
// a file over the size limit, an open for writing, quick-read off.
func TestQuickReadOnlyWhenCoherent(t *testing.T) {
	brick := t.TempDir()
	s := startServer(t, brick)
	c := startClient(t, s, "reply-attr-timeout", "10s", "quick-read", "16")
	ctx, call := context.Background(), xlator.RootCall()
	check := func(name, want string) func(fd *xlator.FD) {
		return func(fd *xlator.FD) {
			t.Helper()
			if got := readAt(t, c, fd, 100, 0); got != want {
				t.Errorf("%s: read %q, want the server's %q", name, got, want)
			}
		}
	}

	// A writer open on the server, from another client.
	other := startClient(t, s)
	w := quickFile(t, c, brick, "w", "before")
	wfd := openQuick(t, other, w, syscall.O_WRONLY)
	fd := openQuick(t, c, w, syscall.O_RDONLY)
	rewrite(t, brick, "w", "after!")
	check("writer open elsewhere", "after!")(fd)
	if err := other.Release(ctx, call, wfd); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "quick-read after the writer's release", func() bool {
		fd := openQuick(t, c, w, syscall.O_RDONLY)
		rewrite(t, brick, "w", "later1")
		got := readAt(t, c, fd, 100, 0)
		rewrite(t, brick, "w", "after!")
		return got == "after!"
	})

	// A write of this client, to another file, after the open.
	d := quickFile(t, c, brick, "d", "before")
	o := quickFile(t, c, brick, "o", "x")
	fd = openQuick(t, c, d, syscall.O_RDONLY)
	ofd := openQuick(t, c, o, syscall.O_WRONLY)
	if _, err := c.Write(ctx, call, ofd, []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	rewrite(t, brick, "d", "after!")
	check("a write after the open", "after!")(fd)

	// Over the size limit (16 bytes).
	big := quickFile(t, c, brick, "big", "seventeen bytes!!")
	fd = openQuick(t, c, big, syscall.O_RDONLY)
	rewrite(t, brick, "big", "SEVENTEEN BYTES!!")
	check("over the limit", "SEVENTEEN BYTES!!")(fd)

	// Opened for reading and writing.
	rw := quickFile(t, c, brick, "rw", "before")
	fd = openQuick(t, c, rw, syscall.O_RDWR)
	rewrite(t, brick, "rw", "after!")
	check("open for writing", "after!")(fd)

	// The window after the open passed.
	short := startClient(t, s, "reply-attr-timeout", "50ms")
	e := quickFile(t, short, brick, "e", "before")
	fd = openQuick(t, short, e, syscall.O_RDONLY)
	rewrite(t, brick, "e", "after!")
	time.Sleep(100 * time.Millisecond)
	if got := readAt(t, short, fd, 100, 0); got != "after!" {
		t.Errorf("after the window: read %q, want the server's %q", got, "after!")
	}

	// Off.
	off := startClient(t, s, "reply-attr-timeout", "10s", "quick-read", "0")
	fd = openQuick(t, off, e, syscall.O_RDONLY)
	rewrite(t, brick, "e", "third!")
	if got := readAt(t, off, fd, 100, 0); got != "third!" {
		t.Errorf("quick-read 0: read %q, want the server's %q", got, "third!")
	}
}

// atimeOf is the access time of a file on the brick.
func atimeOf(t *testing.T, path string) syscall.Timespec {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Atim
}

// staleAtime sets path's access time an hour before its modification
// time: any read updates it then (relatime or strictatime).
func staleAtime(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime().Add(-time.Hour), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// An open that brings the contents does not change the file's access
// time; the read answered from them does, as a read would have (it is
// sent on to the server without waiting).
func TestQuickReadKeepsAccessTime(t *testing.T) {
	brick := t.TempDir()
	path := filepath.Join(brick, "f")
	if err := os.WriteFile(path, []byte("contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	staleAtime(t, path)
	before := atimeOf(t, path)
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if atimeOf(t, path) == before {
		t.Skip("reads do not update access times on this file system (noatime)")
	}
	s := startServer(t, brick)
	c := startClient(t, s, "reply-attr-timeout", "10s")
	loc := quickFile(t, c, brick, "f", "contents")
	staleAtime(t, path)
	before = atimeOf(t, path)
	fd := openQuick(t, c, loc, syscall.O_RDONLY)
	if got := atimeOf(t, path); got != before {
		t.Fatalf("the open changed the access time: %v, was %v", got, before)
	}
	rewrite(t, brick, "f", "CONTENTS")
	staleAtime(t, path)
	before = atimeOf(t, path)
	if got := readAt(t, c, fd, 100, 0); got != "contents" {
		t.Fatalf("read %q, want %q from the open reply", got, "contents")
	}
	waitFor(t, 5*time.Second, "the access time to change after a read answered from the open reply", func() bool {
		return atimeOf(t, path) != before
	})
}

// A descriptor opened with O_NOATIME (replicate's heal reading its
// source) is answered from the open reply too, and its read is not sent
// on to the server (which only moves access times): O_NOATIME asks for
// none. A plain descriptor's read, opened after it, is sent on.
func TestQuickReadNoatime(t *testing.T) {
	brick := t.TempDir()
	var log xlatortest.SyncBuffer
	specs := []xlator.VolumeSpec{
		xlatortest.PosixSpec("posix", brick),
		{Name: "brick", Type: "debug/trace", Subvolumes: []xlator.SubvolumeRef{{Name: "posix"}},
			Options: opts("include-fops", "read,open")},
		{Name: "server", Type: server.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "brick"}},
			Options: opts("transport.socket.listen-address", "127.0.0.1", "transport.socket.listen-port", "0")},
	}
	lg := slog.New(slog.NewTextHandler(&log, nil))
	s := xlatortest.BuildWith(t, specs, xlator.BuildOptions{Log: lg}).Top().(*server.Server)
	c := startClient(t, s, "reply-attr-timeout", "10s")
	loc := quickFile(t, c, brick, "f", "contents")
	// The server reads the contents for an open reply itself; the read
	// sent on after a read answered from them asks 1 byte.
	count := func(fop, arg string) int {
		n := 0
		for _, l := range strings.Split(log.String(), "\n") {
			if strings.Contains(l, "msg="+fop+" ") && strings.Contains(l, arg) {
				n++
			}
		}
		return n
	}
	sentOn := func() int { return count("read", " size=1 ") }
	for k, flags := range []uint32{syscall.O_RDONLY | syscall.O_NOATIME, syscall.O_RDONLY} {
		data := fmt.Sprintf("contents %d", k)
		rewrite(t, brick, "f", data)
		fd := xlator.NewFD(loc, flags, false)
		if err := c.Open(context.Background(), xlator.RootCall(), fd); err != nil {
			t.Fatal(err)
		}
		// The server reads an O_NOATIME descriptor's contents through
		// it; for another it opens one of its own with O_NOATIME.
		if n, want := count("open", ""), 1+2*k; n != want {
			t.Fatalf("%d opens reached the brick, want %d:\n%s", n, want, log.String())
		}
		rewrite(t, brick, "f", "CHANGED!!!")
		if got := readAt(t, c, fd, 100, 0); got != data {
			t.Fatalf("read %q, want %q from the open reply", got, data)
		}
		if err := c.Release(context.Background(), xlator.RootCall(), fd); err != nil {
			t.Fatal(err)
		}
	}
	// The plain descriptor's read was sent on after anything the first
	// one sent: once it is seen, only it may be.
	waitFor(t, 5*time.Second, "the plain descriptor's read to reach the server", func() bool { return sentOn() >= 1 })
	if n := sentOn(); n != 1 {
		t.Fatalf("%d reads sent on, want 1 (the plain descriptor's; none for O_NOATIME):\n%s", n, log.String())
	}
}
