package posix

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// The handle index lives in <brick>/.loom/handles. Each GFID has an entry
// xx/yy/<gfid> (xx, yy: its first two bytes in hex): a hard link to the
// object for non-directories, and for directories a symlink to
// ../../pp/qq/<parent-gfid>/<name>, so that following the chain of
// symlinks walks up to the root (whose handle points at ../../..).

const (
	metaDir    = ".loom"
	handlesDir = "handles"
)

// handleRel returns xx/yy/<gfid>, the handle's path below the index.
func handleRel(g xlator.GFID) string {
	var b [6 + 36]byte
	hex.Encode(b[0:2], g[0:1])
	b[2] = '/'
	hex.Encode(b[3:5], g[1:2])
	b[5] = '/'
	g.Encode(b[6:])
	return string(b[:])
}

// openIndex creates .loom/handles if needed, opens it, and gives the root
// its handle.
func (p *Posix) openIndex() error {
	if err := unix.Mkdirat(p.rootFd, metaDir, 0o700); err != nil && err != syscall.EEXIST {
		return fmt.Errorf("mkdir %s: %w", metaDir, err)
	}
	rel := metaDir + "/" + handlesDir
	if err := unix.Mkdirat(p.rootFd, rel, 0o700); err != nil && err != syscall.EEXIST {
		return fmt.Errorf("mkdir %s: %w", rel, err)
	}
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
		Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS}
	fd, err := unix.Openat2(p.rootFd, rel, &how)
	if err != nil {
		return fmt.Errorf("open %s: %w", rel, err)
	}
	p.metaFd = fd
	if err := p.symlinkHandle(xlator.RootGFID, "../../.."); err != nil {
		return fmt.Errorf("root handle: %w", err)
	}
	return nil
}

// bucketSet records which xx/yy bucket directories are known to exist,
// one bit per bucket (65,536), so that a handle in a new bucket costs one
// mkdirat before its link instead of a failed link, two mkdirat and the
// link again. Bits are only ever set: buckets are never removed.
type bucketSet [65536 / 64]atomic.Uint64

// bucketOf numbers g's bucket.
func bucketOf(g xlator.GFID) int { return int(g[0])<<8 | int(g[1]) }

func (s *bucketSet) has(g xlator.GFID) bool {
	b := bucketOf(g)
	return s[b/64].Load()&(1<<(b%64)) != 0
}

func (s *bucketSet) add(g xlator.GFID) {
	b := bucketOf(g)
	s[b/64].Or(1 << (b % 64))
}

// gfidRunLen is how many GFIDs the brick gives out in one handle bucket
// before it picks another at random.
const gfidRunLen = 256

// gfidRun hands out the GFIDs a brick gives entries itself (an entry
// created without a GFID, an existing tree adopted as it is looked up) in
// runs of gfidRunLen that share their first two bytes, and so their
// handle bucket: random GFIDs put nearly every handle of a new brick in a
// new bucket, a mkdirat (two for a new first level) before each link,
// about a sixth of the CPU time of a full heal onto a new brick. The
// other fourteen bytes stay random (a version 4 UUID), and the buckets
// still fill evenly, run by run.
type gfidRun struct {
	mu     sync.Mutex
	prefix [2]byte
	left   int
}

// next returns a new random GFID in the current run's bucket.
func (r *gfidRun) next() xlator.GFID {
	g := xlator.NewGFID()
	r.mu.Lock()
	if r.left == 0 || r.prefix == [2]byte{} {
		r.prefix, r.left = [2]byte{g[0], g[1]}, gfidRunLen
	}
	r.left--
	g[0], g[1] = r.prefix[0], r.prefix[1]
	r.mu.Unlock()
	return g
}

// ensureBucket makes sure the xx/yy directory of g's handle exists.
func (p *Posix) ensureBucket(g xlator.GFID) error {
	if p.buckets.has(g) {
		return nil
	}
	if err := p.mkBucket(g); err != nil {
		return err
	}
	p.buckets.add(g)
	return nil
}

// mkBucket creates the xx/yy directory of g's handle (and xx if needed).
func (p *Posix) mkBucket(g xlator.GFID) error {
	rel := handleRel(g)
	err := unix.Mkdirat(p.metaFd, rel[:5], 0o700)
	if err == syscall.ENOENT {
		if err := unix.Mkdirat(p.metaFd, rel[:2], 0o700); err != nil && err != syscall.EEXIST {
			return err
		}
		err = unix.Mkdirat(p.metaFd, rel[:5], 0o700)
	}
	if err != nil && err != syscall.EEXIST {
		return err
	}
	return nil
}

// linkHandle makes the handle of g a hard link to name in dirfd.
func (p *Posix) linkHandle(dirfd int, name string, g xlator.GFID) error {
	if err := p.ensureBucket(g); err != nil {
		return err
	}
	err := linkat(dirfd, name, p.metaFd, handleRel(g), 0)
	if err == syscall.ENOENT {
		// The bucket was removed behind the brick's back.
		if berr := p.mkBucket(g); berr != nil {
			return berr
		}
		err = linkat(dirfd, name, p.metaFd, handleRel(g), 0)
	}
	return err
}

// claimHandle gives the non-directory name in dirfd (whose stat is us)
// the handle of g. A handle that is already this inode is kept; one whose
// inode has no other name and is not open (left over by a crash or an
// outside delete) is replaced. If g's handle belongs to another live
// inode, it answers EEXIST. linked reports whether it made a new link
// to the inode (its link count grew by one).
func (p *Posix) claimHandle(dirfd int, name string, g xlator.GFID, us *unix.Stat_t) (linked bool, err error) {
	err = p.linkHandle(dirfd, name, g)
	if err != syscall.EEXIST {
		return err == nil, err
	}
	rel := handleRel(g)
	var hs unix.Stat_t
	if err := fstatat(p.metaFd, rel, &hs, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false, err
	}
	if hs.Ino == us.Ino && hs.Dev == us.Dev {
		return false, nil
	}
	if hs.Nlink > 1 || hs.Mode&unix.S_IFMT == unix.S_IFLNK && p.isDirHandle(g) || p.opens.isOpen(g) {
		return false, syscall.EEXIST
	}
	if err := unix.Unlinkat(p.metaFd, rel, 0); err != nil && err != syscall.ENOENT {
		return false, err
	}
	err = p.linkHandle(dirfd, name, g)
	return err == nil, err
}

// isDirHandle reports whether g's handle is a directory's symlink.
func (p *Posix) isDirHandle(g xlator.GFID) bool {
	_, _, err := p.readDirHandle(g)
	return err == nil && !p.isObjectHandle(g)
}

// isObjectHandle reports whether g's handle is the object itself (a hard
// link carrying the GFID xattr), as opposed to a directory's symlink.
func (p *Posix) isObjectHandle(g xlator.GFID) bool {
	got, err := p.getGFID(p.metaFd, handleRel(g))
	return err == nil && got == g
}

// symlinkHandle makes g's handle a symlink to target, replacing any
// previous one atomically.
func (p *Posix) symlinkHandle(g xlator.GFID, target string) error {
	if err := p.ensureBucket(g); err != nil {
		return err
	}
	rel := handleRel(g)
	err := unix.Symlinkat(target, p.metaFd, rel)
	if err != syscall.EEXIST {
		return err
	}
	var cur [4096]byte
	if n, rerr := readlinkat(p.metaFd, rel, cur[:]); rerr == nil && string(cur[:n]) == target {
		return nil
	}
	tmp := rel + ".new-" + xlator.NewGFID().String()[:8]
	if err := unix.Symlinkat(target, p.metaFd, tmp); err != nil {
		return err
	}
	if err := unix.Renameat(p.metaFd, tmp, p.metaFd, rel); err != nil {
		unix.Unlinkat(p.metaFd, tmp, 0)
		return err
	}
	return nil
}

// dirHandleTarget is the symlink target recording a directory's parent
// GFID and name.
func dirHandleTarget(parent xlator.GFID, name string) string {
	return "../../" + handleRel(parent) + "/" + name
}

// setDirHandle records that directory g is name in directory parent.
func (p *Posix) setDirHandle(g, parent xlator.GFID, name string) error {
	return p.symlinkHandle(g, dirHandleTarget(parent, name))
}

// readDirHandle reads a directory handle: the parent GFID and name.
func (p *Posix) readDirHandle(g xlator.GFID) (xlator.GFID, string, error) {
	var buf [4096]byte
	n, err := readlinkat(p.metaFd, handleRel(g), buf[:])
	if err != nil {
		if err == syscall.EINVAL { // not a symlink: a non-directory's handle
			return xlator.GFID{}, "", syscall.ENOTDIR
		}
		return xlator.GFID{}, "", err
	}
	target := string(buf[:n])
	// ../../xx/yy/<36-char gfid>/<name>
	const pre = len("../../xx/yy/")
	if len(target) < pre+36+2 || !strings.HasPrefix(target, "../../") || target[pre+36] != '/' {
		return xlator.GFID{}, "", syscall.ENOTDIR
	}
	parent, perr := xlator.ParseGFID(target[pre : pre+36])
	name := target[pre+37:]
	if perr != nil || checkName(name) != nil {
		return xlator.GFID{}, "", syscall.ENOTDIR
	}
	return parent, name, nil
}

// removeHandle deletes g's handle (a missing one is not an error).
func (p *Posix) removeHandle(g xlator.GFID) error {
	err := unix.Unlinkat(p.metaFd, handleRel(g), 0)
	if err != nil && !errors.Is(err, syscall.ENOENT) {
		return err
	}
	return nil
}
