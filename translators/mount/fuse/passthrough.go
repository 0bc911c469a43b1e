package fuse

import (
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// FUSE passthrough: when the top translator keeps an open file's data in
// a local file (xlator.BackingFiler, as storage/posix does, and
// cluster/replicate for read-only opens), the bridge registers that
// file's descriptor with the kernel on OPEN and CREATE, and the kernel
// then serves read, write and mmap of the handle from the backing file
// without sending READ or WRITE to the daemon. The kernel takes its own
// reference to the file, so the id outlives the descriptor it was
// registered from.
//
// The kernel (fs/fuse/iomode.c) puts an inode in cached I/O mode or in
// passthrough mode: it fails with EIO an open of an inode that has
// cached-I/O handles when the reply asks for passthrough, an open of an
// inode with a backing file when the reply lacks FOPEN_PASSTHROUGH (even
// with FOPEN_DIRECT_IO), and a passthrough open with another backing file.
// So the bridge counts, per node, the cached handles and the handles tied
// to the node's one backing id, and asks the graph for every handle:
//
//   - the node has a backing id: the handle is tied to it whatever the
//     answer; when the graph said no, FOPEN_DIRECT_IO too, so that its
//     reads and writes still come to the graph (the kernel lets
//     FOPEN_DIRECT_IO override passthrough for read and write, not for
//     mmap, which maps the backing file);
//   - the node has cached handles: a cached handle, without asking;
//   - otherwise passthrough if the graph says yes (registering a new id),
//     else cached.
//
// The first refusal by the kernel to register a descriptor turns
// passthrough off for the rest of the mount (as go-fuse's own bridge
// does), while nodes that hold an id keep using it.

// ioMode decides how the kernel serves the new handle fd of node n, sets
// out's flags and backing id for it, and fills hd's record of that; the
// caller may then add FOPEN_KEEP_CACHE to a cached handle (keepCache).
// dropIOMode undoes the counting at release.
func (b *bridge) ioMode(n *inode, fd *xlator.FD, hd *handle, out *gofuse.OpenOut) {
	out.OpenFlags &^= gofuse.FOPEN_KEEP_CACHE | gofuse.FOPEN_DIRECT_IO | gofuse.FOPEN_PASSTHROUGH
	out.BackingID = 0
	if b.backer == nil {
		hd.cacheable = true // no passthrough: no io modes to track
		return
	}
	n.backingMu.Lock()
	defer n.backingMu.Unlock()
	if n.backing != 0 {
		_, ok := b.backer.BackingFile(fd)
		ok = ok && !b.mustSeeWrites(fd)
		n.backingRefs++
		hd.backing = true
		out.BackingID = n.backing
		out.OpenFlags |= gofuse.FOPEN_PASSTHROUGH
		if !ok {
			out.OpenFlags |= gofuse.FOPEN_DIRECT_IO
		}
		hd.cacheable = false
		return
	}
	hd.cacheable = true
	if n.cachedOpens > 0 || b.noBacking.Load() {
		n.cachedOpens++
		hd.cached = true
		b.directWriter(fd, hd, out)
		return
	}
	ufd, ok := b.backer.BackingFile(fd)
	if ok && !b.mustSeeWrites(fd) {
		id, errno := b.server.RegisterBackingFd(&gofuse.BackingMap{Fd: int32(ufd)})
		if errno == 0 && id != 0 {
			n.backing, n.backingRefs = id, 1
			hd.backing, hd.cacheable = true, false
			out.BackingID = id
			out.OpenFlags |= gofuse.FOPEN_PASSTHROUGH
			return
		}
		if b.noBacking.CompareAndSwap(false, true) {
			b.log.Info("FUSE passthrough unavailable: reads and writes go through the graph", "path", fd.Loc.Path, "err", errno)
		}
	}
	n.cachedOpens++
	hd.cached = true
	b.directWriter(fd, hd, out)
}

// directWriter gives fd FOPEN_DIRECT_IO when it is open for writing on
// a graph that passes through read-only handles only (cluster/replicate):
// the kernel then hands the writer's pages to the WRITE request as they
// are, instead of first copying them into the inode's page cache, which
// no reader uses there (read-only opens read the brick file). It still
// drops the cached pages a direct write overlaps, so a cached reader
// stays coherent, and with FUSE_DIRECT_IO_ALLOW_MMAP such a handle can
// still be mapped (shared), through the page cache. A sequential write
// through replicate(2) then costs the writer no copy of its own.
func (b *bridge) directWriter(fd *xlator.FD, hd *handle, out *gofuse.OpenOut) {
	if b.directWrites && fd.Flags&syscall.O_ACCMODE != syscall.O_RDONLY {
		out.OpenFlags |= gofuse.FOPEN_DIRECT_IO
		hd.cacheable = false
	}
}

// dropIOMode ends what ioMode counted for hd; the last handle tied to a
// backing id unregisters it.
func (b *bridge) dropIOMode(hd *handle) {
	n := hd.node
	n.backingMu.Lock()
	defer n.backingMu.Unlock()
	if hd.cached {
		n.cachedOpens--
		hd.cached = false
	}
	if !hd.backing {
		return
	}
	hd.backing = false
	n.backingRefs--
	if n.backingRefs > 0 {
		return
	}
	if errno := b.server.UnregisterBackingFd(n.backing); errno != 0 {
		b.log.Warn("unregistering a FUSE passthrough backing file failed", "id", n.backing, "err", errno)
	}
	n.backing, n.backingRefs = 0, 0
}

// mustSeeWrites reports whether fd's writes must come to the bridge
// whatever the graph offers: with FUSE_HANDLE_KILLPRIV_V2 negotiated
// (for a graph that backs read-only handles only) the bridge clears
// set-id bits on writes, which a passthrough write would skip. A graph
// switched in later (switch.go) that would pass writers through is
// refused for them.
func (b *bridge) mustSeeWrites(fd *xlator.FD) bool {
	return b.killPriv && fd.Flags&syscall.O_ACCMODE != syscall.O_RDONLY
}
