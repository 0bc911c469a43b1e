package xlator

import "context"

// Fops is the set of file operations every translator answers. Names follow
// the system calls (and GlusterFS's fops). Each takes a context first and
// the caller's Call second, and returns errors that are or wrap a
// syscall.Errno.
type Fops interface {
	// Lookup resolves loc and returns its attributes. req names extra
	// values the caller wants back (internal xattrs, by their "loom."
	// names); the reply XData holds those that exist plus any facts the
	// leaf reports (see the posix translator's README).
	Lookup(ctx context.Context, c *Call, loc *Loc, req XData) (Stat, XData, error)
	Stat(ctx context.Context, c *Call, loc *Loc) (Stat, error)
	Fstat(ctx context.Context, c *Call, fd *FD) (Stat, error)
	Setattr(ctx context.Context, c *Call, loc *Loc, attr *SetAttr) (Stat, error)
	Fsetattr(ctx context.Context, c *Call, fd *FD, attr *SetAttr) (Stat, error)
	Truncate(ctx context.Context, c *Call, loc *Loc, size uint64) (Stat, error)
	Ftruncate(ctx context.Context, c *Call, fd *FD, size uint64) (Stat, error)
	Access(ctx context.Context, c *Call, loc *Loc, mask uint32) error
	Readlink(ctx context.Context, c *Call, loc *Loc) (string, error)

	Mknod(ctx context.Context, c *Call, loc *Loc, mode uint32, rdev uint64, umask uint32) (Stat, error)
	Mkdir(ctx context.Context, c *Call, loc *Loc, mode uint32, umask uint32) (Stat, error)
	Unlink(ctx context.Context, c *Call, loc *Loc) error
	Rmdir(ctx context.Context, c *Call, loc *Loc) error
	Symlink(ctx context.Context, c *Call, target string, loc *Loc, umask uint32) (Stat, error)
	// Rename moves oldLoc to newLoc; flags are RenameNoReplace or
	// RenameExchange (or 0).
	Rename(ctx context.Context, c *Call, oldLoc, newLoc *Loc, flags uint32) error
	// Link makes newLoc another name of oldLoc and returns its attributes.
	Link(ctx context.Context, c *Call, oldLoc, newLoc *Loc) (Stat, error)

	// Open opens fd.Loc with fd.Flags; state goes into fd with SetCtx.
	Open(ctx context.Context, c *Call, fd *FD) error
	// Create creates and opens fd.Loc (whose GFID is the one to assign).
	Create(ctx context.Context, c *Call, fd *FD, mode uint32, umask uint32) (Stat, error)
	// Read reads into dest at off and returns the byte count (0 at EOF).
	Read(ctx context.Context, c *Call, fd *FD, dest []byte, off int64) (int, error)
	Write(ctx context.Context, c *Call, fd *FD, data []byte, off int64) (int, error)
	Flush(ctx context.Context, c *Call, fd *FD) error
	Fsync(ctx context.Context, c *Call, fd *FD, datasync bool) error
	Release(ctx context.Context, c *Call, fd *FD) error
	Fallocate(ctx context.Context, c *Call, fd *FD, mode uint32, off, length int64) error
	Discard(ctx context.Context, c *Call, fd *FD, off, length int64) error
	Zerofill(ctx context.Context, c *Call, fd *FD, off, length int64) error
	// Seek answers lseek with SEEK_DATA or SEEK_HOLE (whence 3 or 4).
	Seek(ctx context.Context, c *Call, fd *FD, off int64, whence int) (int64, error)
	CopyFileRange(ctx context.Context, c *Call, in *FD, offIn int64, out *FD, offOut int64, length int64, flags uint32) (int64, error)

	Opendir(ctx context.Context, c *Call, fd *FD) error
	// Readdir returns entries after the cookie off (0: from the start),
	// about size bytes' worth; plus asks for attributes (readdirplus). An
	// empty result means the end of the directory.
	Readdir(ctx context.Context, c *Call, fd *FD, off uint64, size int, plus bool) ([]DirEntry, error)
	Fsyncdir(ctx context.Context, c *Call, fd *FD, datasync bool) error
	Releasedir(ctx context.Context, c *Call, fd *FD) error
	Statfs(ctx context.Context, c *Call, loc *Loc) (StatFS, error)

	Setxattr(ctx context.Context, c *Call, loc *Loc, name string, value []byte, flags int) error
	Getxattr(ctx context.Context, c *Call, loc *Loc, name string) ([]byte, error)
	Listxattr(ctx context.Context, c *Call, loc *Loc) ([]string, error)
	Removexattr(ctx context.Context, c *Call, loc *Loc, name string) error
	Fsetxattr(ctx context.Context, c *Call, fd *FD, name string, value []byte, flags int) error
	Fgetxattr(ctx context.Context, c *Call, fd *FD, name string) ([]byte, error)
	Flistxattr(ctx context.Context, c *Call, fd *FD) ([]string, error)
	Fremovexattr(ctx context.Context, c *Call, fd *FD, name string) error
	// Xattrop atomically applies op to each named xattr and returns the
	// new values (replicate's changelog).
	Xattrop(ctx context.Context, c *Call, loc *Loc, op XattropOp, xattrs XData) (XData, error)
	Fxattrop(ctx context.Context, c *Call, fd *FD, op XattropOp, xattrs XData) (XData, error)

	// Lk is a POSIX byte-range lock request on fd for c.LockOwner; for
	// LkGet the result is the conflicting lock, or one of type Unlock.
	Lk(ctx context.Context, c *Call, fd *FD, cmd LkCmd, lk Flock) (Flock, error)
	// Inodelk is an internal byte-range lock in a domain (cluster
	// translators' locks, invisible to applications). The domain may
	// join several (JoinLockDomains): the range is then locked, or
	// unlocked, in each of them by the one request.
	Inodelk(ctx context.Context, c *Call, domain string, loc *Loc, cmd LkCmd, lk Flock) error
	Finodelk(ctx context.Context, c *Call, domain string, fd *FD, cmd LkCmd, lk Flock) error
	// Entrylk locks the name basename in directory loc within a domain;
	// basename "" locks the whole directory.
	Entrylk(ctx context.Context, c *Call, domain string, loc *Loc, basename string, cmd EntrylkCmd, typ EntrylkType) error
	Fentrylk(ctx context.Context, c *Call, domain string, fd *FD, basename string, cmd EntrylkCmd, typ EntrylkType) error
}
