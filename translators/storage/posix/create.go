package posix

import (
	"context"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// isMetaName reports whether loc names .loom in the root, which clients
// may not create.
func isMetaName(loc *xlator.Loc) bool {
	if loc.Path != "" {
		return loc.Path == "/"+metaDir
	}
	return loc.Parent == xlator.RootGFID && loc.Name == metaDir
}

// resolveNew resolves the Loc of an entry about to be created.
func (p *Posix) resolveNew(loc *xlator.Loc) (target, error) {
	if isMetaName(loc) {
		return target{}, syscall.EPERM
	}
	t, err := p.resolve(loc)
	if err != nil {
		return target{}, err
	}
	if t.byHandle || t.name == "." {
		t.release()
		return target{}, syscall.EEXIST
	}
	return t, nil
}

// newGFID returns the GFID a new entry gets: loc's, or a random one. A
// requested directory GFID that already names a live directory is refused.
func (p *Posix) newGFID(loc *xlator.Loc, dir bool) (xlator.GFID, error) {
	g := loc.GFID
	if g.IsZero() {
		return p.gfids.next(), nil
	}
	if g == xlator.RootGFID {
		return g, syscall.EEXIST
	}
	if dir {
		if t, err := p.resolveGFID(g, 0); err == nil {
			t.release()
			return g, syscall.EEXIST
		}
	}
	return g, nil
}

// finishNew gives a just-created entry its GFID, handle and owner, and
// returns its attributes. ufd is the entry's open descriptor (Create), or
// -1: with one, the GFID is set and the attributes read on it, without
// looking the name up again. held is the name's lock (see nameLocks),
// which the caller took before creating the entry: finishNew unlocks it
// as soon as the GFID is set, or once a failed entry is gone. On failure
// it removes the entry again.
func (p *Posix) finishNew(t *target, c *xlator.Call, g xlator.GFID, mode uint32, ufd int, held *sync.Mutex) (st xlator.Stat, err error) {
	dir := mode&unix.S_IFMT == unix.S_IFDIR
	remove := func() {
		flags := 0
		if dir {
			flags = unix.AT_REMOVEDIR
		}
		unix.Unlinkat(t.dir, t.name, flags)
	}
	if ufd >= 0 {
		err = fsetxattr(ufd, p.gfidKey, g[:], unix.XATTR_CREATE)
	} else {
		err = p.setGFID(t.dir, t.name, g)
	}
	if err != nil {
		remove()
		held.Unlock()
		return xlator.Stat{}, err
	}
	held.Unlock()
	defer func() {
		if err != nil {
			remove()
		}
	}()
	if err := p.chownNew(t.dir, t.name, c, mode); err != nil {
		return xlator.Stat{}, err
	}
	var us unix.Stat_t
	if ufd >= 0 {
		err = unix.Fstat(ufd, &us)
	} else {
		err = fstatat(t.dir, t.name, &us, unix.AT_SYMLINK_NOFOLLOW)
	}
	if err != nil {
		return xlator.Stat{}, err
	}
	if _, err := p.makeHandle(t, &us, g); err != nil {
		return xlator.Stat{}, err
	}
	if !dir {
		us.Nlink++ // the handle's link, which toStat takes off again
	}
	return toStat(&us, g), nil
}

// Mkdir creates the directory loc with mode (less umask, unless the parent
// has a default ACL) and the GFID loc.GFID (random if zero).
func (p *Posix) Mkdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, umask uint32) (xlator.Stat, error) {
	t, err := p.resolveNew(loc)
	if err != nil {
		return xlator.Stat{}, fail("mkdir", locPath(loc), err)
	}
	defer t.release()
	g, err := p.newGFID(loc, true)
	if err != nil {
		return xlator.Stat{}, fail("mkdir", locPath(loc), err)
	}
	perm := p.createMode(&t, mode&0o7777, umask)
	mu := p.names.of(t.name)
	mu.Lock()
	if err := unix.Mkdirat(t.dir, t.name, perm); err != nil {
		mu.Unlock()
		return xlator.Stat{}, fail("mkdir", locPath(loc), err)
	}
	st, err := p.finishNew(&t, c, g, unix.S_IFDIR|perm, -1, mu)
	return st, fail("mkdir", locPath(loc), err)
}

// Mknod creates a regular file, FIFO, socket or device node loc.
func (p *Posix) Mknod(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, rdev uint64, umask uint32) (xlator.Stat, error) {
	t, err := p.resolveNew(loc)
	if err != nil {
		return xlator.Stat{}, fail("mknod", locPath(loc), err)
	}
	defer t.release()
	g, err := p.newGFID(loc, false)
	if err != nil {
		return xlator.Stat{}, fail("mknod", locPath(loc), err)
	}
	typ := mode & unix.S_IFMT
	if typ == 0 {
		typ = unix.S_IFREG
	}
	if typ == unix.S_IFDIR || typ == unix.S_IFLNK {
		return xlator.Stat{}, fail("mknod", locPath(loc), syscall.EINVAL)
	}
	perm := p.createMode(&t, mode&0o7777, umask)
	mu := p.names.of(t.name)
	mu.Lock()
	if err := unix.Mknodat(t.dir, t.name, typ|perm, int(rdev)); err != nil {
		mu.Unlock()
		return xlator.Stat{}, fail("mknod", locPath(loc), err)
	}
	st, err := p.finishNew(&t, c, g, typ|perm, -1, mu)
	return st, fail("mknod", locPath(loc), err)
}

// Symlink creates loc as a symlink to target. The target is data: it is
// stored as given and never followed by the brick.
func (p *Posix) Symlink(ctx context.Context, c *xlator.Call, target string, loc *xlator.Loc, umask uint32) (xlator.Stat, error) {
	if len(target) == 0 {
		return xlator.Stat{}, fail("symlink", locPath(loc), syscall.ENOENT)
	}
	if len(target) > maxPath {
		return xlator.Stat{}, fail("symlink", locPath(loc), syscall.ENAMETOOLONG)
	}
	t, err := p.resolveNew(loc)
	if err != nil {
		return xlator.Stat{}, fail("symlink", locPath(loc), err)
	}
	defer t.release()
	g, err := p.newGFID(loc, false)
	if err != nil {
		return xlator.Stat{}, fail("symlink", locPath(loc), err)
	}
	mu := p.names.of(t.name)
	mu.Lock()
	if err := unix.Symlinkat(target, t.dir, t.name); err != nil {
		mu.Unlock()
		return xlator.Stat{}, fail("symlink", locPath(loc), err)
	}
	st, err := p.finishNew(&t, c, g, unix.S_IFLNK|0o777, -1, mu)
	return st, fail("symlink", locPath(loc), err)
}
