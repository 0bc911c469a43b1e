package xlator

import (
	"context"
	"syscall"
)

// Base is the passthrough translator (GlusterFS's default_* fops): every
// fop goes to the first child unchanged. Embed it and override what changes.
type Base struct {
	Node
}

// NewBase returns the Base for a translator built from cfg.
func NewBase(cfg *Config) Base { return Base{Node: newNode(cfg)} }

// Lookup passes the call to the first child.
func (b *Base) Lookup(ctx context.Context, c *Call, loc *Loc, req XData) (Stat, XData, error) {
	if len(b.children) == 0 {
		return Stat{}, nil, syscall.ENOTCONN
	}
	return b.children[0].Lookup(ctx, c, loc, req)
}

// Stat passes the call to the first child.
func (b *Base) Stat(ctx context.Context, c *Call, loc *Loc) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Stat(ctx, c, loc)
}

// Fstat passes the call to the first child.
func (b *Base) Fstat(ctx context.Context, c *Call, fd *FD) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Fstat(ctx, c, fd)
}

// Setattr passes the call to the first child.
func (b *Base) Setattr(ctx context.Context, c *Call, loc *Loc, attr *SetAttr) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Setattr(ctx, c, loc, attr)
}

// Fsetattr passes the call to the first child.
func (b *Base) Fsetattr(ctx context.Context, c *Call, fd *FD, attr *SetAttr) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Fsetattr(ctx, c, fd, attr)
}

// Truncate passes the call to the first child.
func (b *Base) Truncate(ctx context.Context, c *Call, loc *Loc, size uint64) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Truncate(ctx, c, loc, size)
}

// Ftruncate passes the call to the first child.
func (b *Base) Ftruncate(ctx context.Context, c *Call, fd *FD, size uint64) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Ftruncate(ctx, c, fd, size)
}

// Access passes the call to the first child.
func (b *Base) Access(ctx context.Context, c *Call, loc *Loc, mask uint32) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Access(ctx, c, loc, mask)
}

// Readlink passes the call to the first child.
func (b *Base) Readlink(ctx context.Context, c *Call, loc *Loc) (string, error) {
	if len(b.children) == 0 {
		return "", syscall.ENOTCONN
	}
	return b.children[0].Readlink(ctx, c, loc)
}

// Mknod passes the call to the first child.
func (b *Base) Mknod(ctx context.Context, c *Call, loc *Loc, mode uint32, rdev uint64, umask uint32) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Mknod(ctx, c, loc, mode, rdev, umask)
}

// Mkdir passes the call to the first child.
func (b *Base) Mkdir(ctx context.Context, c *Call, loc *Loc, mode uint32, umask uint32) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Mkdir(ctx, c, loc, mode, umask)
}

// Unlink passes the call to the first child.
func (b *Base) Unlink(ctx context.Context, c *Call, loc *Loc) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Unlink(ctx, c, loc)
}

// Rmdir passes the call to the first child.
func (b *Base) Rmdir(ctx context.Context, c *Call, loc *Loc) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Rmdir(ctx, c, loc)
}

// Symlink passes the call to the first child.
func (b *Base) Symlink(ctx context.Context, c *Call, target string, loc *Loc, umask uint32) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Symlink(ctx, c, target, loc, umask)
}

// Rename passes the call to the first child.
func (b *Base) Rename(ctx context.Context, c *Call, oldLoc, newLoc *Loc, flags uint32) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Rename(ctx, c, oldLoc, newLoc, flags)
}

// Link passes the call to the first child.
func (b *Base) Link(ctx context.Context, c *Call, oldLoc, newLoc *Loc) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Link(ctx, c, oldLoc, newLoc)
}

// Open passes the call to the first child.
func (b *Base) Open(ctx context.Context, c *Call, fd *FD) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Open(ctx, c, fd)
}

// Create passes the call to the first child.
func (b *Base) Create(ctx context.Context, c *Call, fd *FD, mode uint32, umask uint32) (Stat, error) {
	if len(b.children) == 0 {
		return Stat{}, syscall.ENOTCONN
	}
	return b.children[0].Create(ctx, c, fd, mode, umask)
}

// Read passes the call to the first child.
func (b *Base) Read(ctx context.Context, c *Call, fd *FD, dest []byte, off int64) (int, error) {
	if len(b.children) == 0 {
		return 0, syscall.ENOTCONN
	}
	return b.children[0].Read(ctx, c, fd, dest, off)
}

// Write passes the call to the first child.
func (b *Base) Write(ctx context.Context, c *Call, fd *FD, data []byte, off int64) (int, error) {
	if len(b.children) == 0 {
		return 0, syscall.ENOTCONN
	}
	return b.children[0].Write(ctx, c, fd, data, off)
}

// Flush passes the call to the first child.
func (b *Base) Flush(ctx context.Context, c *Call, fd *FD) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Flush(ctx, c, fd)
}

// Fsync passes the call to the first child.
func (b *Base) Fsync(ctx context.Context, c *Call, fd *FD, datasync bool) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Fsync(ctx, c, fd, datasync)
}

// Release passes the call to the first child.
func (b *Base) Release(ctx context.Context, c *Call, fd *FD) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Release(ctx, c, fd)
}

// Fallocate passes the call to the first child.
func (b *Base) Fallocate(ctx context.Context, c *Call, fd *FD, mode uint32, off, length int64) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Fallocate(ctx, c, fd, mode, off, length)
}

// Discard passes the call to the first child.
func (b *Base) Discard(ctx context.Context, c *Call, fd *FD, off, length int64) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Discard(ctx, c, fd, off, length)
}

// Zerofill passes the call to the first child.
func (b *Base) Zerofill(ctx context.Context, c *Call, fd *FD, off, length int64) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Zerofill(ctx, c, fd, off, length)
}

// Seek passes the call to the first child.
func (b *Base) Seek(ctx context.Context, c *Call, fd *FD, off int64, whence int) (int64, error) {
	if len(b.children) == 0 {
		return 0, syscall.ENOTCONN
	}
	return b.children[0].Seek(ctx, c, fd, off, whence)
}

// CopyFileRange passes the call to the first child.
func (b *Base) CopyFileRange(ctx context.Context, c *Call, in *FD, offIn int64, out *FD, offOut int64, length int64, flags uint32) (int64, error) {
	if len(b.children) == 0 {
		return 0, syscall.ENOTCONN
	}
	return b.children[0].CopyFileRange(ctx, c, in, offIn, out, offOut, length, flags)
}

// Opendir passes the call to the first child.
func (b *Base) Opendir(ctx context.Context, c *Call, fd *FD) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Opendir(ctx, c, fd)
}

// Readdir passes the call to the first child.
func (b *Base) Readdir(ctx context.Context, c *Call, fd *FD, off uint64, size int, plus bool) ([]DirEntry, error) {
	if len(b.children) == 0 {
		return nil, syscall.ENOTCONN
	}
	return b.children[0].Readdir(ctx, c, fd, off, size, plus)
}

// Fsyncdir passes the call to the first child.
func (b *Base) Fsyncdir(ctx context.Context, c *Call, fd *FD, datasync bool) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Fsyncdir(ctx, c, fd, datasync)
}

// Releasedir passes the call to the first child.
func (b *Base) Releasedir(ctx context.Context, c *Call, fd *FD) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Releasedir(ctx, c, fd)
}

// Statfs passes the call to the first child.
func (b *Base) Statfs(ctx context.Context, c *Call, loc *Loc) (StatFS, error) {
	if len(b.children) == 0 {
		return StatFS{}, syscall.ENOTCONN
	}
	return b.children[0].Statfs(ctx, c, loc)
}

// Setxattr passes the call to the first child.
func (b *Base) Setxattr(ctx context.Context, c *Call, loc *Loc, name string, value []byte, flags int) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Setxattr(ctx, c, loc, name, value, flags)
}

// Getxattr passes the call to the first child.
func (b *Base) Getxattr(ctx context.Context, c *Call, loc *Loc, name string) ([]byte, error) {
	if len(b.children) == 0 {
		return nil, syscall.ENOTCONN
	}
	return b.children[0].Getxattr(ctx, c, loc, name)
}

// Listxattr passes the call to the first child.
func (b *Base) Listxattr(ctx context.Context, c *Call, loc *Loc) ([]string, error) {
	if len(b.children) == 0 {
		return nil, syscall.ENOTCONN
	}
	return b.children[0].Listxattr(ctx, c, loc)
}

// Removexattr passes the call to the first child.
func (b *Base) Removexattr(ctx context.Context, c *Call, loc *Loc, name string) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Removexattr(ctx, c, loc, name)
}

// Fsetxattr passes the call to the first child.
func (b *Base) Fsetxattr(ctx context.Context, c *Call, fd *FD, name string, value []byte, flags int) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Fsetxattr(ctx, c, fd, name, value, flags)
}

// Fgetxattr passes the call to the first child.
func (b *Base) Fgetxattr(ctx context.Context, c *Call, fd *FD, name string) ([]byte, error) {
	if len(b.children) == 0 {
		return nil, syscall.ENOTCONN
	}
	return b.children[0].Fgetxattr(ctx, c, fd, name)
}

// Flistxattr passes the call to the first child.
func (b *Base) Flistxattr(ctx context.Context, c *Call, fd *FD) ([]string, error) {
	if len(b.children) == 0 {
		return nil, syscall.ENOTCONN
	}
	return b.children[0].Flistxattr(ctx, c, fd)
}

// Fremovexattr passes the call to the first child.
func (b *Base) Fremovexattr(ctx context.Context, c *Call, fd *FD, name string) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Fremovexattr(ctx, c, fd, name)
}

// Xattrop passes the call to the first child.
func (b *Base) Xattrop(ctx context.Context, c *Call, loc *Loc, op XattropOp, xattrs XData) (XData, error) {
	if len(b.children) == 0 {
		return nil, syscall.ENOTCONN
	}
	return b.children[0].Xattrop(ctx, c, loc, op, xattrs)
}

// Fxattrop passes the call to the first child.
func (b *Base) Fxattrop(ctx context.Context, c *Call, fd *FD, op XattropOp, xattrs XData) (XData, error) {
	if len(b.children) == 0 {
		return nil, syscall.ENOTCONN
	}
	return b.children[0].Fxattrop(ctx, c, fd, op, xattrs)
}

// Lk passes the call to the first child.
func (b *Base) Lk(ctx context.Context, c *Call, fd *FD, cmd LkCmd, lk Flock) (Flock, error) {
	if len(b.children) == 0 {
		return Flock{}, syscall.ENOTCONN
	}
	return b.children[0].Lk(ctx, c, fd, cmd, lk)
}

// Inodelk passes the call to the first child.
func (b *Base) Inodelk(ctx context.Context, c *Call, domain string, loc *Loc, cmd LkCmd, lk Flock) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Inodelk(ctx, c, domain, loc, cmd, lk)
}

// Finodelk passes the call to the first child.
func (b *Base) Finodelk(ctx context.Context, c *Call, domain string, fd *FD, cmd LkCmd, lk Flock) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Finodelk(ctx, c, domain, fd, cmd, lk)
}

// Entrylk passes the call to the first child.
func (b *Base) Entrylk(ctx context.Context, c *Call, domain string, loc *Loc, basename string, cmd EntrylkCmd, typ EntrylkType) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Entrylk(ctx, c, domain, loc, basename, cmd, typ)
}

// Fentrylk passes the call to the first child.
func (b *Base) Fentrylk(ctx context.Context, c *Call, domain string, fd *FD, basename string, cmd EntrylkCmd, typ EntrylkType) error {
	if len(b.children) == 0 {
		return syscall.ENOTCONN
	}
	return b.children[0].Fentrylk(ctx, c, domain, fd, basename, cmd, typ)
}
