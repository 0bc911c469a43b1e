package posix

import (
	"bytes"
	"context"
	"encoding/binary"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// addArrays adds given to stored element-wise as big-endian integers of
// width bytes (a missing or shorter stored value counts as zeros).
func addArrays(stored, given []byte, width int) ([]byte, error) {
	if len(given)%width != 0 || len(stored)%width != 0 {
		return nil, syscall.EINVAL
	}
	out := make([]byte, max(len(stored), len(given)))
	copy(out, stored)
	for i := 0; i+width <= len(given); i += width {
		switch width {
		case 4:
			v := int32(binary.BigEndian.Uint32(out[i:])) + int32(binary.BigEndian.Uint32(given[i:]))
			binary.BigEndian.PutUint32(out[i:], uint32(v))
		case 8:
			v := int64(binary.BigEndian.Uint64(out[i:])) + int64(binary.BigEndian.Uint64(given[i:]))
			binary.BigEndian.PutUint64(out[i:], uint64(v))
		}
	}
	return out, nil
}

// allZero reports whether every byte of b is 0.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func opWidth(op xlator.XattropOp) (int, error) {
	switch op {
	case xlator.AddArray32:
		return 4, nil
	case xlator.AddArray64:
		return 8, nil
	}
	return 0, syscall.EINVAL
}

// xattrop applies op to every named xattr under g's lock through
// get/set/remove (which take on-disk names) and returns the new values.
func (p *Posix) xattrop(g xlator.GFID, op xlator.XattropOp, xattrs xlator.XData,
	get func(attr string, b []byte) (int, error), set func(attr string, v []byte) error,
	remove func(attr string) error) (xlator.XData, error) {
	width, err := opWidth(op)
	if err != nil {
		return nil, err
	}
	mu := p.locks.of(g)
	mu.Lock()
	defer mu.Unlock()
	out := make(xlator.XData, len(xattrs))
	for name, given := range xattrs {
		attr, err := p.diskName(name, true)
		if err != nil {
			return nil, err
		}
		stored, err := readValue(func(b []byte) (int, error) { return get(attr, b) })
		if err != nil && err != syscall.ENODATA {
			return nil, err
		}
		v, err := addArrays(stored, given, width)
		if err != nil {
			return nil, err
		}
		// An unchanged value is not written again, nor is a missing
		// one written as zeros (missing reads as zeros): replicate's
		// post-ops and heals send every changelog key, most of them
		// adding nothing. A value that drops to all zeros is removed
		// rather than stored as zeros (GlusterFS's AFR also reads a
		// missing changelog key as zero), so a file whose transactions
		// all ended carries no changelog keys and a lookup that lists
		// the names first reads none of them. The reply still carries
		// the zeros: features/index drops its record on them.
		switch {
		case bytes.Equal(v, stored) || stored == nil && allZero(v):
		case allZero(v):
			if err := remove(attr); err != nil && err != syscall.ENODATA {
				return nil, err
			}
		default:
			if err := set(attr, v); err != nil {
				return nil, err
			}
		}
		out[name] = v
	}
	return out, nil
}

// Xattrop atomically adds the given arrays to the named xattrs of loc
// (see xlator.AddArray32, AddArray64) and returns the new values.
func (p *Posix) Xattrop(ctx context.Context, c *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	t, err := p.resolve(loc)
	if err != nil {
		return nil, fail("xattrop", locPath(loc), err)
	}
	defer t.release()
	st, _, err := p.statResolved(&t, loc.GFID)
	if err != nil {
		return nil, fail("xattrop", locPath(loc), err)
	}
	out, err := p.xattrop(st.GFID, op, xattrs,
		func(attr string, b []byte) (int, error) { return getxattrAt(t.dir, t.name, attr, b) },
		func(attr string, v []byte) error { return setxattrAt(t.dir, t.name, attr, v, 0) },
		func(attr string) error { return removexattrAt(t.dir, t.name, attr) })
	return out, fail("xattrop", locPath(loc), err)
}

// Fxattrop is Xattrop on an open file.
func (p *Posix) Fxattrop(ctx context.Context, c *xlator.Call, fd *xlator.FD, op xlator.XattropOp, xattrs xlator.XData) (xlator.XData, error) {
	h, err := p.handleOf(fd)
	if err != nil {
		return nil, err
	}
	g := h.gfid
	if g.IsZero() {
		if _, err := fgetxattr(h.fd, p.gfidKey, g[:]); err != nil {
			return nil, fail("fxattrop", fd.Loc.Path, err)
		}
	}
	out, err := p.xattrop(g, op, xattrs,
		func(attr string, b []byte) (int, error) { return fgetxattr(h.fd, attr, b) },
		func(attr string, v []byte) error { return fsetxattr(h.fd, attr, v, 0) },
		func(attr string) error { return fremovexattr(h.fd, attr) })
	return out, fail("fxattrop", fd.Loc.Path, err)
}
