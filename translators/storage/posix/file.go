package posix

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// handle is the brick's state of an open FD, kept in the FD with SetCtx.
type handle struct {
	fd   int
	gfid xlator.GFID
	dir  *dirStream // set for directories opened by Opendir
	// locked is set once Lk set a lock on fd, whose release must then
	// drop the open file's OFD locks.
	locked atomic.Bool
}

// handleOf returns the brick's state of fd, or EBADF.
func (p *Posix) handleOf(fd *xlator.FD) (*handle, error) {
	h, ok := fd.Ctx(p).(*handle)
	if !ok {
		return nil, syscall.EBADF
	}
	return h, nil
}

// openFlags turns client open flags into the flags the brick opens with:
// never create (that is Create), never follow a final symlink, close on exec.
func openFlags(flags uint32) int {
	f := int(flags) &^ (unix.O_CREAT | unix.O_EXCL | unix.O_PATH | unix.O_TMPFILE)
	return f | unix.O_NOFOLLOW | unix.O_CLOEXEC | unix.O_NOCTTY
}

// track registers the open descriptor as fd's state; gfid is fd.Loc's, or
// read from the file when the caller did not know it.
func (p *Posix) track(fd *xlator.FD, ufd int, g xlator.GFID) {
	if g.IsZero() {
		fgetxattr(ufd, p.gfidKey, g[:])
	}
	if !g.IsZero() {
		p.opens.add(g)
	}
	fd.SetCtx(p, &handle{fd: ufd, gfid: g})
}

// BackingFile returns the descriptor of an open file (not a directory),
// so that the FUSE bridge can hand it to the kernel for passthrough I/O
// (xlator.BackingFiler). It stays valid until fd is released.
func (p *Posix) BackingFile(fd *xlator.FD) (int, bool) {
	h, ok := fd.Ctx(p).(*handle)
	if !ok || h.dir != nil {
		return -1, false
	}
	return h.fd, true
}

// Open opens fd.Loc with fd.Flags (O_APPEND, O_DIRECT, O_TRUNC... pass
// through; O_CREAT does not).
func (p *Posix) Open(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if ufd, ok := p.openByHandle(&fd.Loc, fd.Flags); ok {
		p.track(fd, ufd, fd.Loc.GFID)
		return nil
	}
	t, err := p.resolve(&fd.Loc)
	if err != nil {
		return fail("open", locPath(&fd.Loc), err)
	}
	ufd, err := openat(t.dir, t.name, openFlags(fd.Flags), 0)
	t.release()
	if err != nil {
		return fail("open", locPath(&fd.Loc), err)
	}
	p.track(fd, ufd, fd.Loc.GFID)
	return nil
}

// openByHandle opens a non-directory named by GFID alone straight through
// its handle, without resolving it first: a non-directory's handle is the
// object itself, and a directory's (a symlink) fails the open, O_NOFOLLOW
// being always set. ok is false when loc is not nameless, when the
// janitor may be about to remove g's handle (resolve checks that one),
// and when the open failed: Open then goes the usual way, which answers
// as it always did.
func (p *Posix) openByHandle(loc *xlator.Loc, flags uint32) (int, bool) {
	g := loc.GFID
	if loc.Path != "" || loc.Name != "" || g.IsZero() || g == xlator.RootGFID || p.janitor.mayBeOrphan(g) {
		return -1, false
	}
	ufd, err := openat(p.metaFd, handleRel(g), openFlags(flags), 0)
	if err != nil {
		return -1, false
	}
	return ufd, true
}

// Create creates and opens fd.Loc with mode (less umask, unless the parent
// has a default ACL) and GFID fd.Loc.GFID (random if zero). Without O_EXCL
// an existing file is opened instead, keeping its GFID.
func (p *Posix) Create(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, umask uint32) (xlator.Stat, error) {
	loc := &fd.Loc
	t, err := p.resolveNew(loc)
	if err != nil {
		return xlator.Stat{}, fail("create", locPath(loc), err)
	}
	defer t.release()
	g, err := p.newGFID(loc, false)
	if err != nil {
		return xlator.Stat{}, fail("create", locPath(loc), err)
	}
	perm := p.createMode(&t, mode&0o7777, umask)
	mu := p.names.of(t.name)
	mu.Lock()
	ufd, err := openat(t.dir, t.name, openFlags(fd.Flags)|unix.O_CREAT|unix.O_EXCL, perm)
	if err != nil {
		mu.Unlock()
		if err == syscall.EEXIST && fd.Flags&unix.O_EXCL == 0 {
			return p.openExisting(&t, fd)
		}
		return xlator.Stat{}, fail("create", locPath(loc), err)
	}
	st, err := p.finishNew(&t, c, g, unix.S_IFREG|perm, ufd, mu)
	if err != nil {
		unix.Close(ufd)
		return xlator.Stat{}, fail("create", locPath(loc), err)
	}
	p.track(fd, ufd, st.GFID)
	return st, nil
}

// openExisting is Create without O_EXCL finding the file already there.
func (p *Posix) openExisting(t *target, fd *xlator.FD) (xlator.Stat, error) {
	ufd, err := openat(t.dir, t.name, openFlags(fd.Flags), 0)
	if err != nil {
		return xlator.Stat{}, fail("create", locPath(&fd.Loc), err)
	}
	st, _, err := p.statAt(t, fd.Loc.GFID)
	if err != nil {
		unix.Close(ufd)
		return xlator.Stat{}, fail("create", locPath(&fd.Loc), err)
	}
	p.track(fd, ufd, st.GFID)
	return st, nil
}

// Read reads into dest at off with pread.
func (p *Posix) Read(ctx context.Context, c *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	h, err := p.handleOf(fd)
	if err != nil {
		return 0, err
	}
	n, err := unix.Pread(h.fd, dest, off)
	if err != nil {
		if err == syscall.EINVAL && fd.Flags&unix.O_DIRECT != 0 {
			return directIO(h.fd, dest, off, false)
		}
		return 0, fail("read", fd.Loc.Path, err)
	}
	return n, nil
}

// Write writes data at off with pwrite (with O_APPEND, at the end).
func (p *Posix) Write(ctx context.Context, c *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	h, err := p.handleOf(fd)
	if err != nil {
		return 0, err
	}
	n, err := unix.Pwrite(h.fd, data, off)
	if err != nil {
		if err == syscall.EINVAL && fd.Flags&unix.O_DIRECT != 0 {
			return directIO(h.fd, data, off, true)
		}
		return 0, fail("write", fd.Loc.Path, err)
	}
	return n, nil
}

// alignedBufs recycles page-aligned buffers for O_DIRECT I/O whose caller
// buffer is not aligned.
var alignedBufs = sync.Pool{New: func() any { b := alignedBuf(1 << 20); return &b }}

func alignedBuf(size int) []byte {
	const align = 4096
	b := make([]byte, size+align)
	shift := (align - int(uintptr(unsafe.Pointer(&b[0]))%align)) % align
	return b[shift : shift+size]
}

// directIO repeats an O_DIRECT read or write through an aligned buffer.
func directIO(fd int, buf []byte, off int64, write bool) (int, error) {
	var ab []byte
	if len(buf) <= 1<<20 {
		bp := alignedBufs.Get().(*[]byte)
		defer alignedBufs.Put(bp)
		ab = (*bp)[:len(buf)]
	} else {
		ab = alignedBuf(len(buf))
	}
	if write {
		copy(ab, buf)
		return unix.Pwrite(fd, ab, off)
	}
	n, err := unix.Pread(fd, ab, off)
	copy(buf, ab[:max(n, 0)])
	return n, err
}

// Flush has nothing to do: locks are released with the descriptor.
func (p *Posix) Flush(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	_, err := p.handleOf(fd)
	return err
}

// Fsync flushes the file to disk (data only with datasync).
func (p *Posix) Fsync(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	h, err := p.handleOf(fd)
	if err != nil {
		return err
	}
	if datasync {
		return fail("fdatasync", fd.Loc.Path, unix.Fdatasync(h.fd))
	}
	return fail("fsync", fd.Loc.Path, unix.Fsync(h.fd))
}

// Release closes the file. The last release of a file whose last name was
// unlinked while open removes its handle.
func (p *Posix) Release(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	h, ok := fd.DelCtx(p).(*handle)
	if !ok {
		return syscall.EBADF
	}
	// Drop this open file's OFD locks before closing: with FUSE
	// passthrough the kernel's backing file shares the open file
	// description and outlives our descriptor, and its locks with it.
	// A handle that never locked has none (and saves the system call).
	if h.locked.Load() {
		unlock := unix.Flock_t{Type: unix.F_UNLCK}
		unix.FcntlFlock(uintptr(h.fd), unix.F_OFD_SETLK, &unlock)
	}
	err := unix.Close(h.fd)
	if !h.gfid.IsZero() && p.opens.remove(h.gfid) {
		p.dropOrphanHandle(h.gfid)
	}
	return fail("release", fd.Loc.Path, err)
}

// dropOrphanHandle removes g's handle if it is the file's only link left.
func (p *Posix) dropOrphanHandle(g xlator.GFID) {
	mu := p.locks.of(g)
	mu.Lock()
	defer mu.Unlock()
	if p.opens.isOpen(g) {
		return
	}
	var hs unix.Stat_t
	rel := handleRel(g)
	if err := fstatat(p.metaFd, rel, &hs, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return
	}
	if hs.Nlink == 1 && hs.Mode&unix.S_IFMT != unix.S_IFDIR {
		if err := unix.Unlinkat(p.metaFd, rel, 0); err != nil && err != syscall.ENOENT {
			p.Log().Warn("removing handle of unlinked file", "gfid", g, "err", err)
		}
	}
}

// Fstat returns the attributes of the open file.
func (p *Posix) Fstat(ctx context.Context, c *xlator.Call, fd *xlator.FD) (xlator.Stat, error) {
	h, err := p.handleOf(fd)
	if err != nil {
		return xlator.Stat{}, err
	}
	return p.fstat(h, fd.Loc.Path)
}

func (p *Posix) fstat(h *handle, path string) (xlator.Stat, error) {
	var us unix.Stat_t
	if err := unix.Fstat(h.fd, &us); err != nil {
		return xlator.Stat{}, fail("fstat", path, err)
	}
	g := h.gfid
	if g.IsZero() {
		fgetxattr(h.fd, p.gfidKey, g[:])
	}
	return toStat(&us, g), nil
}

// Fallocate passes mode (FALLOC_FL_* bits) and the range to fallocate(2).
func (p *Posix) Fallocate(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, off, length int64) error {
	h, err := p.handleOf(fd)
	if err != nil {
		return err
	}
	return fail("fallocate", fd.Loc.Path, unix.Fallocate(h.fd, mode, off, length))
}

// Discard punches a hole in the range, keeping the size.
func (p *Posix) Discard(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	h, err := p.handleOf(fd)
	if err != nil {
		return err
	}
	return fail("discard", fd.Loc.Path, unix.Fallocate(h.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, length))
}

// Zerofill makes the range read as zeros (FALLOC_FL_ZERO_RANGE), growing
// the file if the range ends past it. Where the file system lacks
// ZERO_RANGE, zeros are written.
func (p *Posix) Zerofill(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	h, err := p.handleOf(fd)
	if err != nil {
		return err
	}
	err = unix.Fallocate(h.fd, unix.FALLOC_FL_ZERO_RANGE, off, length)
	if err == syscall.EOPNOTSUPP {
		err = writeZeros(h.fd, off, length)
	}
	return fail("zerofill", fd.Loc.Path, err)
}

func writeZeros(fd int, off, length int64) error {
	zeros := make([]byte, min(length, 1<<20))
	for length > 0 {
		n, err := unix.Pwrite(fd, zeros[:min(int64(len(zeros)), length)], off)
		if err != nil {
			return err
		}
		off += int64(n)
		length -= int64(n)
	}
	return nil
}

// Seek answers SEEK_DATA and SEEK_HOLE (ENXIO past the end, as lseek does).
func (p *Posix) Seek(ctx context.Context, c *xlator.Call, fd *xlator.FD, off int64, whence int) (int64, error) {
	if whence != unix.SEEK_DATA && whence != unix.SEEK_HOLE {
		return 0, syscall.EINVAL
	}
	h, err := p.handleOf(fd)
	if err != nil {
		return 0, err
	}
	n, err := unix.Seek(h.fd, off, whence)
	if err == syscall.ENXIO {
		return 0, err
	}
	return n, fail("seek", fd.Loc.Path, err)
}

// CopyFileRange copies length bytes between two open files in the kernel.
func (p *Posix) CopyFileRange(ctx context.Context, c *xlator.Call, in *xlator.FD, offIn int64, out *xlator.FD, offOut int64, length int64, flags uint32) (int64, error) {
	hi, err := p.handleOf(in)
	if err != nil {
		return 0, err
	}
	ho, err := p.handleOf(out)
	if err != nil {
		return 0, err
	}
	n, err := unix.CopyFileRange(hi.fd, &offIn, ho.fd, &offOut, int(length), int(flags))
	if err != nil {
		return int64(n), fail("copy_file_range", in.Loc.Path+" -> "+out.Loc.Path, err)
	}
	return int64(n), nil
}
