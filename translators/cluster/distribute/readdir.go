package distribute

import (
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// Opendir opens the directory on every up child.
func (d *Distribute) Opendir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	s := &fdState{sub: dirSub, opened: make([]bool, len(d.kids))}
	ok, err := d.onDirAll(func(i int) error { return d.kids[i].Opendir(ctx, c, fd) })
	if !anyTrue(ok) {
		if err == nil {
			err = syscall.ENOTCONN
		}
		return err
	}
	if err != nil && !errors.Is(err, syscall.ENOENT) {
		for i := range ok {
			if ok[i] {
				d.kids[i].Releasedir(context.WithoutCancel(ctx), c, fd)
			}
		}
		return err
	}
	copy(s.opened, ok)
	fd.SetCtx(d, s)
	return nil
}

// Releasedir closes the directory on every child it is open on.
func (d *Distribute) Releasedir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	s, _ := fd.DelCtx(d).(*fdState)
	if s == nil {
		return nil
	}
	for i, o := range s.opened {
		if o {
			d.kids[i].Releasedir(ctx, c, fd)
		}
	}
	return nil
}

// Fsyncdir syncs every copy of the directory.
func (d *Distribute) Fsyncdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	s := d.fdOf(fd)
	if s == nil {
		return syscall.EBADF
	}
	for i, o := range s.opened {
		if o {
			if err := d.kids[i].Fsyncdir(ctx, c, fd, datasync); err != nil {
				return err
			}
		}
	}
	return nil
}

// Readdir lists the children one after the other: "." and "..", and
// directories, only from the first child the directory is open on;
// files from every child; link files never. Each entry's cookie encodes
// its child (see EncodeCookie). A file that a rebalance migrates from an
// earlier child to a later one between two pages of one listing pass
// (from offset 0) is listed once: its GFID is remembered when it is
// listed from a child that may not keep it (mayMoveAway) and skipped on
// any other child.
func (d *Distribute) Readdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) ([]xlator.DirEntry, error) {
	s := d.fdOf(fd)
	if s == nil {
		return nil, syscall.EBADF
	}
	n := len(d.kids)
	sub, v, isSlot := DecodeCookie(off, n)
	childOff := v
	if isSlot {
		var ok bool
		if childOff, ok = d.cookies.get(fd.GFID(), v); !ok {
			return nil, syscall.EINVAL
		}
	}
	s.listedMu.Lock()
	defer s.listedMu.Unlock()
	if off == 0 {
		s.listed = nil // a new listing pass
	}
	lay, _ := d.layouts.get(fd.GFID())
	rebalancing := d.reb.running()
	first := -1
	for i, o := range s.opened {
		if o {
			first = i
			break
		}
	}
	for sub < n {
		if !s.opened[sub] {
			sub, childOff = sub+1, 0
			continue
		}
		ents, err := d.kids[sub].Readdir(ctx, c, fd, childOff, size, true)
		if err != nil {
			return nil, err
		}
		if len(ents) == 0 {
			sub, childOff = sub+1, 0
			continue
		}
		out := ents[:0]
		for _, e := range ents {
			childOff = e.Off
			if !keepEntry(&e, sub == first) {
				continue
			}
			if e.HasStat && e.Type != syscall.S_IFDIR {
				if was, seen := s.listed[e.Stat.GFID]; seen && was != sub {
					continue // listed from its old child earlier in this pass
				}
				if mayMoveAway(lay, e.Name, sub, rebalancing) {
					if s.listed == nil {
						s.listed = map[xlator.GFID]int{}
					}
					s.listed[e.Stat.GFID] = sub
				}
			}
			if cookie, ok := EncodeCookie(sub, n, e.Off); ok {
				e.Off = cookie
			} else {
				e.Off = EncodeSlot(sub, n, d.cookies.slot(fd.GFID(), e.Off))
			}
			if e.HasStat {
				e.Ino = e.Stat.GFID.Ino()
			}
			if !plus {
				e.HasStat, e.Stat = false, xlator.Stat{}
			}
			out = append(out, e)
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return nil, nil
}

// mayMoveAway reports whether a file named name, listed from child sub
// of a directory whose cached layout is lay, may be migrated to another
// child while the listing goes on: when a rebalance runs in this
// process, when the layout is unknown or not committed, or when the
// name hashes elsewhere. Only such files are remembered for the
// listing's duplicate check, so a settled directory costs no memory.
func mayMoveAway(lay Layout, name string, sub int, rebalancing bool) bool {
	if rebalancing || len(lay) == 0 || !lay.Committed() {
		return true
	}
	h, err := lay.Search(Hash(name))
	return err != nil || h != sub
}

// keepEntry decides whether a child's entry is listed: dots and
// directories only from the first child, link files never.
func keepEntry(e *xlator.DirEntry, first bool) bool {
	switch {
	case e.Name == "." || e.Name == "..":
		return first
	case e.Type == syscall.S_IFDIR:
		return first
	case e.HasStat && isLinkFile(&e.Stat):
		return false
	}
	return true
}
