package locks

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/loom-fs/loom/xlator"
)

// DumpXattr is the virtual xattr that lists the locks of one inode:
// Getxattr or Fgetxattr of this name on any file or directory answers
// the text Dump gives for that inode. It never reaches the subvolume.
const DumpXattr = "loom.locks.dump"

// Dump describes every lock the translator holds and every request
// waiting for one, like the lock section of a GlusterFS statedump: one
// header line per inode and lock family, then one line per granted lock
// and per waiting request in arrival order. Inodes are sorted by GFID.
func (l *Locks) Dump() string { return l.tab.dump(nil) }

// Getxattr answers DumpXattr itself and passes every other name on.
func (l *Locks) Getxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) ([]byte, error) {
	if name == DumpXattr {
		return []byte(l.tab.dump(&loc.GFID)), nil
	}
	return l.Base.Getxattr(ctx, c, loc, name)
}

// Fgetxattr answers DumpXattr itself and passes every other name on.
func (l *Locks) Fgetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) ([]byte, error) {
	if name == DumpXattr {
		g := fd.GFID()
		return []byte(l.tab.dump(&g)), nil
	}
	return l.Base.Fgetxattr(ctx, c, fd, name)
}

// dump writes the state of every space, or of only gfid's when it is
// not nil.
func (t *table) dump(gfid *xlator.GFID) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var ids []spaceID
	for id := range t.spaces {
		if gfid == nil || id.gfid == *gfid {
			ids = append(ids, id)
		}
	}
	slices.SortFunc(ids, func(a, b spaceID) int {
		return cmp.Or(bytes.Compare(a.gfid[:], b.gfid[:]), cmp.Compare(a.kind, b.kind), cmp.Compare(a.domain, b.domain))
	})
	var b bytes.Buffer
	for _, id := range ids {
		sp := t.spaces[id]
		fmt.Fprintf(&b, "%s %s", id.gfid, id.kind)
		if id.kind != kindPosix {
			fmt.Fprintf(&b, " domain=%q", id.domain)
		}
		b.WriteByte('\n')
		for i := range sp.granted {
			fmt.Fprintf(&b, "  granted %s\n", describe(id.kind, &sp.granted[i]))
		}
		for _, w := range sp.waiting {
			fmt.Fprintf(&b, "  waiting %s\n", describe(id.kind, &w.rec))
		}
	}
	return b.String()
}

// describe formats one lock for Dump and the trace log:
// "write 0-99 client=c owner=0x2a pid=7", with "EOF" as the end of a range
// that runs to the end of the file, or a quoted name ("" is the whole
// directory) for entry locks.
func describe(k kind, l *lockRec) string {
	typ := map[xlator.LockType]string{xlator.ReadLock: "read", xlator.WriteLock: "write", xlator.Unlock: "unlock"}[l.typ]
	var what string
	if k == kindEntry {
		what = strconv.Quote(l.name)
	} else {
		end := "EOF"
		if l.span.end != toEOF {
			end = strconv.FormatInt(l.span.end, 10)
		}
		what = fmt.Sprintf("%d-%s", l.span.start, end)
	}
	return fmt.Sprintf("%s %s client=%q owner=%#x pid=%d", typ, what, l.owner.client, l.owner.id, l.pid)
}
