package readonly

import (
	"context"

	"github.com/loom-fs/loom/xlator"
)

// The modifying fops: each fails with EROFS while read-only is on, and is
// passed to the subvolume otherwise.

// Setattr is refused.
func (r *ReadOnly) Setattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, attr *xlator.SetAttr) (xlator.Stat, error) {
	if err := r.refuse("setattr", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return r.Base.Setattr(ctx, c, loc, attr)
}

// Fsetattr is refused.
func (r *ReadOnly) Fsetattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, attr *xlator.SetAttr) (xlator.Stat, error) {
	if err := r.refuse("fsetattr", fd.Loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return r.Base.Fsetattr(ctx, c, fd, attr)
}

// Truncate is refused.
func (r *ReadOnly) Truncate(ctx context.Context, c *xlator.Call, loc *xlator.Loc, size uint64) (xlator.Stat, error) {
	if err := r.refuse("truncate", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return r.Base.Truncate(ctx, c, loc, size)
}

// Ftruncate is refused.
func (r *ReadOnly) Ftruncate(ctx context.Context, c *xlator.Call, fd *xlator.FD, size uint64) (xlator.Stat, error) {
	if err := r.refuse("ftruncate", fd.Loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return r.Base.Ftruncate(ctx, c, fd, size)
}

// Mknod is refused.
func (r *ReadOnly) Mknod(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, rdev uint64, umask uint32) (xlator.Stat, error) {
	if err := r.refuse("mknod", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return r.Base.Mknod(ctx, c, loc, mode, rdev, umask)
}

// Mkdir is refused.
func (r *ReadOnly) Mkdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, umask uint32) (xlator.Stat, error) {
	if err := r.refuse("mkdir", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return r.Base.Mkdir(ctx, c, loc, mode, umask)
}

// Unlink is refused.
func (r *ReadOnly) Unlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	if err := r.refuse("unlink", loc.Path); err != nil {
		return err
	}
	return r.Base.Unlink(ctx, c, loc)
}

// Rmdir is refused.
func (r *ReadOnly) Rmdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	if err := r.refuse("rmdir", loc.Path); err != nil {
		return err
	}
	return r.Base.Rmdir(ctx, c, loc)
}

// Symlink is refused.
func (r *ReadOnly) Symlink(ctx context.Context, c *xlator.Call, target string, loc *xlator.Loc, umask uint32) (xlator.Stat, error) {
	if err := r.refuse("symlink", loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return r.Base.Symlink(ctx, c, target, loc, umask)
}

// Rename is refused.
func (r *ReadOnly) Rename(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc, flags uint32) error {
	if err := r.refuse("rename", oldLoc.Path); err != nil {
		return err
	}
	return r.Base.Rename(ctx, c, oldLoc, newLoc, flags)
}

// Link is refused.
func (r *ReadOnly) Link(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc) (xlator.Stat, error) {
	if err := r.refuse("link", newLoc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return r.Base.Link(ctx, c, oldLoc, newLoc)
}

// Create is refused.
func (r *ReadOnly) Create(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, umask uint32) (xlator.Stat, error) {
	if err := r.refuse("create", fd.Loc.Path); err != nil {
		return xlator.Stat{}, err
	}
	return r.Base.Create(ctx, c, fd, mode, umask)
}

// Write is refused.
func (r *ReadOnly) Write(ctx context.Context, c *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	if err := r.refuse("write", fd.Loc.Path); err != nil {
		return 0, err
	}
	return r.Base.Write(ctx, c, fd, data, off)
}

// Fallocate is refused.
func (r *ReadOnly) Fallocate(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, off, length int64) error {
	if err := r.refuse("fallocate", fd.Loc.Path); err != nil {
		return err
	}
	return r.Base.Fallocate(ctx, c, fd, mode, off, length)
}

// Discard is refused.
func (r *ReadOnly) Discard(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	if err := r.refuse("discard", fd.Loc.Path); err != nil {
		return err
	}
	return r.Base.Discard(ctx, c, fd, off, length)
}

// Zerofill is refused.
func (r *ReadOnly) Zerofill(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	if err := r.refuse("zerofill", fd.Loc.Path); err != nil {
		return err
	}
	return r.Base.Zerofill(ctx, c, fd, off, length)
}

// CopyFileRange is refused.
func (r *ReadOnly) CopyFileRange(ctx context.Context, c *xlator.Call, in *xlator.FD, offIn int64, out *xlator.FD, offOut int64, length int64, flags uint32) (int64, error) {
	if err := r.refuse("copy_file_range", out.Loc.Path); err != nil {
		return 0, err
	}
	return r.Base.CopyFileRange(ctx, c, in, offIn, out, offOut, length, flags)
}

// Setxattr is refused.
func (r *ReadOnly) Setxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string, value []byte, flags int) error {
	if err := r.refuse("setxattr", loc.Path); err != nil {
		return err
	}
	return r.Base.Setxattr(ctx, c, loc, name, value, flags)
}

// Removexattr is refused.
func (r *ReadOnly) Removexattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) error {
	if err := r.refuse("removexattr", loc.Path); err != nil {
		return err
	}
	return r.Base.Removexattr(ctx, c, loc, name)
}

// Fsetxattr is refused.
func (r *ReadOnly) Fsetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string, value []byte, flags int) error {
	if err := r.refuse("fsetxattr", fd.Loc.Path); err != nil {
		return err
	}
	return r.Base.Fsetxattr(ctx, c, fd, name, value, flags)
}

// Fremovexattr is refused.
func (r *ReadOnly) Fremovexattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) error {
	if err := r.refuse("fremovexattr", fd.Loc.Path); err != nil {
		return err
	}
	return r.Base.Fremovexattr(ctx, c, fd, name)
}

// Xattrop is refused.
func (r *ReadOnly) Xattrop(ctx context.Context, c *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	if err := r.refuse("xattrop", loc.Path); err != nil {
		return nil, err
	}
	return r.Base.Xattrop(ctx, c, loc, op, xattrs)
}

// Fxattrop is refused.
func (r *ReadOnly) Fxattrop(ctx context.Context, c *xlator.Call, fd *xlator.FD, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	if err := r.refuse("fxattrop", fd.Loc.Path); err != nil {
		return nil, err
	}
	return r.Base.Fxattrop(ctx, c, fd, op, xattrs)
}
