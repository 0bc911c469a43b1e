package fuse

import (
	"sync"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// Open opens a file and gives the kernel a handle for it.
func (b *bridge) Open(cancel <-chan struct{}, in *gofuse.OpenIn, out *gofuse.OpenOut) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	n := b.inodes.loc(in.NodeId, &o.loc)
	if n == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	fd := xlator.NewFD(&o.loc, in.Flags, false)
	if err := b.top.Open(&o.ctx, &o.call, fd); err != nil {
		return o.status(err)
	}
	if openKillsSuidgid(in.Flags, in.Mode) {
		if err := b.killSuidgid(o, fd, nil, 0); err != nil {
			_ = b.top.Release(&o.ctx, &o.call, fd)
			return o.status(err)
		}
	}
	out.OpenFlags = 0
	hd := &handle{fd: fd, node: n}
	b.ioMode(n, fd, hd, out)
	if hd.cacheable && b.keepCache(o, n, fd) {
		out.OpenFlags |= gofuse.FOPEN_KEEP_CACHE
	}
	b.inodes.openHandle(n, fd)
	out.Fh = b.handles.add(hd)
	return gofuse.OK
}

// keepCache decides whether the kernel may keep the pages it cached for
// n (FOPEN_KEEP_CACHE), as libfuse's auto_cache does: only if the file's
// mtime and size are those the kernel was last told. A change made
// elsewhere (another client of a networked graph) drops the cache. The
// kernel also drops it by itself when a later getattr shows a new mtime
// (go-fuse negotiates CAP_AUTO_INVAL_DATA).
func (b *bridge) keepCache(o *op, n *inode, fd *xlator.FD) bool {
	if fd.Flags&syscall.O_DIRECT != 0 {
		return false
	}
	st, err := b.top.Fstat(&o.ctx, &o.call, fd)
	if err != nil {
		return false
	}
	if b.inodes.attrCacheMatches(n, &st) {
		return true
	}
	// The cache is dropped now; pages read from here on match st.
	b.inodes.setAttrCache(n, &st)
	return false
}

// Create creates and opens a file, giving the kernel both the entry and
// a handle.
func (b *bridge) Create(cancel <-chan struct{}, in *gofuse.CreateIn, name string, out *gofuse.CreateOut) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	if !b.newEntryLoc(o, in.NodeId, name) {
		return gofuse.Status(syscall.ESTALE)
	}
	fd := xlator.NewFD(&o.loc, in.Flags, false)
	st, err := b.top.Create(&o.ctx, &o.call, fd, in.Mode, in.Umask)
	if err != nil {
		return o.status(err)
	}
	if openKillsSuidgid(in.Flags, in.OpenFlags) {
		// An existing file opened with O_TRUNC loses its set-id bits;
		// a new one keeps those the caller asked for.
		if err := b.killSuidgid(o, fd, nil, in.Mode); err != nil {
			_ = b.top.Release(&o.ctx, &o.call, fd)
			return o.status(err)
		}
		if st, err = b.top.Fstat(&o.ctx, &o.call, fd); err != nil {
			_ = b.top.Release(&o.ctx, &o.call, fd)
			return o.status(err)
		}
	}
	if st.GFID.IsZero() {
		st.GFID = o.loc.GFID
	}
	n := b.inodes.add(in.NodeId, name, st.GFID)
	b.fillEntry(&out.EntryOut, n, &st)
	hd := &handle{fd: fd, node: n}
	b.ioMode(n, fd, hd, &out.OpenOut)
	if hd.cacheable {
		// A new file has no cached pages to distrust.
		out.OpenFlags |= gofuse.FOPEN_KEEP_CACHE
	}
	b.inodes.openHandle(n, fd)
	out.Fh = b.handles.add(hd)
	return gofuse.OK
}

// readResult hands the bytes read to go-fuse without an allocation per
// read: results are pooled and returned by Done once the reply is sent.
// It offers Slices so that go-fuse writes the reply with one writev
// instead of first trying (and failing) to splice it.
type readResult struct {
	data []byte
	vec  [1][]byte
}

var readResultPool = sync.Pool{New: func() any { return new(readResult) }}

// Bytes returns the data read (already in go-fuse's buffer).
func (r *readResult) Bytes([]byte) ([]byte, gofuse.Status) { return r.data, gofuse.OK }

// Slices returns the data as one vector for writev.
func (r *readResult) Slices() ([][]byte, gofuse.Status) {
	r.vec[0] = r.data
	return r.vec[:], gofuse.OK
}

// Size returns the byte count.
func (r *readResult) Size() int { return len(r.data) }

// Done recycles r after go-fuse sent the reply.
func (r *readResult) Done() {
	r.data, r.vec[0] = nil, nil
	readResultPool.Put(r)
}

// Read reads into the buffer go-fuse gives (no copy).
func (b *bridge) Read(cancel <-chan struct{}, in *gofuse.ReadIn, buf []byte) (gofuse.ReadResult, gofuse.Status) {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return nil, gofuse.EBADF
	}
	var owner uint64
	if in.ReadFlags&gofuse.READ_LOCKOWNER != 0 {
		owner = in.LockOwner
	}
	o := b.newOp(cancel, &in.InHeader, owner)
	defer o.done()
	if uint32(len(buf)) > in.Size {
		buf = buf[:in.Size]
	}
	n, err := b.top.Read(&o.ctx, &o.call, hd.fd, buf, int64(in.Offset))
	if err != nil {
		return nil, o.status(err)
	}
	r := readResultPool.Get().(*readResult)
	r.data = buf[:n]
	return r, gofuse.OK
}

// Write writes data (valid only during the call) at in.Offset.
func (b *bridge) Write(cancel <-chan struct{}, in *gofuse.WriteIn, data []byte) (uint32, gofuse.Status) {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return 0, gofuse.EBADF
	}
	var owner uint64
	if in.WriteFlags&gofuse.WRITE_LOCKOWNER != 0 {
		owner = in.LockOwner
	}
	o := b.newOp(cancel, &in.InHeader, owner)
	defer o.done()
	if writeKillsSuidgid(in) {
		if err := b.killSuidgid(o, hd.fd, nil, 0); err != nil {
			return 0, o.status(err)
		}
	}
	n, err := b.top.Write(&o.ctx, &o.call, hd.fd, data, int64(in.Offset))
	if err != nil {
		return uint32(n), o.status(err)
	}
	return uint32(n), gofuse.OK
}

// Flush is sent at each close(2) of a descriptor; the lock owner lets
// the graph drop that owner's POSIX locks, as close must.
func (b *bridge) Flush(cancel <-chan struct{}, in *gofuse.FlushIn) gofuse.Status {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return gofuse.EBADF
	}
	o := b.newOp(cancel, &in.InHeader, in.LockOwner)
	defer o.done()
	return neverENOSYS(o.status(b.top.Flush(&o.ctx, &o.call, hd.fd)))
}

// Fsync answers fsync and fdatasync (bit 0 of the flags).
func (b *bridge) Fsync(cancel <-chan struct{}, in *gofuse.FsyncIn) gofuse.Status {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return gofuse.EBADF
	}
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	return neverENOSYS(o.status(b.top.Fsync(&o.ctx, &o.call, hd.fd, in.FsyncFlags&1 != 0)))
}

// releaseFlockUnlock is FUSE_RELEASE_FLOCK_UNLOCK: the file had flock(2)
// locks, which the release must drop.
const releaseFlockUnlock = 1 << 1

// Release closes a file handle for good. It runs to completion whatever
// the kernel's state: its context is never cancelled.
func (b *bridge) Release(cancel <-chan struct{}, in *gofuse.ReleaseIn) {
	hd := b.handles.remove(in.Fh)
	if hd == nil {
		return
	}
	// Unlist the handle first and wait for any stat or getxattr that
	// borrowed it, so the graph never sees the FD used after release.
	b.inodes.closeHandle(hd.node, hd.fd)
	// The kernel has left the handle's io mode already; end the count
	// before the graph's release, so that no later open is tied to a
	// backing file the graph no longer accounts for.
	b.dropIOMode(hd)
	o := b.newOp(nil, &in.InHeader, in.LockOwner)
	defer o.done()
	if in.ReleaseFlags&releaseFlockUnlock != 0 {
		unlock := xlator.Flock{Type: xlator.Unlock, Owner: in.LockOwner}
		if _, err := b.top.Lk(&o.ctx, &o.call, hd.fd, xlator.LkSet, unlock); err != nil {
			b.log.Warn("release: dropping flock locks failed", "path", hd.fd.Loc.Path, "err", err)
		}
	}
	if err := b.top.Release(&o.ctx, &o.call, hd.fd); err != nil {
		b.log.Warn("release failed", "path", hd.fd.Loc.Path, "err", err)
	}
}

// Fallocate answers fallocate(2): mode 0 and KEEP_SIZE allocate,
// PUNCH_HOLE discards, ZERO_RANGE zero-fills (as GlusterFS maps them).
func (b *bridge) Fallocate(cancel <-chan struct{}, in *gofuse.FallocateIn) gofuse.Status {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return gofuse.EBADF
	}
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	off, length := int64(in.Offset), int64(in.Length)
	var err error
	switch {
	case in.Mode&^(xlator.FallocKeepSize|xlator.FallocPunchHole|xlator.FallocZeroRange) != 0:
		return gofuse.Status(syscall.EOPNOTSUPP) // collapse, insert, unshare
	case in.Mode&xlator.FallocPunchHole != 0:
		if in.Mode&xlator.FallocKeepSize == 0 {
			return gofuse.EINVAL // as fallocate(2): punching requires KEEP_SIZE
		}
		err = b.top.Discard(&o.ctx, &o.call, hd.fd, off, length)
	case in.Mode&xlator.FallocZeroRange != 0:
		err = b.top.Zerofill(&o.ctx, &o.call, hd.fd, off, length)
	default:
		err = b.top.Fallocate(&o.ctx, &o.call, hd.fd, in.Mode, off, length)
	}
	return neverENOSYS(o.status(err))
}

// Lseek answers SEEK_DATA and SEEK_HOLE (the kernel handles the others).
func (b *bridge) Lseek(cancel <-chan struct{}, in *gofuse.LseekIn, out *gofuse.LseekOut) gofuse.Status {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return gofuse.EBADF
	}
	if in.Whence != unixSeekData && in.Whence != unixSeekHole {
		return gofuse.EINVAL
	}
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	off, err := b.top.Seek(&o.ctx, &o.call, hd.fd, int64(in.Offset), int(in.Whence))
	if err != nil {
		return o.status(err)
	}
	out.Offset = uint64(off)
	return gofuse.OK
}

// SEEK_DATA and SEEK_HOLE.
const (
	unixSeekData = 3
	unixSeekHole = 4
)

// CopyFileRange copies between two open files inside the graph.
func (b *bridge) CopyFileRange(cancel <-chan struct{}, in *gofuse.CopyFileRangeIn) (uint32, gofuse.Status) {
	src, dst := b.handles.get(in.FhIn), b.handles.get(in.FhOut)
	if src == nil || dst == nil {
		return 0, gofuse.EBADF
	}
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	length := min(in.Len, 1<<30) // the reply counts in 32 bits
	n, err := b.top.CopyFileRange(&o.ctx, &o.call, src.fd, int64(in.OffIn), dst.fd, int64(in.OffOut), int64(length), uint32(in.Flags))
	if err != nil {
		return 0, o.status(err)
	}
	return uint32(n), gofuse.OK
}
