// liveTop's fops: each passes to the current generation's top, the FD
// fops to the generation the FD is open on (reopened on the current one
// first after a switch). Open, Create, Opendir, Release and Releasedir
// are in switch.go.

package fuse

import (
	"context"

	"github.com/loom-fs/loom/xlator"
)

// Lookup passes the call to the current top (see liveTop).
func (l *liveTop) Lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Lookup(ctx, c, loc, req)
}

// Stat passes the call to the current top (see liveTop).
func (l *liveTop) Stat(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Stat(ctx, c, loc)
}

// Fstat passes the call to the current top (see liveTop).
func (l *liveTop) Fstat(ctx context.Context, c *xlator.Call, fd *xlator.FD) (xlator.Stat, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return xlator.Stat{}, err
	}
	defer done()
	return g.top.Fstat(ctx, c, fd)
}

// Setattr passes the call to the current top (see liveTop).
func (l *liveTop) Setattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, attr *xlator.SetAttr) (xlator.Stat, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Setattr(ctx, c, loc, attr)
}

// Fsetattr passes the call to the current top (see liveTop).
func (l *liveTop) Fsetattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, attr *xlator.SetAttr) (xlator.Stat, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return xlator.Stat{}, err
	}
	defer done()
	return g.top.Fsetattr(ctx, c, fd, attr)
}

// Truncate passes the call to the current top (see liveTop).
func (l *liveTop) Truncate(ctx context.Context, c *xlator.Call, loc *xlator.Loc, size uint64) (xlator.Stat, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Truncate(ctx, c, loc, size)
}

// Ftruncate passes the call to the current top (see liveTop).
func (l *liveTop) Ftruncate(ctx context.Context, c *xlator.Call, fd *xlator.FD, size uint64) (xlator.Stat, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return xlator.Stat{}, err
	}
	defer done()
	return g.top.Ftruncate(ctx, c, fd, size)
}

// Access passes the call to the current top (see liveTop).
func (l *liveTop) Access(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mask uint32) error {
	g := l.enter()
	defer l.leave(g)
	return g.top.Access(ctx, c, loc, mask)
}

// Readlink passes the call to the current top (see liveTop).
func (l *liveTop) Readlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (string, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Readlink(ctx, c, loc)
}

// Mknod passes the call to the current top (see liveTop).
func (l *liveTop) Mknod(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, rdev uint64, umask uint32) (xlator.Stat, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Mknod(ctx, c, loc, mode, rdev, umask)
}

// Mkdir passes the call to the current top (see liveTop).
func (l *liveTop) Mkdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, umask uint32) (xlator.Stat, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Mkdir(ctx, c, loc, mode, umask)
}

// Unlink passes the call to the current top (see liveTop).
func (l *liveTop) Unlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	g := l.enter()
	defer l.leave(g)
	return g.top.Unlink(ctx, c, loc)
}

// Rmdir passes the call to the current top (see liveTop).
func (l *liveTop) Rmdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	g := l.enter()
	defer l.leave(g)
	return g.top.Rmdir(ctx, c, loc)
}

// Symlink passes the call to the current top (see liveTop).
func (l *liveTop) Symlink(ctx context.Context, c *xlator.Call, target string, loc *xlator.Loc, umask uint32) (xlator.Stat, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Symlink(ctx, c, target, loc, umask)
}

// Rename passes the call to the current top (see liveTop).
func (l *liveTop) Rename(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc, flags uint32) error {
	g := l.enter()
	defer l.leave(g)
	return g.top.Rename(ctx, c, oldLoc, newLoc, flags)
}

// Link passes the call to the current top (see liveTop).
func (l *liveTop) Link(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc) (xlator.Stat, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Link(ctx, c, oldLoc, newLoc)
}

// Read passes the call to the current top (see liveTop).
func (l *liveTop) Read(ctx context.Context, c *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return 0, err
	}
	defer done()
	return g.top.Read(ctx, c, fd, dest, off)
}

// Write passes the call to the current top (see liveTop).
func (l *liveTop) Write(ctx context.Context, c *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return 0, err
	}
	defer done()
	return g.top.Write(ctx, c, fd, data, off)
}

// Flush passes the call to the current top (see liveTop).
func (l *liveTop) Flush(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Flush(ctx, c, fd)
}

// Fsync passes the call to the current top (see liveTop).
func (l *liveTop) Fsync(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Fsync(ctx, c, fd, datasync)
}

// Fallocate passes the call to the current top (see liveTop).
func (l *liveTop) Fallocate(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, off, length int64) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Fallocate(ctx, c, fd, mode, off, length)
}

// Discard passes the call to the current top (see liveTop).
func (l *liveTop) Discard(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Discard(ctx, c, fd, off, length)
}

// Zerofill passes the call to the current top (see liveTop).
func (l *liveTop) Zerofill(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Zerofill(ctx, c, fd, off, length)
}

// Seek passes the call to the current top (see liveTop).
func (l *liveTop) Seek(ctx context.Context, c *xlator.Call, fd *xlator.FD, off int64, whence int) (int64, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return 0, err
	}
	defer done()
	return g.top.Seek(ctx, c, fd, off, whence)
}

// CopyFileRange passes the call to the current top (see liveTop).
func (l *liveTop) CopyFileRange(ctx context.Context, c *xlator.Call, in *xlator.FD, offIn int64, out *xlator.FD, offOut int64, length int64, flags uint32) (int64, error) {
	g, done, err := l.enterFD(ctx, c, in)
	if err != nil {
		return 0, err
	}
	defer done()
	if out != in {
		_, done2, err := l.enterFD(ctx, c, out)
		if err != nil {
			return 0, err
		}
		defer done2()
	}
	return g.top.CopyFileRange(ctx, c, in, offIn, out, offOut, length, flags)
}

// Readdir passes the call to the current top (see liveTop).
func (l *liveTop) Readdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) ([]xlator.DirEntry, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return nil, err
	}
	defer done()
	return g.top.Readdir(ctx, c, fd, off, size, plus)
}

// Fsyncdir passes the call to the current top (see liveTop).
func (l *liveTop) Fsyncdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Fsyncdir(ctx, c, fd, datasync)
}

// Statfs passes the call to the current top (see liveTop).
func (l *liveTop) Statfs(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.StatFS, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Statfs(ctx, c, loc)
}

// Setxattr passes the call to the current top (see liveTop).
func (l *liveTop) Setxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string, value []byte, flags int) error {
	g := l.enter()
	defer l.leave(g)
	return g.top.Setxattr(ctx, c, loc, name, value, flags)
}

// Getxattr passes the call to the current top (see liveTop).
func (l *liveTop) Getxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) ([]byte, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Getxattr(ctx, c, loc, name)
}

// Listxattr passes the call to the current top (see liveTop).
func (l *liveTop) Listxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc) ([]string, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Listxattr(ctx, c, loc)
}

// Removexattr passes the call to the current top (see liveTop).
func (l *liveTop) Removexattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) error {
	g := l.enter()
	defer l.leave(g)
	return g.top.Removexattr(ctx, c, loc, name)
}

// Fsetxattr passes the call to the current top (see liveTop).
func (l *liveTop) Fsetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string, value []byte, flags int) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Fsetxattr(ctx, c, fd, name, value, flags)
}

// Fgetxattr passes the call to the current top (see liveTop).
func (l *liveTop) Fgetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) ([]byte, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return nil, err
	}
	defer done()
	return g.top.Fgetxattr(ctx, c, fd, name)
}

// Flistxattr passes the call to the current top (see liveTop).
func (l *liveTop) Flistxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD) ([]string, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return nil, err
	}
	defer done()
	return g.top.Flistxattr(ctx, c, fd)
}

// Fremovexattr passes the call to the current top (see liveTop).
func (l *liveTop) Fremovexattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Fremovexattr(ctx, c, fd, name)
}

// Xattrop passes the call to the current top (see liveTop).
func (l *liveTop) Xattrop(ctx context.Context, c *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	g := l.enter()
	defer l.leave(g)
	return g.top.Xattrop(ctx, c, loc, op, xattrs)
}

// Fxattrop passes the call to the current top (see liveTop).
func (l *liveTop) Fxattrop(ctx context.Context, c *xlator.Call, fd *xlator.FD, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return nil, err
	}
	defer done()
	return g.top.Fxattrop(ctx, c, fd, op, xattrs)
}

// Lk passes the call to the current top (see liveTop).
func (l *liveTop) Lk(ctx context.Context, c *xlator.Call, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) (xlator.Flock, error) {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return xlator.Flock{}, err
	}
	defer done()
	return g.top.Lk(ctx, c, fd, cmd, lk)
}

// Inodelk passes the call to the current top (see liveTop).
func (l *liveTop) Inodelk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, cmd xlator.LkCmd, lk xlator.Flock) error {
	g := l.enter()
	defer l.leave(g)
	return g.top.Inodelk(ctx, c, domain, loc, cmd, lk)
}

// Finodelk passes the call to the current top (see liveTop).
func (l *liveTop) Finodelk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Finodelk(ctx, c, domain, fd, cmd, lk)
}

// Entrylk passes the call to the current top (see liveTop).
func (l *liveTop) Entrylk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	g := l.enter()
	defer l.leave(g)
	return g.top.Entrylk(ctx, c, domain, loc, basename, cmd, typ)
}

// Fentrylk passes the call to the current top (see liveTop).
func (l *liveTop) Fentrylk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	g, done, err := l.enterFD(ctx, c, fd)
	if err != nil {
		return err
	}
	defer done()
	return g.top.Fentrylk(ctx, c, domain, fd, basename, cmd, typ)
}
