package client

import (
	"context"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// request starts a request of op for the caller c.
func request(op wire.Op, c *xlator.Call) wire.Request {
	return wire.Request{Op: op, Call: *c}
}

// do sends a request on the current connection.
func (c *Client) do(ctx context.Context, req *wire.Request) (*wire.Reply, error) {
	s, err := c.current()
	if err != nil {
		return nil, err
	}
	c.parents.forget(req, xlator.GFID{})
	c.noCaps.forget(req, xlator.GFID{})
	return s.roundTrip(ctx, req, nil)
}

// doFD sends a request about an open file.
func (c *Client) doFD(ctx context.Context, fd *xlator.FD, req *wire.Request) (*wire.Reply, error) {
	s, id, err := c.handle(fd)
	if err != nil {
		return nil, err
	}
	req.FD = id
	c.parents.forget(req, fd.GFID())
	c.noCaps.forget(req, fd.GFID())
	return s.roundTrip(ctx, req, nil)
}

func stat(rep *wire.Reply, err error) (xlator.Stat, error) {
	if err != nil {
		return xlator.Stat{}, err
	}
	return rep.Stat, nil
}

// entry sends an op that changes a directory's entries and keeps the
// directory's attributes its reply carries (parents.go).
func (c *Client) entry(ctx context.Context, req *wire.Request) (xlator.Stat, error) {
	rep, err := c.do(ctx, req)
	if err != nil {
		return xlator.Stat{}, err
	}
	c.parents.put(rep.Parent)
	return rep.Stat, nil
}

// Lookup sends lookup.
func (c *Client) Lookup(ctx context.Context, call *xlator.Call, loc *xlator.Loc, x xlator.XData) (xlator.Stat, xlator.XData, error) {
	req := request(wire.OpLookup, call)
	req.Loc, req.XData = *loc, x
	rep, err := c.do(ctx, &req)
	if err != nil {
		return xlator.Stat{}, nil, err
	}
	return rep.Stat, rep.XData, nil
}

// Stat sends stat, unless loc is a directory whose attributes an entry
// op's reply brought moments ago (parents.go).
func (c *Client) Stat(ctx context.Context, call *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	if st, ok := c.parents.take(loc.GFID); ok {
		return st, nil
	}
	req := request(wire.OpStat, call)
	req.Loc = *loc
	return stat(c.do(ctx, &req))
}

// Fstat sends fstat, unless the open reply of fd's file brought its
// attributes moments ago (parents.go).
func (c *Client) Fstat(ctx context.Context, call *xlator.Call, fd *xlator.FD) (xlator.Stat, error) {
	if st, ok := c.parents.take(fd.GFID()); ok {
		return st, nil
	}
	if c.released(fd) {
		return c.Stat(ctx, call, byGFID(fd))
	}
	req := request(wire.OpFstat, call)
	return stat(c.doFD(ctx, fd, &req))
}

// Setattr sends setattr.
func (c *Client) Setattr(ctx context.Context, call *xlator.Call, loc *xlator.Loc, attr *xlator.SetAttr) (xlator.Stat, error) {
	req := request(wire.OpSetattr, call)
	req.Loc, req.Attr = *loc, *attr
	return stat(c.do(ctx, &req))
}

// Fsetattr sends fsetattr.
func (c *Client) Fsetattr(ctx context.Context, call *xlator.Call, fd *xlator.FD, attr *xlator.SetAttr) (xlator.Stat, error) {
	req := request(wire.OpFsetattr, call)
	req.Attr = *attr
	return stat(c.doFD(ctx, fd, &req))
}

// Truncate sends truncate.
func (c *Client) Truncate(ctx context.Context, call *xlator.Call, loc *xlator.Loc, size uint64) (xlator.Stat, error) {
	req := request(wire.OpTruncate, call)
	req.Loc, req.Size = *loc, size
	return stat(c.do(ctx, &req))
}

// Ftruncate sends ftruncate.
func (c *Client) Ftruncate(ctx context.Context, call *xlator.Call, fd *xlator.FD, size uint64) (xlator.Stat, error) {
	req := request(wire.OpFtruncate, call)
	req.Size = size
	return stat(c.doFD(ctx, fd, &req))
}

// Access sends access.
func (c *Client) Access(ctx context.Context, call *xlator.Call, loc *xlator.Loc, mask uint32) error {
	req := request(wire.OpAccess, call)
	req.Loc, req.Flags = *loc, mask
	_, err := c.do(ctx, &req)
	return err
}

// Readlink sends readlink.
func (c *Client) Readlink(ctx context.Context, call *xlator.Call, loc *xlator.Loc) (string, error) {
	req := request(wire.OpReadlink, call)
	req.Loc = *loc
	rep, err := c.do(ctx, &req)
	if err != nil {
		return "", err
	}
	return string(rep.Data), nil
}

// Mknod sends mknod.
func (c *Client) Mknod(ctx context.Context, call *xlator.Call, loc *xlator.Loc, mode uint32, rdev uint64, umask uint32) (xlator.Stat, error) {
	req := request(wire.OpMknod, call)
	req.Loc, req.Mode, req.Rdev, req.Umask = *loc, mode, rdev, umask
	return c.entry(ctx, &req)
}

// Mkdir sends mkdir.
func (c *Client) Mkdir(ctx context.Context, call *xlator.Call, loc *xlator.Loc, mode uint32, umask uint32) (xlator.Stat, error) {
	req := request(wire.OpMkdir, call)
	req.Loc, req.Mode, req.Umask = *loc, mode, umask
	return c.entry(ctx, &req)
}

// Unlink sends unlink.
func (c *Client) Unlink(ctx context.Context, call *xlator.Call, loc *xlator.Loc) error {
	req := request(wire.OpUnlink, call)
	req.Loc = *loc
	_, err := c.entry(ctx, &req)
	return err
}

// Rmdir sends rmdir.
func (c *Client) Rmdir(ctx context.Context, call *xlator.Call, loc *xlator.Loc) error {
	req := request(wire.OpRmdir, call)
	req.Loc = *loc
	_, err := c.entry(ctx, &req)
	return err
}

// Symlink sends symlink.
func (c *Client) Symlink(ctx context.Context, call *xlator.Call, target string, loc *xlator.Loc, umask uint32) (xlator.Stat, error) {
	req := request(wire.OpSymlink, call)
	req.Target, req.Loc, req.Umask = target, *loc, umask
	return c.entry(ctx, &req)
}

// Rename sends rename.
func (c *Client) Rename(ctx context.Context, call *xlator.Call, oldLoc, newLoc *xlator.Loc, flags uint32) error {
	req := request(wire.OpRename, call)
	req.Loc, req.Loc2, req.Flags = *oldLoc, *newLoc, flags
	_, err := c.do(ctx, &req)
	return err
}

// Link sends link.
func (c *Client) Link(ctx context.Context, call *xlator.Call, oldLoc, newLoc *xlator.Loc) (xlator.Stat, error) {
	req := request(wire.OpLink, call)
	req.Loc, req.Loc2 = *oldLoc, *newLoc
	return c.entry(ctx, &req)
}

// Open sends open and keeps the server's handle in fd.
func (c *Client) Open(ctx context.Context, call *xlator.Call, fd *xlator.FD) error {
	return c.open(ctx, call, fd, wire.OpOpen)
}

// Opendir sends opendir and keeps the server's handle in fd.
func (c *Client) Opendir(ctx context.Context, call *xlator.Call, fd *xlator.FD) error {
	return c.open(ctx, call, fd, wire.OpOpendir)
}

func (c *Client) open(ctx context.Context, call *xlator.Call, fd *xlator.FD, op wire.Op) error {
	s, err := c.current()
	if err != nil {
		return err
	}
	req := request(op, call)
	req.Loc, req.Flags = fd.Loc, fd.Flags
	if op == wire.OpOpen {
		req.Count = c.quickAsk(fd)
	}
	gen, capsGen := c.dataGen.Load(), c.noCaps.generation()
	c.parents.forget(&req, xlator.GFID{})
	rep, err := s.roundTrip(ctx, &req, nil)
	if err != nil {
		return err
	}
	if rep.NoCaps {
		c.noCaps.put(fd.GFID(), capsGen)
	}
	if rep.Stat.GFID == fd.GFID() {
		c.parents.put(rep.Stat)
	}
	r := c.track(fd, s, rep.FD)
	if rep.Data != nil && req.Count > 0 && len(rep.Data) <= int(req.Count) {
		c.mu.Lock()
		c.keepQuick(r, rep.Data, gen)
		c.mu.Unlock()
	}
	return nil
}

// Create sends create and keeps the server's handle in fd.
func (c *Client) Create(ctx context.Context, call *xlator.Call, fd *xlator.FD, mode uint32, umask uint32) (xlator.Stat, error) {
	s, err := c.current()
	if err != nil {
		return xlator.Stat{}, err
	}
	req := request(wire.OpCreate, call)
	req.Loc, req.Flags, req.Mode, req.Umask = fd.Loc, fd.Flags, mode, umask
	capsGen := c.noCaps.generation()
	rep, err := s.roundTrip(ctx, &req, nil)
	if err != nil {
		return xlator.Stat{}, err
	}
	c.parents.put(rep.Parent)
	if fd.Loc.GFID.IsZero() {
		fd.Loc.GFID = rep.Stat.GFID
	}
	if rep.NoCaps {
		c.noCaps.put(rep.Stat.GFID, capsGen)
	}
	c.track(fd, s, rep.FD)
	return rep.Stat, nil
}

// Read sends read; the data arrives directly in dest. A read soon after
// the open of a small file is answered from the contents the open reply
// brought (quickread.go).
func (c *Client) Read(ctx context.Context, call *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	s, id, err := c.handle(fd)
	if err != nil {
		return 0, err
	}
	if n, ok := c.quickRead(s, id, call, fd, dest, off); ok {
		return n, nil
	}
	total := 0
	for len(dest) > 0 {
		chunk := dest[:min(len(dest), wire.MaxData)]
		req := request(wire.OpRead, call)
		req.FD, req.Off, req.Count = id, off, uint32(len(chunk))
		rep, err := s.roundTrip(ctx, &req, chunk)
		if err != nil {
			if total > 0 {
				return total, nil
			}
			return 0, err
		}
		n := int(rep.N)
		total += n
		if n < len(chunk) {
			break
		}
		dest, off = dest[n:], off+int64(n)
	}
	return total, nil
}

// Write sends write; the data goes to the socket from the caller's buffer.
func (c *Client) Write(ctx context.Context, call *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	s, id, err := c.handle(fd)
	if err != nil {
		return 0, err
	}
	c.parents.drop(fd.GFID())
	total := 0
	for {
		chunk := data[:min(len(data), wire.MaxData)]
		req := request(wire.OpWrite, call)
		req.FD, req.Off, req.Value = id, off, chunk
		rep, err := s.roundTrip(ctx, &req, nil)
		if err != nil {
			if total > 0 {
				return total, nil
			}
			return 0, err
		}
		n := int(rep.N)
		total += n
		data, off = data[n:], off+int64(n)
		if len(data) == 0 || n < len(chunk) {
			return total, nil
		}
	}
}

// Flush sends flush. Unless a POSIX lock was ever asked for on the
// file's inode through this client, it does not wait for the reply
// (flush-behind; see behind.go): the flush then has nothing to release.
func (c *Client) Flush(ctx context.Context, call *xlator.Call, fd *xlator.FD) error {
	s, id, err := c.handle(fd)
	if err != nil {
		return err
	}
	req := request(wire.OpFlush, call)
	req.FD = id
	return c.sendBehind(ctx, s, fd, &req)
}

// Fsync sends fsync.
func (c *Client) Fsync(ctx context.Context, call *xlator.Call, fd *xlator.FD, datasync bool) error {
	req := request(wire.OpFsync, call)
	req.Bool = datasync
	_, err := c.doFD(ctx, fd, &req)
	return err
}

// Release sends release, unless the file was lost with a connection (the
// server released it then). As Flush, it waits for the reply only on an
// inode with POSIX locks asked for through this client.
func (c *Client) Release(ctx context.Context, call *xlator.Call, fd *xlator.FD) error {
	return c.release(ctx, call, fd, wire.OpRelease)
}

// Releasedir sends releasedir, as Release.
func (c *Client) Releasedir(ctx context.Context, call *xlator.Call, fd *xlator.FD) error {
	return c.release(ctx, call, fd, wire.OpReleasedir)
}

func (c *Client) release(ctx context.Context, call *xlator.Call, fd *xlator.FD, op wire.Op) error {
	s, id, err := c.handle(fd)
	c.forget(fd)
	if err != nil {
		return nil // nothing is open on the server any more
	}
	req := request(op, call)
	req.FD = id
	return c.sendBehind(context.WithoutCancel(ctx), s, fd, &req)
}

// Fallocate sends fallocate.
func (c *Client) Fallocate(ctx context.Context, call *xlator.Call, fd *xlator.FD, mode uint32, off, length int64) error {
	req := request(wire.OpFallocate, call)
	req.Flags, req.Off, req.Len = mode, off, length
	_, err := c.doFD(ctx, fd, &req)
	return err
}

// Discard sends discard.
func (c *Client) Discard(ctx context.Context, call *xlator.Call, fd *xlator.FD, off, length int64) error {
	req := request(wire.OpDiscard, call)
	req.Off, req.Len = off, length
	_, err := c.doFD(ctx, fd, &req)
	return err
}

// Zerofill sends zerofill.
func (c *Client) Zerofill(ctx context.Context, call *xlator.Call, fd *xlator.FD, off, length int64) error {
	req := request(wire.OpZerofill, call)
	req.Off, req.Len = off, length
	_, err := c.doFD(ctx, fd, &req)
	return err
}

// Seek sends seek.
func (c *Client) Seek(ctx context.Context, call *xlator.Call, fd *xlator.FD, off int64, whence int) (int64, error) {
	req := request(wire.OpSeek, call)
	req.Off, req.Whence = off, uint32(whence)
	rep, err := c.doFD(ctx, fd, &req)
	if err != nil {
		return 0, err
	}
	return rep.N, nil
}

// CopyFileRange sends copy_file_range; both files must be open through
// this client (they are on the same server).
func (c *Client) CopyFileRange(ctx context.Context, call *xlator.Call, in *xlator.FD, offIn int64, out *xlator.FD, offOut int64, length int64, flags uint32) (int64, error) {
	s, inID, err := c.handle(in)
	if err != nil {
		return 0, err
	}
	s2, outID, err := c.handle(out)
	if err != nil {
		return 0, err
	}
	if s2 != s {
		return 0, errNotConnected
	}
	c.parents.drop(out.GFID())
	req := request(wire.OpCopyFileRange, call)
	req.FD, req.Off, req.FD2, req.Off2, req.Len, req.Flags = inID, offIn, outID, offOut, length, flags
	rep, err := s.roundTrip(ctx, &req, nil)
	if err != nil {
		return 0, err
	}
	return rep.N, nil
}

// Readdir sends readdir, asking for readdir-ahead bytes of entries at
// least; the kernel's next readdirs of fd are answered from what came
// back, while it is fresh (readdirahead.go).
func (c *Client) Readdir(ctx context.Context, call *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) ([]xlator.DirEntry, error) {
	ahead := c.aheadSize > 0 && c.aheadTTL > 0
	if ahead {
		if entries, ok := c.aheadEntries(fd, off, plus); ok {
			return entries, nil
		}
		size = max(size, c.aheadSize)
	}
	req := request(wire.OpReaddir, call)
	req.Off, req.Count, req.Bool = int64(off), uint32(min(max(size, 0), wire.MaxReaddirSize)), plus
	gen := c.modGen.Load()
	rep, err := c.doFD(ctx, fd, &req)
	if err != nil {
		return nil, err
	}
	if ahead {
		c.keepAhead(fd, off, plus, rep.Entries, rep.EOF, gen)
	}
	return rep.Entries, nil
}

// Fsyncdir sends fsyncdir.
func (c *Client) Fsyncdir(ctx context.Context, call *xlator.Call, fd *xlator.FD, datasync bool) error {
	req := request(wire.OpFsyncdir, call)
	req.Bool = datasync
	_, err := c.doFD(ctx, fd, &req)
	return err
}

// Statfs sends statfs.
func (c *Client) Statfs(ctx context.Context, call *xlator.Call, loc *xlator.Loc) (xlator.StatFS, error) {
	req := request(wire.OpStatfs, call)
	req.Loc = *loc
	rep, err := c.do(ctx, &req)
	if err != nil {
		return xlator.StatFS{}, err
	}
	return rep.StatFS, nil
}
