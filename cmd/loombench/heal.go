package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The heal group (issue #3): a full heal of a tree onto an empty brick
// through a real `loom mount` of cluster/replicate over two bricks (the
// full one and a new, empty one), timed against `cp -a` of the same tree
// in the same round. It runs only on the loom-heal target, which runs
// nothing else, and is not a default group (a round takes seconds).
//
// Each visit generates the tree (untimed) on the run's tmpfs (with
// -heal-on-disk: in the run's directory on disk, where both the copy and
// the heal pay the disk file system's costs), times
// `cp -a` of it, then starts `loom mount` of replicate(source, empty) and
// watches the mount's log for "full heal finished"; then (and every half
// second meanwhile, in case the log says nothing) it asks `loom heal
// --json MNT status`, every 20 ms from then on, until the status shows no
// work left. The heal's time runs from the mount's start (replicate finds
// the empty brick when its graph starts) to the sending of that query
// (within 5 ms of the log line when nothing was left then). Each status
// query is a new loom process: asking every 20 ms for the whole heal took
// CPU from the heal it timed. The third row is the round's heal time
// over its cp time.

const (
	healGroup  = "heal"
	healTarget = "loom-heal"
)

func init() {
	workloads = append(workloads,
		Workload{Name: "heal-cp-a", Group: healGroup, Unit: "MiB/s", Prepare: healMakeTree, Run: healCopy, Finish: healRemoveCopy},
		Workload{Name: "heal-full", Group: healGroup, Unit: "MiB/s", Prepare: healPrepareMount, Run: healFull, Finish: healUnmount},
		Workload{Name: "heal-x-cp-a", Group: healGroup, Unit: "x", Value: true, Run: healRatio},
	)
	workloadGroups = append(workloadGroups, healGroup)
	targetFactories = append(targetFactories, func() Target { return &healTargetT{} })
}

// groupOn reports whether workload group g runs on target name: the heal
// group only on loom-heal, and loom-heal nothing else.
func groupOn(g, name string) bool {
	return (g == healGroup) == (name == healTarget)
}

// targetUsed reports whether any selected group runs on target name (a
// target that would run nothing is not set up).
func targetUsed(cfg *Config, name string) bool {
	for _, g := range cfg.Groups {
		if groupOn(g, name) {
			return true
		}
	}
	return false
}

// healTargetT is the heal group's target: a directory on the run's tmpfs,
// or with -heal-on-disk in the run's directory on disk (each visit
// mounts its own replicate graph there), and the loom binary.
type healTargetT struct {
	env *Env
	dir string
	bin string
	// The visit in progress (the runner runs one at a time).
	vis *healVisit
}

// healVisit is what one visit's workloads hand on to each other.
type healVisit struct {
	src, empty, mnt string
	bytes           int64
	files           int
	cp, heal        time.Duration
	d               *daemon
	started         time.Time
}

// theHealTarget is the set-up heal target, for the workloads (a visit
// knows only its directory).
var theHealTarget *healTargetT

func (t *healTargetT) Name() string { return healTarget }

func (t *healTargetT) Describe() string {
	return "full heal onto an empty brick through `loom mount` of cluster/replicate(2) (posix+locks bricks), against `cp -a` of the same tree (-groups heal only)"
}

func (t *healTargetT) Setup(ctx context.Context, env *Env) error {
	bin, err := loomBinary(ctx, env)
	if err != nil {
		return fmt.Errorf("setup %s: %w", healTarget, err)
	}
	t.env, t.bin = env, bin
	t.dir = filepath.Join(env.Scratch, healTarget)
	if env.Cfg.HealOnDisk {
		t.dir = filepath.Join(env.Work, healTarget)
	}
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return fmt.Errorf("setup %s: %w", healTarget, err)
	}
	theHealTarget = t
	return nil
}

func (t *healTargetT) Path() string { return t.dir }

func (t *healTargetT) Teardown() error {
	if t.vis != nil && t.vis.d != nil {
		err := t.vis.d.Release()
		t.vis.d = nil
		return err
	}
	return nil
}

// healSizes are the tree's file count and average file size: about
// 100 MiB in 2,000 files, or 200 files with -quick.
func healSizes(cfg *Config) (files, avg int) {
	if cfg.Quick {
		return 200, 16 << 10
	}
	return 2000, 48 << 10
}

// healMakeTree writes the tree to copy and heal: files of mixed sizes (a
// quarter under 4 KiB, half around avg, a quarter up to 4x avg), 50 to a
// directory, each directory with a hard link and a symlink, and a sparse
// file (data at both ends of a 64 MiB hole).
func healMakeTree(ctx context.Context, v *visit) error {
	t := theHealTarget
	h := &healVisit{src: filepath.Join(v.dir, "src"), empty: filepath.Join(v.dir, "empty"), mnt: filepath.Join(v.dir, "mnt")}
	t.vis = h
	for _, d := range []string{h.src, h.empty, h.mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
	}
	files, avg := healSizes(v.cfg)
	buf := make([]byte, 4*avg+1024)
	fillRandom(buf, uint64(v.round)+1)
	for i := 0; i < files; i++ {
		if err := checkCtx(ctx, i); err != nil {
			return err
		}
		d := filepath.Join(h.src, fmt.Sprintf("d%03d", i/50))
		if i%50 == 0 {
			if err := os.Mkdir(d, 0o755); err != nil {
				return err
			}
		}
		var n int
		switch i % 4 {
		case 0:
			n = 200 + (i*7919)%4000
		case 3:
			n = avg + (i*7919)%(3*avg)
		default:
			n = avg/2 + (i*7919)%avg
		}
		name := filepath.Join(d, fmt.Sprintf("f%05d", i))
		if err := os.WriteFile(name, buf[i%1024:i%1024+n], 0o644); err != nil {
			return err
		}
		h.bytes += int64(n)
		h.files++
		if i%50 == 1 {
			if err := os.Link(name, filepath.Join(d, "hardlink")); err != nil {
				return err
			}
			if err := os.Symlink(filepath.Base(name), filepath.Join(d, "symlink")); err != nil {
				return err
			}
		}
	}
	f, err := os.Create(filepath.Join(h.src, "sparse"))
	if err != nil {
		return err
	}
	defer f.Close()
	for _, off := range []int64{0, 64 << 20} {
		if _, err := f.WriteAt(buf[:64<<10], off); err != nil {
			return err
		}
	}
	h.bytes += 128 << 10
	h.files++
	return f.Close()
}

// fillRandom fills b with xorshift bytes (nothing can short-cut zeros).
func fillRandom(b []byte, seed uint64) {
	x := seed*0x9E3779B97F4A7C15 | 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
}

func healMiB(h *healVisit) float64 { return float64(h.bytes) / (1 << 20) }

// healCopy is `cp -a` of the tree, timed.
func healCopy(ctx context.Context, v *visit) (float64, error) {
	h := theHealTarget.vis
	start := time.Now()
	out, err := exec.CommandContext(ctx, "cp", "-a", h.src, filepath.Join(v.dir, "copy")).CombinedOutput()
	h.cp = time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("cp -a: %w: %s", err, out)
	}
	return healMiB(h), nil
}

func healRemoveCopy(ctx context.Context, v *visit) error {
	return os.RemoveAll(filepath.Join(v.dir, "copy"))
}

// healPrepareMount writes the volfile: replicate over the full tree and
// the empty directory, each brick storage/posix under features/locks.
func healPrepareMount(ctx context.Context, v *visit) error {
	h := theHealTarget.vis
	var b strings.Builder
	for i, dir := range []string{h.src, h.empty} {
		fmt.Fprintf(&b, "volume posix%d\n    type storage/posix\n    option directory %s\nend-volume\n", i, dir)
		fmt.Fprintf(&b, "volume locks%d\n    type features/locks\n    subvolumes posix%d\nend-volume\n", i, i)
	}
	b.WriteString("volume rep\n    type cluster/replicate\n    subvolumes locks0 locks1\nend-volume\n")
	return os.WriteFile(filepath.Join(v.dir, "heal.vol"), []byte(b.String()), 0o644)
}

// healFull mounts the graph and waits for the full heal to end.
func healFull(ctx context.Context, v *visit) (float64, error) {
	t := theHealTarget
	h := t.vis
	argv := []string{t.bin, "mount", "-N", "-f", filepath.Join(v.dir, "heal.vol")}
	if t.env.Cfg.ProfileDir != "" {
		argv = append(argv, "--cpuprofile", filepath.Join(t.env.Cfg.ProfileDir, fmt.Sprintf("%s-r%d.pprof", healTarget, v.round)))
	}
	argv = append(argv, t.env.Cfg.LoomArgs...)
	argv = append(argv, h.mnt)
	start := time.Now()
	d, err := startDaemon(t.env, fmt.Sprintf("%s-r%d", healTarget, v.round), argv, h.mnt, nil)
	if err != nil {
		return 0, err
	}
	h.d = d
	seen := false // a full heal was seen running, or files healed
	var failing time.Time
	finished := &logWatch{path: d.logPath, want: []byte("full heal finished")}
	var logged, asked time.Time // when the log line was seen; the last query
	for {
		if logged.IsZero() && finished.seen() {
			logged = time.Now()
		}
		wait := 500 * time.Millisecond
		if !logged.IsZero() {
			wait = 20 * time.Millisecond
		}
		if time.Since(asked) < wait {
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(5 * time.Millisecond):
			}
			continue
		}
		asked = time.Now()
		st, err := healStatus(ctx, t.bin, h.mnt)
		switch {
		case err != nil && ctx.Err() != nil:
			return 0, ctx.Err()
		case err != nil && failing.IsZero():
			failing = time.Now()
		case err != nil && time.Since(failing) > 10*time.Second:
			return 0, err
		case err == nil:
			failing = time.Time{}
		}
		if st.FullRunning || st.FilesDone > 0 {
			seen = true
		}
		if err == nil && seen && !st.FullRunning && st.Pending == 0 && st.Indexed == 0 {
			// The work was over when this query was sent: within 5 ms
			// of the log line, or 20 ms of the previous query.
			h.heal = asked.Sub(start)
			return healMiB(h), nil
		}
		if time.Since(start) > 10*time.Minute {
			return 0, fmt.Errorf("heal: not done after 10 minutes: %+v", st)
		}
	}
}

// logWatch reads a log file as it grows and reports whether a line with
// want has appeared in it.
type logWatch struct {
	path string
	want []byte
	off  int64
	tail []byte // the end of what was read, for a match split across reads
	hit  bool
}

// seen reads what was appended since the last call; once want has
// appeared it stays true. A log that cannot be read counts as not seen.
func (w *logWatch) seen() bool {
	if w.hit {
		return true
	}
	f, err := os.Open(w.path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := f.ReadAt(buf, w.off)
		if n > 0 {
			w.off += int64(n)
			chunk := append(w.tail, buf[:n]...)
			if bytes.Contains(chunk, w.want) {
				w.hit = true
				return true
			}
			w.tail = append([]byte(nil), chunk[max(0, len(chunk)-len(w.want)):]...)
		}
		if err != nil || n == 0 {
			return false
		}
	}
}

// healStatusReply is the part of replicate's status the benchmark reads.
type healStatusReply struct {
	FullRunning bool  `json:"full_running"`
	Pending     int   `json:"pending"`
	Indexed     int64 `json:"index_pending"`
	FilesDone   int64 `json:"files_done"`
}

// healStatus asks `loom heal --json MNT status` (one replicate volume).
// On a loaded machine a query now and then fails (healFull retries).
func healStatus(ctx context.Context, bin, mnt string) (healStatusReply, error) {
	var st healStatusReply
	out, err := exec.CommandContext(ctx, bin, "heal", "--json", mnt, "status").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			out = append(out, ee.Stderr...)
		}
		return st, fmt.Errorf("loom heal status: %w: %s", err, out)
	}
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := json.NewDecoder(bytes.NewReader(out)).Decode(&r); err != nil {
		return st, fmt.Errorf("loom heal status: %w: %s", err, out)
	}
	if r.Error != "" {
		return st, fmt.Errorf("loom heal status: %s", r.Error)
	}
	return st, json.Unmarshal(r.Result, &st)
}

// healUnmount stops the mount and checks the healed brick has what the
// source has (entries and bytes; untimed).
func healUnmount(ctx context.Context, v *visit) error {
	h := theHealTarget.vis
	if h.d != nil {
		if err := h.d.Release(); err != nil {
			return err
		}
		h.d = nil
	}
	want, err := treeSize(h.src)
	if err != nil {
		return err
	}
	got, err := treeSize(h.empty)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("heal: the healed brick has %d entries, %d bytes; the source %d, %d", got[0], got[1], want[0], want[1])
	}
	return nil
}

// treeSize counts the entries and regular-file bytes under dir, leaving
// out Loom's own .loom directory.
func treeSize(dir string) ([2]int64, error) {
	var n [2]int64
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() && fi.Name() == ".loom" {
			return filepath.SkipDir
		}
		n[0]++
		if fi.Mode().IsRegular() {
			n[1] += fi.Size()
		}
		return nil
	})
	return n, err
}

// healRatio is the round's heal time over its cp -a time.
func healRatio(ctx context.Context, v *visit) (float64, error) {
	h := theHealTarget.vis
	if h.cp <= 0 || h.heal <= 0 {
		return 0, fmt.Errorf("heal: no times to compare")
	}
	fmt.Fprintf(os.Stderr, "        heal %v, cp -a %v: %.2fx (%d files, %.1f MiB)\n",
		h.heal.Round(time.Millisecond), h.cp.Round(time.Millisecond), h.heal.Seconds()/h.cp.Seconds(), h.files, healMiB(h))
	return h.heal.Seconds() / h.cp.Seconds(), nil
}
