package posix

import (
	"strings"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// maxPath is the longest path a client may send, counted from the volume
// root with its leading slash: a path of PATH_MAX-1 (4,095) bytes relative
// to the mount, which is what the kernel lets an application name, plus
// that slash.
const maxPath = 4096

// maxDepth bounds the walk up a directory's handles during GFID
// resolution (a loop in a damaged index ends here).
const maxDepth = 4096

// target is a resolved Loc: the directory that holds the entry and the
// entry's name in it. For the root, dir is the root and name is ".". For
// an entry reached through its handle (a nameless Loc of a non-directory),
// dir is the handle index and name the handle's path in it; such a target
// must not be unlinked or renamed.
type target struct {
	dir      int
	name     string
	owned    bool   // dir must be closed by release
	cached   *dirFd // dir is this cached descriptor, put back by release
	cache    *dirCache
	byHandle bool
	// For a target found through its handle (byHandle), gfid is the
	// GFID the handle is named after and st the handle's stat, taken by
	// resolve on the way (see statResolved).
	gfid xlator.GFID
	st   unix.Stat_t
	// parentPath is the client path of dir when known ("" if not): a
	// directory without a GFID yet is looked up through it.
	parentPath string
}

// release closes what resolve opened, or puts back the cached
// descriptor it used.
func (t *target) release() {
	switch {
	case t.cached != nil:
		t.cache.put(t.cached)
		t.cached = nil
	case t.owned:
		unix.Close(t.dir)
		t.owned = false
	}
}

// cachedDir returns a target in the cached directory e (name unset).
func (p *Posix) cachedDir(e *dirFd) target {
	return target{dir: e.fd, cached: e, cache: &p.dirs}
}

// checkName refuses names that are not a single plain component.
func checkName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return syscall.EINVAL
	case len(name) > 255:
		return syscall.ENAMETOOLONG
	case strings.IndexByte(name, '/') >= 0 || strings.IndexByte(name, 0) >= 0:
		return syscall.EINVAL
	}
	return nil
}

// checkPath validates a client path ("/a/b"): absolute, at most maxPath
// bytes, no empty, "." or ".." components, no NUL, and not inside .loom.
func checkPath(path string) error {
	if len(path) == 0 || path[0] != '/' {
		return syscall.EINVAL
	}
	if len(path) > maxPath {
		return syscall.ENAMETOOLONG
	}
	if path == "/" {
		return nil
	}
	rest := path[1:]
	first := true
	for {
		i := strings.IndexByte(rest, '/')
		comp := rest
		if i >= 0 {
			comp = rest[:i]
		}
		if err := checkName(comp); err != nil {
			return err
		}
		if first && comp == metaDir {
			return syscall.ENOENT
		}
		first = false
		if i < 0 {
			return nil
		}
		rest = rest[i+1:]
	}
}

// openDirBeneath opens rel (relative to the brick root, no leading slash)
// as an O_PATH directory without following any symlink or leaving the brick.
func (p *Posix) openDirBeneath(rel string) (int, error) {
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	for try := 0; ; try++ {
		fd, err := unix.Openat2(p.rootFd, rel, &how)
		if err == syscall.EAGAIN && try < 8 { // a concurrent rename: try again
			continue
		}
		if err == syscall.ELOOP {
			// A symlink in the middle of the path: data, never followed.
			return -1, syscall.ENOTDIR
		}
		return fd, err
	}
}

// resolve finds loc on the brick: by path when it has one, else by parent
// GFID and name, else by GFID through the handle index.
//
// The parent directory comes from the directory cache when loc.Parent is
// cached; a parent opened by path is cached when its GFID is loc.Parent.
func (p *Posix) resolve(loc *xlator.Loc) (target, error) {
	if loc.Path != "" {
		return p.resolvePath(loc.Path, loc.Parent)
	}
	if loc.Name != "" && !loc.Parent.IsZero() {
		if err := checkName(loc.Name); err != nil {
			return target{}, err
		}
		if loc.Parent == xlator.RootGFID && loc.Name == metaDir {
			return target{}, syscall.ENOENT
		}
		t, err := p.dirByGFID(loc.Parent, 0)
		if err != nil {
			return target{}, err
		}
		t.name = loc.Name
		return t, nil
	}
	if !loc.GFID.IsZero() {
		return p.resolveGFID(loc.GFID, 0)
	}
	return target{}, syscall.EINVAL
}

// resolvePath splits a client path into its parent directory and last
// name. The parent is the cached descriptor of the directory parent (its
// GFID, if known) or is opened beneath the root, and then cached if it
// carries that GFID.
func (p *Posix) resolvePath(path string, parent xlator.GFID) (target, error) {
	if err := checkPath(path); err != nil {
		return target{}, err
	}
	if path == "/" {
		return target{dir: p.rootFd, name: "."}, nil
	}
	i := strings.LastIndexByte(path, '/')
	name := path[i+1:]
	if i == 0 {
		return target{dir: p.rootFd, name: name, parentPath: "/"}, nil
	}
	if !parent.IsZero() {
		if e := p.dirs.get(parent); e != nil {
			t := p.cachedDir(e)
			t.name, t.parentPath = name, path[:i]
			return t, nil
		}
	}
	gen := p.dirs.generation()
	fd, err := p.openDirBeneath(path[1:i])
	if err != nil {
		return target{}, err
	}
	if !parent.IsZero() {
		if g, err := p.getGFID(fd, "."); err == nil && g == parent {
			t := p.cachedDir(p.dirs.add(parent, fd, gen))
			t.name, t.parentPath = name, path[:i]
			return t, nil
		}
	}
	return target{dir: fd, name: name, owned: true, parentPath: path[:i]}, nil
}

// resolveGFID finds the object g through the handle index. The handle
// is looked at with one fstatat: a non-directory's handle is the object
// itself (a hard link), whose stat the target keeps; a directory's is a
// symlink to its parent's handle and its name there, which is read at
// once when g is a cached directory.
func (p *Posix) resolveGFID(g xlator.GFID, depth int) (target, error) {
	if g == xlator.RootGFID {
		return target{dir: p.rootFd, name: "."}, nil
	}
	if depth > maxDepth {
		return target{}, syscall.ELOOP
	}
	rel := handleRel(g)
	var hs unix.Stat_t
	byHandle := false
	if !p.dirs.has(g) {
		if err := fstatat(p.metaFd, rel, &hs, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return target{}, err
		}
		byHandle = hs.Mode&unix.S_IFMT != unix.S_IFLNK
	}
	var parent xlator.GFID
	var name string
	if !byHandle {
		var err error
		parent, name, err = p.readDirHandle(g)
		if err == nil && p.isObjectHandle(g) {
			err = syscall.ENOTDIR // a hard link to a user's symlink
		}
		switch err {
		case nil:
		case syscall.ENOTDIR:
			byHandle = true
			if hs.Ino == 0 {
				// Not stat'ed above (cached as a directory, yet
				// the handle is not one).
				if err := fstatat(p.metaFd, rel, &hs, unix.AT_SYMLINK_NOFOLLOW); err != nil {
					return target{}, err
				}
			}
		default:
			return target{}, err
		}
	}
	if byHandle {
		// A non-directory: the handle is a hard link to it. One the
		// janitor may be about to remove is checked: with no other
		// link and not open, the file's last name is gone and the
		// file no longer exists. A stat racing the janitor's unlink
		// of the handle can see a link count of 0.
		if hs.Nlink <= 1 && !p.opens.isOpen(g) {
			if hs.Nlink == 0 || p.janitor.mayBeOrphan(g) {
				return target{}, syscall.ENOENT
			}
			// The janitor may have removed the handle (and stopped
			// counting it) since it was stat'ed above: look again,
			// or a lookup racing it would answer for a file that no
			// longer exists.
			if err := fstatat(p.metaFd, rel, &hs, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return target{}, err
			}
			if hs.Nlink == 0 {
				return target{}, syscall.ENOENT
			}
		}
		return target{dir: p.metaFd, name: rel, byHandle: true, gfid: g, st: hs}, nil
	}
	t, err := p.dirByGFID(parent, depth+1)
	if err != nil {
		return target{}, err
	}
	t.name = name
	if got, err := p.getGFID(t.dir, t.name); err != nil || got != g {
		// The handle is stale: the directory is no longer there.
		t.release()
		return target{}, syscall.ENOENT
	}
	return t, nil
}

// dirByGFID returns a target whose dir is directory g (name unset): the
// root's own descriptor, a cached one, or an O_PATH descriptor opened
// through the handle index and then cached. The caller releases it.
func (p *Posix) dirByGFID(g xlator.GFID, depth int) (target, error) {
	if g == xlator.RootGFID {
		return target{dir: p.rootFd}, nil
	}
	if e := p.dirs.get(g); e != nil {
		return p.cachedDir(e), nil
	}
	gen := p.dirs.generation()
	t, err := p.resolveGFID(g, depth)
	if err != nil {
		return target{}, err
	}
	defer t.release()
	if t.byHandle {
		return target{}, syscall.ENOTDIR
	}
	fd, err := openat(t.dir, t.name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return target{}, err
	}
	return p.cachedDir(p.dirs.add(g, fd, gen)), nil
}
