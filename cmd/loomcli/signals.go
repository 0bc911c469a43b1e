package loomcli

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/translators/mount/fuse"
)

// stopper turns SIGINT, SIGTERM and SIGHUP into an orderly end, from
// before the mount exists until loom exits. Caught that early, a signal
// that lands while the kernel is already mounting cannot kill loom with
// its own mount half-made (a process killed while one of its threads waits
// on its own FUSE mount can hang in the kernel for good).
type stopper struct {
	log    *slog.Logger
	sigs   chan os.Signal
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	got        os.Signal
	sess       *fuse.Session
	mountpoint string
}

// newStopper starts catching signals. The returned context ends at the
// first signal, to cut start-up short.
func newStopper(ctx context.Context, log *slog.Logger) (*stopper, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	s := &stopper{log: log, sigs: make(chan os.Signal, 4), cancel: cancel, done: make(chan struct{})}
	signal.Notify(s.sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go s.watch()
	return s, ctx
}

func (s *stopper) watch() {
	select {
	case sig := <-s.sigs:
		s.mu.Lock()
		s.got = sig
		sess, mp := s.sess, s.mountpoint
		s.mu.Unlock()
		s.log.Info("signal received; stopping", "signal", sig.String())
		s.cancel()
		if sess != nil {
			s.unmount(sess, mp)
		}
	case <-s.done:
	}
}

// mounted hands over the new mount: a signal from now on unmounts it, and
// one that came while mounting unmounts it at once.
func (s *stopper) mounted(sess *fuse.Session, mountpoint string) {
	s.mu.Lock()
	s.sess, s.mountpoint = sess, mountpoint
	got := s.got
	s.mu.Unlock()
	if got != nil {
		s.unmount(sess, mountpoint)
	}
}

// unmount ends the mount; Unmount detaches it lazily if it is busy, so a
// signal always ends it.
func (s *stopper) unmount(sess *fuse.Session, mountpoint string) {
	if err := sess.Unmount(); err != nil {
		s.log.Error("unmount failed", "mountpoint", mountpoint, "err", err)
	}
}

// signal returns the signal received, or nil.
func (s *stopper) signal() os.Signal {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.got
}

// stop ends the catching of signals.
func (s *stopper) stop() {
	signal.Stop(s.sigs)
	close(s.done)
	s.cancel()
}
