package client

import (
	"context"
	"syscall"

	"github.com/loom-fs/loom/translators/protocol/wire"
	"github.com/loom-fs/loom/xlator"
)

// remoteFD is the client's state of an open file: the server's handle id
// on the connection generation it belongs to.
type remoteFD struct {
	id     uint64
	gen    uint64
	bad    bool       // lost with a connection and not reopened: EBADF
	locked bool       // a POSIX lock was taken through it: not reopened
	quick  *quickData // the contents its open reply brought (quickread.go)
	ahead  *dirAhead  // a directory's entries fetched ahead (readdirahead.go)
}

// reopenFlags are open flags that must not be repeated on a reopen.
const reopenFlags = syscall.O_CREAT | syscall.O_EXCL | syscall.O_TRUNC

// track records fd as open on s with the server's handle id.
func (c *Client) track(fd *xlator.FD, s *session, id uint64) *remoteFD {
	r := &remoteFD{id: id, gen: s.gen}
	c.mu.Lock()
	c.fds[fd] = r
	c.mu.Unlock()
	fd.SetCtx(c, r)
	return r
}

// handle returns the session and server handle id of fd, or EBADF for a
// file this client does not know or lost with a connection.
func (c *Client) handle(fd *xlator.FD) (*session, uint64, error) {
	s, err := c.current()
	if err != nil {
		return nil, 0, err
	}
	r, _ := fd.Ctx(c).(*remoteFD)
	if r == nil {
		return nil, 0, syscall.EBADF
	}
	c.mu.Lock()
	id, gen, bad := r.id, r.gen, r.bad
	c.mu.Unlock()
	if bad || gen != s.gen {
		return nil, 0, syscall.EBADF
	}
	return s, id, nil
}

// markLocked records that fd holds (or held) a POSIX lock.
func (c *Client) markLocked(fd *xlator.FD) {
	if r, _ := fd.Ctx(c).(*remoteFD); r != nil {
		c.mu.Lock()
		r.locked = true
		c.mu.Unlock()
	}
}

// forget drops fd's state and returns it.
func (c *Client) forget(fd *xlator.FD) *remoteFD {
	r, _ := fd.DelCtx(c).(*remoteFD)
	c.mu.Lock()
	if r != nil {
		c.dropQuick(r)
	}
	delete(c.fds, fd)
	c.mu.Unlock()
	return r
}

// reopen opens every tracked file again on the new session s, by GFID
// (a nameless Loc: the file may have been renamed or unlinked since).
// Files that held POSIX locks are not reopened: the server released the
// locks with the old connection, and another client may hold them now.
func (c *Client) reopen(s *session) {
	c.mu.Lock()
	fds := make(map[*xlator.FD]*remoteFD, len(c.fds))
	for fd, r := range c.fds {
		fds[fd] = r
	}
	c.mu.Unlock()
	ctx := context.Background()
	reopened, lost := 0, 0
	for fd, r := range fds {
		c.mu.Lock()
		skip := r.bad || r.locked
		if r.locked {
			r.bad = true
		}
		c.mu.Unlock()
		if skip {
			lost++
			continue
		}
		req := wire.Request{Op: wire.OpOpen, Loc: xlator.Loc{GFID: fd.GFID()}, Flags: fd.Flags &^ reopenFlags}
		if fd.Dir {
			req.Op = wire.OpOpendir
		}
		rep, err := s.roundTrip(ctx, &req, nil)
		c.mu.Lock()
		if err != nil {
			r.bad = true
			lost++
			c.Log().Warn("could not reopen a file after reconnecting; it answers EBADF", "gfid", fd.GFID().String(), "path", fd.Loc.Path, "err", err)
		} else {
			r.id, r.gen = rep.FD, s.gen
			reopened++
		}
		c.mu.Unlock()
	}
	if len(fds) > 0 {
		c.Log().Info("open files after reconnecting", "reopened", reopened, "lost", lost)
	}
}

// released reports whether fd is one this client has already released
// (or never opened): the FUSE bridge can still name such a handle for a
// stat while its release is in flight. Metadata reads on it are answered
// by GFID instead (byGFID).
func (c *Client) released(fd *xlator.FD) bool {
	r, _ := fd.Ctx(c).(*remoteFD)
	return r == nil && !fd.GFID().IsZero()
}

// byGFID is the nameless Loc of fd's file.
func byGFID(fd *xlator.FD) *xlator.Loc { return &xlator.Loc{GFID: fd.GFID()} }
