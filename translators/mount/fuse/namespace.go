package fuse

import (
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// newEntryLoc fills o.loc for a new entry name in parent, with a fresh
// GFID for the graph to give it. It reports false for an unknown parent.
func (b *bridge) newEntryLoc(o *op, parent uint64, name string) bool {
	if !b.inodes.childLoc(parent, name, &o.loc) {
		return false
	}
	o.loc.GFID = b.gfids.next()
	return true
}

// created records a new entry and answers the kernel with it. A graph
// that reports no GFID gets the one the bridge chose.
func (b *bridge) created(o *op, parent uint64, name string, st *xlator.Stat, out *gofuse.EntryOut) {
	if st.GFID.IsZero() {
		st.GFID = o.loc.GFID
	}
	n := b.inodes.add(parent, name, st.GFID)
	b.fillEntry(out, n, st)
}

// Mknod creates a device, fifo, socket or regular file.
func (b *bridge) Mknod(cancel <-chan struct{}, in *gofuse.MknodIn, name string, out *gofuse.EntryOut) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	if !b.newEntryLoc(o, in.NodeId, name) {
		return gofuse.Status(syscall.ESTALE)
	}
	st, err := b.top.Mknod(&o.ctx, &o.call, &o.loc, in.Mode, uint64(in.Rdev), in.Umask)
	if err != nil {
		return o.status(err)
	}
	b.created(o, in.NodeId, name, &st, out)
	return gofuse.OK
}

// Mkdir creates a directory.
func (b *bridge) Mkdir(cancel <-chan struct{}, in *gofuse.MkdirIn, name string, out *gofuse.EntryOut) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	if !b.newEntryLoc(o, in.NodeId, name) {
		return gofuse.Status(syscall.ESTALE)
	}
	st, err := b.top.Mkdir(&o.ctx, &o.call, &o.loc, in.Mode, in.Umask)
	if err != nil {
		return o.status(err)
	}
	b.created(o, in.NodeId, name, &st, out)
	return gofuse.OK
}

// Symlink creates a symbolic link name in h.NodeId pointing at target.
func (b *bridge) Symlink(cancel <-chan struct{}, h *gofuse.InHeader, target string, name string, out *gofuse.EntryOut) gofuse.Status {
	o := b.newOp(cancel, h, 0)
	defer o.done()
	if !b.newEntryLoc(o, h.NodeId, name) {
		return gofuse.Status(syscall.ESTALE)
	}
	st, err := b.top.Symlink(&o.ctx, &o.call, target, &o.loc, 0)
	if err != nil {
		return o.status(err)
	}
	b.created(o, h.NodeId, name, &st, out)
	return gofuse.OK
}

// Unlink removes a name.
func (b *bridge) Unlink(cancel <-chan struct{}, h *gofuse.InHeader, name string) gofuse.Status {
	o := b.newOp(cancel, h, 0)
	defer o.done()
	if !b.inodes.childLoc(h.NodeId, name, &o.loc) {
		return gofuse.Status(syscall.ESTALE)
	}
	if err := b.top.Unlink(&o.ctx, &o.call, &o.loc); err != nil {
		return o.status(err)
	}
	b.inodes.unlink(h.NodeId, name)
	return gofuse.OK
}

// Rmdir removes a directory.
func (b *bridge) Rmdir(cancel <-chan struct{}, h *gofuse.InHeader, name string) gofuse.Status {
	o := b.newOp(cancel, h, 0)
	defer o.done()
	if !b.inodes.childLoc(h.NodeId, name, &o.loc) {
		return gofuse.Status(syscall.ESTALE)
	}
	if err := b.top.Rmdir(&o.ctx, &o.call, &o.loc); err != nil {
		return o.status(err)
	}
	b.inodes.unlink(h.NodeId, name)
	return gofuse.OK
}

// Rename moves oldName in in.NodeId to newName in in.Newdir, with the
// RENAME_NOREPLACE and RENAME_EXCHANGE flags passed on.
func (b *bridge) Rename(cancel <-chan struct{}, in *gofuse.RenameIn, oldName string, newName string) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	if in.Flags&^(xlator.RenameNoReplace|xlator.RenameExchange) != 0 {
		return gofuse.EINVAL // RENAME_WHITEOUT is for overlay file systems
	}
	if !b.inodes.childLoc(in.NodeId, oldName, &o.loc) || !b.inodes.childLoc(in.Newdir, newName, &o.loc2) {
		return gofuse.Status(syscall.ESTALE)
	}
	if err := b.top.Rename(&o.ctx, &o.call, &o.loc, &o.loc2, in.Flags); err != nil {
		return o.status(err)
	}
	b.inodes.move(in.NodeId, oldName, in.Newdir, newName, in.Flags&xlator.RenameExchange != 0)
	return gofuse.OK
}

// Link makes name in in.NodeId another name of in.Oldnodeid.
func (b *bridge) Link(cancel <-chan struct{}, in *gofuse.LinkIn, name string, out *gofuse.EntryOut) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	if b.inodes.loc(in.Oldnodeid, &o.loc) == nil || !b.inodes.childLoc(in.NodeId, name, &o.loc2) {
		return gofuse.Status(syscall.ESTALE)
	}
	st, err := b.top.Link(&o.ctx, &o.call, &o.loc, &o.loc2)
	if err != nil {
		return o.status(err)
	}
	if st.GFID.IsZero() {
		st.GFID = o.loc.GFID
	}
	n := b.inodes.add(in.NodeId, name, st.GFID)
	b.fillEntry(out, n, &st)
	return gofuse.OK
}
