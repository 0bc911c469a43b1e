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

	"github.com/loom-fs/loom/translators/protocol/server"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// tracedServer is a server whose brick is traced at debug level into
// log: the test counts the readdirs that reached the brick.
func tracedServer(t *testing.T, brick string, log *xlatortest.SyncBuffer) *server.Server {
	t.Helper()
	lg := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelInfo}))
	return xlatortest.BuildWith(t, []xlator.VolumeSpec{
		xlatortest.PosixSpec("posix", brick),
		{Name: "brick", Type: "debug/trace", Subvolumes: []xlator.SubvolumeRef{{Name: "posix"}},
			Options: opts("include-fops", "readdir")},
		{Name: "server", Type: server.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "brick"}},
			Options: opts("transport.socket.listen-address", "127.0.0.1", "transport.socket.listen-port", "0")},
	}, xlator.BuildOptions{Log: lg}).Top().(*server.Server)
}

// listAll reads the directory at path through c in readdirs of size
// bytes (as the kernel does, resuming at the last entry's offset, with
// a reply holding what fits in size at about 100 bytes an entry) and
// returns the names and the attributes of each.
func listAll(t *testing.T, c xlator.Translator, path string, size int, plus bool) map[string]xlator.DirEntry {
	t.Helper()
	ctx, call := context.Background(), xlator.RootCall()
	fd := xlator.NewFD(&xlator.Loc{Path: path}, syscall.O_RDONLY, true)
	if err := c.Opendir(ctx, call, fd); err != nil {
		t.Fatalf("opendir %s: %v", path, err)
	}
	defer c.Releasedir(ctx, call, fd)
	seen := map[string]xlator.DirEntry{}
	off := uint64(0)
	for {
		ents, err := c.Readdir(ctx, call, fd, off, size, plus)
		if err != nil {
			t.Fatalf("readdir at %d: %v", off, err)
		}
		if len(ents) == 0 {
			return seen
		}
		// The kernel takes what fits in its buffer.
		ents = ents[:min(len(ents), max(size/100, 1))]
		for _, e := range ents {
			if _, dup := seen[e.Name]; dup {
				t.Fatalf("%s listed twice", e.Name)
			}
			seen[e.Name] = e
		}
		off = ents[len(ents)-1].Off
	}
}

// A directory of 600 entries listed by the kernel's 4 KiB readdirs takes
// one readdir of the brick per 64 KiB (readdir-ahead), with every name
// once; with readdir-ahead 0, one per 4 KiB.
func TestReaddirAhead(t *testing.T) {
	brick := t.TempDir()
	for i := range 600 {
		if err := os.WriteFile(filepath.Join(brick, fmt.Sprintf("file-%04d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		ahead    string
		min, max int // readdirs the brick sees
	}{{"64KiB", 1, 4}, {"0", 14, 1000}} {
		var log xlatortest.SyncBuffer
		s := tracedServer(t, brick, &log)
		c := startClient(t, s, "readdir-ahead", tc.ahead)
		for _, plus := range []bool{false, true} {
			before := strings.Count(log.String(), "msg=readdir")
			seen := listAll(t, c, "/", 4096, plus)
			n := strings.Count(log.String(), "msg=readdir") - before
			names := 0
			for name := range seen {
				if strings.HasPrefix(name, "file-") {
					names++
				}
			}
			if names != 600 {
				t.Errorf("readdir-ahead %s, plus %v: %d of 600 names listed", tc.ahead, plus, names)
			}
			if n < tc.min || n > tc.max {
				t.Errorf("readdir-ahead %s, plus %v: %d readdirs reached the brick, want %d..%d", tc.ahead, plus, n, tc.min, tc.max)
			}
		}
	}
}

// Attributes fetched ahead are not given out after this client changed
// something: a listing that resumes after a write sees the new size.
func TestReaddirAheadAfterChange(t *testing.T) {
	brick := t.TempDir()
	for i := range 300 {
		if err := os.WriteFile(filepath.Join(brick, fmt.Sprintf("f%04d", i)), nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, brick)
	c := startClient(t, s)
	ctx, call := context.Background(), xlator.RootCall()
	dir := xlator.NewFD(&xlator.Loc{Path: "/"}, syscall.O_RDONLY, true)
	if err := c.Opendir(ctx, call, dir); err != nil {
		t.Fatal(err)
	}
	defer c.Releasedir(ctx, call, dir)
	first, err := c.Readdir(ctx, call, dir, 0, 4096, true)
	if err != nil || len(first) < 100 {
		t.Fatalf("first readdir: %d entries, %v", len(first), err)
	}
	// The kernel took 10 entries; the last one fetched comes later.
	off := first[9].Off
	name := first[len(first)-1].Name
	f := openFD(t, c, name)
	if _, err := c.Write(ctx, call, f, []byte("new data"), 0); err != nil {
		t.Fatal(err)
	}
	c.Release(ctx, call, f)
	rest, err := c.Readdir(ctx, call, dir, off, 4096, true)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range rest {
		if e.Name == name {
			found = true
			if !e.HasStat || e.Stat.Size != 8 {
				t.Fatalf("%s listed with size %d (has stat %v) after this client wrote 8 bytes", name, e.Stat.Size, e.HasStat)
			}
		}
	}
	if !found {
		t.Fatalf("%s missing from the rest of the listing", name)
	}
}

// A listing the server read to its end needs no readdir for its end;
// a listing started again at the beginning (rewinddir) is fetched
// again and sees an entry created meanwhile.
func TestReaddirAheadEOFAndRewind(t *testing.T) {
	brick := t.TempDir()
	for i := range 50 {
		if err := os.WriteFile(filepath.Join(brick, fmt.Sprintf("f%02d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var log xlatortest.SyncBuffer
	s := tracedServer(t, brick, &log)
	c := startClient(t, s)
	ctx, call := context.Background(), xlator.RootCall()
	fd := xlator.NewFD(&xlator.Loc{Path: "/"}, syscall.O_RDONLY, true)
	if err := c.Opendir(ctx, call, fd); err != nil {
		t.Fatal(err)
	}
	defer c.Releasedir(ctx, call, fd)
	list := func() []string {
		var names []string
		off := uint64(0)
		for {
			ents, err := c.Readdir(ctx, call, fd, off, 4096, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(ents) == 0 {
				return names
			}
			ents = ents[:min(len(ents), 20)] // the kernel takes 20
			for _, e := range ents {
				names = append(names, e.Name)
			}
			off = ents[len(ents)-1].Off
		}
	}
	before := strings.Count(log.String(), "msg=readdir")
	if n := len(list()); n < 50 {
		t.Fatalf("first listing: %d names", n)
	}
	// One request: the brick read once for the entries and once to
	// find the end; the listing's last readdir was answered locally.
	if n := strings.Count(log.String(), "msg=readdir") - before; n != 2 {
		t.Fatalf("first listing: %d readdirs of the brick, want 2", n)
	}
	if err := os.WriteFile(filepath.Join(brick, "late"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, name := range list() {
		found = found || name == "late"
	}
	if !found {
		t.Fatal("a listing from the start again did not see an entry created before it")
	}
}
