package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// run is the whole benchmark: build, mount a tmpfs, set up the targets,
// run the rounds in turns, tear everything down, and print the results.
// Everything acquired is released on every path; when ctx ends (Ctrl-C,
// -timeout) the cleanup runs at once, which unmounts under any workload
// blocked on a FUSE mount and so unblocks it.
func run(ctx context.Context, cfg *Config, args []string, stdout, stderr io.Writer) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("loombench needs root (tmpfs mount, drop_caches, FUSE mounts)")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		return fmt.Errorf("loombench needs /dev/fuse: %w", err)
	}
	// The module root is needed to build binaries and name the commit;
	// with both binaries given, loombench runs from anywhere.
	root, err := moduleRoot(ctx)
	if err != nil && (cfg.LoopbackBin == "" || cfg.LoomBin == "") {
		return err
	}
	work, err := os.MkdirTemp(cfg.WorkDir, "loombench-")
	if err != nil {
		return fmt.Errorf("make work dir: %w", err)
	}
	cl := &cleaner{}
	scratch := filepath.Join(work, "scratch")
	keepWork := true // unless the targets all ran (or we were aborted)
	cl.Push("remove "+work, func() error { return removeWork(work, scratch, keepWork && ctx.Err() == nil) })
	if err := os.Mkdir(scratch, 0o755); err != nil {
		return fmt.Errorf("make scratch dir: %w", err)
	}
	if err := mountTmpfs(scratch, cfg.TmpfsSize); err != nil {
		return err
	}
	cl.Push("unmount tmpfs", func() error { return unmount(scratch) })
	env := &Env{Root: root, Work: work, Scratch: scratch, Cleanup: cl, Cfg: cfg}

	done := make(chan struct{})
	defer func() {
		close(done)
		if cerr := cl.Run(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			fmt.Fprintf(stderr, "loombench: %v: cleaning up\n", context.Cause(ctx))
			_ = cl.Run()
		case <-done:
		}
	}()

	bufs, err := newBuffers(cfg)
	if err != nil {
		return err
	}
	res := &Results{
		Command:   "loombench " + strings.Join(args, " "),
		Date:      time.Now().UTC().Format(time.RFC3339),
		Commit:    gitDescribe(root),
		Machine:   machineLine(),
		Rounds:    cfg.Rounds,
		Quick:     cfg.Quick,
		Reference: referenceTarget,
	}
	targets := setupTargets(ctx, env, cfg, res, stderr)
	wls := selectWorkloads(cfg.Groups)
	for _, w := range wls {
		row := WorkloadResult{Name: w.Name, Unit: w.Unit}
		for _, t := range res.Targets {
			row.Cells = append(row.Cells, Cell{Target: t.Name})
		}
		res.Workloads = append(res.Workloads, row)
	}

	start := time.Now()
	failed := map[string]error{}
	// Each group runs on every target in turn before the next group
	// starts, so the figures compared in a row are measured seconds, not
	// minutes, apart on a machine whose load drifts.
	for r := 0; r < cfg.Rounds; r++ {
		if needsCeiling(cfg) {
			measureCeiling(ctx, cfg, res, stderr)
		}
		if needsCopiesCeiling(cfg) {
			measureCopiesCeiling(ctx, cfg, env, res, stderr)
		}
		for _, g := range cfg.Groups {
			for _, t := range turnOrder(targets, r) {
				if failed[t.Name()] != nil || !groupOn(g, t.Name()) {
					continue
				}
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("aborted: %w", context.Cause(ctx))
				}
				if err := runVisit(ctx, t, r, g, cfg, bufs, wls, res, start, stderr); err != nil {
					if ctx.Err() != nil {
						return fmt.Errorf("aborted: %w", context.Cause(ctx))
					}
					fmt.Fprintf(stderr, "loombench: %s failed, dropped from later rounds: %v\n", t.Name(), err)
					failed[t.Name()] = err
				}
			}
		}
	}
	for _, t := range targets {
		if terr := t.Teardown(); terr != nil && failed[t.Name()] == nil {
			failed[t.Name()] = terr
		}
	}
	for i := range res.Targets {
		if e := failed[res.Targets[i].Name]; e != nil {
			res.Targets[i].Error = e.Error()
		}
	}
	var bad []string
	for _, t := range res.Targets {
		if t.Error != "" {
			bad = append(bad, t.Name)
		}
	}
	keepWork = len(bad) > 0
	if err := cl.Run(); err != nil {
		return err
	}
	res.finish()
	if cfg.JSON {
		err = writeJSON(stdout, res)
	} else {
		err = writeTable(stdout, res)
	}
	if err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("target(s) failed: %s (logs kept in %s)", strings.Join(bad, ", "), work)
	}
	return nil
}

// setupTargets sets up every target named by -only. One that fails is
// reported in the results and left out; the others still run.
func setupTargets(ctx context.Context, env *Env, cfg *Config, res *Results, stderr io.Writer) []Target {
	var ok []Target
	for _, f := range targetFactories {
		t := f()
		if !contains(cfg.Only, t.Name()) || !targetUsed(cfg, t.Name()) {
			continue
		}
		tr := TargetResult{Name: t.Name(), Desc: t.Describe()}
		env.Cleanup.Push("teardown "+t.Name(), t.Teardown)
		fmt.Fprintf(stderr, "loombench: setting up %s\n", t.Name())
		if err := t.Setup(ctx, env); err != nil {
			fmt.Fprintf(stderr, "loombench: %v\n", err)
			tr.Error = err.Error()
			_ = t.Teardown()
		} else {
			ok = append(ok, t)
			fmt.Fprintf(stderr, "loombench: %s ready at %s (%s)\n", t.Name(), t.Path(), devOf(t.Path()))
		}
		res.Targets = append(res.Targets, tr)
	}
	return ok
}

// runVisit runs the workloads of one group once on t, in a fresh
// directory.
func runVisit(ctx context.Context, t Target, round int, group string, cfg *Config, bufs *buffers, wls []Workload, res *Results, start time.Time, stderr io.Writer) error {
	v := &visit{cfg: cfg, dir: filepath.Join(t.Path(), fmt.Sprintf("r%d-%s", round, group)), round: round, bufs: bufs}
	if err := os.Mkdir(v.dir, 0o755); err != nil {
		return fmt.Errorf("visit %s: %w", t.Name(), err)
	}
	for _, w := range wls {
		if w.Group != group {
			continue
		}
		if w.Prepare != nil {
			if err := w.Prepare(ctx, v); err != nil {
				return err
			}
		}
		m0 := monotonic()
		t0 := time.Now()
		amount, err := w.Run(ctx, v)
		elapsed := time.Since(t0)
		m1 := monotonic()
		if err != nil {
			return err
		}
		rate := amount / elapsed.Seconds()
		if w.Value {
			rate = amount
		}
		res.add(w.Name, t.Name(), rate)
		fmt.Fprintf(stderr, "[%4.0fs] round %d/%d  %-13s %-14s %10s %-5s  (monotonic %.6f-%.6f)\n",
			time.Since(start).Seconds(), round+1, cfg.Rounds, t.Name(), w.Name, formatRate(rate), w.Unit, m0, m1)
		if w.Finish != nil {
			if err := w.Finish(ctx, v); err != nil {
				return err
			}
		}
	}
	if err := os.RemoveAll(v.dir); err != nil {
		return fmt.Errorf("visit %s cleanup: %w", t.Name(), err)
	}
	return nil
}

// removeWork deletes the run's private directory after a clean run, but
// only once the tmpfs under it is gone (never descend into a mount); keep
// leaves it (daemon logs) after a failure or an abort.
func removeWork(work, scratch string, keep bool) error {
	if keep {
		return nil
	}
	if t, err := mountedFSType(scratch); err != nil || t != "" {
		return fmt.Errorf("keep %s: %s still mounted", work, scratch)
	}
	return os.RemoveAll(work)
}

func machineLine() string {
	kernel := "unknown kernel"
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return fmt.Sprintf("%d cores, %s, %s, tmpfs", runtime.NumCPU(), kernel, runtime.Version())
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// devOf names the device of dir's filesystem as MAJOR:MINOR, which is the
// "connection" field of the kernel's fuse tracepoints: handy to count one
// target's FUSE requests with perf.
func devOf(dir string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(dir, &st); err != nil {
		return "dev unknown"
	}
	return fmt.Sprintf("dev %d:%d, st_dev %d", unix.Major(st.Dev), unix.Minor(st.Dev), st.Dev)
}

// monotonic reads CLOCK_MONOTONIC in seconds. The progress lines carry
// each phase's span in it, so events recorded with `perf record -k
// CLOCK_MONOTONIC` (fuse:fuse_request_send, say) can be split by phase.
func monotonic() float64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return float64(ts.Sec) + float64(ts.Nsec)/1e9
}
