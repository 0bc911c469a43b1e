package fuse

import (
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"
)

// GetXAttr reads an extended attribute. With an empty dest it returns
// the value's size (the size probe of getxattr(2)); a dest too small
// gives ERANGE.
//
// A node with an open handle is read with Fgetxattr on it, as GetAttr
// does: the path may name another file by now, and the kernel asks for
// security.capability before every write to an open file (to clear it),
// which then costs the graph no path resolution.
func (b *bridge) GetXAttr(cancel <-chan struct{}, h *gofuse.InHeader, attr string, dest []byte) (uint32, gofuse.Status) {
	o := b.newOp(cancel, h, 0)
	defer o.done()
	var val []byte
	var err error
	fd, done := b.inodes.borrowFD(h.NodeId)
	defer done()
	if fd != nil {
		val, err = b.top.Fgetxattr(&o.ctx, &o.call, fd, attr)
	} else if b.inodes.loc(h.NodeId, &o.loc) == nil {
		return 0, gofuse.Status(syscall.ESTALE)
	} else {
		val, err = b.top.Getxattr(&o.ctx, &o.call, &o.loc, attr)
	}
	if err != nil {
		return 0, neverENOSYS(o.status(err))
	}
	return sized(dest, val)
}

// ListXAttr lists the names of the extended attributes, each ended by a
// NUL byte, with the same size protocol as GetXAttr.
func (b *bridge) ListXAttr(cancel <-chan struct{}, h *gofuse.InHeader, dest []byte) (uint32, gofuse.Status) {
	o := b.newOp(cancel, h, 0)
	defer o.done()
	if b.inodes.loc(h.NodeId, &o.loc) == nil {
		return 0, gofuse.Status(syscall.ESTALE)
	}
	names, err := b.top.Listxattr(&o.ctx, &o.call, &o.loc)
	if err != nil {
		return 0, neverENOSYS(o.status(err))
	}
	size := 0
	for _, n := range names {
		size += len(n) + 1
	}
	if len(dest) == 0 {
		return uint32(size), gofuse.OK
	}
	if size > len(dest) {
		return uint32(size), gofuse.ERANGE
	}
	i := 0
	for _, n := range names {
		i += copy(dest[i:], n)
		dest[i] = 0
		i++
	}
	return uint32(size), gofuse.OK
}

// sized answers the getxattr size protocol for val.
func sized(dest, val []byte) (uint32, gofuse.Status) {
	if len(dest) == 0 {
		return uint32(len(val)), gofuse.OK
	}
	if len(val) > len(dest) {
		return uint32(len(val)), gofuse.ERANGE
	}
	return uint32(copy(dest, val)), gofuse.OK
}

// SetXAttr sets an extended attribute (flags XATTR_CREATE/XATTR_REPLACE).
func (b *bridge) SetXAttr(cancel <-chan struct{}, in *gofuse.SetXAttrIn, attr string, data []byte) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	if b.inodes.loc(in.NodeId, &o.loc) == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	return neverENOSYS(o.status(b.top.Setxattr(&o.ctx, &o.call, &o.loc, attr, data, int(in.Flags))))
}

// RemoveXAttr removes an extended attribute.
func (b *bridge) RemoveXAttr(cancel <-chan struct{}, h *gofuse.InHeader, attr string) gofuse.Status {
	o := b.newOp(cancel, h, 0)
	defer o.done()
	if b.inodes.loc(h.NodeId, &o.loc) == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	return neverENOSYS(o.status(b.top.Removexattr(&o.ctx, &o.call, &o.loc, attr)))
}
