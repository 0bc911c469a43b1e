package server

import (
	"context"
	"path"
	"strings"
	"syscall"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// checkLoc refuses a Loc that could name something outside the exported
// volume or that is inconsistent: a path must be absolute and clean,
// without "." or ".." components; a name must be one component; a Loc
// must name something.
func checkLoc(l *xlator.Loc) error {
	if l.Path != "" {
		if !strings.HasPrefix(l.Path, "/") || path.Clean(l.Path) != l.Path {
			return syscall.EINVAL
		}
		for _, comp := range strings.Split(l.Path[1:], "/") {
			if comp == ".." || comp == "." {
				return syscall.EINVAL
			}
		}
		if l.Name != "" && path.Base(l.Path) != l.Name {
			return syscall.EINVAL
		}
	}
	if l.Name != "" && (l.Name == "." || l.Name == ".." || strings.Contains(l.Name, "/")) {
		return syscall.EINVAL
	}
	if l.Path == "" && l.GFID.IsZero() && (l.Name == "" || l.Parent.IsZero()) {
		return syscall.EINVAL
	}
	return nil
}

// fd returns the open file with the client's handle id.
func (c *conn) fd(id uint64) (*xlator.FD, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fd := c.fds[id]
	if fd == nil {
		return nil, syscall.EBADF
	}
	return fd, nil
}

// addFD registers an opened file and returns its handle id; if the
// connection has already ended, the file is released at once.
func (c *conn) addFD(fd *xlator.FD) (uint64, error) {
	c.mu.Lock()
	if !c.closed {
		c.nextFD++
		id := c.nextFD
		c.fds[id] = fd
		c.mu.Unlock()
		c.srv.fdOpened(c.subvol, fd)
		return id, nil
	}
	c.mu.Unlock()
	call := &xlator.Call{Client: c.id}
	if fd.Dir {
		c.subvol.Releasedir(context.Background(), call, fd)
	} else {
		c.subvol.Release(context.Background(), call, fd)
	}
	return 0, syscall.ENOTCONN
}

// takeFD removes a handle for release.
func (c *conn) takeFD(id uint64) (*xlator.FD, error) {
	c.mu.Lock()
	fd := c.fds[id]
	delete(c.fds, id)
	c.mu.Unlock()
	if fd == nil {
		return nil, syscall.EBADF
	}
	c.srv.fdClosed(c.subvol, fd)
	return fd, nil
}

// dispatch runs req on the subvolume and fills rep.
func (c *conn) dispatch(ctx context.Context, req *wire.Request, rep *wire.Reply) {
	rep.Errno = xlator.Errno(c.call(ctx, req, rep))
	if rep.Errno == 0 {
		c.addParent(ctx, req, rep)
		c.addOpenStat(ctx, req, rep)
		c.addQuickRead(ctx, req, rep)
		c.addNoCaps(ctx, req, rep)
	}
}

// locs checks the Locs an op carries.
func locs(req *wire.Request) error {
	switch req.Op {
	case wire.OpLookup, wire.OpStat, wire.OpSetattr, wire.OpTruncate, wire.OpAccess,
		wire.OpReadlink, wire.OpMknod, wire.OpMkdir, wire.OpUnlink, wire.OpRmdir,
		wire.OpSymlink, wire.OpOpen, wire.OpCreate, wire.OpOpendir, wire.OpStatfs,
		wire.OpSetxattr, wire.OpGetxattr, wire.OpListxattr, wire.OpRemovexattr,
		wire.OpXattrop, wire.OpInodelk, wire.OpEntrylk:
		return checkLoc(&req.Loc)
	case wire.OpRename, wire.OpLink:
		if err := checkLoc(&req.Loc); err != nil {
			return err
		}
		return checkLoc(&req.Loc2)
	}
	return nil
}

// call runs one fop.
func (c *conn) call(ctx context.Context, req *wire.Request, rep *wire.Reply) error {
	if err := locs(req); err != nil {
		return err
	}
	sv := c.subvol
	call := &req.Call
	loc := &req.Loc
	var err error
	switch req.Op {
	case wire.OpLookup:
		rep.Stat, rep.XData, err = sv.Lookup(ctx, call, loc, req.XData)
	case wire.OpStat:
		rep.Stat, err = sv.Stat(ctx, call, loc)
	case wire.OpSetattr:
		rep.Stat, err = sv.Setattr(ctx, call, loc, &req.Attr)
	case wire.OpTruncate:
		rep.Stat, err = sv.Truncate(ctx, call, loc, req.Size)
	case wire.OpAccess:
		err = sv.Access(ctx, call, loc, req.Flags)
	case wire.OpReadlink:
		var target string
		target, err = sv.Readlink(ctx, call, loc)
		rep.Data = []byte(target)
	case wire.OpMknod:
		rep.Stat, err = sv.Mknod(ctx, call, loc, req.Mode, req.Rdev, req.Umask)
	case wire.OpMkdir:
		rep.Stat, err = sv.Mkdir(ctx, call, loc, req.Mode, req.Umask)
	case wire.OpUnlink:
		err = sv.Unlink(ctx, call, loc)
	case wire.OpRmdir:
		err = sv.Rmdir(ctx, call, loc)
	case wire.OpSymlink:
		rep.Stat, err = sv.Symlink(ctx, call, req.Target, loc, req.Umask)
	case wire.OpRename:
		err = sv.Rename(ctx, call, loc, &req.Loc2, req.Flags)
	case wire.OpLink:
		rep.Stat, err = sv.Link(ctx, call, loc, &req.Loc2)
	case wire.OpOpen, wire.OpOpendir:
		fd := xlator.NewFD(loc, req.Flags, req.Op == wire.OpOpendir)
		if req.Op == wire.OpOpen {
			err = sv.Open(ctx, call, fd)
		} else {
			err = sv.Opendir(ctx, call, fd)
		}
		if err == nil {
			rep.FD, err = c.addFD(fd)
		}
	case wire.OpCreate:
		fd := xlator.NewFD(loc, req.Flags, false)
		rep.Stat, err = sv.Create(ctx, call, fd, req.Mode, req.Umask)
		if err == nil {
			fd.Loc.GFID = rep.Stat.GFID
			rep.FD, err = c.addFD(fd)
		}
	case wire.OpStatfs:
		rep.StatFS, err = sv.Statfs(ctx, call, loc)
	case wire.OpSetxattr:
		err = sv.Setxattr(ctx, call, loc, req.Name, req.Value, int(req.Flags))
	case wire.OpGetxattr:
		rep.Data, err = sv.Getxattr(ctx, call, loc, req.Name)
	case wire.OpListxattr:
		rep.Names, err = sv.Listxattr(ctx, call, loc)
	case wire.OpRemovexattr:
		err = sv.Removexattr(ctx, call, loc, req.Name)
	case wire.OpXattrop:
		rep.XData, err = sv.Xattrop(ctx, call, loc, xlator.XattropOp(req.Cmd), req.XData)
	case wire.OpInodelk:
		err = sv.Inodelk(ctx, call, req.Domain, loc, xlator.LkCmd(req.Cmd), req.Lock)
	case wire.OpEntrylk:
		err = sv.Entrylk(ctx, call, req.Domain, loc, req.Name, xlator.EntrylkCmd(req.Cmd), xlator.EntrylkType(req.Type))
	case wire.OpRelease, wire.OpReleasedir:
		var fd *xlator.FD
		if fd, err = c.takeFD(req.FD); err == nil {
			if req.Op == wire.OpRelease {
				err = sv.Release(ctx, call, fd)
			} else {
				err = sv.Releasedir(ctx, call, fd)
			}
		}
	default:
		return c.fdCall(ctx, req, rep)
	}
	return err
}

// fdCall runs a fop on an open file.
func (c *conn) fdCall(ctx context.Context, req *wire.Request, rep *wire.Reply) error {
	fd, err := c.fd(req.FD)
	if err != nil {
		return err
	}
	sv := c.subvol
	call := &req.Call
	switch req.Op {
	case wire.OpFstat:
		rep.Stat, err = sv.Fstat(ctx, call, fd)
	case wire.OpFsetattr:
		rep.Stat, err = sv.Fsetattr(ctx, call, fd, &req.Attr)
	case wire.OpFtruncate:
		rep.Stat, err = sv.Ftruncate(ctx, call, fd, req.Size)
	case wire.OpRead:
		return c.read(ctx, fd, req, rep)
	case wire.OpWrite:
		var n int
		n, err = sv.Write(ctx, call, fd, req.Value, req.Off)
		rep.N = int64(n)
	case wire.OpFlush:
		err = sv.Flush(ctx, call, fd)
	case wire.OpFsync:
		err = sv.Fsync(ctx, call, fd, req.Bool)
	case wire.OpFallocate:
		err = sv.Fallocate(ctx, call, fd, req.Flags, req.Off, req.Len)
	case wire.OpDiscard:
		err = sv.Discard(ctx, call, fd, req.Off, req.Len)
	case wire.OpZerofill:
		err = sv.Zerofill(ctx, call, fd, req.Off, req.Len)
	case wire.OpSeek:
		rep.N, err = sv.Seek(ctx, call, fd, req.Off, int(req.Whence))
	case wire.OpCopyFileRange:
		var out *xlator.FD
		if out, err = c.fd(req.FD2); err == nil {
			rep.N, err = sv.CopyFileRange(ctx, call, fd, req.Off, out, req.Off2, req.Len, req.Flags)
		}
	case wire.OpReaddir:
		rep.Entries, rep.EOF, err = readdirFill(ctx, sv, call, fd, uint64(req.Off), int(req.Count), req.Bool)
	case wire.OpFsyncdir:
		err = sv.Fsyncdir(ctx, call, fd, req.Bool)
	case wire.OpFsetxattr:
		err = sv.Fsetxattr(ctx, call, fd, req.Name, req.Value, int(req.Flags))
	case wire.OpFgetxattr:
		rep.Data, err = sv.Fgetxattr(ctx, call, fd, req.Name)
	case wire.OpFlistxattr:
		rep.Names, err = sv.Flistxattr(ctx, call, fd)
	case wire.OpFremovexattr:
		err = sv.Fremovexattr(ctx, call, fd, req.Name)
	case wire.OpFxattrop:
		rep.XData, err = sv.Fxattrop(ctx, call, fd, xlator.XattropOp(req.Cmd), req.XData)
	case wire.OpLk:
		rep.Lock, err = sv.Lk(ctx, call, fd, xlator.LkCmd(req.Cmd), req.Lock)
	case wire.OpFinodelk:
		err = sv.Finodelk(ctx, call, req.Domain, fd, xlator.LkCmd(req.Cmd), req.Lock)
	case wire.OpFentrylk:
		err = sv.Fentrylk(ctx, call, req.Domain, fd, req.Name, xlator.EntrylkCmd(req.Cmd), xlator.EntrylkType(req.Type))
	default:
		return syscall.EINVAL
	}
	return err
}

// read reads into rep.Data, the pool buffer handle took for the reply's
// data; handle holds its size against the connection's byte budget until
// the reply is sent.
func (c *conn) read(ctx context.Context, fd *xlator.FD, req *wire.Request, rep *wire.Reply) error {
	buf := rep.Data[:req.Count]
	n, err := c.subvol.Read(ctx, &req.Call, fd, buf, req.Off)
	if err != nil {
		return err
	}
	rep.Data = buf[:n]
	return nil
}
