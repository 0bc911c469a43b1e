package posix

import (
	"context"
	"encoding/binary"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// dirStream is the state of a directory opened by Opendir.
type dirStream struct {
	mu   sync.Mutex
	root bool   // the brick root: .loom is left out
	path string // the directory's client path, when known
	pos  uint64 // the kernel's position of the descriptor (a d_off cookie)
	buf  []byte
}

// Opendir opens the directory fd.Loc for Readdir.
func (p *Posix) Opendir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	t, err := p.resolve(&fd.Loc)
	if err != nil {
		return fail("opendir", locPath(&fd.Loc), err)
	}
	root := t.dir == p.rootFd && t.name == "."
	ufd, err := openat(t.dir, t.name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	t.release()
	if err != nil {
		return fail("opendir", locPath(&fd.Loc), err)
	}
	g := fd.Loc.GFID
	if g.IsZero() {
		fgetxattr(ufd, p.gfidKey, g[:])
	}
	fd.SetCtx(p, &handle{fd: ufd, gfid: g, dir: &dirStream{root: root, path: fd.Loc.Path}})
	return nil
}

// Readdir returns the entries after cookie off, read with one getdents64
// of about size bytes. Each entry's Off is its d_off cookie. "." and ".."
// come first and never carry attributes; with plus, every other entry
// carries its Stat (and gets a GFID if it had none, as Lookup would).
func (p *Posix) Readdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) ([]xlator.DirEntry, error) {
	h, err := p.handleOf(fd)
	if err != nil {
		return nil, err
	}
	ds := h.dir
	if ds == nil {
		return nil, syscall.ENOTDIR
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if off != ds.pos {
		if _, err := unix.Seek(h.fd, int64(off), unix.SEEK_SET); err != nil {
			return nil, fail("readdir", fd.Loc.Path, err)
		}
		ds.pos = off
	}
	size = min(max(size, 4096), 1<<20)
	if len(ds.buf) < size {
		ds.buf = make([]byte, size)
	}
	var out []xlator.DirEntry
	for len(out) == 0 {
		n, err := unix.Getdents(h.fd, ds.buf[:size])
		if err != nil {
			return nil, fail("readdir", fd.Loc.Path, err)
		}
		if n <= 0 {
			return nil, nil
		}
		out = p.parseDirents(h.fd, ds, ds.buf[:n], plus, out)
	}
	return out, nil
}

// parseDirents decodes linux_dirent64 records, appending entries to out
// and moving ds.pos along.
func (p *Posix) parseDirents(dirfd int, ds *dirStream, b []byte, plus bool, out []xlator.DirEntry) []xlator.DirEntry {
	for len(b) >= 19 {
		ino := binary.NativeEndian.Uint64(b[0:])
		doff := binary.NativeEndian.Uint64(b[8:])
		reclen := int(binary.NativeEndian.Uint16(b[16:]))
		if reclen < 19 || reclen > len(b) {
			break
		}
		typ := b[18]
		nameb := b[19:reclen]
		for i, ch := range nameb {
			if ch == 0 {
				nameb = nameb[:i]
				break
			}
		}
		b = b[reclen:]
		ds.pos = doff
		if ds.root && string(nameb) == metaDir {
			continue
		}
		e := xlator.DirEntry{Name: string(nameb), Ino: ino, Type: uint32(typ) << 12, Off: doff}
		if plus && e.Name != "." && e.Name != ".." {
			t := target{dir: dirfd, name: e.Name, parentPath: ds.path}
			if st, _, err := p.statAt(&t, xlator.GFID{}); err == nil {
				e.Stat, e.HasStat = st, true
				e.Type = st.Type()
			}
		}
		out = append(out, e)
	}
	return out
}

// Fsyncdir flushes the directory to disk.
func (p *Posix) Fsyncdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, datasync bool) error {
	h, err := p.handleOf(fd)
	if err != nil {
		return err
	}
	return fail("fsyncdir", fd.Loc.Path, unix.Fsync(h.fd))
}

// Releasedir closes the directory.
func (p *Posix) Releasedir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	h, ok := fd.DelCtx(p).(*handle)
	if !ok {
		return syscall.EBADF
	}
	return fail("releasedir", fd.Loc.Path, unix.Close(h.fd))
}
