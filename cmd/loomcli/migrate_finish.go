package loomcli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loom-fs/loom/cmd/loomcli/strip"
	"github.com/loom-fs/loom/cmd/loomcli/treecheck"
	"golang.org/x/sys/unix"
)

var migrateFinishCommand = &Command{
	Name:    "finish",
	Summary: "wait for the copy, verify NEW against OLD, unmount and strip Loom's metadata",
	Usage:   "loom migrate finish MNT",
	Help: `Waits until the full heal is over and nothing waits to be healed, then
compares OLD and NEW entry by entry (contents, holes, modes, owners, times
with nanoseconds, xattrs, ACLs, hard links, symlink targets, devices).
Times that differ only because a write reached the two copies a few
microseconds apart are set to OLD's through the mount (so both copies get
them). Any other difference stops finish before unmounting: each differing
path is printed and the migration keeps running.

Then it unmounts MNT (applications must have stopped using it: finish
fails with "busy" otherwise, and can be run again), checks the quiet
copies once more, removes Loom's metadata from OLD and NEW, waits until
both are on disk (their write-back starts as soon as the copy is over)
and prints how to use NEW. OLD is left as it was before the migration.`,
}

// verifyAttempts is how many times finish compares the copies while
// mounted before it gives up on differences (writes in flight, heals
// that a lookup queued).
const verifyAttempts = 5

func runMigrateFinish(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("migrate finish")
	pos, status, ok := runFlags(env, migrateFinishCommand, fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		return env.usagef("migrate finish", "one MNT expected, got %d arguments", len(pos))
	}
	st, err := stateForMount(pos[0])
	if err != nil {
		return env.failf("migrate finish", "%v", err)
	}
	flush := newFlusher(st.New, st.Old)
	if st.Phase == phaseCopying {
		if code := finishMounted(ctx, env, st, flush); code != exitOK {
			return code
		}
	}
	if st.Phase != phaseFinishing {
		return env.failf("migrate finish", "the migration is %s", st.Phase)
	}
	if err := finishUnmounted(env, st, flush); err != nil {
		return env.failf("migrate finish", "%v", err)
	}
	return exitOK
}

// finishMounted waits for the copy, verifies, and unmounts.
func finishMounted(ctx context.Context, env *Env, st *migrateState, flush *flusher) int {
	if err := waitCopied(ctx, env, st); err != nil {
		return env.failf("migrate finish", "%v", err)
	}
	flush.start()
	start := time.Now()
	diffs, n, err := verifyMounted(ctx, env, st)
	if err != nil {
		return env.failf("migrate finish", "verifying: %v", err)
	}
	if len(diffs) > 0 {
		fmt.Fprintf(env.Stderr, "%s migrate finish: NEW differs from OLD in %d paths; the migration keeps running on %s:\n", env.Prog, len(diffs), st.Mount)
		printDiffs(env.Stderr, diffs, 200)
		return exitFail
	}
	fmt.Fprintf(env.Stdout, "verified: %d paths of NEW equal OLD (%v)\n", n, time.Since(start).Round(time.Millisecond))
	st.Phase = phaseFinishing
	if err := st.save(); err != nil {
		return env.failf("migrate finish", "%v", err)
	}
	if err := unix.Unmount(st.Mount, 0); err != nil {
		st.Phase = phaseCopying
		st.save()
		if errors.Is(err, unix.EBUSY) {
			return env.failf("migrate finish", "unmounting %s: busy: stop the applications that use it, then run finish again", st.Mount)
		}
		return env.failf("migrate finish", "unmounting %s: %v", st.Mount, err)
	}
	if err := waitDaemonExit(st, 30*time.Second); err != nil {
		return env.failf("migrate finish", "%v", err)
	}
	if err := unbindBricks(st); err != nil {
		return env.failf("migrate finish", "%v", err)
	}
	return exitOK
}

// waitCopied waits until the full heal is over and nothing waits.
func waitCopied(ctx context.Context, env *Env, st *migrateState) error {
	live := isTerminal(env.Stdout)
	for {
		ms := migrationStatus(st)
		switch {
		case !ms.Running:
			return fmt.Errorf("the migration's mount does not answer; \"%s migrate resume %s\" restarts it", env.Prog, st.Mount)
		case ms.Phase == "paused":
			return fmt.Errorf("the copy is paused; \"%s migrate resume %s\" first", env.Prog, st.Mount)
		case brickDown(ms):
			return fmt.Errorf("the copy cannot end: %s", strings.Join(ms.Errors, "; "))
		case ms.Copied:
			if live {
				fmt.Fprint(env.Stdout, "\r\033[K")
			}
			fmt.Fprintf(env.Stdout, "%s; the full heal ran %.2fs\n", ms.line(0), ms.Seconds)
			return nil
		}
		if live {
			fmt.Fprint(env.Stdout, "\r\033[K"+ms.line(30))
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// Replicate's "wait" answers within milliseconds of the copy's
		// end (or after a second, to redraw the line and look for a
		// brick down). A mount of an older loom does not know it: poll.
		if _, err := replicateControl(st.Mount, "wait", "1"); err != nil {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// verifyMounted compares OLD and NEW while the mount runs. Differences of
// times alone are settled through the mount (OLD's times, which the
// applications saw, set on both copies). For any other difference each
// differing path and its directory are looked up through the mount (a
// lookup heals what it finds different) and a full heal runs again (it
// heals what the first one left pending); then the copies are compared
// again. It returns what still differs after verifyAttempts comparisons.
func verifyMounted(ctx context.Context, env *Env, st *migrateState) ([]treecheck.Diff, int, error) {
	for attempt := 1; ; attempt++ {
		ta, diffs, err := treecheck.CompareDirs(st.Old, st.New, treecheck.CompareOptions{})
		var others []treecheck.Diff
		switch {
		case err != nil && attempt == verifyAttempts:
			return nil, 0, err
		case err == nil:
			if len(diffs) == 0 {
				return nil, len(ta.Entries), nil
			}
			others = settleTimes(ta, diffs, st.Mount)
			if attempt == verifyAttempts {
				return others, len(ta.Entries), nil
			}
		}
		if len(others) > 0 {
			fmt.Fprintf(env.Stdout, "%d paths differ (first: %s); healing them again\n", len(others), others[0])
			lookupThroughMount(st.Mount, others)
			if _, err := replicateControl(st.Mount, "full"); err != nil {
				return nil, 0, err
			}
			time.Sleep(100 * time.Millisecond)
			if err := waitCopied(ctx, env, st); err != nil {
				return nil, 0, err
			}
		}
		select {
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}

// lookupThroughMount looks up each differing path and lists its
// directory through the mount, so that replicate compares the copies of
// each and heals them.
func lookupThroughMount(mnt string, diffs []treecheck.Diff) {
	var st unix.Stat_t
	for _, d := range diffs {
		p := filepath.Join(mnt, d.Path)
		dir := filepath.Dir(p)
		unix.Lstat(dir, &st)
		if f, err := os.Open(dir); err == nil {
			f.Readdirnames(-1)
			f.Close()
		}
		unix.Lstat(p, &st)
	}
}

// settleTimes sets, under root, OLD's times on each path whose only
// differences are times, and returns the other differences.
func settleTimes(old *treecheck.Tree, diffs []treecheck.Diff, root string) []treecheck.Diff {
	var others []treecheck.Diff
	for _, d := range diffs {
		e := old.Entries[d.Path]
		if e == nil || !timesOnly(d) {
			others = append(others, d)
			continue
		}
		p := root
		if d.Path != "." {
			p = filepath.Join(root, d.Path)
		}
		ts := []unix.Timespec{e.Atime, e.Mtime}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			others = append(others, treecheck.Diff{Path: d.Path, What: append(d.What, "setting OLD's times: "+err.Error())})
		}
	}
	return others
}

func timesOnly(d treecheck.Diff) bool {
	for _, w := range d.What {
		if !strings.HasPrefix(w, "mtime ") && !strings.HasPrefix(w, "atime ") {
			return false
		}
	}
	return true
}

// waitDaemonExit waits for the mount process to end after the unmount.
func waitDaemonExit(st *migrateState, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		b, err := os.ReadFile(migratePidPath(st.New))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if pid <= 0 || unix.Kill(pid, 0) != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the mount process %d did not exit within %v of the unmount", pid, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// finishUnmounted checks the quiet copies (metadata; the contents were
// verified while mounted), strips Loom from OLD and NEW (NEW's state
// file last, so an interrupted finish can be run again), waits until
// both are on disk, and says how to use NEW.
func finishUnmounted(env *Env, st *migrateState, flush *flusher) error {
	if mounted, err := isMountpoint(st.Mount); err != nil || mounted {
		return fmt.Errorf("%s is still mounted", st.Mount)
	}
	ta, tb, err := scanBoth(st.Old, st.New, treecheck.Options{NoContents: true})
	if err != nil {
		return fmt.Errorf("checking the unmounted copies: %w", err)
	}
	diffs := treecheck.Compare(ta, tb, treecheck.CompareOptions{})
	if others := settleTimes(ta, diffs, st.New); len(others) > 0 {
		fmt.Fprintf(env.Stderr, "%s migrate finish: after unmounting, NEW differs from OLD in %d paths:\n", env.Prog, len(others))
		printDiffs(env.Stderr, others, 200)
		return fmt.Errorf("not stripping: something changed the copies between the verification and the unmount; \"%s migrate resume %s\" mounts the migration again", env.Prog, st.Mount)
	}
	if err := stripBoth(env, st); err != nil {
		return err
	}
	start := time.Now()
	if err := flush.finish(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "written to disk (%v)\n", time.Since(start).Round(time.Millisecond))
	removeIndex(st.Mount)
	fmt.Fprintf(env.Stdout, "migration done: %s is a plain copy of %s.\nUse it directly, for example at the old place: mount --bind %s %s\n", st.New, st.Old, st.New, st.Mount)
	return nil
}

// stripBoth removes Loom's xattrs from OLD and NEW and empties both
// .loom directories, all at once (NEW's state file stays, so that an
// interrupted finish can be run again), then removes OLD's .loom and
// last NEW's.
func stripBoth(env *Env, st *migrateState) error {
	start := time.Now()
	var resOld, resNew *strip.Result
	var errs [4]error
	var wg sync.WaitGroup
	run := func(i int, f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f()
		}()
	}
	run(0, func() (err error) { resOld, err = strip.Xattrs(st.Old); return err })
	run(1, func() (err error) { resNew, err = strip.Xattrs(st.New); return err })
	run(2, func() error { return strip.ClearLoomDir(st.Old) })
	run(3, func() error { return strip.ClearLoomDir(st.New, filepath.Base(migrateStatePath(st.New))) })
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return fmt.Errorf("removing Loom's metadata: %w", err)
	}
	if _, err := strip.RemoveLoomDir(st.Old); err != nil {
		return fmt.Errorf("removing Loom's metadata: %w", err)
	}
	if _, err := strip.RemoveLoomDir(st.New); err != nil {
		return fmt.Errorf("removing Loom's metadata: %w", err)
	}
	fmt.Fprintf(env.Stdout, "stripped Loom's metadata: %d xattrs from %s, %d from %s, and both .loom (%v)\n",
		resOld.Xattrs, st.Old, resNew.Xattrs, st.New, time.Since(start).Round(time.Millisecond))
	return nil
}

// brickDown reports whether the status names a brick that is down.
func brickDown(ms *MigrateStatus) bool {
	for _, e := range ms.Errors {
		if strings.HasPrefix(e, "brick ") && strings.HasSuffix(e, " is down") {
			return true
		}
	}
	return false
}
