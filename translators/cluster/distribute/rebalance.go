package distribute

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// Rebalance states.
const (
	StateIdle      = "idle"
	StateRunning   = "running"
	StateCompleted = "completed"
	StateStopped   = "stopped"
	StateFailed    = "failed"
)

// Status is what "rebalance status" answers.
type Status struct {
	State          string   `json:"state"`
	Mode           string   `json:"mode,omitempty"`  // fix-layout or start
	Phase          string   `json:"phase,omitempty"` // counting, migrating
	Resumed        bool     `json:"resumed,omitempty"`
	Dirs           int64    `json:"dirs"`
	Scanned        int64    `json:"scanned"`
	Migrated       int64    `json:"migrated"`
	Bytes          int64    `json:"bytes"`
	TotalFiles     int64    `json:"total_files"`
	TotalBytes     int64    `json:"total_bytes"`
	Skipped        int64    `json:"skipped"`
	Failed         int64    `json:"failed"`
	ElapsedSec     float64  `json:"elapsed_sec"`
	FilesPerSec    float64  `json:"files_per_sec"`
	BytesPerSec    float64  `json:"bytes_per_sec"`
	ETASec         float64  `json:"eta_sec"`
	Error          string   `json:"error,omitempty"`
	Decommissioned []string `json:"decommissioned,omitempty"`
	// Removable lists decommissioned subvolumes a completed rebalance
	// emptied: they can be taken out of the volfile.
	Removable []string `json:"removable,omitempty"`
	LastSkips []string `json:"last_skips,omitempty"`
}

// counters are a running rebalance's numbers, updated by its workers.
type counters struct {
	dirs, scanned, migrated, bytes, skipped, failed atomic.Int64
	totalFiles, totalBytes                          atomic.Int64
}

// rebalancer runs at most one fix-layout or rebalance at a time.
type rebalancer struct {
	d *Distribute

	mu      sync.Mutex
	state   string
	mode    string
	phase   string
	resumed bool
	errText string
	started time.Time
	ended   time.Time
	cancel  context.CancelFunc
	done    chan struct{}
	skips   []string
	c       *counters
}

func newRebalancer(d *Distribute) *rebalancer {
	return &rebalancer{d: d, state: StateIdle, c: &counters{}}
}

// Control answers the rebalance commands: fix-layout, start, status,
// stop, and decommission/recommission SUBVOLUME.
func (d *Distribute) Control(ctx context.Context, cmd string, args []string) (any, error) {
	switch cmd {
	case "fix-layout", "start":
		if err := d.reb.start(cmd, 0, "", false); err != nil {
			return nil, err
		}
		return d.reb.status(), nil
	case "status":
		return d.reb.status(), nil
	case "stop":
		d.reb.stopRun()
		return d.reb.status(), nil
	case "decommission", "recommission":
		if len(args) != 1 {
			return nil, fmt.Errorf("%s takes one subvolume name", cmd)
		}
		return d.setDecommission(args[0], cmd == "decommission")
	}
	return nil, fmt.Errorf("unknown command %q (known: fix-layout, start, status, stop, decommission SUBVOLUME, recommission SUBVOLUME)", cmd)
}

// setDecommission drains (or stops draining) a subvolume on the live
// graph. Draining takes effect for layouts written from now on: run
// rebalance start to move the files.
func (d *Distribute) setDecommission(name string, on bool) (any, error) {
	i := d.indexOf(name)
	if i < 0 {
		return nil, fmt.Errorf("%q is not a subvolume of %s", name, d.Name())
	}
	decom := append([]bool(nil), d.decommissioned()...)
	decom[i] = on
	if !anyFalse(decom) {
		return nil, errors.New("every subvolume would be decommissioned; files would have nowhere to go")
	}
	d.decom.Store(&decom)
	return d.reb.status(), nil
}

// start begins a run in the background; skipDirs and last resume a
// checkpointed one.
func (r *rebalancer) start(mode string, skipDirs int64, last string, resumed bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == StateRunning {
		return fmt.Errorf("a %s is already running (rebalance stop ends it)", r.mode)
	}
	if !r.d.allUp() {
		return errors.New("every subvolume must be up to change layouts (ENOTCONN)")
	}
	ctx, cancel := context.WithCancel(r.d.runCtx)
	r.state, r.mode, r.phase, r.resumed, r.errText = StateRunning, mode, "", resumed, ""
	r.started, r.ended = time.Now(), time.Time{}
	r.cancel, r.done = cancel, make(chan struct{})
	r.skips = nil
	r.c = &counters{}
	go r.run(ctx, mode, skipDirs, last, r.done)
	return nil
}

// running reports whether a fix-layout or rebalance is running.
func (r *rebalancer) running() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state == StateRunning
}

// stopRun cancels a running rebalance and waits for it; its checkpoint
// stays, so start continues where it stopped.
func (r *rebalancer) stopRun() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// wait waits for a running rebalance to end (after the graph's stop
// cancelled it).
func (r *rebalancer) wait() {
	r.mu.Lock()
	done := r.done
	r.mu.Unlock()
	if done != nil {
		<-done
	}
}

// run is one fix-layout or rebalance, start to end.
func (r *rebalancer) run(ctx context.Context, mode string, skipDirs int64, last string, done chan struct{}) {
	defer close(done)
	lg := r.d.Log().With("rebalance", mode)
	lg.Info("rebalance started", "resumed_after_dirs", skipDirs)
	stopLog := r.logProgress(lg)
	err := r.crawl(ctx, mode, skipDirs, last)
	stopLog()
	r.mu.Lock()
	r.ended = time.Now()
	r.cancel = nil
	switch {
	case err == nil:
		r.state = StateCompleted
	case ctx.Err() != nil:
		r.state = StateStopped
	default:
		r.state, r.errText = StateFailed, err.Error()
	}
	state := r.state
	r.mu.Unlock()
	cctx := context.WithoutCancel(ctx)
	if state == StateCompleted || state == StateFailed {
		r.d.saveCheckpoint(cctx, checkpoint{State: state, Mode: mode})
	}
	st := r.status()
	lg.Info("rebalance ended", "state", state, "migrated", st.Migrated, "bytes", st.Bytes, "skipped", st.Skipped,
		"failed", st.Failed, "elapsed", time.Duration(st.ElapsedSec*float64(time.Second)).Round(time.Millisecond), "err", st.Error)
}

// logProgress logs the counters every ten seconds until the returned
// function is called.
func (r *rebalancer) logProgress(lg interface {
	Info(string, ...any)
}) func() {
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				st := r.status()
				lg.Info("rebalance progress", "phase", st.Phase, "dirs", st.Dirs, "migrated", st.Migrated,
					"of", st.TotalFiles, "bytes", st.Bytes, "files_per_sec", fmt.Sprintf("%.1f", st.FilesPerSec),
					"eta", time.Duration(st.ETASec*float64(time.Second)).Round(time.Second))
			}
		}
	}()
	return func() { close(stop) }
}

// skip records a file left in place.
func (r *rebalancer) skip(path string, why string) {
	r.c.skipped.Add(1)
	r.note(path, why)
}

// note records why a file was not migrated, for status.
func (r *rebalancer) note(path string, why string) {
	r.mu.Lock()
	if len(r.skips) < 20 {
		r.skips = append(r.skips, path+": "+why)
	}
	r.mu.Unlock()
}

// setPhase records the current phase.
func (r *rebalancer) setPhase(p string) {
	r.mu.Lock()
	r.phase = p
	r.mu.Unlock()
}

// status returns the current status.
func (r *rebalancer) status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.c
	st := Status{State: r.state, Mode: r.mode, Phase: r.phase, Resumed: r.resumed, Error: r.errText,
		Dirs: c.dirs.Load(), Scanned: c.scanned.Load(), Migrated: c.migrated.Load(), Bytes: c.bytes.Load(),
		TotalFiles: c.totalFiles.Load(), TotalBytes: c.totalBytes.Load(), Skipped: c.skipped.Load(), Failed: c.failed.Load(),
		LastSkips: append([]string(nil), r.skips...)}
	if !r.started.IsZero() {
		end := r.ended
		if end.IsZero() {
			end = time.Now()
		}
		el := end.Sub(r.started)
		st.ElapsedSec = el.Seconds()
		var eta time.Duration
		st.FilesPerSec, st.BytesPerSec, eta = Progress{Files: st.Migrated, Bytes: st.Bytes,
			TotalFiles: st.TotalFiles, TotalBytes: st.TotalBytes, Elapsed: el}.Rates()
		st.ETASec = eta.Seconds()
	}
	for i, on := range r.d.decommissioned() {
		if on {
			name := r.d.kids[i].Name()
			st.Decommissioned = append(st.Decommissioned, name)
			if r.state == StateCompleted && r.mode == "start" && st.Skipped == 0 && st.Failed == 0 {
				st.Removable = append(st.Removable, name)
			}
		}
	}
	sort.Strings(st.Removable)
	return st
}

// describe names the up/down state of the children for errors.
func (d *Distribute) describe() string {
	var parts []string
	for i, u := range d.upSet() {
		s := "up"
		if !u {
			s = "down"
		}
		parts = append(parts, d.kids[i].Name()+" "+s)
	}
	return strings.Join(parts, ", ")
}

// rootLoc is a fresh Loc of the root.
func rootLoc() *xlator.Loc { return xlator.RootLoc() }
