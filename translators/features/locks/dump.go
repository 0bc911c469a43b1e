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
// the text Dump gives for that inode. It never reaches the subvolume. It
// is in the trusted namespace (only root reads it through a mount) and
// outside Loom's internal prefix, which the FUSE bridge refuses.
const DumpXattr = "trusted.loom-locks.dump"

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

// SpaceState is the state of one lock family on one inode, as the
// "dump" control command reports it (JSON).
type SpaceState struct {
	GFID    string   `json:"gfid"`
	Kind    string   `json:"kind"` // posix, inodelk or entrylk
	Domain  string   `json:"domain,omitempty"`
	Granted []string `json:"granted,omitempty"` // as Dump formats each lock
	Waiting []string `json:"waiting,omitempty"` // in arrival order
}

// Control answers administrative commands (xlator.Controller): "dump"
// returns a []SpaceState of every inode, or of the one whose GFID is the
// argument.
func (l *Locks) Control(ctx context.Context, cmd string, args []string) (any, error) {
	if cmd != "dump" {
		return nil, fmt.Errorf("%s: unknown command %q (known: dump)", l.Name(), cmd)
	}
	switch len(args) {
	case 0:
		return l.tab.state(nil), nil
	case 1:
		g, err := xlator.ParseGFID(args[0])
		if err != nil {
			return nil, fmt.Errorf("%s: dump: %w", l.Name(), err)
		}
		return l.tab.state(&g), nil
	}
	return nil, fmt.Errorf("%s: dump takes at most one GFID, got %d arguments", l.Name(), len(args))
}

// state returns the state of every space, or of only gfid's when it is
// not nil, sorted by GFID, kind and domain.
func (t *table) state(gfid *xlator.GFID) []SpaceState {
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
	out := make([]SpaceState, 0, len(ids))
	for _, id := range ids {
		sp := t.spaces[id]
		st := SpaceState{GFID: id.gfid.String(), Kind: id.kind.String(), Domain: id.domain}
		for i := range sp.granted {
			st.Granted = append(st.Granted, describe(id.kind, &sp.granted[i]))
		}
		for _, w := range sp.waiting {
			st.Waiting = append(st.Waiting, describe(id.kind, &w.rec))
		}
		out = append(out, st)
	}
	return out
}

// dump formats the state of every space, or of only gfid's when it is
// not nil, as text.
func (t *table) dump(gfid *xlator.GFID) string {
	var b bytes.Buffer
	for _, st := range t.state(gfid) {
		fmt.Fprintf(&b, "%s %s", st.GFID, st.Kind)
		if st.Kind != kindPosix.String() {
			fmt.Fprintf(&b, " domain=%q", st.Domain)
		}
		b.WriteByte('\n')
		for _, g := range st.Granted {
			fmt.Fprintf(&b, "  granted %s\n", g)
		}
		for _, w := range st.Waiting {
			fmt.Fprintf(&b, "  waiting %s\n", w)
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
