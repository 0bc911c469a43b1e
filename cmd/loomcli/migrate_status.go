package loomcli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

var migrateStatusCommand = &Command{
	Name:    "status",
	Summary: "show a migration's progress",
	Usage:   "loom migrate status [--json] [--watch] MNT",
	Help: `Prints the phase, files and bytes copied of the totals found so far, the
rate, the ETA and any errors (split-brain, a brick down). On a terminal,
or with --watch, the line is redrawn every second until the copy is done
(Ctrl-C stops watching, never the migration). --json prints one JSON
object.`,
}

var migratePauseCommand = &Command{
	Name:    "pause",
	Summary: "pause a migration's copy (the mount keeps serving)",
	Usage:   "loom migrate pause MNT",
	Help:    `Stops the heal between chunks; reads and writes through MNT go on.`,
}

var migrateResumeCommand = &Command{
	Name:    "resume",
	Summary: "resume a paused copy, or remount a migration whose process died",
	Usage:   "loom migrate resume MNT",
	Help: `If the migration's mount is running, resumes its copy. If it is not (the
process was killed, the machine rebooted), mounts it again with the same
settings and continues the copy where it stopped.`,
}

// healStatus is replicate's "status" answer.
type healStatus struct {
	Paused      bool    `json:"paused"`
	FullRunning bool    `json:"full_running"`
	Pending     int     `json:"pending"`
	FilesDone   int64   `json:"files_done"`
	FilesTotal  int64   `json:"files_total"`
	BytesDone   int64   `json:"bytes_done"`
	BytesTotal  int64   `json:"bytes_total"`
	Seconds     float64 `json:"seconds"`
	BytesPerSec float64 `json:"bytes_per_second"`
	ETASeconds  float64 `json:"eta_seconds"`
}

// healInfo is the part of replicate's "info" answer migrate uses.
type healInfo struct {
	Pending    int `json:"pending"`
	SplitBrain int `json:"split_brain"`
	Bricks     []struct {
		Name string `json:"name"`
		Up   bool   `json:"up"`
	} `json:"bricks"`
}

// MigrateStatus is what "loom migrate status" reports.
type MigrateStatus struct {
	Phase       string   `json:"phase"` // copying, paused, copied, interrupted, finishing, done
	Old         string   `json:"old"`
	New         string   `json:"new"`
	Mount       string   `json:"mount"`
	Running     bool     `json:"running"` // the mount answers
	Copied      bool     `json:"copied"`  // the full heal is over and nothing waits
	FilesDone   int64    `json:"files_done"`
	FilesTotal  int64    `json:"files_total"`
	BytesDone   int64    `json:"bytes_done"`
	BytesTotal  int64    `json:"bytes_total"`
	Seconds     float64  `json:"seconds"`
	BytesPerSec float64  `json:"bytes_per_second"`
	ETASeconds  float64  `json:"eta_seconds"`
	Pending     int      `json:"pending"`
	Errors      []string `json:"errors,omitempty"`
}

// migrationStatus asks the mount for the copy's progress.
func migrationStatus(st *migrateState) *MigrateStatus {
	ms := &MigrateStatus{Phase: st.Phase, Old: st.Old, New: st.New, Mount: st.Mount, ETASeconds: -1}
	raw, err := replicateControl(st.Mount, "status")
	if err != nil {
		if st.Phase == phaseCopying {
			ms.Phase = "interrupted"
			ms.Errors = append(ms.Errors, fmt.Sprintf("the mount does not answer (%v): \"loom migrate resume %s\" restarts it", err, st.Mount))
		}
		c := st.Checkpoint
		ms.FilesDone, ms.FilesTotal, ms.BytesDone, ms.BytesTotal = c.FilesDone, c.FilesTotal, c.BytesDone, c.BytesTotal
		return ms
	}
	ms.Running = true
	var hs healStatus
	if err := json.Unmarshal(raw, &hs); err != nil {
		ms.Errors = append(ms.Errors, "replicate status: "+err.Error())
		return ms
	}
	ms.FilesDone, ms.FilesTotal, ms.BytesDone, ms.BytesTotal = hs.FilesDone, hs.FilesTotal, hs.BytesDone, hs.BytesTotal
	ms.Seconds, ms.BytesPerSec, ms.ETASeconds, ms.Pending = hs.Seconds, hs.BytesPerSec, hs.ETASeconds, hs.Pending
	ms.Copied = hs.Seconds > 0 && !hs.FullRunning && hs.Pending == 0 && !hs.Paused
	switch {
	case hs.Paused:
		ms.Phase = "paused"
	case ms.Copied && st.Phase == phaseCopying:
		ms.Phase = "copied"
	}
	if raw, err := replicateControl(st.Mount, "info"); err == nil {
		var hi healInfo
		if json.Unmarshal(raw, &hi) == nil {
			if hi.SplitBrain > 0 {
				ms.Errors = append(ms.Errors, fmt.Sprintf("%d files in split-brain (loom control %s info)", hi.SplitBrain, st.Mount))
			}
			for _, b := range hi.Bricks {
				if !b.Up {
					ms.Errors = append(ms.Errors, "brick "+b.Name+" is down")
				}
			}
		}
	}
	st.Checkpoint = migrateCheckpoint{At: time.Now().UTC(), FilesDone: ms.FilesDone, FilesTotal: ms.FilesTotal, BytesDone: ms.BytesDone, BytesTotal: ms.BytesTotal}
	st.save()
	return ms
}

// line formats the status on one line (with a bar of width cells when
// width > 0).
func (ms *MigrateStatus) line(width int) string {
	var b strings.Builder
	frac := 0.0
	if ms.BytesTotal > 0 {
		frac = min(1, float64(ms.BytesDone)/float64(ms.BytesTotal))
	}
	if ms.Copied {
		frac = 1
	}
	if width > 0 {
		n := int(frac * float64(width))
		b.WriteString("[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "] ")
	}
	fmt.Fprintf(&b, "%s: %d/%d files, %s/%s", ms.Phase, ms.FilesDone, ms.FilesTotal, mib(ms.BytesDone), mib(ms.BytesTotal))
	if ms.BytesPerSec > 0 {
		fmt.Fprintf(&b, ", %s/s", mib(int64(ms.BytesPerSec)))
	}
	if ms.ETASeconds >= 0 && !ms.Copied {
		fmt.Fprintf(&b, ", ETA %v", (time.Duration(ms.ETASeconds) * time.Second).Round(time.Second))
	}
	if ms.Pending > 0 {
		fmt.Fprintf(&b, ", %d waiting", ms.Pending)
	}
	if len(ms.Errors) > 0 {
		fmt.Fprintf(&b, "; errors: %s", strings.Join(ms.Errors, "; "))
	}
	return b.String()
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

func runMigrateStatus(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("migrate status")
	asJSON := fs.Bool("json", false, "")
	watch := fs.Bool("watch", false, "")
	pos, status, ok := runFlags(env, migrateStatusCommand, fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		return env.usagef("migrate status", "one MNT expected, got %d arguments", len(pos))
	}
	st, err := stateForMount(pos[0])
	if err != nil {
		return env.failf("migrate status", "%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(migrationStatus(st))
		return exitOK
	}
	live := *watch || isTerminal(env.Stdout)
	for {
		ms := migrationStatus(st)
		if !live || !ms.Running || ms.Copied {
			if live {
				fmt.Fprint(env.Stdout, "\r\033[K")
			}
			fmt.Fprintf(env.Stdout, "%s -> %s on %s\n%s\n", ms.Old, ms.New, ms.Mount, ms.line(0))
			return exitOK
		}
		fmt.Fprint(env.Stdout, "\r\033[K"+ms.line(30))
		select {
		case <-ctx.Done():
			fmt.Fprintln(env.Stdout)
			return exitOK
		case <-time.After(time.Second):
		}
	}
}

func runMigrateHealCmd(env *Env, cmd string, args []string) int {
	c := migratePauseCommand
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		printCommandHelp(env.Stdout, c)
		return exitOK
	}
	if len(args) != 1 {
		return env.usagef("migrate "+cmd, "one MNT expected, got %d arguments", len(args))
	}
	st, err := stateForMount(args[0])
	if err != nil {
		return env.failf("migrate "+cmd, "%v", err)
	}
	if _, err := replicateControl(st.Mount, cmd); err != nil {
		return env.failf("migrate "+cmd, "%v", err)
	}
	fmt.Fprintln(env.Stdout, migrationStatus(st).line(0))
	return exitOK
}

func runMigrateResume(ctx context.Context, env *Env, args []string) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		printCommandHelp(env.Stdout, migrateResumeCommand)
		return exitOK
	}
	if len(args) != 1 {
		return env.usagef("migrate resume", "one MNT expected, got %d arguments", len(args))
	}
	st, err := stateForMount(args[0])
	if err != nil {
		return env.failf("migrate resume", "%v", err)
	}
	if _, err := replicateControl(st.Mount, "resume"); err == nil {
		fmt.Fprintln(env.Stdout, migrationStatus(st).line(0))
		return exitOK
	}
	if st.Phase == phaseFinishing {
		// finish unmounted but found the copies changed: mount again.
		st.Phase = phaseCopying
	}
	if st.Phase != phaseCopying {
		return env.failf("migrate resume", "the migration is %s; \"loom migrate finish %s\" completes it", st.Phase, st.Mount)
	}
	if err := clearDeadMount(st.Mount); err != nil {
		return env.failf("migrate resume", "%v", err)
	}
	if _, err := checkMountpoint(st.Mount); err != nil {
		return env.failf("migrate resume", "%v", err)
	}
	if err := mountMigration(ctx, env, st); err != nil {
		return env.failf("migrate resume", "%v", err)
	}
	fmt.Fprintf(env.Stdout, "migration resumed: %s -> %s, in use on %s\n", st.Old, st.New, st.Mount)
	return exitOK
}
