package loomcli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/loom-fs/loom/translators/mount/fuse"
)

// stopper turns SIGINT and SIGTERM into an orderly end, from before the
// mount exists until loom exits. Caught that early, a signal that lands
// while the kernel is already mounting cannot kill loom with its own
// mount half-made (a process killed while one of its threads waits on its
// own FUSE mount can hang in the kernel for good). SIGHUP reloads the
// volfile once the mount is in place (as GlusterFS does; the process
// command "reload" of the control socket); before that it is logged and
// ignored.
type stopper struct {
	log    *slog.Logger
	sigs   chan os.Signal
	cancel context.CancelFunc
	done   chan struct{} // closed by stop
	exited chan struct{} // closed when watch returns
	// reload reloads the volfile of the mount at mountpoint;
	// runProcessCommand(mountpoint, "reload") unless a test replaces it.
	reload  func(mountpoint string) (any, error)
	reloads sync.WaitGroup

	mu         sync.Mutex
	got        os.Signal
	sess       *fuse.Session
	mountpoint string
}

// newStopper starts catching signals. The returned context ends at the
// first SIGINT or SIGTERM, to cut start-up short.
func newStopper(ctx context.Context, log *slog.Logger) (*stopper, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	s := &stopper{log: log, sigs: make(chan os.Signal, 4), cancel: cancel, done: make(chan struct{}),
		exited: make(chan struct{}),
		reload: func(mp string) (any, error) { return runProcessCommand(mp, "reload") }}
	signal.Notify(s.sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go s.watch()
	return s, ctx
}

func (s *stopper) watch() {
	defer close(s.exited)
	for {
		select {
		case sig := <-s.sigs:
			if sig == syscall.SIGHUP {
				s.hangup()
				continue
			}
			s.mu.Lock()
			s.got = sig
			sess, mp := s.sess, s.mountpoint
			s.mu.Unlock()
			s.log.Info("signal received; stopping", "signal", sig.String())
			s.cancel()
			if sess != nil {
				s.unmount(sess, mp)
			}
			return
		case <-s.done:
			return
		}
	}
}

// hangup reloads the volfile of the mount, in the background so that a
// SIGINT or SIGTERM meanwhile still ends the mount at once; SIGHUPs while
// a reload runs wait their turn (the reload itself runs one at a time).
func (s *stopper) hangup() {
	s.mu.Lock()
	mp, stopping := s.mountpoint, s.got != nil
	s.mu.Unlock()
	if mp == "" || stopping {
		s.log.Info("SIGHUP before the mount is ready or while it stops: ignored (nothing to reload)")
		return
	}
	s.log.Info("SIGHUP: reloading the volfile", "mountpoint", mp)
	s.reloads.Add(1)
	go func() {
		defer s.reloads.Done()
		res, err := s.reload(mp)
		if err != nil {
			s.log.Error("SIGHUP: reload failed; the old graph keeps serving", "mountpoint", mp, "err", err)
			return
		}
		s.log.Info("SIGHUP: reloaded", "mountpoint", mp, "result", fmt.Sprintf("%+v", res))
	}()
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

// stop ends the catching of signals and waits for a reload that a
// SIGHUP started.
func (s *stopper) stop() {
	signal.Stop(s.sigs)
	close(s.done)
	s.cancel()
	<-s.exited
	s.reloads.Wait()
}
