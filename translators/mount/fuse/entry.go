package fuse

import (
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// Lookup resolves name in the directory h.NodeId and gives the kernel a
// reference to it.
func (b *bridge) Lookup(cancel <-chan struct{}, h *gofuse.InHeader, name string, out *gofuse.EntryOut) gofuse.Status {
	o := b.newOp(cancel, h, 0)
	defer o.done()
	if !b.inodes.childLoc(h.NodeId, name, &o.loc) {
		return gofuse.Status(syscall.ESTALE)
	}
	// The GFID to give the entry if it has none yet (GlusterFS's
	// gfid-req), never the one the table remembers: the name may now
	// be a different file.
	o.loc.GFID = b.gfids.next()
	st, _, err := b.top.Lookup(&o.ctx, &o.call, &o.loc, nil)
	if err != nil {
		st := o.status(err)
		if st == gofuse.ENOENT && b.negativeTimeout > 0 {
			// Node id 0 with an entry timeout caches the miss.
			*out = gofuse.EntryOut{}
			setTimeout(&out.EntryValid, &out.EntryValidNsec, b.negativeTimeout)
			return gofuse.OK
		}
		return st
	}
	n := b.inodes.add(h.NodeId, name, st.GFID)
	b.fillEntry(out, n, &st)
	return gofuse.OK
}

// Forget drops nlookup of the kernel's references to nodeid.
func (b *bridge) Forget(nodeid, nlookup uint64) {
	b.inodes.forget(nodeid, nlookup)
}

// GetAttr answers stat: with Fstat on the handle when the kernel names
// one, else Stat on the path.
func (b *bridge) GetAttr(cancel <-chan struct{}, in *gofuse.GetAttrIn, out *gofuse.AttrOut) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	var st xlator.Stat
	var err error
	n := b.inodes.get(in.NodeId)
	var fd *xlator.FD
	if in.Flags()&gofuse.FUSE_GETATTR_FH != 0 {
		if hd := b.handles.get(in.Fh()); hd != nil {
			fd = hd.fd
		}
	}
	if fd == nil {
		var done func()
		fd, done = b.inodes.borrowFD(in.NodeId)
		defer done()
	}
	if fd != nil {
		st, err = b.top.Fstat(&o.ctx, &o.call, fd)
		if err != nil {
			return o.status(err)
		}
		b.fillAttrOut(out, n, &st)
		return gofuse.OK
	}
	if b.inodes.loc(in.NodeId, &o.loc) == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	st, err = b.top.Stat(&o.ctx, &o.call, &o.loc)
	if err != nil {
		return o.status(err)
	}
	b.fillAttrOut(out, n, &st)
	return gofuse.OK
}

// SetAttr answers truncate, chmod, chown and utimens: a size change is a
// Truncate (Ftruncate with a handle), the rest one Setattr (Fsetattr).
func (b *bridge) SetAttr(cancel <-chan struct{}, in *gofuse.SetAttrIn, out *gofuse.AttrOut) gofuse.Status {
	var owner uint64
	if in.Valid&gofuse.FATTR_LOCKOWNER != 0 {
		owner = in.LockOwner
	}
	o := b.newOp(cancel, &in.InHeader, owner)
	defer o.done()
	var fd *xlator.FD
	if fh, ok := in.GetFh(); ok {
		if hd := b.handles.get(fh); hd != nil {
			fd = hd.fd
		}
	}
	if fd == nil {
		// A truncate needs a handle open for writing.
		_, truncate := in.GetSize()
		cand, done := b.inodes.borrowFD(in.NodeId)
		defer done()
		if cand != nil && (!truncate || cand.Flags&syscall.O_ACCMODE != syscall.O_RDONLY) {
			fd = cand
		}
	}
	if fd == nil && b.inodes.loc(in.NodeId, &o.loc) == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	var st xlator.Stat
	var err error
	have := false
	if size, ok := in.GetSize(); ok {
		if fd != nil {
			st, err = b.top.Ftruncate(&o.ctx, &o.call, fd, size)
		} else {
			st, err = b.top.Truncate(&o.ctx, &o.call, &o.loc, size)
		}
		if err != nil {
			return o.status(err)
		}
		have = true
		if in.Valid&gofuse.FATTR_KILL_SUIDGID != 0 {
			// A truncate by a caller without CAP_FSETID (see killpriv.go).
			if err := b.killSuidgid(o, fd, &o.loc, 0); err != nil {
				return o.status(err)
			}
			have = false // the mode changed: answer the attributes after
		}
	}
	if attr, ok := setAttrOf(in); ok {
		if fd != nil {
			st, err = b.top.Fsetattr(&o.ctx, &o.call, fd, &attr)
		} else {
			st, err = b.top.Setattr(&o.ctx, &o.call, &o.loc, &attr)
		}
		if err != nil {
			return o.status(err)
		}
		have = true
	}
	if !have {
		// Nothing Loom changes (ctime only), or set-id bits cleared
		// after a truncate: answer with the current attributes.
		if fd != nil {
			st, err = b.top.Fstat(&o.ctx, &o.call, fd)
		} else {
			st, err = b.top.Stat(&o.ctx, &o.call, &o.loc)
		}
		if err != nil {
			return o.status(err)
		}
	}
	b.fillAttrOut(out, b.inodes.get(in.NodeId), &st)
	return gofuse.OK
}

// setAttrOf translates the kernel's setattr fields other than size into
// an xlator.SetAttr; ok is false when none is set.
func setAttrOf(in *gofuse.SetAttrIn) (a xlator.SetAttr, ok bool) {
	v := in.Valid
	if v&gofuse.FATTR_MODE != 0 {
		a.Valid |= xlator.SetMode
		a.Mode = in.Mode & 0o7777
	}
	if v&gofuse.FATTR_UID != 0 {
		a.Valid |= xlator.SetUID
		a.UID = in.Uid
	}
	if v&gofuse.FATTR_GID != 0 {
		a.Valid |= xlator.SetGID
		a.GID = in.Gid
	}
	switch {
	case v&gofuse.FATTR_ATIME_NOW != 0:
		a.Valid |= xlator.SetAtimeNow
	case v&gofuse.FATTR_ATIME != 0:
		a.Valid |= xlator.SetAtime
		a.Atime = xlator.Timespec{Sec: int64(in.Atime), Nsec: in.Atimensec}
	}
	switch {
	case v&gofuse.FATTR_MTIME_NOW != 0:
		a.Valid |= xlator.SetMtimeNow
	case v&gofuse.FATTR_MTIME != 0:
		a.Valid |= xlator.SetMtime
		a.Mtime = xlator.Timespec{Sec: int64(in.Mtime), Nsec: in.Mtimensec}
	}
	return a, a.Valid != 0
}

// Access answers access(2) (sent only without default_permissions).
func (b *bridge) Access(cancel <-chan struct{}, in *gofuse.AccessIn) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	if b.inodes.loc(in.NodeId, &o.loc) == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	return o.status(b.top.Access(&o.ctx, &o.call, &o.loc, in.Mask))
}

// Readlink returns a symlink's target.
func (b *bridge) Readlink(cancel <-chan struct{}, h *gofuse.InHeader) ([]byte, gofuse.Status) {
	o := b.newOp(cancel, h, 0)
	defer o.done()
	if b.inodes.loc(h.NodeId, &o.loc) == nil {
		return nil, gofuse.Status(syscall.ESTALE)
	}
	target, err := b.top.Readlink(&o.ctx, &o.call, &o.loc)
	if err != nil {
		return nil, o.status(err)
	}
	return []byte(target), gofuse.OK
}

// StatFs answers statfs(2) for the volume.
func (b *bridge) StatFs(cancel <-chan struct{}, h *gofuse.InHeader, out *gofuse.StatfsOut) gofuse.Status {
	o := b.newOp(cancel, h, 0)
	defer o.done()
	if b.inodes.loc(h.NodeId, &o.loc) == nil {
		o.loc = *xlator.RootLoc()
	}
	fs, err := b.top.Statfs(&o.ctx, &o.call, &o.loc)
	if err != nil {
		return o.status(err)
	}
	*out = gofuse.StatfsOut{
		Blocks:  fs.Blocks,
		Bfree:   fs.Bfree,
		Bavail:  fs.Bavail,
		Files:   fs.Files,
		Ffree:   fs.Ffree,
		Bsize:   fs.Bsize,
		NameLen: fs.NameLen,
		Frsize:  fs.Frsize,
	}
	return gofuse.OK
}
