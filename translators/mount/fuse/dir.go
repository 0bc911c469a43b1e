package fuse

import (
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// Whether a graph's Readdir lists "." and "..". The kernel wants them in
// a listing; when the graph leaves them out the bridge adds them at
// offsets 1 and 2 and shifts the graph's cookies by two (a graph's cookie
// is never 0, which means "from the start").
const (
	dotsUnknown int32 = iota
	dotsFromGraph
	dotsAdded
)

// dotsShift is how far the graph's cookies move when the bridge adds
// "." and "..".
const dotsShift = 2

// OpenDir opens a directory for listing.
func (b *bridge) OpenDir(cancel <-chan struct{}, in *gofuse.OpenIn, out *gofuse.OpenOut) gofuse.Status {
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	n := b.inodes.loc(in.NodeId, &o.loc)
	if n == nil {
		return gofuse.Status(syscall.ESTALE)
	}
	fd := xlator.NewFD(&o.loc, in.Flags, true)
	if err := b.top.Opendir(&o.ctx, &o.call, fd); err != nil {
		return o.status(err)
	}
	b.inodes.openHandle(n, fd)
	out.Fh = b.handles.add(&handle{fd: fd, node: n})
	out.OpenFlags = 0
	return gofuse.OK
}

// ReadDir lists names (getdents without attributes).
func (b *bridge) ReadDir(cancel <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList) gofuse.Status {
	return b.readdir(cancel, in, out, false)
}

// ReadDirPlus lists names with attributes, and gives the kernel a
// reference to each entry so that its dentry and attribute caches are
// filled and the stat calls that follow (ls -l) need no lookup.
func (b *bridge) ReadDirPlus(cancel <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList) gofuse.Status {
	return b.readdir(cancel, in, out, true)
}

func (b *bridge) readdir(cancel <-chan struct{}, in *gofuse.ReadIn, out *gofuse.DirEntryList, plus bool) gofuse.Status {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return gofuse.EBADF
	}
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()

	mode := b.dirMode(hd)
	off := in.Offset
	if mode == dotsAdded {
		for ; off < dotsShift; off++ {
			name, node := ".", hd.node
			if off == 1 {
				name = ".."
				if p := b.inodes.parentOf(hd.node); p != nil {
					node = p
				}
			}
			e := gofuse.DirEntry{Name: name, Mode: syscall.S_IFDIR, Ino: node.gfid.Ino(), Off: off + 1}
			if !addEntry(out, e, plus) {
				return gofuse.OK
			}
		}
		off -= dotsShift
	}

	entries, err := b.top.Readdir(&o.ctx, &o.call, hd.fd, off, int(in.Size), plus)
	if err != nil {
		return o.status(err)
	}
	if mode == dotsUnknown {
		mode = dotsAdded
		if hasDots(entries) {
			mode = dotsFromGraph
		}
		hd.dirMode = mode
		b.dotsMode.Store(mode)
		if mode == dotsAdded {
			// Start again, now that the offsets are known.
			return b.readdir(cancel, in, out, plus)
		}
	}
	shift := uint64(0)
	if mode == dotsAdded {
		shift = dotsShift
	}
	for i := range entries {
		de := &entries[i]
		e := gofuse.DirEntry{Name: de.Name, Mode: de.Type, Ino: de.Ino, Off: de.Off + shift}
		switch {
		case de.Name == ".":
			e.Ino = hd.node.gfid.Ino()
		case de.HasStat:
			e.Ino = inoOf(&de.Stat)
			e.Mode = de.Stat.Mode
		case de.Name == "..":
			// The brick's number: the parent may be unknown here.
		default:
			if g := b.inodes.gfidOf(in.NodeId, de.Name); !g.IsZero() {
				e.Ino = g.Ino()
			}
		}
		if !plus {
			if !out.AddDirEntry(e) {
				break
			}
			continue
		}
		eo := out.AddDirLookupEntry(e)
		if eo == nil {
			break
		}
		// The kernel ignores the entry for "." and ".." and for a node
		// id of 0 (no attributes known); any other node id counts as
		// a lookup it will FORGET.
		if de.Name == "." || de.Name == ".." || !de.HasStat {
			continue
		}
		n := b.inodes.add(in.NodeId, de.Name, de.Stat.GFID)
		b.fillEntry(eo, n, &de.Stat)
	}
	return gofuse.OK
}

// dirMode returns whether hd's listing has its own "." and "..": known
// per handle after its first listing from the start, else the last
// answer any listing gave.
func (b *bridge) dirMode(hd *handle) int32 {
	if hd.dirMode != dotsUnknown {
		return hd.dirMode
	}
	return b.dotsMode.Load()
}

// hasDots reports whether a listing includes "." or "..".
func hasDots(entries []xlator.DirEntry) bool {
	for i := range entries {
		if n := entries[i].Name; n == "." || n == ".." {
			return true
		}
	}
	return false
}

// addEntry adds e to a readdir or readdirplus reply (for the latter with
// no attributes); false means the reply is full.
func addEntry(out *gofuse.DirEntryList, e gofuse.DirEntry, plus bool) bool {
	if plus {
		return out.AddDirLookupEntry(e) != nil
	}
	return out.AddDirEntry(e)
}

// ReleaseDir closes a directory handle.
func (b *bridge) ReleaseDir(in *gofuse.ReleaseIn) {
	hd := b.handles.remove(in.Fh)
	if hd == nil {
		return
	}
	b.inodes.closeHandle(hd.node, hd.fd) // waits for borrowers, as Release does
	o := b.newOp(nil, &in.InHeader, 0)
	defer o.done()
	if err := b.top.Releasedir(&o.ctx, &o.call, hd.fd); err != nil {
		b.log.Warn("releasedir failed", "path", hd.fd.Loc.Path, "err", err)
	}
}

// FsyncDir answers fsync on a directory.
func (b *bridge) FsyncDir(cancel <-chan struct{}, in *gofuse.FsyncIn) gofuse.Status {
	hd := b.handles.get(in.Fh)
	if hd == nil {
		return gofuse.EBADF
	}
	o := b.newOp(cancel, &in.InHeader, 0)
	defer o.done()
	return neverENOSYS(o.status(b.top.Fsyncdir(&o.ctx, &o.call, hd.fd, in.FsyncFlags&1 != 0)))
}
