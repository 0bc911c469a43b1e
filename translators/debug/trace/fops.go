package trace

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/loom-fs/loom/xlator"
)

// Lookup forwards lookup and logs it.
func (t *Trace) Lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	start, on := t.begin("lookup")
	st, xd, err := t.Base.Lookup(ctx, c, loc, req)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "lookup", c, d, err, locAttrs("loc", loc), slog.Any("want", keys(req)), statAttrs(st, err), slog.Any("got", keys(xd)))
	}
	return st, xd, err
}

// Stat forwards stat and logs it.
func (t *Trace) Stat(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	start, on := t.begin("stat")
	st, err := t.Base.Stat(ctx, c, loc)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "stat", c, d, err, locAttrs("loc", loc), statAttrs(st, err))
	}
	return st, err
}

// Fstat forwards fstat and logs it.
func (t *Trace) Fstat(ctx context.Context, c *xlator.Call, fd *xlator.FD) (xlator.Stat, error) {
	start, on := t.begin("fstat")
	st, err := t.Base.Fstat(ctx, c, fd)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fstat", c, d, err, fdAttrs("fd", fd), statAttrs(st, err))
	}
	return st, err
}

// Setattr forwards setattr and logs it.
func (t *Trace) Setattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, attr *xlator.SetAttr) (xlator.Stat, error) {
	start, on := t.begin("setattr")
	st, err := t.Base.Setattr(ctx, c, loc, attr)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "setattr", c, d, err, locAttrs("loc", loc), setAttrAttrs(attr), statAttrs(st, err))
	}
	return st, err
}

// Fsetattr forwards fsetattr and logs it.
func (t *Trace) Fsetattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, attr *xlator.SetAttr) (xlator.Stat, error) {
	start, on := t.begin("fsetattr")
	st, err := t.Base.Fsetattr(ctx, c, fd, attr)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fsetattr", c, d, err, fdAttrs("fd", fd), setAttrAttrs(attr), statAttrs(st, err))
	}
	return st, err
}

// Truncate forwards truncate and logs it.
func (t *Trace) Truncate(ctx context.Context, c *xlator.Call, loc *xlator.Loc, size uint64) (xlator.Stat, error) {
	start, on := t.begin("truncate")
	st, err := t.Base.Truncate(ctx, c, loc, size)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "truncate", c, d, err, locAttrs("loc", loc), slog.Uint64("size", size), statAttrs(st, err))
	}
	return st, err
}

// Ftruncate forwards ftruncate and logs it.
func (t *Trace) Ftruncate(ctx context.Context, c *xlator.Call, fd *xlator.FD, size uint64) (xlator.Stat, error) {
	start, on := t.begin("ftruncate")
	st, err := t.Base.Ftruncate(ctx, c, fd, size)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "ftruncate", c, d, err, fdAttrs("fd", fd), slog.Uint64("size", size), statAttrs(st, err))
	}
	return st, err
}

// Access forwards access and logs it.
func (t *Trace) Access(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mask uint32) error {
	start, on := t.begin("access")
	err := t.Base.Access(ctx, c, loc, mask)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "access", c, d, err, locAttrs("loc", loc), octal("mask", mask))
	}
	return err
}

// Readlink forwards readlink and logs it.
func (t *Trace) Readlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (string, error) {
	start, on := t.begin("readlink")
	target, err := t.Base.Readlink(ctx, c, loc)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "readlink", c, d, err, locAttrs("loc", loc), slog.String("target", target))
	}
	return target, err
}

// Mknod forwards mknod and logs it.
func (t *Trace) Mknod(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, rdev uint64, umask uint32) (xlator.Stat, error) {
	start, on := t.begin("mknod")
	st, err := t.Base.Mknod(ctx, c, loc, mode, rdev, umask)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "mknod", c, d, err, locAttrs("loc", loc), octal("mode", mode), slog.Uint64("rdev", rdev), octal("umask", umask), statAttrs(st, err))
	}
	return st, err
}

// Mkdir forwards mkdir and logs it.
func (t *Trace) Mkdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, umask uint32) (xlator.Stat, error) {
	start, on := t.begin("mkdir")
	st, err := t.Base.Mkdir(ctx, c, loc, mode, umask)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "mkdir", c, d, err, locAttrs("loc", loc), octal("mode", mode), octal("umask", umask), statAttrs(st, err))
	}
	return st, err
}

// Unlink forwards unlink and logs it.
func (t *Trace) Unlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	start, on := t.begin("unlink")
	err := t.Base.Unlink(ctx, c, loc)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "unlink", c, d, err, locAttrs("loc", loc))
	}
	return err
}

// Rmdir forwards rmdir and logs it.
func (t *Trace) Rmdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc) error {
	start, on := t.begin("rmdir")
	err := t.Base.Rmdir(ctx, c, loc)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "rmdir", c, d, err, locAttrs("loc", loc))
	}
	return err
}

// Symlink forwards symlink and logs it.
func (t *Trace) Symlink(ctx context.Context, c *xlator.Call, target string, loc *xlator.Loc, umask uint32) (xlator.Stat, error) {
	start, on := t.begin("symlink")
	st, err := t.Base.Symlink(ctx, c, target, loc, umask)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "symlink", c, d, err, slog.String("target", target), locAttrs("loc", loc), octal("umask", umask), statAttrs(st, err))
	}
	return st, err
}

// Rename forwards rename and logs it.
func (t *Trace) Rename(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc, flags uint32) error {
	start, on := t.begin("rename")
	err := t.Base.Rename(ctx, c, oldLoc, newLoc, flags)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "rename", c, d, err, locAttrs("old", oldLoc), locAttrs("new", newLoc), slog.Any("flags", flags))
	}
	return err
}

// Link forwards link and logs it.
func (t *Trace) Link(ctx context.Context, c *xlator.Call, oldLoc, newLoc *xlator.Loc) (xlator.Stat, error) {
	start, on := t.begin("link")
	st, err := t.Base.Link(ctx, c, oldLoc, newLoc)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "link", c, d, err, locAttrs("old", oldLoc), locAttrs("new", newLoc), statAttrs(st, err))
	}
	return st, err
}

// Open forwards open and logs it.
func (t *Trace) Open(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	start, on := t.begin("open")
	err := t.Base.Open(ctx, c, fd)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "open", c, d, err, fdAttrs("fd", fd))
	}
	return err
}

// Create forwards create and logs it.
func (t *Trace) Create(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, umask uint32) (xlator.Stat, error) {
	start, on := t.begin("create")
	st, err := t.Base.Create(ctx, c, fd, mode, umask)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "create", c, d, err, fdAttrs("fd", fd), octal("mode", mode), octal("umask", umask), statAttrs(st, err))
	}
	return st, err
}

// Read forwards read and logs it.
func (t *Trace) Read(ctx context.Context, c *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	start, on := t.begin("read")
	n, err := t.Base.Read(ctx, c, fd, dest, off)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "read", c, d, err, fdAttrs("fd", fd), slog.Int64("off", off), slog.Int("size", len(dest)), slog.Int("n", n))
	}
	return n, err
}

// Write forwards write and logs it.
func (t *Trace) Write(ctx context.Context, c *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	start, on := t.begin("write")
	n, err := t.Base.Write(ctx, c, fd, data, off)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "write", c, d, err, fdAttrs("fd", fd), slog.Int64("off", off), slog.Int("size", len(data)), slog.Int("n", n))
	}
	return n, err
}

// Flush forwards flush and logs it.
func (t *Trace) Flush(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	start, on := t.begin("flush")
	err := t.Base.Flush(ctx, c, fd)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "flush", c, d, err, fdAttrs("fd", fd))
	}
	return err
}

// Fsync forwards fsync and logs it.
func (t *Trace) Fsync(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	start, on := t.begin("fsync")
	err := t.Base.Fsync(ctx, c, fd, datasync)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fsync", c, d, err, fdAttrs("fd", fd), slog.Bool("datasync", datasync))
	}
	return err
}

// Release forwards release and logs it.
func (t *Trace) Release(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	start, on := t.begin("release")
	err := t.Base.Release(ctx, c, fd)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "release", c, d, err, fdAttrs("fd", fd))
	}
	return err
}

// Fallocate forwards fallocate and logs it.
func (t *Trace) Fallocate(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, off, length int64) error {
	start, on := t.begin("fallocate")
	err := t.Base.Fallocate(ctx, c, fd, mode, off, length)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fallocate", c, d, err, fdAttrs("fd", fd), slog.String("mode", fmt.Sprintf("%#x", mode)), slog.Int64("off", off), slog.Int64("len", length))
	}
	return err
}

// Discard forwards discard and logs it.
func (t *Trace) Discard(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	start, on := t.begin("discard")
	err := t.Base.Discard(ctx, c, fd, off, length)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "discard", c, d, err, fdAttrs("fd", fd), slog.Int64("off", off), slog.Int64("len", length))
	}
	return err
}

// Zerofill forwards zerofill and logs it.
func (t *Trace) Zerofill(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	start, on := t.begin("zerofill")
	err := t.Base.Zerofill(ctx, c, fd, off, length)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "zerofill", c, d, err, fdAttrs("fd", fd), slog.Int64("off", off), slog.Int64("len", length))
	}
	return err
}

// Seek forwards seek and logs it.
func (t *Trace) Seek(ctx context.Context, c *xlator.Call, fd *xlator.FD, off int64, whence int) (int64, error) {
	start, on := t.begin("seek")
	pos, err := t.Base.Seek(ctx, c, fd, off, whence)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "seek", c, d, err, fdAttrs("fd", fd), slog.Int64("off", off), slog.String("whence", whenceName(whence)), slog.Int64("pos", pos))
	}
	return pos, err
}

// CopyFileRange forwards copy_file_range and logs it.
func (t *Trace) CopyFileRange(ctx context.Context, c *xlator.Call, in *xlator.FD, offIn int64, out *xlator.FD, offOut int64, length int64, flags uint32) (int64, error) {
	start, on := t.begin("copy_file_range")
	n, err := t.Base.CopyFileRange(ctx, c, in, offIn, out, offOut, length, flags)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "copy_file_range", c, d, err, fdAttrs("in", in), slog.Int64("off_in", offIn), fdAttrs("out", out), slog.Int64("off_out", offOut), slog.Int64("len", length), slog.Any("flags", flags), slog.Int64("n", n))
	}
	return n, err
}

// Opendir forwards opendir and logs it.
func (t *Trace) Opendir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	start, on := t.begin("opendir")
	err := t.Base.Opendir(ctx, c, fd)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "opendir", c, d, err, fdAttrs("fd", fd))
	}
	return err
}

// Readdir forwards readdir and logs it.
func (t *Trace) Readdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) ([]xlator.DirEntry, error) {
	start, on := t.begin("readdir")
	ents, err := t.Base.Readdir(ctx, c, fd, off, size, plus)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "readdir", c, d, err, fdAttrs("fd", fd), slog.Uint64("off", off), slog.Int("size", size), slog.Bool("plus", plus), slog.Int("entries", len(ents)))
	}
	return ents, err
}

// Fsyncdir forwards fsyncdir and logs it.
func (t *Trace) Fsyncdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	start, on := t.begin("fsyncdir")
	err := t.Base.Fsyncdir(ctx, c, fd, datasync)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fsyncdir", c, d, err, fdAttrs("fd", fd), slog.Bool("datasync", datasync))
	}
	return err
}

// Releasedir forwards releasedir and logs it.
func (t *Trace) Releasedir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	start, on := t.begin("releasedir")
	err := t.Base.Releasedir(ctx, c, fd)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "releasedir", c, d, err, fdAttrs("fd", fd))
	}
	return err
}

// Statfs forwards statfs and logs it.
func (t *Trace) Statfs(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.StatFS, error) {
	start, on := t.begin("statfs")
	sfs, err := t.Base.Statfs(ctx, c, loc)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "statfs", c, d, err, locAttrs("loc", loc), slog.Uint64("blocks", sfs.Blocks), slog.Uint64("bfree", sfs.Bfree), slog.Uint64("files", sfs.Files))
	}
	return sfs, err
}

// Setxattr forwards setxattr and logs it.
func (t *Trace) Setxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string, value []byte, flags int) error {
	start, on := t.begin("setxattr")
	err := t.Base.Setxattr(ctx, c, loc, name, value, flags)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "setxattr", c, d, err, locAttrs("loc", loc), slog.String("name", name), slog.Int("size", len(value)), slog.Int("flags", flags))
	}
	return err
}

// Getxattr forwards getxattr and logs it.
func (t *Trace) Getxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) ([]byte, error) {
	start, on := t.begin("getxattr")
	value, err := t.Base.Getxattr(ctx, c, loc, name)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "getxattr", c, d, err, locAttrs("loc", loc), slog.String("name", name), slog.Int("size", len(value)))
	}
	return value, err
}

// Listxattr forwards listxattr and logs it.
func (t *Trace) Listxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc) ([]string, error) {
	start, on := t.begin("listxattr")
	names, err := t.Base.Listxattr(ctx, c, loc)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "listxattr", c, d, err, locAttrs("loc", loc), slog.Any("names", names))
	}
	return names, err
}

// Removexattr forwards removexattr and logs it.
func (t *Trace) Removexattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) error {
	start, on := t.begin("removexattr")
	err := t.Base.Removexattr(ctx, c, loc, name)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "removexattr", c, d, err, locAttrs("loc", loc), slog.String("name", name))
	}
	return err
}

// Fsetxattr forwards fsetxattr and logs it.
func (t *Trace) Fsetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string, value []byte, flags int) error {
	start, on := t.begin("fsetxattr")
	err := t.Base.Fsetxattr(ctx, c, fd, name, value, flags)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fsetxattr", c, d, err, fdAttrs("fd", fd), slog.String("name", name), slog.Int("size", len(value)), slog.Int("flags", flags))
	}
	return err
}

// Fgetxattr forwards fgetxattr and logs it.
func (t *Trace) Fgetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) ([]byte, error) {
	start, on := t.begin("fgetxattr")
	value, err := t.Base.Fgetxattr(ctx, c, fd, name)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fgetxattr", c, d, err, fdAttrs("fd", fd), slog.String("name", name), slog.Int("size", len(value)))
	}
	return value, err
}

// Flistxattr forwards flistxattr and logs it.
func (t *Trace) Flistxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD) ([]string, error) {
	start, on := t.begin("flistxattr")
	names, err := t.Base.Flistxattr(ctx, c, fd)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "flistxattr", c, d, err, fdAttrs("fd", fd), slog.Any("names", names))
	}
	return names, err
}

// Fremovexattr forwards fremovexattr and logs it.
func (t *Trace) Fremovexattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) error {
	start, on := t.begin("fremovexattr")
	err := t.Base.Fremovexattr(ctx, c, fd, name)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fremovexattr", c, d, err, fdAttrs("fd", fd), slog.String("name", name))
	}
	return err
}

// Xattrop forwards xattrop and logs it.
func (t *Trace) Xattrop(ctx context.Context, c *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	start, on := t.begin("xattrop")
	out, err := t.Base.Xattrop(ctx, c, loc, op, xattrs)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "xattrop", c, d, err, locAttrs("loc", loc), slog.String("op", xattropName(op)), slog.Any("keys", keys(xattrs)))
	}
	return out, err
}

// Fxattrop forwards fxattrop and logs it.
func (t *Trace) Fxattrop(ctx context.Context, c *xlator.Call, fd *xlator.FD, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	start, on := t.begin("fxattrop")
	out, err := t.Base.Fxattrop(ctx, c, fd, op, xattrs)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fxattrop", c, d, err, fdAttrs("fd", fd), slog.String("op", xattropName(op)), slog.Any("keys", keys(xattrs)))
	}
	return out, err
}

// Lk forwards lk and logs it.
func (t *Trace) Lk(ctx context.Context, c *xlator.Call, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) (xlator.Flock, error) {
	start, on := t.begin("lk")
	got, err := t.Base.Lk(ctx, c, fd, cmd, lk)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "lk", c, d, err, fdAttrs("fd", fd), slog.String("cmd", lkCmd(cmd)), flockAttrs(lk), slog.String("got", lockType(got.Type)))
	}
	return got, err
}

// Inodelk forwards inodelk and logs it.
func (t *Trace) Inodelk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, cmd xlator.LkCmd, lk xlator.Flock) error {
	start, on := t.begin("inodelk")
	err := t.Base.Inodelk(ctx, c, domain, loc, cmd, lk)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "inodelk", c, d, err, slog.String("domain", domain), locAttrs("loc", loc), slog.String("cmd", lkCmd(cmd)), flockAttrs(lk))
	}
	return err
}

// Finodelk forwards finodelk and logs it.
func (t *Trace) Finodelk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error {
	start, on := t.begin("finodelk")
	err := t.Base.Finodelk(ctx, c, domain, fd, cmd, lk)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "finodelk", c, d, err, slog.String("domain", domain), fdAttrs("fd", fd), slog.String("cmd", lkCmd(cmd)), flockAttrs(lk))
	}
	return err
}

// Entrylk forwards entrylk and logs it.
func (t *Trace) Entrylk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	start, on := t.begin("entrylk")
	err := t.Base.Entrylk(ctx, c, domain, loc, basename, cmd, typ)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "entrylk", c, d, err, slog.String("domain", domain), locAttrs("loc", loc), slog.String("basename", basename), slog.String("cmd", entrylkCmd(cmd)), slog.String("type", entrylkType(typ)))
	}
	return err
}

// Fentrylk forwards fentrylk and logs it.
func (t *Trace) Fentrylk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	start, on := t.begin("fentrylk")
	err := t.Base.Fentrylk(ctx, c, domain, fd, basename, cmd, typ)
	if d, ok := t.done(start, on); ok {
		t.emit(ctx, "fentrylk", c, d, err, slog.String("domain", domain), fdAttrs("fd", fd), slog.String("basename", basename), slog.String("cmd", entrylkCmd(cmd)), slog.String("type", entrylkType(typ)))
	}
	return err
}
