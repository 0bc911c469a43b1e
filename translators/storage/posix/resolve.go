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
	owned    bool // dir must be closed by release
	byHandle bool
	// parentPath is the client path of dir when known ("" if not): a
	// directory without a GFID yet is looked up through it.
	parentPath string
}

// release closes what resolve opened.
func (t *target) release() {
	if t.owned {
		unix.Close(t.dir)
		t.owned = false
	}
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
func (p *Posix) resolve(loc *xlator.Loc) (target, error) {
	if loc.Path != "" {
		return p.resolvePath(loc.Path)
	}
	if loc.Name != "" && !loc.Parent.IsZero() {
		if err := checkName(loc.Name); err != nil {
			return target{}, err
		}
		if loc.Parent == xlator.RootGFID && loc.Name == metaDir {
			return target{}, syscall.ENOENT
		}
		fd, err := p.openDirByGFID(loc.Parent, 0)
		if err != nil {
			return target{}, err
		}
		return target{dir: fd, name: loc.Name, owned: fd != p.rootFd}, nil
	}
	if !loc.GFID.IsZero() {
		return p.resolveGFID(loc.GFID, 0)
	}
	return target{}, syscall.EINVAL
}

// resolvePath splits a client path into its parent directory (opened
// beneath the root) and last name.
func (p *Posix) resolvePath(path string) (target, error) {
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
	fd, err := p.openDirBeneath(path[1:i])
	if err != nil {
		return target{}, err
	}
	return target{dir: fd, name: name, owned: true, parentPath: path[:i]}, nil
}

// resolveGFID finds the object g through the handle index.
func (p *Posix) resolveGFID(g xlator.GFID, depth int) (target, error) {
	if g == xlator.RootGFID {
		return target{dir: p.rootFd, name: "."}, nil
	}
	if depth > maxDepth {
		return target{}, syscall.ELOOP
	}
	parent, name, err := p.readDirHandle(g)
	if err == nil && p.isObjectHandle(g) {
		err = syscall.ENOTDIR // a hard link to a user's symlink
	}
	switch err {
	case nil:
	case syscall.ENOTDIR:
		// A non-directory: the handle is a hard link to it.
		return target{dir: p.metaFd, name: handleRel(g), byHandle: true}, nil
	default:
		return target{}, err
	}
	pfd, err := p.openDirByGFID(parent, depth+1)
	if err != nil {
		return target{}, err
	}
	t := target{dir: pfd, name: name, owned: pfd != p.rootFd}
	if got, err := p.getGFID(t.dir, t.name); err != nil || got != g {
		// The handle is stale: the directory is no longer there.
		t.release()
		return target{}, syscall.ENOENT
	}
	return t, nil
}

// openDirByGFID opens directory g as an O_PATH descriptor (the root's own
// descriptor for the root; the caller closes any other).
func (p *Posix) openDirByGFID(g xlator.GFID, depth int) (int, error) {
	if g == xlator.RootGFID {
		return p.rootFd, nil
	}
	t, err := p.resolveGFID(g, depth)
	if err != nil {
		return -1, err
	}
	defer t.release()
	if t.byHandle {
		return -1, syscall.ENOTDIR
	}
	return unix.Openat(t.dir, t.name, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}
