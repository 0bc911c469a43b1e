package distribute

import (
	"context"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// fdState is distribute's part of an open file or directory: the
// subvolume a file is open on, or the subvolumes a directory is open on
// and the large readdir cookies handed out for it.
type fdState struct {
	sub int // file: where it is open

	opened []bool // directory: open on these children

	// listed remembers, for one listing pass of a directory, the GFIDs
	// of files listed from a child that may not keep them (see
	// mayMoveAway), and that child: a file that a migration moves on
	// while the listing goes on is then not listed again from its new
	// child.
	listedMu sync.Mutex
	listed   map[xlator.GFID]int
}

// fdOf returns the state distribute keeps in fd, or nil.
func (d *Distribute) fdOf(fd *xlator.FD) *fdState {
	s, _ := fd.Ctx(d).(*fdState)
	return s
}

// fdSub returns the child an open file is served by.
func (d *Distribute) fdSub(fd *xlator.FD) (int, error) {
	if s := d.fdOf(fd); s != nil {
		return s.sub, nil
	}
	if sub, ok := d.inodes.get(fd.GFID()); ok && sub != dirSub {
		return sub, nil
	}
	return -1, syscall.EBADF
}

// dirFDFirst returns the first child an open directory is open on.
func (d *Distribute) dirFDFirst(fd *xlator.FD) int {
	if s := d.fdOf(fd); s != nil {
		for i, o := range s.opened {
			if o {
				return i
			}
		}
	}
	return max(d.firstUp(), 0)
}

// onDirFD runs fn on every child an open directory is open on, in
// parallel when there are several; it returns which succeeded and the
// first error in child order.
func (d *Distribute) onDirFD(fd *xlator.FD, fn func(i int) error) ([]bool, error) {
	s := d.fdOf(fd)
	if s == nil {
		return make([]bool, len(d.kids)), syscall.EBADF
	}
	errs := make([]error, len(d.kids))
	ok := make([]bool, len(d.kids))
	var wg sync.WaitGroup
	for i, o := range s.opened {
		if !o {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	var first error
	for i, o := range s.opened {
		if o && errs[i] == nil {
			ok[i] = true
		} else if o && first == nil {
			first = errs[i]
		}
	}
	return ok, first
}

// Open opens the file on the subvolume that holds its data. While it is
// open, rebalance leaves it where it is.
func (d *Distribute) Open(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	d.gate.enter(fd.GFID())
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		var sub int
		sub, err = d.where(ctx, c, &fd.Loc, attempt > 0)
		if err != nil {
			break
		}
		if sub == dirSub {
			err = syscall.EISDIR
			break
		}
		if err = d.kids[sub].Open(ctx, c, fd); err == nil {
			fd.SetCtx(d, &fdState{sub: sub})
			return nil
		}
		if !stale(err) {
			break
		}
	}
	d.gate.leave(fd.GFID())
	return err
}

// Release closes the file on its subvolume.
func (d *Distribute) Release(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	s := d.fdOf(fd)
	if s == nil {
		return nil
	}
	fd.DelCtx(d)
	defer d.gate.leave(fd.GFID())
	return d.kids[s.sub].Release(ctx, c, fd)
}

// Fstat answers from the open file's subvolume.
func (d *Distribute) Fstat(ctx context.Context, c *xlator.Call, fd *xlator.FD) (xlator.Stat, error) {
	if fd.Dir {
		sts := make([]xlator.Stat, len(d.kids))
		ok, err := d.onDirFD(fd, func(i int) error {
			var err error
			sts[i], err = d.kids[i].Fstat(ctx, c, fd)
			return err
		})
		st, _ := mergeDirStat(sts, ok)
		return st, err
	}
	sub, err := d.fdSub(fd)
	if err != nil {
		return xlator.Stat{}, err
	}
	return d.kids[sub].Fstat(ctx, c, fd)
}

// Fsetattr changes the open file (or every copy of an open directory).
func (d *Distribute) Fsetattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, attr *xlator.SetAttr) (xlator.Stat, error) {
	if fd.Dir {
		sts := make([]xlator.Stat, len(d.kids))
		ok, err := d.onDirFD(fd, func(i int) error {
			var err error
			sts[i], err = d.kids[i].Fsetattr(context.WithoutCancel(ctx), c, fd, attr)
			return err
		})
		st, _ := mergeDirStat(sts, ok)
		return st, err
	}
	sub, err := d.fdSub(fd)
	if err != nil {
		return xlator.Stat{}, err
	}
	return d.kids[sub].Fsetattr(ctx, c, fd, attr)
}

// Ftruncate truncates the open file.
func (d *Distribute) Ftruncate(ctx context.Context, c *xlator.Call, fd *xlator.FD, size uint64) (xlator.Stat, error) {
	sub, err := d.fdSub(fd)
	if err != nil {
		return xlator.Stat{}, err
	}
	return d.kids[sub].Ftruncate(ctx, c, fd, size)
}

// Read reads from the open file's subvolume.
func (d *Distribute) Read(ctx context.Context, c *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	sub, err := d.fdSub(fd)
	if err != nil {
		return 0, err
	}
	return d.kids[sub].Read(ctx, c, fd, dest, off)
}

// Write writes to the open file's subvolume.
func (d *Distribute) Write(ctx context.Context, c *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	sub, err := d.fdSub(fd)
	if err != nil {
		return 0, err
	}
	return d.kids[sub].Write(ctx, c, fd, data, off)
}

// Flush goes to the open file's subvolume.
func (d *Distribute) Flush(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	sub, err := d.fdSub(fd)
	if err != nil {
		return err
	}
	return d.kids[sub].Flush(ctx, c, fd)
}

// Fsync goes to the open file's subvolume.
func (d *Distribute) Fsync(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	sub, err := d.fdSub(fd)
	if err != nil {
		return err
	}
	return d.kids[sub].Fsync(ctx, c, fd, datasync)
}

// Fallocate goes to the open file's subvolume.
func (d *Distribute) Fallocate(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, off, length int64) error {
	sub, err := d.fdSub(fd)
	if err != nil {
		return err
	}
	return d.kids[sub].Fallocate(ctx, c, fd, mode, off, length)
}

// Discard goes to the open file's subvolume.
func (d *Distribute) Discard(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	sub, err := d.fdSub(fd)
	if err != nil {
		return err
	}
	return d.kids[sub].Discard(ctx, c, fd, off, length)
}

// Zerofill goes to the open file's subvolume.
func (d *Distribute) Zerofill(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	sub, err := d.fdSub(fd)
	if err != nil {
		return err
	}
	return d.kids[sub].Zerofill(ctx, c, fd, off, length)
}

// Seek goes to the open file's subvolume.
func (d *Distribute) Seek(ctx context.Context, c *xlator.Call, fd *xlator.FD, off int64, whence int) (int64, error) {
	sub, err := d.fdSub(fd)
	if err != nil {
		return 0, err
	}
	return d.kids[sub].Seek(ctx, c, fd, off, whence)
}

// copyChunk is the buffer size of a copy between subvolumes.
const copyChunk = 1 << 20

// CopyFileRange passes to the subvolume when both files are on it, and
// otherwise copies through this process.
func (d *Distribute) CopyFileRange(ctx context.Context, c *xlator.Call, in *xlator.FD, offIn int64, out *xlator.FD, offOut int64, length int64, flags uint32) (int64, error) {
	si, err := d.fdSub(in)
	if err != nil {
		return 0, err
	}
	so, err := d.fdSub(out)
	if err != nil {
		return 0, err
	}
	if si == so {
		return d.kids[si].CopyFileRange(ctx, c, in, offIn, out, offOut, length, flags)
	}
	buf := make([]byte, min(length, copyChunk))
	var done int64
	for done < length {
		n, err := d.kids[si].Read(ctx, c, in, buf[:min(int64(len(buf)), length-done)], offIn+done)
		if err != nil {
			return done, err
		}
		if n == 0 {
			break
		}
		w, err := d.kids[so].Write(ctx, c, out, buf[:n], offOut+done)
		done += int64(w)
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// Fsetxattr sets an xattr on the open file (every copy of a directory).
func (d *Distribute) Fsetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string, value []byte, flags int) error {
	if fd.Dir {
		_, err := d.onDirFD(fd, func(i int) error {
			return d.kids[i].Fsetxattr(context.WithoutCancel(ctx), c, fd, name, value, flags)
		})
		return err
	}
	sub, err := d.fdSub(fd)
	if err != nil {
		return err
	}
	return d.kids[sub].Fsetxattr(ctx, c, fd, name, value, flags)
}

// Fgetxattr reads an xattr of the open file.
func (d *Distribute) Fgetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) ([]byte, error) {
	if fd.Dir {
		return d.kids[d.dirFDFirst(fd)].Fgetxattr(ctx, c, fd, name)
	}
	sub, err := d.fdSub(fd)
	if err != nil {
		return nil, err
	}
	return d.kids[sub].Fgetxattr(ctx, c, fd, name)
}

// Flistxattr lists the xattrs of the open file.
func (d *Distribute) Flistxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD) ([]string, error) {
	if fd.Dir {
		return d.kids[d.dirFDFirst(fd)].Flistxattr(ctx, c, fd)
	}
	sub, err := d.fdSub(fd)
	if err != nil {
		return nil, err
	}
	return d.kids[sub].Flistxattr(ctx, c, fd)
}

// Fremovexattr removes an xattr of the open file (every copy of a
// directory).
func (d *Distribute) Fremovexattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) error {
	if fd.Dir {
		_, err := d.onDirFD(fd, func(i int) error {
			return d.kids[i].Fremovexattr(context.WithoutCancel(ctx), c, fd, name)
		})
		return err
	}
	sub, err := d.fdSub(fd)
	if err != nil {
		return err
	}
	return d.kids[sub].Fremovexattr(ctx, c, fd, name)
}

// Fxattrop applies the xattrop on the open file's subvolume.
func (d *Distribute) Fxattrop(ctx context.Context, c *xlator.Call, fd *xlator.FD, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	if fd.Dir {
		return d.kids[d.dirFDFirst(fd)].Fxattrop(ctx, c, fd, op, xattrs)
	}
	sub, err := d.fdSub(fd)
	if err != nil {
		return nil, err
	}
	return d.kids[sub].Fxattrop(ctx, c, fd, op, xattrs)
}

// Lk takes POSIX locks on the open file's subvolume.
func (d *Distribute) Lk(ctx context.Context, c *xlator.Call, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) (xlator.Flock, error) {
	sub, err := d.fdSub(fd)
	if err != nil {
		return xlator.Flock{}, err
	}
	return d.kids[sub].Lk(ctx, c, fd, cmd, lk)
}

// Finodelk locks on the open file's subvolume (a directory's first child).
func (d *Distribute) Finodelk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error {
	if fd.Dir {
		return d.kids[d.dirFDFirst(fd)].Finodelk(ctx, c, domain, fd, cmd, lk)
	}
	sub, err := d.fdSub(fd)
	if err != nil {
		return err
	}
	return d.kids[sub].Finodelk(ctx, c, domain, fd, cmd, lk)
}

// Fentrylk locks a name of an open directory.
func (d *Distribute) Fentrylk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	return d.Entrylk(ctx, c, domain, &fd.Loc, basename, cmd, typ)
}
