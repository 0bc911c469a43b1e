package xlator

import (
	"context"
	"syscall"
)

// Leaf is the starting point of a translator that stores data itself or
// must see every fop: every fop it does not override fails with ENOTSUP.
type Leaf struct {
	Node
}

// NewLeaf returns the Leaf for a translator built from cfg.
func NewLeaf(cfg *Config) Leaf { return Leaf{Node: newNode(cfg)} }

// Lookup is not supported by this translator.
func (l *Leaf) Lookup(ctx context.Context, c *Call, loc *Loc, req XData) (Stat, XData, error) {
	return Stat{}, nil, syscall.ENOTSUP
}

// Stat is not supported by this translator.
func (l *Leaf) Stat(ctx context.Context, c *Call, loc *Loc) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Fstat is not supported by this translator.
func (l *Leaf) Fstat(ctx context.Context, c *Call, fd *FD) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Setattr is not supported by this translator.
func (l *Leaf) Setattr(ctx context.Context, c *Call, loc *Loc, attr *SetAttr) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Fsetattr is not supported by this translator.
func (l *Leaf) Fsetattr(ctx context.Context, c *Call, fd *FD, attr *SetAttr) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Truncate is not supported by this translator.
func (l *Leaf) Truncate(ctx context.Context, c *Call, loc *Loc, size uint64) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Ftruncate is not supported by this translator.
func (l *Leaf) Ftruncate(ctx context.Context, c *Call, fd *FD, size uint64) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Access is not supported by this translator.
func (l *Leaf) Access(ctx context.Context, c *Call, loc *Loc, mask uint32) error {
	return syscall.ENOTSUP
}

// Readlink is not supported by this translator.
func (l *Leaf) Readlink(ctx context.Context, c *Call, loc *Loc) (string, error) {
	return "", syscall.ENOTSUP
}

// Mknod is not supported by this translator.
func (l *Leaf) Mknod(ctx context.Context, c *Call, loc *Loc, mode uint32, rdev uint64, umask uint32) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Mkdir is not supported by this translator.
func (l *Leaf) Mkdir(ctx context.Context, c *Call, loc *Loc, mode uint32, umask uint32) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Unlink is not supported by this translator.
func (l *Leaf) Unlink(ctx context.Context, c *Call, loc *Loc) error {
	return syscall.ENOTSUP
}

// Rmdir is not supported by this translator.
func (l *Leaf) Rmdir(ctx context.Context, c *Call, loc *Loc) error {
	return syscall.ENOTSUP
}

// Symlink is not supported by this translator.
func (l *Leaf) Symlink(ctx context.Context, c *Call, target string, loc *Loc, umask uint32) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Rename is not supported by this translator.
func (l *Leaf) Rename(ctx context.Context, c *Call, oldLoc, newLoc *Loc, flags uint32) error {
	return syscall.ENOTSUP
}

// Link is not supported by this translator.
func (l *Leaf) Link(ctx context.Context, c *Call, oldLoc, newLoc *Loc) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Open is not supported by this translator.
func (l *Leaf) Open(ctx context.Context, c *Call, fd *FD) error {
	return syscall.ENOTSUP
}

// Create is not supported by this translator.
func (l *Leaf) Create(ctx context.Context, c *Call, fd *FD, mode uint32, umask uint32) (Stat, error) {
	return Stat{}, syscall.ENOTSUP
}

// Read is not supported by this translator.
func (l *Leaf) Read(ctx context.Context, c *Call, fd *FD, dest []byte, off int64) (int, error) {
	return 0, syscall.ENOTSUP
}

// Write is not supported by this translator.
func (l *Leaf) Write(ctx context.Context, c *Call, fd *FD, data []byte, off int64) (int, error) {
	return 0, syscall.ENOTSUP
}

// Flush is not supported by this translator.
func (l *Leaf) Flush(ctx context.Context, c *Call, fd *FD) error {
	return syscall.ENOTSUP
}

// Fsync is not supported by this translator.
func (l *Leaf) Fsync(ctx context.Context, c *Call, fd *FD, datasync bool) error {
	return syscall.ENOTSUP
}

// Release is not supported by this translator.
func (l *Leaf) Release(ctx context.Context, c *Call, fd *FD) error {
	return syscall.ENOTSUP
}

// Fallocate is not supported by this translator.
func (l *Leaf) Fallocate(ctx context.Context, c *Call, fd *FD, mode uint32, off, length int64) error {
	return syscall.ENOTSUP
}

// Discard is not supported by this translator.
func (l *Leaf) Discard(ctx context.Context, c *Call, fd *FD, off, length int64) error {
	return syscall.ENOTSUP
}

// Zerofill is not supported by this translator.
func (l *Leaf) Zerofill(ctx context.Context, c *Call, fd *FD, off, length int64) error {
	return syscall.ENOTSUP
}

// Seek is not supported by this translator.
func (l *Leaf) Seek(ctx context.Context, c *Call, fd *FD, off int64, whence int) (int64, error) {
	return 0, syscall.ENOTSUP
}

// CopyFileRange is not supported by this translator.
func (l *Leaf) CopyFileRange(ctx context.Context, c *Call, in *FD, offIn int64, out *FD, offOut int64, length int64, flags uint32) (int64, error) {
	return 0, syscall.ENOTSUP
}

// Opendir is not supported by this translator.
func (l *Leaf) Opendir(ctx context.Context, c *Call, fd *FD) error {
	return syscall.ENOTSUP
}

// Readdir is not supported by this translator.
func (l *Leaf) Readdir(ctx context.Context, c *Call, fd *FD, off uint64, size int, plus bool) ([]DirEntry, error) {
	return nil, syscall.ENOTSUP
}

// Fsyncdir is not supported by this translator.
func (l *Leaf) Fsyncdir(ctx context.Context, c *Call, fd *FD, datasync bool) error {
	return syscall.ENOTSUP
}

// Releasedir is not supported by this translator.
func (l *Leaf) Releasedir(ctx context.Context, c *Call, fd *FD) error {
	return syscall.ENOTSUP
}

// Statfs is not supported by this translator.
func (l *Leaf) Statfs(ctx context.Context, c *Call, loc *Loc) (StatFS, error) {
	return StatFS{}, syscall.ENOTSUP
}

// Setxattr is not supported by this translator.
func (l *Leaf) Setxattr(ctx context.Context, c *Call, loc *Loc, name string, value []byte, flags int) error {
	return syscall.ENOTSUP
}

// Getxattr is not supported by this translator.
func (l *Leaf) Getxattr(ctx context.Context, c *Call, loc *Loc, name string) ([]byte, error) {
	return nil, syscall.ENOTSUP
}

// Listxattr is not supported by this translator.
func (l *Leaf) Listxattr(ctx context.Context, c *Call, loc *Loc) ([]string, error) {
	return nil, syscall.ENOTSUP
}

// Removexattr is not supported by this translator.
func (l *Leaf) Removexattr(ctx context.Context, c *Call, loc *Loc, name string) error {
	return syscall.ENOTSUP
}

// Fsetxattr is not supported by this translator.
func (l *Leaf) Fsetxattr(ctx context.Context, c *Call, fd *FD, name string, value []byte, flags int) error {
	return syscall.ENOTSUP
}

// Fgetxattr is not supported by this translator.
func (l *Leaf) Fgetxattr(ctx context.Context, c *Call, fd *FD, name string) ([]byte, error) {
	return nil, syscall.ENOTSUP
}

// Flistxattr is not supported by this translator.
func (l *Leaf) Flistxattr(ctx context.Context, c *Call, fd *FD) ([]string, error) {
	return nil, syscall.ENOTSUP
}

// Fremovexattr is not supported by this translator.
func (l *Leaf) Fremovexattr(ctx context.Context, c *Call, fd *FD, name string) error {
	return syscall.ENOTSUP
}

// Xattrop is not supported by this translator.
func (l *Leaf) Xattrop(ctx context.Context, c *Call, loc *Loc, op XattropOp, xattrs XData) (XData, error) {
	return nil, syscall.ENOTSUP
}

// Fxattrop is not supported by this translator.
func (l *Leaf) Fxattrop(ctx context.Context, c *Call, fd *FD, op XattropOp, xattrs XData) (XData, error) {
	return nil, syscall.ENOTSUP
}

// Lk is not supported by this translator.
func (l *Leaf) Lk(ctx context.Context, c *Call, fd *FD, cmd LkCmd, lk Flock) (Flock, error) {
	return Flock{}, syscall.ENOTSUP
}

// Inodelk is not supported by this translator.
func (l *Leaf) Inodelk(ctx context.Context, c *Call, domain string, loc *Loc, cmd LkCmd, lk Flock) error {
	return syscall.ENOTSUP
}

// Finodelk is not supported by this translator.
func (l *Leaf) Finodelk(ctx context.Context, c *Call, domain string, fd *FD, cmd LkCmd, lk Flock) error {
	return syscall.ENOTSUP
}

// Entrylk is not supported by this translator.
func (l *Leaf) Entrylk(ctx context.Context, c *Call, domain string, loc *Loc, basename string, cmd EntrylkCmd, typ EntrylkType) error {
	return syscall.ENOTSUP
}

// Fentrylk is not supported by this translator.
func (l *Leaf) Fentrylk(ctx context.Context, c *Call, domain string, fd *FD, basename string, cmd EntrylkCmd, typ EntrylkType) error {
	return syscall.ENOTSUP
}
