package posix

import (
	"context"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// Lk takes, tests or releases a POSIX byte-range lock as an open file
// description lock (F_OFD_*) on the FD's descriptor, as go-fuse's loopback
// does: the FD, not c.LockOwner, owns the lock (features/locks provides
// owner-exact semantics). The waiting form polls so that it ends with
// EINTR when ctx is cancelled.
func (p *Posix) Lk(ctx context.Context, c *xlator.Call, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) (xlator.Flock, error) {
	h, err := p.handleOf(fd)
	if err != nil {
		return xlator.Flock{}, err
	}
	fl := unix.Flock_t{Type: int16(lk.Type), Whence: unix.SEEK_SET, Start: lk.Start, Len: lk.Len}
	switch cmd {
	case xlator.LkGet:
		if err := unix.FcntlFlock(uintptr(h.fd), unix.F_OFD_GETLK, &fl); err != nil {
			return xlator.Flock{}, fail("getlk", fd.Loc.Path, err)
		}
		out := xlator.Flock{Type: xlator.LockType(fl.Type), Start: fl.Start, Len: fl.Len}
		if fl.Pid > 0 {
			out.PID = uint32(fl.Pid)
		}
		return out, nil
	case xlator.LkSet:
		h.locked.Store(true)
		return xlator.Flock{}, setlk(h.fd, &fl, fd.Loc.Path)
	case xlator.LkSetWait:
		h.locked.Store(true)
		wait := time.Millisecond
		for {
			err := setlk(h.fd, &fl, fd.Loc.Path)
			if err != syscall.EAGAIN {
				return xlator.Flock{}, err
			}
			select {
			case <-ctx.Done():
				return xlator.Flock{}, syscall.EINTR
			case <-time.After(wait):
			}
			wait = min(2*wait, 50*time.Millisecond)
		}
	}
	return xlator.Flock{}, syscall.EINVAL
}

// setlk tries F_OFD_SETLK once; a conflict is EAGAIN.
func setlk(fd int, fl *unix.Flock_t, path string) error {
	err := unix.FcntlFlock(uintptr(fd), unix.F_OFD_SETLK, fl)
	if err == syscall.EACCES || err == syscall.EAGAIN {
		return syscall.EAGAIN
	}
	return fail("setlk", path, err)
}
