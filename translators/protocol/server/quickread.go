package server

import (
	"context"
	"errors"
	"syscall"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// writerKey names an inode of one exported subvolume.
type writerKey struct {
	sv xlator.Translator
	g  xlator.GFID
}

// writers counts, across every connection of a server, the open files
// that may change their file's data (opened for writing or with
// O_TRUNC). Quick-read sends a file's contents with its open reply only
// while no such file is open on the server.
type writers struct {
	count   map[writerKey]int
	unknown int // opened for writing without a GFID in their Loc
}

// mayWrite reports whether fd can change its file's data.
func mayWrite(fd *xlator.FD) bool {
	return !fd.Dir && (fd.Flags&syscall.O_ACCMODE != syscall.O_RDONLY || fd.Flags&syscall.O_TRUNC != 0)
}

// opened counts fd if it may write; the caller holds s.mu.
func (w *writers) opened(sv xlator.Translator, fd *xlator.FD) {
	if !mayWrite(fd) {
		return
	}
	if g := fd.GFID(); g.IsZero() {
		w.unknown++
	} else {
		w.count[writerKey{sv, g}]++
	}
}

// closed forgets fd once it is released; the caller holds s.mu.
func (w *writers) closed(sv xlator.Translator, fd *xlator.FD) {
	if !mayWrite(fd) {
		return
	}
	g := fd.GFID()
	if g.IsZero() {
		w.unknown--
		return
	}
	k := writerKey{sv, g}
	if w.count[k]--; w.count[k] <= 0 {
		delete(w.count, k)
	}
}

// writing reports whether a file of sv with GFID g may be open for
// writing on this server.
func (s *Server) writing(sv xlator.Translator, g xlator.GFID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writers.unknown > 0 || s.writers.count[writerKey{sv, g}] > 0
}

// fdOpened and fdClosed keep the server's count of files open for
// writing (see writers).
func (s *Server) fdOpened(sv xlator.Translator, fd *xlator.FD) {
	s.mu.Lock()
	s.writers.opened(sv, fd)
	s.mu.Unlock()
}

func (s *Server) fdClosed(sv xlator.Translator, fd *xlator.FD) {
	s.mu.Lock()
	s.writers.closed(sv, fd)
	s.mu.Unlock()
}

// addQuickRead puts the whole contents of the file just opened into the
// open reply (quick-read, as GlusterFS's performance/quick-read), so the
// client can answer the read that usually follows the open of a small
// file without a round trip. Only when the client asked for it (Count is
// the largest size it takes), the file was opened read-only (no
// O_TRUNC, no O_DIRECT), is a regular file of at most Count bytes, and
// no file open on this server may be writing to it. The data is the
// file as it was at the open: the client uses it only briefly after the
// open (reply-attr-timeout) and never after it changed the file itself.
// A read that fails or does not return exactly the size fstat gave just
// leaves the data out; so does a failed O_NOATIME open (a server not
// running as the file's owner or root).
func (c *conn) addQuickRead(ctx context.Context, req *wire.Request, rep *wire.Reply) {
	if req.Op != wire.OpOpen || req.Count == 0 ||
		req.Flags&syscall.O_ACCMODE != syscall.O_RDONLY || req.Flags&(syscall.O_TRUNC|syscall.O_DIRECT) != 0 {
		return
	}
	st := rep.Stat
	if st.GFID.IsZero() || st.Mode&syscall.S_IFMT != syscall.S_IFREG || st.Size > uint64(req.Count) {
		return
	}
	if c.srv.writing(c.subvol, st.GFID) {
		return
	}
	fd, err := c.fd(rep.FD)
	if err != nil {
		return
	}
	// The file is read through a descriptor of its own with O_NOATIME:
	// an open must not change the access time (a read does; when the
	// client answers one from these contents it sends that read on
	// without waiting). A descriptor the client opened with O_NOATIME
	// reads through itself (replicate's heal reading its source).
	qfd := fd
	if req.Flags&syscall.O_NOATIME == 0 {
		qfd = xlator.NewFD(&fd.Loc, syscall.O_RDONLY|syscall.O_NOATIME, false)
		qfd.Loc.GFID = st.GFID
		if err := c.subvol.Open(ctx, &req.Call, qfd); err != nil {
			c.log.Debug("no quick-read data for the open reply", "gfid", st.GFID.String(), "err", err)
			return
		}
		defer c.subvol.Release(ctx, &req.Call, qfd)
	}
	// One byte more than the size: a full read means the file grew.
	buf := make([]byte, st.Size+1)
	n, err := c.subvol.Read(ctx, &req.Call, qfd, buf, 0)
	if err != nil || uint64(n) != st.Size {
		c.log.Debug("no quick-read data for the open reply", "gfid", st.GFID.String(), "size", st.Size, "read", n, "err", err)
		return
	}
	rep.Data = buf[:n:n]
}

// capsXattr is the xattr the kernel reads before every write to a file
// (to clear file capabilities on a write).
const capsXattr = "security.capability"

// addNoCaps says in a create or open reply that the file just opened for
// writing has no security.capability xattr, so the client can answer the
// kernel's check before the first write without a round trip. Any other
// answer (the xattr is there, the check failed) says nothing.
func (c *conn) addNoCaps(ctx context.Context, req *wire.Request, rep *wire.Reply) {
	if req.Op != wire.OpCreate && req.Op != wire.OpOpen {
		return
	}
	fd, err := c.fd(rep.FD)
	if err != nil || !mayWrite(fd) {
		return
	}
	_, err = c.subvol.Fgetxattr(ctx, &req.Call, fd, capsXattr)
	rep.NoCaps = errors.Is(err, syscall.ENODATA)
}
