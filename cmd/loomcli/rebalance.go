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

	"github.com/loom-fs/loom/translators/cluster/distribute"
)

func init() {
	Register(&Command{
		Name:    "rebalance",
		Summary: "spread a distribute volume's layouts and files over its subvolumes",
		Usage:   "loom rebalance [--volume NAME] [--json] [--wait] MOUNTPOINT fix-layout|start|status|stop|decommission SUBVOL|recommission SUBVOL",
		Help: `Drives cluster/distribute in the loom process serving MOUNTPOINT:

  fix-layout         give every directory a layout over all subvolumes (new
                     files use new subvolumes; existing files stay put)
  start              fix-layout, then move every file whose hash now points
                     to another subvolume; resumes by itself after a crash
  status             phase, files and bytes migrated, rate, ETA, skips
  stop               stop a running fix-layout or rebalance
  decommission SUB   drain SUB: layouts give it no range; start then moves
                     everything off it, and status lists it as removable
  recommission SUB   take SUB back

start and fix-layout answer at once and run in the background; with --wait
(or status on a terminal with --wait) a live line shows the progress until
the run ends. --json prints each volume's answer as JSON.`,
		Run: runRebalance,
	})
}

// rebalanceStatus is a distribute volume's answer to "status", with
// its one-line summary.
type rebalanceStatus struct {
	distribute.Status
}

// Line is the one-line summary of a status.
func (s *rebalanceStatus) Line() string {
	phase := s.State
	if s.State == "running" && s.Phase != "" {
		phase = s.Mode + ": " + s.Phase
	}
	line := fmt.Sprintf("%s  dirs %d  files %d/%d  %s/%s  %.1f files/s  %s/s",
		phase, s.Dirs, s.Migrated, s.TotalFiles, byteCount(s.Bytes), byteCount(s.TotalBytes),
		s.FilesPerSec, byteCount(int64(s.BytesPerSec)))
	if s.State == "running" && s.ETASec > 0 {
		line += fmt.Sprintf("  ETA %s", (time.Duration(s.ETASec) * time.Second).String())
	}
	if s.Skipped > 0 || s.Failed > 0 {
		line += fmt.Sprintf("  skipped %d failed %d", s.Skipped, s.Failed)
	}
	if len(s.Removable) > 0 {
		line += "  removable: " + strings.Join(s.Removable, ",")
	}
	if s.Error != "" {
		line += "  error: " + s.Error
	}
	return line
}

// byteCount formats n bytes with a binary unit.
func byteCount(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func runRebalance(ctx context.Context, env *Env, args []string) int {
	c, _ := lookupCommand("rebalance")
	fs := newFlagSet("rebalance")
	volume := fs.String("volume", "", "only the distribute volume with this name")
	asJSON := fs.Bool("json", false, "print the answers as JSON")
	wait := fs.Bool("wait", false, "show progress until the run ends")
	pos, status, ok := runLeadingFlags(env, c, fs, args)
	if !ok {
		return status
	}
	if len(pos) < 2 {
		return env.usagef("rebalance", "need MOUNTPOINT and a command")
	}
	mp, cmd := pos[0], pos[1]
	switch cmd {
	case "fix-layout", "start", "status", "stop":
		if len(pos) != 2 {
			return env.failf("rebalance", "%s takes no arguments", cmd)
		}
	case "decommission", "recommission":
		if len(pos) != 3 {
			return env.failf("rebalance", "%s needs the subvolume's name", cmd)
		}
	default:
		return env.failf("rebalance", "unknown command %q (fix-layout, start, status, stop, decommission, recommission)", cmd)
	}
	req := &ControlRequest{Type: distribute.Type, Volume: *volume, Cmd: cmd, Args: pos[2:]}
	sts, code := rebalanceOnce(env, mp, req, *asJSON)
	if code != exitOK || !*wait || cmd == "stop" {
		return code
	}
	live := rebalanceTTY(env.Stdout)
	req.Cmd, req.Args = "status", nil
	for running(sts) {
		select {
		case <-ctx.Done():
			return exitFail
		case <-time.After(time.Second):
		}
		replies, err := sendControl(mp, req)
		if err != nil {
			return env.failf("rebalance", "%v", err)
		}
		sts = decodeStatuses(replies)
		for _, s := range sts {
			if live {
				fmt.Fprintf(env.Stdout, "\r\033[K%s", s.Line())
			} else if *asJSON {
				json.NewEncoder(env.Stdout).Encode(s)
			}
		}
	}
	if live {
		fmt.Fprintln(env.Stdout)
	}
	for _, s := range sts {
		if !*asJSON {
			fmt.Fprintln(env.Stdout, s.Line())
		}
		if s.State != "completed" {
			return exitFail
		}
	}
	return exitOK
}

// rebalanceOnce sends req, prints the answers and returns the statuses.
func rebalanceOnce(env *Env, mp string, req *ControlRequest, asJSON bool) ([]rebalanceStatus, int) {
	replies, err := sendControl(mp, req)
	if err != nil {
		return nil, env.failf("rebalance", "%v", err)
	}
	code := exitOK
	for _, r := range replies {
		if r.Error != "" {
			fmt.Fprintf(env.Stderr, "%s rebalance: %s: %s\n", env.Prog, r.Volume, r.Error)
			code = exitFail
			continue
		}
		if asJSON {
			fmt.Fprintf(env.Stdout, "{\"volume\":%q,\"status\":%s}\n", r.Volume, r.Result)
			continue
		}
		var s rebalanceStatus
		if json.Unmarshal(r.Result, &s) == nil {
			fmt.Fprintf(env.Stdout, "%s: %s\n", r.Volume, s.Line())
			for _, sk := range s.LastSkips {
				fmt.Fprintf(env.Stdout, "  %s\n", sk)
			}
		}
	}
	return decodeStatuses(replies), code
}

func decodeStatuses(replies []VolumeReply) []rebalanceStatus {
	var out []rebalanceStatus
	for _, r := range replies {
		var s rebalanceStatus
		if r.Error == "" && json.Unmarshal(r.Result, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

func running(sts []rebalanceStatus) bool {
	for _, s := range sts {
		if s.State == "running" {
			return true
		}
	}
	return false
}

// rebalanceTTY reports whether w is a terminal (for the live line).
func rebalanceTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
