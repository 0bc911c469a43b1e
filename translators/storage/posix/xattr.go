package posix

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// xattrMax is the largest xattr value (and name list) Linux allows.
const xattrMax = 64 << 10

// xattrBufs recycles 64 KiB buffers for reading values of unknown size
// that keep growing while they are read (see readValue).
var xattrBufs = sync.Pool{New: func() any { b := make([]byte, xattrMax); return &b }}

// smallXattr is the buffer size of a first read: Loom's own values (a
// GFID, changelog counters), most ACLs and most name lists fit.
const smallXattr = 512

// smallXattrBufs recycles the buffers of first reads.
var smallXattrBufs = sync.Pool{New: func() any { b := make([]byte, smallXattr); return &b }}

// diskName maps a client's xattr name to the name on disk. Loom's own
// names on disk (trusted.loom.*, user.loom.*) are hidden: reading answers
// ENODATA and writing EPERM. Internal names "loom.X" of translators above
// are stored as <ns>.loom.X; "loom.gfid" is read-only.
func (p *Posix) diskName(name string, write bool) (string, error) {
	switch {
	case strings.HasPrefix(name, "trusted.loom.") || strings.HasPrefix(name, "user.loom."):
		if write {
			return "", syscall.EPERM
		}
		return "", syscall.ENODATA
	case strings.HasPrefix(name, "loom."):
		if write && name == "loom.gfid" {
			return "", syscall.EPERM
		}
		return p.ns + "." + name, nil
	}
	return name, nil
}

// hiddenName reports whether an on-disk name is Loom's own.
func hiddenName(name string) bool {
	return strings.HasPrefix(name, "trusted.loom.") || strings.HasPrefix(name, "user.loom.")
}

// readValue reads an xattr (or a name list) through get, which fills a
// buffer and returns the size (with an empty buffer: the size needed),
// into a slice of exactly the value's size. It reads into a small buffer
// first, and only a value that does not fit is read by its size: the
// kernel allocates (and zeroes) a buffer as big as the one it is given,
// so reading every value into 64 KiB cost 16 cleared pages per call (a
// tenth of a full heal's CPU time).
func readValue(get func([]byte) (int, error)) ([]byte, error) {
	sp := smallXattrBufs.Get().(*[]byte)
	n, err := get(*sp)
	if err == nil {
		v := bytes.Clone((*sp)[:n])
		smallXattrBufs.Put(sp)
		return v, nil
	}
	smallXattrBufs.Put(sp)
	if err != syscall.ERANGE {
		return nil, err
	}
	// Bigger: ask its size and read it into a buffer that size, a few
	// times if it grows in between; then into the largest buffer.
	for try := 0; try < 3; try++ {
		n, err := get(nil)
		if err != nil {
			return nil, err
		}
		b := make([]byte, n)
		m, err := get(b)
		if err == nil {
			return b[:m], nil
		}
		if err != syscall.ERANGE {
			return nil, err
		}
	}
	bp := xattrBufs.Get().(*[]byte)
	defer xattrBufs.Put(bp)
	n, err = get(*bp)
	if err != nil {
		return nil, err
	}
	return bytes.Clone((*bp)[:n]), nil
}

// getxattrValue reads attr (an on-disk name) of target t.
func (p *Posix) getxattrValue(t *target, attr string) ([]byte, error) {
	return readValue(func(b []byte) (int, error) { return getxattrAt(t.dir, t.name, attr, b) })
}

// splitNames turns a NUL-separated name list into names, leaving out
// Loom's own.
func splitNames(list []byte) []string {
	var out []string
	for len(list) > 0 {
		i := bytes.IndexByte(list, 0)
		if i < 0 {
			i = len(list)
		}
		if name := string(list[:i]); name != "" && !hiddenName(name) {
			out = append(out, name)
		}
		if i == len(list) {
			break
		}
		list = list[i+1:]
	}
	return out
}

// Setxattr sets name on loc (flags: XATTR_CREATE, XATTR_REPLACE).
func (p *Posix) Setxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string, value []byte, flags int) error {
	attr, err := p.diskName(name, true)
	if err != nil {
		return err
	}
	t, err := p.resolve(loc)
	if err != nil {
		return fail("setxattr", locPath(loc), err)
	}
	defer t.release()
	err = setxattrAt(t.dir, t.name, attr, value, flags)
	p.aclChanged(attr)
	return failAttr("setxattr", name, locPath(loc), err)
}

// Getxattr returns the value of name on loc.
func (p *Posix) Getxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) ([]byte, error) {
	attr, err := p.diskName(name, false)
	if err != nil {
		return nil, err
	}
	t, err := p.resolve(loc)
	if err != nil {
		return nil, fail("getxattr", locPath(loc), err)
	}
	defer t.release()
	v, err := p.getxattrValue(&t, attr)
	return v, failAttr("getxattr", name, locPath(loc), err)
}

// Listxattr lists the xattr names of loc, without Loom's own.
func (p *Posix) Listxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc) ([]string, error) {
	t, err := p.resolve(loc)
	if err != nil {
		return nil, fail("listxattr", locPath(loc), err)
	}
	defer t.release()
	list, err := readValue(func(b []byte) (int, error) { return listxattrAt(t.dir, t.name, b) })
	if err != nil {
		return nil, fail("listxattr", locPath(loc), err)
	}
	return splitNames(list), nil
}

// Removexattr removes name from loc.
func (p *Posix) Removexattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) error {
	attr, err := p.diskName(name, true)
	if err != nil {
		return err
	}
	t, err := p.resolve(loc)
	if err != nil {
		return fail("removexattr", locPath(loc), err)
	}
	defer t.release()
	err = removexattrAt(t.dir, t.name, attr)
	p.aclChanged(attr)
	return failAttr("removexattr", name, locPath(loc), err)
}

// Fsetxattr sets name on the open fd.
func (p *Posix) Fsetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string, value []byte, flags int) error {
	attr, err := p.diskName(name, true)
	if err != nil {
		return err
	}
	h, err := p.handleOf(fd)
	if err != nil {
		return err
	}
	err = fsetxattr(h.fd, attr, value, flags)
	p.aclChanged(attr)
	return failAttr("fsetxattr", name, fd.Loc.Path, err)
}

// Fgetxattr returns the value of name on the open fd.
func (p *Posix) Fgetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) ([]byte, error) {
	attr, err := p.diskName(name, false)
	if err != nil {
		return nil, err
	}
	h, err := p.handleOf(fd)
	if err != nil {
		return nil, err
	}
	v, err := readValue(func(b []byte) (int, error) { return fgetxattr(h.fd, attr, b) })
	return v, failAttr("fgetxattr", name, fd.Loc.Path, err)
}

// Flistxattr lists the xattr names of the open fd, without Loom's own.
func (p *Posix) Flistxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD) ([]string, error) {
	h, err := p.handleOf(fd)
	if err != nil {
		return nil, err
	}
	list, err := readValue(func(b []byte) (int, error) { return unix.Flistxattr(h.fd, b) })
	if err != nil {
		return nil, fail("flistxattr", fd.Loc.Path, err)
	}
	return splitNames(list), nil
}

// Fremovexattr removes name from the open fd.
func (p *Posix) Fremovexattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) error {
	attr, err := p.diskName(name, true)
	if err != nil {
		return err
	}
	h, err := p.handleOf(fd)
	if err != nil {
		return err
	}
	err = fremovexattr(h.fd, attr)
	p.aclChanged(attr)
	return failAttr("fremovexattr", name, fd.Loc.Path, err)
}
