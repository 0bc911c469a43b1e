package fuse

import (
	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// FUSE passthrough: when the top translator keeps an open file's data in
// a local file (xlator.BackingFiler, as storage/posix does), the bridge
// registers that file's descriptor with the kernel on OPEN and CREATE,
// and the kernel then serves read, write and mmap of the handle from the
// backing file without sending READ or WRITE to the daemon. The kernel
// takes its own reference to the file, so the id outlives the descriptor
// it was registered from.
//
// The kernel allows one backing file per inode at a time, and refuses
// (EIO to the application) a passthrough open of an inode that has a
// cached-I/O open, and the reverse. So every handle of a node shares one
// id, counted per node and unregistered at the last release; and the
// first refusal by the kernel turns passthrough off for the rest of the
// mount (as go-fuse's own bridge does), while nodes that hold an id keep
// using it.

// passthrough tries to make the new handle fd of node n a passthrough
// handle: it sets out's backing id and FOPEN_PASSTHROUGH (clearing
// FOPEN_KEEP_CACHE, which has no meaning then) and reports whether it
// did. The caller records the answer in the handle and calls
// dropBacking when it is released.
func (b *bridge) passthrough(n *inode, fd *xlator.FD, out *gofuse.OpenOut) bool {
	if b.backer == nil {
		return false
	}
	n.backingMu.Lock()
	defer n.backingMu.Unlock()
	if n.backing == 0 {
		if b.noBacking.Load() {
			return false
		}
		ufd, ok := b.backer.BackingFile(fd)
		if !ok {
			return false
		}
		id, errno := b.server.RegisterBackingFd(&gofuse.BackingMap{Fd: int32(ufd)})
		if errno != 0 || id == 0 {
			if b.noBacking.CompareAndSwap(false, true) {
				b.log.Info("FUSE passthrough unavailable: reads and writes go through the graph", "path", fd.Loc.Path, "err", errno)
			}
			return false
		}
		n.backing = id
	}
	n.backingRefs++
	out.BackingID = n.backing
	out.OpenFlags |= gofuse.FOPEN_PASSTHROUGH
	out.OpenFlags &^= gofuse.FOPEN_KEEP_CACHE
	return true
}

// dropBacking releases one passthrough handle of n; the last one
// unregisters the backing id.
func (b *bridge) dropBacking(n *inode) {
	n.backingMu.Lock()
	defer n.backingMu.Unlock()
	n.backingRefs--
	if n.backingRefs > 0 {
		return
	}
	if errno := b.server.UnregisterBackingFd(n.backing); errno != 0 {
		b.log.Warn("unregistering a FUSE passthrough backing file failed", "id", n.backing, "err", errno)
	}
	n.backing, n.backingRefs = 0, 0
}
