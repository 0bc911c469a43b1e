package errorgen

import (
	"context"

	"github.com/loom-fs/loom/xlator"
)

// Lookup fails when error-gen injects a failure into lookup, and is forwarded otherwise.
func (e *ErrorGen) Lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	if err := e.inject("lookup", loc.Path); err != nil {
		return xlator.Stat{}, nil, err
	}
	return e.Base.Lookup(ctx, c, loc, req)
}

// Stat fails when error-gen injects a failure into stat, and is forwarded otherwise.
func (e *ErrorGen) Stat(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	if err := e.inject("stat", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Stat(ctx, c, loc)
}

// Fstat fails when error-gen injects a failure into fstat, and is forwarded otherwise.
func (e *ErrorGen) Fstat(ctx context.Context, c *xlator.Call, fd *xlator.FD) (xlator.Stat, error) {
	if err := e.inject("fstat", fd.Loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Fstat(ctx, c, fd)
}

// Setattr fails when error-gen injects a failure into setattr, and is forwarded otherwise.
func (e *ErrorGen) Setattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, attr *xlator.SetAttr) (xlator.Stat, error) {
	if err := e.inject("setattr", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Setattr(ctx, c, loc, attr)
}

// Fsetattr fails when error-gen injects a failure into fsetattr, and is forwarded otherwise.
func (e *ErrorGen) Fsetattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, attr *xlator.SetAttr) (xlator.Stat, error) {
	if err := e.inject("fsetattr", fd.Loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Fsetattr(ctx, c, fd, attr)
}

// Truncate fails when error-gen injects a failure into truncate, and is forwarded otherwise.
func (e *ErrorGen) Truncate(ctx context.Context, c *xlator.Call, loc *xlator.Loc, size uint64) (xlator.Stat, error) {
	if err := e.inject("truncate", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Truncate(ctx, c, loc, size)
}

// Ftruncate fails when error-gen injects a failure into ftruncate, and is forwarded otherwise.
func (e *ErrorGen) Ftruncate(ctx context.Context, c *xlator.Call, fd *xlator.FD, size uint64) (xlator.Stat, error) {
	if err := e.inject("ftruncate", fd.Loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Ftruncate(ctx, c, fd, size)
}

// Access fails when error-gen injects a failure into access, and is forwarded otherwise.
func (e *ErrorGen) Access(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mask uint32) error {
	if err := e.inject("access", loc.Path); err != nil {
		return err
	}
	return e.Base.Access(ctx, c, loc, mask)
}

// Readlink fails when error-gen injects a failure into readlink, and is forwarded otherwise.
func (e *ErrorGen) Readlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (string, error) {
	if err := e.inject("readlink", loc.Path); err != nil {
		return "", err
	}
	return e.Base.Readlink(ctx, c, loc)
}

// Mknod fails when error-gen injects a failure into mknod, and is forwarded otherwise.
func (e *ErrorGen) Mknod(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, rdev uint64, umask uint32) (xlator.Stat, error) {
	if err := e.inject("mknod", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Mknod(ctx, c, loc, mode, rdev, umask)
}

// Mkdir fails when error-gen injects a failure into mkdir, and is forwarded otherwise.
func (e *ErrorGen) Mkdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, umask uint32) (xlator.Stat, error) {
	if err := e.inject("mkdir", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Mkdir(ctx, c, loc, mode, umask)
}

// Unlink fails when error-gen injects a failure into unlink, and is forwarded otherwise.
func (e *ErrorGen) Unlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	if err := e.inject("unlink", loc.Path); err != nil {
		return err
	}
	return e.Base.Unlink(ctx, c, loc)
}

// Rmdir fails when error-gen injects a failure into rmdir, and is forwarded otherwise.
func (e *ErrorGen) Rmdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	if err := e.inject("rmdir", loc.Path); err != nil {
		return err
	}
	return e.Base.Rmdir(ctx, c, loc)
}

// Symlink fails when error-gen injects a failure into symlink, and is forwarded otherwise.
func (e *ErrorGen) Symlink(ctx context.Context, c *xlator.Call, target string, loc *xlator.Loc, umask uint32) (xlator.Stat, error) {
	if err := e.inject("symlink", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Symlink(ctx, c, target, loc, umask)
}

// Rename fails when error-gen injects a failure into rename, and is forwarded otherwise.
func (e *ErrorGen) Rename(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc, flags uint32) error {
	if err := e.inject("rename", oldLoc.Path); err != nil {
		return err
	}
	return e.Base.Rename(ctx, c, oldLoc, newLoc, flags)
}

// Link fails when error-gen injects a failure into link, and is forwarded otherwise.
func (e *ErrorGen) Link(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc) (xlator.Stat, error) {
	if err := e.inject("link", oldLoc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Link(ctx, c, oldLoc, newLoc)
}

// Open fails when error-gen injects a failure into open, and is forwarded otherwise.
func (e *ErrorGen) Open(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if err := e.inject("open", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Open(ctx, c, fd)
}

// Create fails when error-gen injects a failure into create, and is forwarded otherwise.
func (e *ErrorGen) Create(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, umask uint32) (xlator.Stat, error) {
	if err := e.inject("create", fd.Loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return e.Base.Create(ctx, c, fd, mode, umask)
}

// Read fails when error-gen injects a failure into read, and is forwarded otherwise.
func (e *ErrorGen) Read(ctx context.Context, c *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	if err := e.inject("read", fd.Loc.Path); err != nil {
		return 0, err
	}
	return e.Base.Read(ctx, c, fd, dest, off)
}

// Write fails when error-gen injects a failure into write, and is forwarded otherwise.
func (e *ErrorGen) Write(ctx context.Context, c *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	if err := e.inject("write", fd.Loc.Path); err != nil {
		return 0, err
	}
	return e.Base.Write(ctx, c, fd, data, off)
}

// Flush fails when error-gen injects a failure into flush, and is forwarded otherwise.
func (e *ErrorGen) Flush(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if err := e.inject("flush", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Flush(ctx, c, fd)
}

// Fsync fails when error-gen injects a failure into fsync, and is forwarded otherwise.
func (e *ErrorGen) Fsync(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	if err := e.inject("fsync", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Fsync(ctx, c, fd, datasync)
}

// Release fails when error-gen injects a failure into release, and is forwarded otherwise.
func (e *ErrorGen) Release(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if err := e.inject("release", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Release(ctx, c, fd)
}

// Fallocate fails when error-gen injects a failure into fallocate, and is forwarded otherwise.
func (e *ErrorGen) Fallocate(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, off, length int64) error {
	if err := e.inject("fallocate", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Fallocate(ctx, c, fd, mode, off, length)
}

// Discard fails when error-gen injects a failure into discard, and is forwarded otherwise.
func (e *ErrorGen) Discard(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	if err := e.inject("discard", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Discard(ctx, c, fd, off, length)
}

// Zerofill fails when error-gen injects a failure into zerofill, and is forwarded otherwise.
func (e *ErrorGen) Zerofill(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	if err := e.inject("zerofill", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Zerofill(ctx, c, fd, off, length)
}

// Seek fails when error-gen injects a failure into seek, and is forwarded otherwise.
func (e *ErrorGen) Seek(ctx context.Context, c *xlator.Call, fd *xlator.FD, off int64, whence int) (int64, error) {
	if err := e.inject("seek", fd.Loc.Path); err != nil {
		return 0, err
	}
	return e.Base.Seek(ctx, c, fd, off, whence)
}

// CopyFileRange fails when error-gen injects a failure into copy_file_range, and is forwarded otherwise.
func (e *ErrorGen) CopyFileRange(ctx context.Context, c *xlator.Call, in *xlator.FD, offIn int64, out *xlator.FD, offOut int64, length int64, flags uint32) (int64, error) {
	if err := e.inject("copy_file_range", in.Loc.Path); err != nil {
		return 0, err
	}
	return e.Base.CopyFileRange(ctx, c, in, offIn, out, offOut, length, flags)
}

// Opendir fails when error-gen injects a failure into opendir, and is forwarded otherwise.
func (e *ErrorGen) Opendir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if err := e.inject("opendir", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Opendir(ctx, c, fd)
}

// Readdir fails when error-gen injects a failure into readdir, and is forwarded otherwise.
func (e *ErrorGen) Readdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) ([]xlator.DirEntry, error) {
	if err := e.inject("readdir", fd.Loc.Path); err != nil {
		return nil, err
	}
	return e.Base.Readdir(ctx, c, fd, off, size, plus)
}

// Fsyncdir fails when error-gen injects a failure into fsyncdir, and is forwarded otherwise.
func (e *ErrorGen) Fsyncdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	if err := e.inject("fsyncdir", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Fsyncdir(ctx, c, fd, datasync)
}

// Releasedir fails when error-gen injects a failure into releasedir, and is forwarded otherwise.
func (e *ErrorGen) Releasedir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if err := e.inject("releasedir", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Releasedir(ctx, c, fd)
}

// Statfs fails when error-gen injects a failure into statfs, and is forwarded otherwise.
func (e *ErrorGen) Statfs(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.StatFS, error) {
	if err := e.inject("statfs", loc.Path); err != nil {
		return xlator.StatFS{}, err
	}
	return e.Base.Statfs(ctx, c, loc)
}

// Setxattr fails when error-gen injects a failure into setxattr, and is forwarded otherwise.
func (e *ErrorGen) Setxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string, value []byte, flags int) error {
	if err := e.inject("setxattr", loc.Path); err != nil {
		return err
	}
	return e.Base.Setxattr(ctx, c, loc, name, value, flags)
}

// Getxattr fails when error-gen injects a failure into getxattr, and is forwarded otherwise.
func (e *ErrorGen) Getxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) ([]byte, error) {
	if err := e.inject("getxattr", loc.Path); err != nil {
		return nil, err
	}
	return e.Base.Getxattr(ctx, c, loc, name)
}

// Listxattr fails when error-gen injects a failure into listxattr, and is forwarded otherwise.
func (e *ErrorGen) Listxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc) ([]string, error) {
	if err := e.inject("listxattr", loc.Path); err != nil {
		return nil, err
	}
	return e.Base.Listxattr(ctx, c, loc)
}

// Removexattr fails when error-gen injects a failure into removexattr, and is forwarded otherwise.
func (e *ErrorGen) Removexattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) error {
	if err := e.inject("removexattr", loc.Path); err != nil {
		return err
	}
	return e.Base.Removexattr(ctx, c, loc, name)
}

// Fsetxattr fails when error-gen injects a failure into fsetxattr, and is forwarded otherwise.
func (e *ErrorGen) Fsetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string, value []byte, flags int) error {
	if err := e.inject("fsetxattr", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Fsetxattr(ctx, c, fd, name, value, flags)
}

// Fgetxattr fails when error-gen injects a failure into fgetxattr, and is forwarded otherwise.
func (e *ErrorGen) Fgetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) ([]byte, error) {
	if err := e.inject("fgetxattr", fd.Loc.Path); err != nil {
		return nil, err
	}
	return e.Base.Fgetxattr(ctx, c, fd, name)
}

// Flistxattr fails when error-gen injects a failure into flistxattr, and is forwarded otherwise.
func (e *ErrorGen) Flistxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD) ([]string, error) {
	if err := e.inject("flistxattr", fd.Loc.Path); err != nil {
		return nil, err
	}
	return e.Base.Flistxattr(ctx, c, fd)
}

// Fremovexattr fails when error-gen injects a failure into fremovexattr, and is forwarded otherwise.
func (e *ErrorGen) Fremovexattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) error {
	if err := e.inject("fremovexattr", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Fremovexattr(ctx, c, fd, name)
}

// Xattrop fails when error-gen injects a failure into xattrop, and is forwarded otherwise.
func (e *ErrorGen) Xattrop(ctx context.Context, c *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	if err := e.inject("xattrop", loc.Path); err != nil {
		return nil, err
	}
	return e.Base.Xattrop(ctx, c, loc, op, xattrs)
}

// Fxattrop fails when error-gen injects a failure into fxattrop, and is forwarded otherwise.
func (e *ErrorGen) Fxattrop(ctx context.Context, c *xlator.Call, fd *xlator.FD, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	if err := e.inject("fxattrop", fd.Loc.Path); err != nil {
		return nil, err
	}
	return e.Base.Fxattrop(ctx, c, fd, op, xattrs)
}

// Lk fails when error-gen injects a failure into lk, and is forwarded otherwise.
func (e *ErrorGen) Lk(ctx context.Context, c *xlator.Call, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) (xlator.Flock, error) {
	if err := e.inject("lk", fd.Loc.Path); err != nil {
		return xlator.Flock{}, err
	}
	return e.Base.Lk(ctx, c, fd, cmd, lk)
}

// Inodelk fails when error-gen injects a failure into inodelk, and is forwarded otherwise.
func (e *ErrorGen) Inodelk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, cmd xlator.LkCmd, lk xlator.Flock) error {
	if err := e.inject("inodelk", loc.Path); err != nil {
		return err
	}
	return e.Base.Inodelk(ctx, c, domain, loc, cmd, lk)
}

// Finodelk fails when error-gen injects a failure into finodelk, and is forwarded otherwise.
func (e *ErrorGen) Finodelk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error {
	if err := e.inject("finodelk", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Finodelk(ctx, c, domain, fd, cmd, lk)
}

// Entrylk fails when error-gen injects a failure into entrylk, and is forwarded otherwise.
func (e *ErrorGen) Entrylk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	if err := e.inject("entrylk", loc.Path); err != nil {
		return err
	}
	return e.Base.Entrylk(ctx, c, domain, loc, basename, cmd, typ)
}

// Fentrylk fails when error-gen injects a failure into fentrylk, and is forwarded otherwise.
func (e *ErrorGen) Fentrylk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	if err := e.inject("fentrylk", fd.Loc.Path); err != nil {
		return err
	}
	return e.Base.Fentrylk(ctx, c, domain, fd, basename, cmd, typ)
}
