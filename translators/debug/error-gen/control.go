package errorgen

import (
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// dead reports whether the settings fail every fop with ENOTCONN for good:
// the brick has gone away. e.mu must be held.
func (e *ErrorGen) deadLocked() bool {
	s := &e.set
	return s.Failure >= 100 && s.Errno == syscall.ENOTCONN && s.Fops == nil && s.FailAfter == 0 && s.FailCount == 0
}

// IsDown reports whether error-gen currently plays a brick that has gone
// away (see Kill).
func (e *ErrorGen) IsDown() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.deadLocked()
}

// Apply makes s the current settings on a live graph and restarts the
// schedule (fail-after, fail-count). When the change makes every fop fail
// with ENOTCONN, child-down is sent up the graph; when it ends that,
// child-up is (provided the child itself is up).
func (e *ErrorGen) Apply(s Settings) error {
	e.ctl.Lock()
	defer e.ctl.Unlock()
	return e.applyLocked(s)
}

func (e *ErrorGen) applyLocked(s Settings) error {
	e.mu.Lock()
	wasDead := e.deadLocked()
	e.mu.Unlock()
	if err := e.install(s); err != nil {
		return err
	}
	e.mu.Lock()
	nowDead, childUp := e.deadLocked(), e.childUp
	e.mu.Unlock()
	switch {
	case wasDead == nowDead:
	case nowDead:
		e.Log().Info("failing every fop with ENOTCONN: reporting child-down", "child_up", childUp)
		if childUp {
			e.Emit(xlator.EventChildDown)
		}
	default:
		e.Log().Info("no longer failing every fop with ENOTCONN: reporting child-up", "child_up", childUp)
		if childUp {
			e.Emit(xlator.EventChildUp)
		}
	}
	return nil
}

// Kill makes error-gen a brick that has gone away: every fop fails with
// ENOTCONN and child-down travels up the graph. Revive undoes it.
func (e *ErrorGen) Kill() {
	e.ctl.Lock()
	defer e.ctl.Unlock()
	e.mu.Lock()
	if e.deadLocked() {
		e.mu.Unlock()
		return
	}
	e.beforeKill = e.set
	e.mu.Unlock()
	// These settings are always valid.
	_ = e.applyLocked(Settings{Failure: 100, Errno: syscall.ENOTCONN})
}

// Revive brings back a brick Kill took away: the settings from before Kill
// return (or, if there were none, nothing fails) and child-up travels up
// the graph.
func (e *ErrorGen) Revive() {
	e.ctl.Lock()
	defer e.ctl.Unlock()
	e.mu.Lock()
	if !e.deadLocked() {
		e.mu.Unlock()
		return
	}
	s := e.beforeKill
	e.beforeKill = Settings{}
	e.mu.Unlock()
	if s.Failure >= 100 && s.Errno == syscall.ENOTCONN && s.Fops == nil && s.FailAfter == 0 && s.FailCount == 0 {
		s = Settings{} // it started dead: come back failing nothing
	}
	if err := e.applyLocked(s); err != nil {
		e.Log().Warn("revive: restoring the settings from before kill failed; failing nothing", "err", err)
		_ = e.applyLocked(Settings{})
	}
}

// Reconfigure applies changed options on a live graph (see Apply).
func (e *ErrorGen) Reconfigure(opts *xlator.Options) error {
	s, err := settingsFrom(opts)
	if err != nil {
		return err
	}
	return e.Apply(s)
}

// Notify passes the child's events up, except while error-gen plays a
// brick that has gone away: then its parents already count it down.
func (e *ErrorGen) Notify(ev xlator.Event, from xlator.Translator) {
	e.ctl.Lock()
	defer e.ctl.Unlock()
	e.mu.Lock()
	e.childUp = ev == xlator.EventChildUp
	dead := e.deadLocked()
	e.mu.Unlock()
	if !dead {
		e.Emit(ev)
	}
}

// inject decides whether this call of fop fails, and returns the error if so.
func (e *ErrorGen) inject(fop, path string) error {
	e.mu.Lock()
	s := &e.set
	if s.Failure <= 0 || !e.enabled[fop] {
		e.mu.Unlock()
		return nil
	}
	e.calls++
	if e.calls <= s.FailAfter || (s.FailCount > 0 && e.failed >= s.FailCount) {
		e.mu.Unlock()
		return nil
	}
	fail := false
	if s.Random {
		fail = e.rng.Float64()*100 < s.Failure
	} else {
		e.acc += s.Failure
		if e.acc >= 100 {
			e.acc -= 100
			fail = true
		}
	}
	if fail {
		e.failed++
	}
	errno := s.Errno
	e.mu.Unlock()
	if !fail {
		return nil
	}
	e.Log().Debug("injected failure", "fop", fop, "path", path, "errno", ErrnoName(errno))
	return &xlator.OpError{Op: fop, Path: path, Err: errno}
}
