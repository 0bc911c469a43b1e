package distribute_test

import (
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// client drives a graph top at the fop level, as the FUSE bridge does.
type client struct {
	t   testing.TB
	top xlator.Translator
	ctx context.Context
	c   *xlator.Call
}

func newClient(t testing.TB, top xlator.Translator) *client {
	return &client{t: t, top: top, ctx: context.Background(), c: xlator.RootCall()}
}

// resolve looks up every component of p.
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

// target returns the Loc of a new name p (its parent resolved).
func (f *client) target(p string) *xlator.Loc {
	f.t.Helper()
	dir, _, err := f.resolve(path.Dir(p))
	if err != nil {
		f.t.Fatalf("lookup %s: %v", path.Dir(p), err)
	}
	return dir.Child(path.Base(p))
}

func (f *client) mkdir(p string) {
	f.t.Helper()
	if _, err := f.top.Mkdir(f.ctx, f.c, f.target(p), 0o755, 0); err != nil {
		f.t.Fatalf("mkdir %s: %v", p, err)
	}
}

// write creates (or truncates) p with data.
func (f *client) write(p string, data []byte) {
	f.t.Helper()
	if err := f.tryWrite(p, data); err != nil {
		f.t.Fatalf("write %s: %v", p, err)
	}
}

func (f *client) tryWrite(p string, data []byte) error {
	var fd *xlator.FD
	if loc, _, err := f.resolve(p); err == nil {
		fd = xlator.NewFD(loc, syscall.O_WRONLY|syscall.O_TRUNC, false)
		if err := f.top.Open(f.ctx, f.c, fd); err != nil {
			return err
		}
		if _, err := f.top.Ftruncate(f.ctx, f.c, fd, 0); err != nil {
			return err
		}
	} else if errors.Is(err, syscall.ENOENT) {
		fd = xlator.NewFD(f.target(p), syscall.O_WRONLY|syscall.O_CREAT, false)
		if _, err := f.top.Create(f.ctx, f.c, fd, 0o644, 0); err != nil {
			return err
		}
	} else {
		return err
	}
	defer f.top.Release(f.ctx, f.c, fd)
	if len(data) > 0 {
		if _, err := f.top.Write(f.ctx, f.c, fd, data, 0); err != nil {
			return err
		}
	}
	return nil
}

// read returns the contents of p.
func (f *client) read(p string) []byte {
	f.t.Helper()
	b, err := f.tryRead(p)
	if err != nil {
		f.t.Fatalf("read %s: %v", p, err)
	}
	return b
}

func (f *client) tryRead(p string) ([]byte, error) {
	loc, st, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	fd := xlator.NewFD(loc, syscall.O_RDONLY, false)
	if err := f.top.Open(f.ctx, f.c, fd); err != nil {
		return nil, err
	}
	defer f.top.Release(f.ctx, f.c, fd)
	buf := make([]byte, st.Size+1)
	n, err := f.top.Read(f.ctx, f.c, fd, buf, 0)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// list returns the names in directory p (without . and ..), sorted.
func (f *client) list(p string) []string {
	f.t.Helper()
	loc, _, err := f.resolve(p)
	if err != nil {
		f.t.Fatalf("lookup %s: %v", p, err)
	}
	fd := xlator.NewFD(loc, syscall.O_RDONLY, true)
	if err := f.top.Opendir(f.ctx, f.c, fd); err != nil {
		f.t.Fatalf("opendir %s: %v", p, err)
	}
	defer f.top.Releasedir(f.ctx, f.c, fd)
	var names []string
	off := uint64(0)
	for {
		ents, err := f.top.Readdir(f.ctx, f.c, fd, off, 4096, false)
		if err != nil {
			f.t.Fatalf("readdir %s: %v", p, err)
		}
		if len(ents) == 0 {
			break
		}
		for _, e := range ents {
			if e.Name != "." && e.Name != ".." {
				names = append(names, e.Name)
			}
		}
		off = ents[len(ents)-1].Off
	}
	sort.Strings(names)
	return names
}

func (f *client) rename(from, to string) error {
	loc, _, err := f.resolve(from)
	if err != nil {
		return err
	}
	return f.top.Rename(f.ctx, f.c, loc, f.target(to), 0)
}

// onBricks returns, for a relative path, the bricks that hold it as data
// (not as a link file) and those that hold a link file.
func onBricks(t testing.TB, dirs []string, rel string) (data, links []int) {
	t.Helper()
	for i, d := range dirs {
		fi, err := os.Lstat(filepath.Join(d, rel))
		if err != nil {
			continue
		}
		if fi.Mode().IsRegular() && fi.Mode()&os.ModeSticky != 0 && fi.Mode().Perm() == 0 {
			links = append(links, i)
		} else {
			data = append(data, i)
		}
	}
	return data, links
}
