// Package locks is the features/locks translator: it keeps every lock of
// the brick below it in memory and answers the lock fops itself, as
// GlusterFS's features/locks does. Applications' POSIX byte-range locks
// (fcntl F_GETLK, F_SETLK, F_SETLKW, and flock(2), which FUSE sends as
// whole-file locks) come through Lk; cluster translators' internal locks
// come through Inodelk/Finodelk (byte ranges in named domains) and
// Entrylk/Fentrylk (names in a directory). None of them reach the
// subvolume; every other fop passes through. Because all clients of a
// brick share the one translator, it is what makes their locks see each
// other.
package locks

import (
	"sync/atomic"

	"github.com/loom-fs/loom/xlator"
)

// Type is the registered translator type.
const Type = "features/locks"

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        Type,
		Doc:         "POSIX byte-range locks, flock and internal inode/entry locks, held in memory for the brick below",
		New:         New,
		Options:     Options,
		MinChildren: 1,
		MaxChildren: 1,
	})
}

// Options is the option schema of features/locks.
var Options = []xlator.OptionDef{
	{Key: "trace", Type: xlator.TypeBool, Default: "off",
		Help: "log every lock grant, wait, release and refusal at info level"},
}

// Locks holds the lock state of one brick and answers the lock fops.
type Locks struct {
	xlator.Base
	trace atomic.Bool
	tab   *table
}

// New builds a features/locks translator from cfg.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	l := &Locks{Base: xlator.NewBase(cfg)}
	l.trace.Store(cfg.Options.Bool("trace"))
	l.tab = newTable(l.Log(), &l.trace)
	return l, nil
}

// BackingFile forwards the brick's passthrough capability
// (xlator.BackingFiler): locks are advisory, so reads and writes, which
// FUSE passthrough keeps from the graph, need not be seen here.
func (l *Locks) BackingFile(fd *xlator.FD) (int, bool) {
	bf, ok := l.FirstChild().(xlator.BackingFiler)
	if !ok {
		return -1, false
	}
	return bf.BackingFile(fd)
}

// Reconfigure turns lock tracing on or off on a live graph.
func (l *Locks) Reconfigure(opts *xlator.Options) error {
	on := opts.Bool("trace")
	if l.trace.Swap(on) != on {
		l.Log().Info("lock tracing changed", "trace", on)
	}
	return nil
}

// ReleaseClient drops every lock (POSIX, inode and entry) the client
// holds and ends its queued requests with ENOTCONN, then grants what
// other owners were waiting for. protocol/server calls it when a client's
// connection ends.
func (l *Locks) ReleaseClient(client string) {
	locks, waits := l.tab.releaseClient(client)
	if locks > 0 || waits > 0 {
		l.Log().Info("released a client's locks", "client", client, "locks", locks, "waits", waits)
	}
}

// Fini ends every queued request with ENOTCONN, so that no caller stays
// blocked on a graph that is stopping, and forgets all locks.
func (l *Locks) Fini() error {
	l.tab.clear()
	return nil
}

// ownerOf returns the owner of a lock request: the call's client with the
// Flock's owner, or the call's lock owner when the Flock names none.
func ownerOf(c *xlator.Call, lkOwner uint64) owner {
	if lkOwner == 0 {
		lkOwner = c.LockOwner
	}
	return owner{client: c.Client, id: lkOwner}
}

// pidOf returns the pid to record with a lock: the Flock's, else the
// caller's.
func pidOf(c *xlator.Call, pid uint32) uint32 {
	if pid == 0 {
		return c.PID
	}
	return pid
}
