package index

import (
	"context"
	"errors"
	"strconv"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// The virtual directory IndexGFID: translators above list the records
// with Opendir/Readdir on a nameless Loc of IndexGFID (over
// protocol/client too), learn their number from Lookup, and drop stale
// records with Unlink. Every other fop passes to the child.

// isIndex reports whether loc names the virtual directory itself.
func isIndex(loc *xlator.Loc) bool { return loc.GFID == IndexGFID && loc.Name == "" }

// dirState is an open listing of the index directory.
type dirState struct {
	fd  int
	buf []byte
}

// Lookup answers the virtual directory's attributes with the record count
// in the reply XData (CountKey, decimal); anything else passes.
func (x *Index) Lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	if !isIndex(loc) {
		return x.Base.Lookup(ctx, c, loc, req)
	}
	st, err := x.statIndex()
	if err != nil {
		return xlator.Stat{}, nil, err
	}
	return st, xlator.XData{CountKey: []byte(strconv.FormatInt(x.Count(), 10))}, nil
}

// Stat answers the virtual directory's attributes; anything else passes.
func (x *Index) Stat(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	if !isIndex(loc) {
		return x.Base.Stat(ctx, c, loc)
	}
	return x.statIndex()
}

func (x *Index) statIndex() (xlator.Stat, error) {
	var us unix.Stat_t
	if err := unix.Fstat(x.dirFd, &us); err != nil {
		return xlator.Stat{}, xlator.Wrap("stat", x.dir, err)
	}
	return xlator.Stat{GFID: IndexGFID, Ino: us.Ino, Dev: us.Dev, Mode: us.Mode, Nlink: uint32(us.Nlink),
		Size: uint64(us.Size), Blksize: uint32(us.Blksize), Blocks: uint64(us.Blocks),
		Atime: xlator.Timespec{Sec: us.Atim.Sec, Nsec: uint32(us.Atim.Nsec)},
		Mtime: xlator.Timespec{Sec: us.Mtim.Sec, Nsec: uint32(us.Mtim.Nsec)},
		Ctime: xlator.Timespec{Sec: us.Ctim.Sec, Nsec: uint32(us.Ctim.Nsec)}}, nil
}

// Opendir opens a listing of the records; anything else passes.
func (x *Index) Opendir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if !isIndex(&fd.Loc) {
		return x.Base.Opendir(ctx, c, fd)
	}
	dfd, err := unix.Openat(x.dirFd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return xlator.Wrap("opendir", x.dir, err)
	}
	fd.SetCtx(x, &dirState{fd: dfd})
	return nil
}

// Readdir lists records after the cookie off: each entry's name is a GFID
// in canonical form. Attributes are never filled (HasStat false).
func (x *Index) Readdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) ([]xlator.DirEntry, error) {
	ds, ok := fd.Ctx(x).(*dirState)
	if !ok {
		return x.Base.Readdir(ctx, c, fd, off, size, plus)
	}
	if ds.buf == nil {
		ds.buf = make([]byte, min(max(size, 4096), 1<<20))
	}
	for {
		ents, err := readEntries(ds.fd, off, ds.buf)
		if err != nil {
			return nil, xlator.Wrap("readdir", x.dir, err)
		}
		if len(ents) == 0 {
			return nil, nil
		}
		var out []xlator.DirEntry
		for _, e := range ents {
			off = e.off
			if isRecord(e.name) {
				out = append(out, xlator.DirEntry{Name: e.name, Type: syscall.S_IFREG, Off: e.off})
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
}

// Releasedir ends a listing of the records; anything else passes.
func (x *Index) Releasedir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if ds, ok := fd.DelCtx(x).(*dirState); ok {
		unix.Close(ds.fd)
		return nil
	}
	return x.Base.Releasedir(ctx, c, fd)
}

// Unlink of a name in the virtual directory drops that record, but only
// when the brick no longer has the inode (ENOENT by GFID); a record of an
// inode that exists answers EBUSY: its record goes when an xattrop leaves
// its changelog at zero. Anything else passes.
func (x *Index) Unlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	if loc.Parent != IndexGFID {
		return x.Base.Unlink(ctx, c, loc)
	}
	g, err := xlator.ParseGFID(loc.Name)
	if err != nil {
		return xlator.Wrap("unlink", loc.Name, syscall.EINVAL)
	}
	mu := x.lockOf(g)
	mu.Lock()
	defer mu.Unlock()
	_, _, err = x.FirstChild().Lookup(ctx, c, &xlator.Loc{GFID: g}, nil)
	switch {
	case err == nil:
		return xlator.Wrap("unlink", loc.Name, syscall.EBUSY)
	case !errors.Is(err, syscall.ENOENT):
		return err
	}
	if _, err := x.remove(g); err != nil {
		return xlator.Wrap("unlink", loc.Name, err)
	}
	return nil
}
