package fuse

import (
	"fmt"
	"syscall"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// The mount negotiates FUSE_HANDLE_KILLPRIV_V2: the kernel no longer
// clears set-user-ID and set-group-ID bits and security.capability
// itself, and so no longer asks for security.capability (a GETXATTR
// round trip) before every write(2) through a handle that is not passed
// through; the inode is marked S_NOSEC instead. The daemon's share:
//
//   - security.capability: every write and truncate reaches a brick as a
//     write or truncate by this process, and the brick's own file system
//     removes the attribute then, as for any writer (it does so whatever
//     the writer's capabilities); chown likewise.
//   - set-id bits: the bricks run as root, which keeps them, so the bridge
//     clears them where the kernel says the caller lacks CAP_FSETID: on a
//     WRITE with FUSE_WRITE_KILL_SUIDGID, a SETATTR of the size with
//     FATTR_KILL_SUIDGID and an OPEN or CREATE with O_TRUNC and
//     FUSE_OPEN_KILL_SUIDGID. chown needs nothing: the brick's chown
//     clears them whoever calls it.
//
// Which bits go is what the kernel clears on a local file system (and
// what the FUSE protocol says): set-user-ID always, set-group-ID when the
// group may execute (without group execute it marks mandatory locking).

// killSuidgid clears the set-id bits of fd's regular file (of loc's when
// fd is nil) that a write or truncate by o's caller (without CAP_FSETID)
// must clear. except are mode bits to leave alone (a create's own mode).
// A file without such bits costs one Fstat (Stat) and is not changed.
func (b *bridge) killSuidgid(o *op, fd *xlator.FD, loc *xlator.Loc, except uint32) error {
	var st xlator.Stat
	var err error
	if fd != nil {
		loc = &fd.Loc
		st, err = b.top.Fstat(&o.ctx, &o.call, fd)
	} else {
		st, err = b.top.Stat(&o.ctx, &o.call, loc)
	}
	if err != nil {
		return fmt.Errorf("kill suid/sgid of %s: %w", loc.Path, err)
	}
	kill := killBits(&st) &^ except
	if kill == 0 {
		return nil
	}
	// As the kernel's own clearing (ATTR_FORCE): whoever writes may clear
	// the bits, owner or not.
	root := o.call
	root.UID, root.GID, root.Groups = 0, 0, nil
	attr := xlator.SetAttr{Valid: xlator.SetMode, Mode: st.Mode & 0o7777 &^ kill}
	if fd != nil {
		_, err = b.top.Fsetattr(&o.ctx, &root, fd, &attr)
	} else {
		_, err = b.top.Setattr(&o.ctx, &root, loc, &attr)
	}
	if err != nil {
		return fmt.Errorf("kill suid/sgid of %s: %w", loc.Path, err)
	}
	return nil
}

// killBits returns the set-id bits of st that a write or truncate by a
// caller without CAP_FSETID clears.
func killBits(st *xlator.Stat) uint32 {
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return 0
	}
	var kill uint32
	if st.Mode&syscall.S_ISUID != 0 {
		kill |= syscall.S_ISUID
	}
	if st.Mode&(syscall.S_ISGID|syscall.S_IXGRP) == syscall.S_ISGID|syscall.S_IXGRP {
		kill |= syscall.S_ISGID
	}
	return kill
}

// writeKillsSuidgid reports whether the kernel asked a WRITE to clear
// set-id bits.
func writeKillsSuidgid(in *gofuse.WriteIn) bool {
	return in.WriteFlags&gofuse.WRITE_KILL_SUIDGID != 0
}

// openKillsSuidgid reports whether the kernel asked an OPEN or CREATE
// (openFlags: its open_flags) with flags to clear set-id bits.
func openKillsSuidgid(flags, openFlags uint32) bool {
	return flags&syscall.O_TRUNC != 0 && openFlags&gofuse.OPEN_KILL_SUIDGID != 0
}
