package xlatortest

import (
	"context"
	"errors"
	"path"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// caseTimeout bounds one conformance case, so a hung fop fails the case
// instead of the whole test binary.
const caseTimeout = 30 * time.Second

// client drives a graph top the way the FUSE bridge does: it resolves
// paths with Lookup, one component at a time, and fails the test on
// unexpected errors.
type client struct {
	t   *testing.T
	top xlator.Translator
	ctx context.Context
	c   *xlator.Call
}

func newClient(t *testing.T, top xlator.Translator) *client {
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	t.Cleanup(cancel)
	return &client{t: t, top: top, ctx: ctx, c: xlator.RootCall()}
}

// as returns a client that calls with the given credentials.
func (f *client) as(uid, gid uint32) *client {
	g := *f
	g.c = &xlator.Call{UID: uid, GID: gid, Groups: []uint32{gid}, PID: 4242}
	return &g
}

// resolve looks up every component of p and returns its full Loc and Stat.
func (f *client) resolve(p string) (*xlator.Loc, xlator.Stat, error) {
	loc := xlator.RootLoc()
	st, _, err := f.top.Lookup(f.ctx, f.c, loc, nil)
	if err != nil {
		return nil, st, err
	}
	for _, name := range strings.Split(strings.Trim(path.Clean(p), "/"), "/") {
		if name == "" {
			continue
		}
		loc = loc.Child(name)
		st, _, err = f.top.Lookup(f.ctx, f.c, loc, nil)
		if err != nil {
			return nil, st, err
		}
		loc.GFID = st.GFID
	}
	return loc, st, nil
}

// loc resolves an existing path.
func (f *client) loc(p string) *xlator.Loc {
	f.t.Helper()
	loc, _, err := f.resolve(p)
	if err != nil {
		f.t.Fatalf("lookup %s: %v", p, err)
	}
	return loc
}

// stat looks up an existing path and returns its attributes.
func (f *client) stat(p string) xlator.Stat {
	f.t.Helper()
	_, st, err := f.resolve(p)
	if err != nil {
		f.t.Fatalf("lookup %s: %v", p, err)
	}
	return st
}

// newLoc returns the Loc for creating p: its parent resolved, a fresh GFID.
func (f *client) newLoc(p string) *xlator.Loc {
	f.t.Helper()
	loc := f.loc(path.Dir(p)).Child(path.Base(p))
	loc.GFID = xlator.NewGFID()
	return loc
}

// target returns the Loc of p as the destination of a rename or link: its
// GFID if it exists, zero if not.
func (f *client) target(p string) *xlator.Loc {
	f.t.Helper()
	loc := f.loc(path.Dir(p)).Child(path.Base(p))
	if _, st, err := f.resolve(p); err == nil {
		loc.GFID = st.GFID
	}
	return loc
}

// create makes a regular file and returns it open read-write.
func (f *client) create(p string, mode uint32) (*xlator.FD, xlator.Stat) {
	f.t.Helper()
	fd := xlator.NewFD(f.newLoc(p), syscall.O_CREAT|syscall.O_EXCL|syscall.O_RDWR, false)
	st, err := f.top.Create(f.ctx, f.c, fd, mode, 0)
	if err != nil {
		f.t.Fatalf("create %s: %v", p, err)
	}
	fd.Loc.GFID = st.GFID
	f.t.Cleanup(func() { f.top.Release(context.Background(), f.c, fd) })
	return fd, st
}

// open opens an existing file with flags; it is released when the test ends.
func (f *client) open(p string, flags uint32) *xlator.FD {
	f.t.Helper()
	fd := xlator.NewFD(f.loc(p), flags, false)
	if err := f.top.Open(f.ctx, f.c, fd); err != nil {
		f.t.Fatalf("open %s: %v", p, err)
	}
	f.t.Cleanup(func() { f.top.Release(context.Background(), f.c, fd) })
	return fd
}

// opendir opens an existing directory; it is released when the test ends.
func (f *client) opendir(p string) *xlator.FD {
	f.t.Helper()
	fd := xlator.NewFD(f.loc(p), syscall.O_RDONLY|syscall.O_DIRECTORY, true)
	if err := f.top.Opendir(f.ctx, f.c, fd); err != nil {
		f.t.Fatalf("opendir %s: %v", p, err)
	}
	f.t.Cleanup(func() { f.top.Releasedir(context.Background(), f.c, fd) })
	return fd
}

// writeFile creates p with mode 0644 and the given contents.
func (f *client) writeFile(p string, data []byte) xlator.Stat {
	f.t.Helper()
	fd, _ := f.create(p, 0o644)
	f.write(fd, data, 0)
	st, err := f.top.Fstat(f.ctx, f.c, fd)
	if err != nil {
		f.t.Fatalf("fstat %s: %v", p, err)
	}
	return st
}

func (f *client) write(fd *xlator.FD, data []byte, off int64) {
	f.t.Helper()
	n, err := f.top.Write(f.ctx, f.c, fd, data, off)
	if err != nil || n != len(data) {
		f.t.Fatalf("write %d bytes at %d to %s: wrote %d, %v", len(data), off, fd.Loc.Path, n, err)
	}
}

// readAll reads fd from off to EOF in chunks.
func (f *client) readAll(fd *xlator.FD, off int64) []byte {
	f.t.Helper()
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := f.top.Read(f.ctx, f.c, fd, buf, off)
		if err != nil {
			f.t.Fatalf("read %s at %d: %v", fd.Loc.Path, off, err)
		}
		if n == 0 {
			return out
		}
		out = append(out, buf[:n]...)
		off += int64(n)
	}
}

// contents opens p read-only and returns all of it.
func (f *client) contents(p string) []byte {
	f.t.Helper()
	return f.readAll(f.open(p, syscall.O_RDONLY), 0)
}

func (f *client) mkdir(p string, mode uint32) xlator.Stat {
	f.t.Helper()
	st, err := f.top.Mkdir(f.ctx, f.c, f.newLoc(p), mode, 0)
	if err != nil {
		f.t.Fatalf("mkdir %s: %v", p, err)
	}
	return st
}

func (f *client) symlink(target, p string) xlator.Stat {
	f.t.Helper()
	st, err := f.top.Symlink(f.ctx, f.c, target, f.newLoc(p), 0)
	if err != nil {
		f.t.Fatalf("symlink %s -> %s: %v", p, target, err)
	}
	return st
}

func (f *client) rename(from, to string, flags uint32) error {
	f.t.Helper()
	return f.top.Rename(f.ctx, f.c, f.loc(from), f.target(to), flags)
}

// missing fails the test unless p does not exist (ENOENT).
func (f *client) missing(p string) {
	f.t.Helper()
	if _, st, err := f.resolve(p); !errors.Is(err, syscall.ENOENT) {
		f.t.Fatalf("lookup %s = %v (mode %o), want ENOENT", p, err, st.Mode)
	}
}

// wantErrno fails the test unless err carries want.
func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if got := xlator.Errno(err); got != want {
		t.Fatalf("%s: got %v (%v), want %v", what, err, errnoName(got), errnoName(want))
	}
}

func errnoName(e syscall.Errno) string {
	if e == 0 {
		return "success"
	}
	return e.Error()
}
