package fuse

import (
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// inoOf is the inode number applications see: derived from the GFID
// (stable across remounts and shared by hard links), or the brick's own
// number for a graph that gives no GFIDs.
func inoOf(st *xlator.Stat) uint64 {
	if st.GFID.IsZero() {
		return st.Ino
	}
	return st.GFID.Ino()
}

// fillAttr copies st into the kernel's attribute record.
func fillAttr(a *gofuse.Attr, st *xlator.Stat) {
	*a = gofuse.Attr{
		Ino:       inoOf(st),
		Size:      st.Size,
		Blocks:    st.Blocks,
		Atime:     uint64(st.Atime.Sec),
		Mtime:     uint64(st.Mtime.Sec),
		Ctime:     uint64(st.Ctime.Sec),
		Atimensec: st.Atime.Nsec,
		Mtimensec: st.Mtime.Nsec,
		Ctimensec: st.Ctime.Nsec,
		Mode:      st.Mode,
		Nlink:     st.Nlink,
		Owner:     gofuse.Owner{Uid: st.UID, Gid: st.GID},
		Rdev:      uint32(st.Rdev),
		Blksize:   st.Blksize,
	}
}

// fillEntry answers a request that gives the kernel a new reference to
// node n with attributes st.
func (b *bridge) fillEntry(out *gofuse.EntryOut, n *inode, st *xlator.Stat) {
	out.NodeId = n.id
	out.Generation = 1
	fillAttr(&out.Attr, st)
	setTimeout(&out.EntryValid, &out.EntryValidNsec, b.entryTimeout)
	setTimeout(&out.AttrValid, &out.AttrValidNsec, b.attrTimeout)
	b.inodes.setAttrCache(n, st)
}

// fillAttrOut answers a getattr-like request for n.
func (b *bridge) fillAttrOut(out *gofuse.AttrOut, n *inode, st *xlator.Stat) {
	fillAttr(&out.Attr, st)
	setTimeout(&out.AttrValid, &out.AttrValidNsec, b.attrTimeout)
	if n != nil {
		b.inodes.setAttrCache(n, st)
	}
}

// setTimeout splits d into the seconds and nanoseconds fields FUSE uses.
func setTimeout(sec *uint64, nsec *uint32, d time.Duration) {
	*sec = uint64(d / time.Second)
	*nsec = uint32(d % time.Second)
}
