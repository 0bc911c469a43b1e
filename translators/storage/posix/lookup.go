package posix

import (
	"bytes"
	"context"
	"strings"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// Lookup resolves loc and returns its attributes, giving it a GFID if it
// has none (see statAt). The reply XData holds "loom.gfid-assigned" when
// that happened (on the root: when the root had no GFID as the brick was
// opened, for as long as this process runs), the value of each
// "loom.*" name in req that exists, the entry's xattr names when asked
// (xlator.XDataXattrNames) and a small file's contents when asked
// (xlator.XDataContent).
func (p *Posix) Lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	t, err := p.resolve(loc)
	if err != nil {
		return xlator.Stat{}, nil, fail("lookup", locPath(loc), err)
	}
	defer t.release()
	st, assigned, err := p.statResolved(&t, loc.GFID)
	if err != nil {
		return xlator.Stat{}, nil, fail("lookup", locPath(loc), err)
	}
	var reply xlator.XData
	if assigned || p.freshRoot && st.GFID == xlator.RootGFID {
		reply = xlator.XData{XDataGFIDAssigned: {1}}
	}
	names, listedAll, err := p.listedNames(&t, req)
	if err != nil {
		return xlator.Stat{}, nil, fail("lookup", locPath(loc), err)
	}
	if _, ok := req[xlator.XDataXattrNames]; ok {
		// A listing that fails leaves the key out: the caller lists
		// the names itself and sees the error there.
		list, ok := names, listedAll
		if !ok {
			var lerr error
			list, lerr = readValue(func(b []byte) (int, error) { return listxattrAt(t.dir, t.name, b) })
			ok = lerr == nil
		}
		if ok {
			if reply == nil {
				reply = xlator.XData{}
			}
			reply[xlator.XDataXattrNames] = xlator.JoinXattrNames(visibleNames(list))
		}
	}
	if v, ok := req[xlator.XDataContent]; ok {
		if data, ok := p.lookupContent(&t, st, v); ok {
			if reply == nil {
				reply = xlator.XData{}
			}
			reply[xlator.XDataContent] = data
		}
	}
	for key := range req {
		if !isXattrKey(key) {
			continue
		}
		attr := p.ns + "." + key
		if listedAll && !listed(names, attr) {
			continue
		}
		v, err := p.getxattrValue(&t, attr)
		if err == syscall.ENODATA {
			continue
		}
		if err != nil {
			return xlator.Stat{}, nil, fail("lookup", locPath(loc), err)
		}
		if reply == nil {
			reply = xlator.XData{}
		}
		reply[key] = v
	}
	return st, reply, nil
}

// listedNames returns the NUL-separated on-disk xattr names of t when
// req asks for two or more "loom.*" values, and ok false (read each one)
// otherwise. One listxattr then spares a getxattr of every absent name: a
// replicate lookup asks each brick for loom.dirty and the other bricks'
// pending keys, and a file whose transactions all ended has none of them
// (Xattrop removes a counter that drops to zero).
func (p *Posix) listedNames(t *target, req xlator.XData) (list []byte, ok bool, err error) {
	n := 0
	for key := range req {
		if isXattrKey(key) {
			n++
		}
	}
	if n < 2 {
		return nil, false, nil
	}
	list, err = readValue(func(b []byte) (int, error) { return listxattrAt(t.dir, t.name, b) })
	return list, err == nil, err
}

// isXattrKey reports whether a Lookup request key names an xattr value
// ("loom.*"), not one of the keys that ask for something else.
func isXattrKey(key string) bool {
	return strings.HasPrefix(key, "loom.") && key != XDataGFIDAssigned &&
		key != xlator.XDataXattrNames && key != xlator.XDataContent
}

// lookupContent reads the whole contents of the regular file t for an
// XDataContent request with value v, when the file has at most the
// limit's bytes: through a descriptor of its own opened with O_NOATIME
// (so the access time stays), reading one byte more than st's size to be
// sure it has not grown. ok is false when it does not qualify or cannot
// be read so (a caller who is neither owner nor root cannot use
// O_NOATIME): the reply then leaves the key out.
func (p *Posix) lookupContent(t *target, st xlator.Stat, v []byte) ([]byte, bool) {
	limit, ok := xlator.ContentLimit(v)
	if !ok || st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size > uint64(limit) {
		return nil, false
	}
	fd, err := openat(t.dir, t.name, unix.O_RDONLY|unix.O_NOATIME|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer unix.Close(fd)
	buf := make([]byte, st.Size+1)
	n := 0
	for n < len(buf) {
		m, err := unix.Pread(fd, buf[n:], int64(n))
		if err != nil {
			return nil, false
		}
		if m == 0 {
			break
		}
		n += m
	}
	if uint64(n) != st.Size {
		return nil, false
	}
	return buf[:n:n], true
}

// visibleNames is the NUL-separated on-disk name list without Loom's
// own names: what Listxattr answers.
func visibleNames(list []byte) []string {
	var out []string
	for _, n := range splitNames(list) {
		if !xlator.IsInternalXattr(n) {
			out = append(out, n)
		}
	}
	return out
}

// listed reports whether the NUL-separated name list holds attr.
func listed(list []byte, attr string) bool {
	for len(list) > 0 {
		i := bytes.IndexByte(list, 0)
		if i < 0 {
			i = len(list)
		}
		if string(list[:i]) == attr {
			return true
		}
		if i == len(list) {
			break
		}
		list = list[i+1:]
	}
	return false
}

// Stat returns the attributes of loc (assigning a GFID as Lookup does).
// A directory whose descriptor is cached by loc.GFID (or the root) is
// answered with one fstat of it: it is the directory loc.GFID names
// wherever it is now, and its GFID is known.
func (p *Posix) Stat(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	if st, ok := p.statCachedDir(loc.GFID); ok {
		return st, nil
	}
	t, err := p.resolve(loc)
	if err != nil {
		return xlator.Stat{}, fail("stat", locPath(loc), err)
	}
	defer t.release()
	st, _, err := p.statResolved(&t, loc.GFID)
	if err != nil {
		return xlator.Stat{}, fail("stat", locPath(loc), err)
	}
	return st, nil
}

// statCachedDir answers Stat of directory g from its cached descriptor
// (the root's own for the root); ok is false when g is not cached or the
// fstat failed, and Stat then resolves loc as usual.
func (p *Posix) statCachedDir(g xlator.GFID) (xlator.Stat, bool) {
	if g.IsZero() {
		return xlator.Stat{}, false
	}
	fd := p.rootFd
	if g != xlator.RootGFID {
		e := p.dirs.get(g)
		if e == nil {
			return xlator.Stat{}, false
		}
		defer p.dirs.put(e)
		fd = e.fd
	}
	var us unix.Stat_t
	if err := unix.Fstat(fd, &us); err != nil {
		return xlator.Stat{}, false
	}
	return toStat(&us, g), true
}

// Readlink returns the target of the symlink loc.
func (p *Posix) Readlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (string, error) {
	t, err := p.resolve(loc)
	if err != nil {
		return "", fail("readlink", locPath(loc), err)
	}
	defer t.release()
	var buf [4096]byte
	n, err := readlinkat(t.dir, t.name, buf[:])
	if err != nil {
		return "", fail("readlink", locPath(loc), err)
	}
	return string(buf[:n]), nil
}

// Statfs reports the file system that holds the brick.
func (p *Posix) Statfs(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.StatFS, error) {
	var s unix.Statfs_t
	if err := unix.Fstatfs(p.rootFd, &s); err != nil {
		return xlator.StatFS{}, fail("statfs", p.dir, err)
	}
	return xlator.StatFS{
		Bsize:   uint32(s.Bsize),
		Frsize:  uint32(s.Frsize),
		Blocks:  s.Blocks,
		Bfree:   s.Bfree,
		Bavail:  s.Bavail,
		Files:   s.Files,
		Ffree:   s.Ffree,
		NameLen: uint32(s.Namelen),
	}, nil
}

// Access checks mask (R_OK, W_OK, X_OK bits; 0 for existence) for the
// caller against the mode bits of loc. Root may do everything except
// execute a non-directory that has no execute bit at all.
func (p *Posix) Access(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mask uint32) error {
	t, err := p.resolve(loc)
	if err != nil {
		return fail("access", locPath(loc), err)
	}
	defer t.release()
	var us unix.Stat_t
	if err := fstatat(t.dir, t.name, &us, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fail("access", locPath(loc), err)
	}
	if !permitted(c, &us, mask&7) {
		return syscall.EACCES
	}
	return nil
}

// permitted decides an access check by the mode bits.
func permitted(c *xlator.Call, us *unix.Stat_t, mask uint32) bool {
	if mask == 0 {
		return true
	}
	if c.UID == 0 {
		return mask&unix.X_OK == 0 || us.Mode&unix.S_IFMT == unix.S_IFDIR || us.Mode&0o111 != 0
	}
	var bits uint32
	switch {
	case c.UID == us.Uid:
		bits = us.Mode >> 6
	case inGroup(c, us.Gid):
		bits = us.Mode >> 3
	default:
		bits = us.Mode
	}
	return bits&mask == mask
}

func inGroup(c *xlator.Call, gid uint32) bool {
	if c.GID == gid {
		return true
	}
	for _, g := range c.Groups {
		if g == gid {
			return true
		}
	}
	return false
}
