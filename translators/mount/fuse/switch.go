package fuse

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// A live graph switch: the bridge serves a liveTop, which passes every fop
// to the top of the current generation. SwitchTop makes a new top
// current; fops already running finish on the old one, and each open file
// or directory is reopened on the new top (by its Loc, which carries the
// GFID) the next time it is used, and released on the old one. When the
// old generation has no fop in flight and no FD open any more, it is
// retired: its top is sent on Session.Retired, so that its owner can
// stop its graph. POSIX locks held on the old graph are not carried over.

// generation is one top the bridge has served.
type generation struct {
	top      xlator.Translator
	inflight atomic.Int64 // fops running on it
	fds      atomic.Int64 // FDs open on it
	retired  atomic.Bool  // no longer current
	idleOnce sync.Once
}

// liveTop is the translator the bridge serves when it may switch graphs.
type liveTop struct {
	xlator.Base
	cur     atomic.Pointer[generation]
	retired chan xlator.Translator
	mu      sync.Mutex // serialises switches
}

// liveBackingTop is liveTop for a top that offers FUSE passthrough: it
// asks the generation an FD is open on for its backing file.
type liveBackingTop struct{ *liveTop }

// newLiveTop wraps top for serving with switches.
func newLiveTop(top xlator.Translator) xlator.Translator {
	l := &liveTop{
		Base:    xlator.NewBase(&xlator.Config{Name: top.Name(), Type: top.Type()}),
		retired: make(chan xlator.Translator, 16),
	}
	l.cur.Store(&generation{top: top})
	if _, ok := top.(xlator.BackingFiler); ok {
		return liveBackingTop{l}
	}
	return l
}

// asLive returns the liveTop behind a bridge's top.
func asLive(t xlator.Translator) *liveTop {
	switch v := t.(type) {
	case *liveTop:
		return v
	case liveBackingTop:
		return v.liveTop
	}
	return nil
}

// Name is the current top's volume name.
func (l *liveTop) Name() string { return l.cur.Load().top.Name() }

// Type is the current top's type.
func (l *liveTop) Type() string { return l.cur.Load().top.Type() }

// Children is the current top.
func (l *liveTop) Children() []xlator.Translator {
	return []xlator.Translator{l.cur.Load().top}
}

// enter returns the current generation with one more fop in flight.
func (l *liveTop) enter() *generation {
	for {
		g := l.cur.Load()
		g.inflight.Add(1)
		if l.cur.Load() == g {
			return g
		}
		l.leave(g)
	}
}

// leave ends a fop on g, retiring g if it was the last use.
func (l *liveTop) leave(g *generation) {
	if g.inflight.Add(-1) == 0 {
		l.maybeRetire(g)
	}
}

// maybeRetire sends an old, idle generation's top on the retired channel
// (once).
func (l *liveTop) maybeRetire(g *generation) {
	if g.retired.Load() && g.inflight.Load() == 0 && g.fds.Load() == 0 {
		g.idleOnce.Do(func() { l.retired <- g.top })
	}
}

// fdSlot is liveTop's part of an FD: the generation it is open on. Fops
// on the FD hold mu for reading; reopening on a new generation holds it
// for writing.
type fdSlot struct {
	mu sync.RWMutex
	g  *generation
}

// slotOf returns the FD's slot, or nil.
func (l *liveTop) slotOf(fd *xlator.FD) *fdSlot {
	s, _ := fd.Ctx(l).(*fdSlot)
	return s
}

// reopenFlags are the open flags that must not be repeated on a reopen.
const reopenFlags = syscall.O_CREAT | syscall.O_EXCL | syscall.O_TRUNC

// enterFD returns the generation fd is open on, reopening it on the
// current one first if a switch happened since; done ends the fop.
func (l *liveTop) enterFD(ctx context.Context, c *xlator.Call, fd *xlator.FD) (*generation, func(), error) {
	s := l.slotOf(fd)
	if s == nil {
		g := l.enter()
		return g, func() { l.leave(g) }, nil
	}
	for {
		s.mu.RLock()
		g := s.g
		if cur := l.cur.Load(); g == cur || g == nil {
			if g == nil {
				s.mu.RUnlock()
				return nil, nil, syscall.EBADF
			}
			g.inflight.Add(1)
			return g, func() {
				s.mu.RUnlock()
				l.leave(g)
			}, nil
		}
		s.mu.RUnlock()
		if err := l.reopen(ctx, c, fd, s); err != nil {
			return nil, nil, err
		}
	}
}

// reopen opens fd on the current generation and releases it on the one
// it was open on.
func (l *liveTop) reopen(ctx context.Context, c *xlator.Call, fd *xlator.FD, s *fdSlot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.g
	ng := l.enter()
	defer l.leave(ng)
	if old == ng || old == nil {
		return nil
	}
	flags := fd.Flags
	fd.Flags &^= reopenFlags
	var err error
	if fd.Dir {
		err = ng.top.Opendir(ctx, c, fd)
	} else {
		err = ng.top.Open(ctx, c, fd)
	}
	fd.Flags = flags
	if err != nil {
		return err
	}
	ng.fds.Add(1)
	s.g = ng
	l.release(context.WithoutCancel(ctx), c, fd, old)
	return nil
}

// release closes fd on generation g and counts it gone.
func (l *liveTop) release(ctx context.Context, c *xlator.Call, fd *xlator.FD, g *generation) error {
	var err error
	if fd.Dir {
		err = g.top.Releasedir(ctx, c, fd)
	} else {
		err = g.top.Release(ctx, c, fd)
	}
	g.fds.Add(-1)
	l.maybeRetire(g)
	return err
}

// opened records fd as open on g.
func (l *liveTop) opened(fd *xlator.FD, g *generation) {
	g.fds.Add(1)
	fd.SetCtx(l, &fdSlot{g: g})
}

// Open opens on the current top.
func (l *liveTop) Open(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	g := l.enter()
	defer l.leave(g)
	if err := g.top.Open(ctx, c, fd); err != nil {
		return err
	}
	l.opened(fd, g)
	return nil
}

// Create creates on the current top.
func (l *liveTop) Create(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, umask uint32) (xlator.Stat, error) {
	g := l.enter()
	defer l.leave(g)
	st, err := g.top.Create(ctx, c, fd, mode, umask)
	if err != nil {
		return st, err
	}
	l.opened(fd, g)
	return st, nil
}

// Opendir opens on the current top.
func (l *liveTop) Opendir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	g := l.enter()
	defer l.leave(g)
	if err := g.top.Opendir(ctx, c, fd); err != nil {
		return err
	}
	l.opened(fd, g)
	return nil
}

// Release closes on the generation the file is open on.
func (l *liveTop) Release(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	return l.close(ctx, c, fd)
}

// Releasedir closes on the generation the directory is open on.
func (l *liveTop) Releasedir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	return l.close(ctx, c, fd)
}

func (l *liveTop) close(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	s, _ := fd.DelCtx(l).(*fdSlot)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.g
	s.g = nil
	if g == nil {
		return nil
	}
	return l.release(ctx, c, fd, g)
}

// BackingFile asks the generation fd is open on.
func (b liveBackingTop) BackingFile(fd *xlator.FD) (int, bool) {
	s := b.slotOf(fd)
	if s == nil {
		return -1, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.g == nil {
		return -1, false
	}
	bf, ok := s.g.top.(xlator.BackingFiler)
	if !ok {
		return -1, false
	}
	return bf.BackingFile(fd)
}

// switchTo makes top current and retires the previous generation once it
// is idle.
func (l *liveTop) switchTo(top xlator.Translator) error {
	if top == nil {
		return errors.New("switch to a nil top")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.cur.Load()
	if old.top == top {
		return errors.New("switch to the top already served")
	}
	l.cur.Store(&generation{top: top})
	old.retired.Store(true)
	l.maybeRetire(old)
	return nil
}

// SwitchTop makes the bridge serve newTop from now on (a live graph
// switch, as after "loom volfile reload"): fops in flight finish on the
// old top, open files and directories are reopened on the new one when
// next used (by Loc, which carries the GFID), and the old top is sent on
// Retired once no fop and no FD uses it. newTop must be started and up.
func (m *Session) SwitchTop(newTop xlator.Translator) error {
	l := asLive(m.bridge.top)
	if l == nil {
		return errors.New("this mount cannot switch graphs")
	}
	return l.switchTo(newTop)
}

// Retired delivers each top replaced by SwitchTop once nothing uses it
// any more; its owner then stops its graph.
func (m *Session) Retired() <-chan xlator.Translator {
	if l := asLive(m.bridge.top); l != nil {
		return l.retired
	}
	return nil
}

// Top returns the top currently served.
func (m *Session) Top() xlator.Translator {
	if l := asLive(m.bridge.top); l != nil {
		return l.cur.Load().top
	}
	return m.bridge.top
}
