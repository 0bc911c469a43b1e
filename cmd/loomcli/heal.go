package loomcli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
)

var healCommand = &Command{
	Name:    "heal",
	Summary: "show and drive the self-heal of replicate volumes",
	Usage:   "loom heal [--volume NAME] [--json] [--watch] MOUNTPOINT info|full|index|status|pause|resume|sync|split-brain POLICY [PATH]",
	Help: `Talks to cluster/replicate in the loom process serving MOUNTPOINT (every
replicate volume of the graph, or only --volume NAME):

  info            inodes waiting for a heal: per brick (up or down, and the
                  records of its pending index), the split-brain count, and
                  up to 100 entries (path where known, else <gfid:...>)
  full            start a full crawl (heals everything, fresh bricks too)
  index           read the bricks' pending indexes and heal what they name
                  now, and retry every waiting inode
  status          progress: waiting inodes, files and bytes done/total of
                  the last full heal, rate, ETA
  pause, resume   stop and restart heals (a data heal stops between chunks)
  sync            end the delayed post-ops and sync the copies' times now
                  (they are otherwise batched after post-op-delay): with no
                  writes going on, the bricks can then be compared
  split-brain bigger-file|latest-mtime|source-brick BRICK [PATH]
                  resolve split-brain for PATH, or every inode known to be in
                  it, from the bigger copy, the newest mtime, or BRICK

status --watch (and status on a terminal while a heal runs) refreshes a
progress line every second until nothing is pending; --json prints each
volume's answer as JSON, for scripts.`,
}

func init() {
	healCommand.Run = runHeal
	Register(healCommand)
}

// healCmds are the commands heal accepts, with the arguments they take.
var healCmds = map[string][2]int{ // min and max arguments after the command
	"info": {0, 0}, "full": {0, 0}, "index": {0, 0}, "status": {0, 0},
	"pause": {0, 0}, "resume": {0, 0}, "sync": {0, 0}, "split-brain": {1, 3},
}

// checkHealArgs checks a heal command line after MOUNTPOINT.
func checkHealArgs(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("a command is required: info, full, index, status, pause, resume, sync or split-brain")
	}
	lim, ok := healCmds[args[0]]
	if !ok {
		return fmt.Errorf("unknown command %q (info, full, index, status, pause, resume, sync, split-brain)", args[0])
	}
	n := len(args) - 1
	if n < lim[0] || n > lim[1] {
		return fmt.Errorf("%s: wrong number of arguments (see loom help heal)", args[0])
	}
	if args[0] != "split-brain" {
		return nil
	}
	switch args[1] {
	case "bigger-file", "latest-mtime":
		if n > 2 {
			return fmt.Errorf("split-brain %s takes at most a PATH", args[1])
		}
	case "source-brick":
		if n < 2 {
			return fmt.Errorf("split-brain source-brick: name the BRICK (a subvolume of the replicate volume)")
		}
	default:
		return fmt.Errorf("split-brain: unknown policy %q (bigger-file, latest-mtime, source-brick BRICK)", args[1])
	}
	return nil
}

func runHeal(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("heal")
	volume := fs.String("volume", "", "")
	asJSON := fs.Bool("json", false, "")
	watch := fs.Bool("watch", false, "")
	pos, status, ok := runFlags(env, healCommand, fs, args)
	if !ok {
		return status
	}
	if len(pos) < 1 {
		return env.usagef("heal", "need MOUNTPOINT and a command (see %s help heal)", env.Prog)
	}
	mnt, rest := pos[0], pos[1:]
	if err := checkHealArgs(rest); err != nil {
		return env.usagef("heal", "%v", err)
	}
	send := func(cmd string, a []string) ([]VolumeReply, error) {
		return sendControl(mnt, &ControlRequest{Type: replicate.Type, Volume: *volume, Cmd: cmd, Args: a})
	}
	replies, err := send(rest[0], rest[1:])
	if err == nil && len(replies) == 0 {
		err = fmt.Errorf("%s has no replicate volume%s", mnt, map[bool]string{true: " called " + *volume}[*volume != ""])
	}
	if err != nil {
		return env.failf("heal", "%v", err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		for _, r := range replies {
			enc.Encode(r)
		}
		return replyStatus(replies)
	}
	live := rest[0] == "status" && (*watch || isTerminal(env.Stdout) && anyHealing(replies))
	if !live {
		for _, r := range replies {
			printHealReply(env.Stdout, rest[0], r)
		}
		return replyStatus(replies)
	}
	return watchHeal(ctx, env, *watch && !isTerminal(env.Stdout), func() ([]VolumeReply, error) { return send("status", nil) }, replies)
}

// replyStatus is the exit status for a set of replies: failure if any
// volume answered an error.
func replyStatus(replies []VolumeReply) int {
	for _, r := range replies {
		if r.Error != "" {
			return exitFail
		}
	}
	return exitOK
}

// watchHeal prints the status every second until no volume is healing:
// as one line rewritten in place on a terminal, as a line per refresh
// otherwise (plain).
func watchHeal(ctx context.Context, env *Env, plain bool, poll func() ([]VolumeReply, error), replies []VolumeReply) int {
	for {
		var lines []string
		for _, r := range replies {
			if r.Error != "" {
				lines = append(lines, r.Volume+": "+r.Error)
				continue
			}
			var s replicate.Status
			json.Unmarshal(r.Result, &s)
			lines = append(lines, statusLine(&s))
		}
		line := strings.Join(lines, " | ")
		done := !anyHealing(replies)
		switch {
		case plain || done:
			if !plain {
				fmt.Fprint(env.Stdout, "\r\033[K")
			}
			fmt.Fprintln(env.Stdout, line)
		default:
			fmt.Fprint(env.Stdout, "\r\033[K"+line)
		}
		if done {
			return replyStatus(replies)
		}
		select {
		case <-ctx.Done():
			if !plain {
				fmt.Fprintln(env.Stdout)
			}
			return exitOK
		case <-time.After(time.Second):
		}
		var err error
		if replies, err = poll(); err != nil {
			fmt.Fprintln(env.Stdout)
			return env.failf("heal", "%v", err)
		}
	}
}

// anyHealing reports whether a status reply shows heal work left.
func anyHealing(replies []VolumeReply) bool {
	for _, r := range replies {
		var s replicate.Status
		if r.Error == "" && json.Unmarshal(r.Result, &s) == nil && healing(&s) {
			return true
		}
	}
	return false
}

// healing reports whether s shows work left: a full crawl, waiting inodes
// or records in a brick's index.
func healing(s *replicate.Status) bool {
	return s.FullRunning || s.Pending > 0 || s.Indexed > 0
}

// printHealReply prints one volume's answer to cmd for people.
func printHealReply(w io.Writer, cmd string, r VolumeReply) {
	if r.Error != "" {
		fmt.Fprintf(w, "%s: error: %s\n", r.Volume, r.Error)
		return
	}
	switch cmd {
	case "info":
		var in replicate.Info
		if err := json.Unmarshal(r.Result, &in); err != nil {
			fmt.Fprintf(w, "%s: unreadable answer: %v\n", r.Volume, err)
			return
		}
		io.WriteString(w, infoText(&in))
	case "split-brain":
		var res replicate.Resolved
		if err := json.Unmarshal(r.Result, &res); err != nil {
			fmt.Fprintf(w, "%s: unreadable answer: %v\n", r.Volume, err)
			return
		}
		io.WriteString(w, resolvedText(r.Volume, &res))
	default:
		var s replicate.Status
		if err := json.Unmarshal(r.Result, &s); err != nil {
			fmt.Fprintf(w, "%s: unreadable answer: %v\n", r.Volume, err)
			return
		}
		fmt.Fprintln(w, statusLine(&s))
	}
}

// infoText is the human form of heal info.
func infoText(in *replicate.Info) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Volume %s: %d pending, %d in split-brain\n", in.Volume, in.Pending, in.SplitBrain)
	for _, br := range in.Bricks {
		state := "up"
		if !br.Up {
			state = "down"
		}
		idx := "no index"
		switch {
		case !br.Up:
			idx = "index unknown"
		case br.Indexed:
			idx = fmt.Sprintf("%d pending in its index", br.Pending)
		}
		fmt.Fprintf(&b, "  Brick %-20s %-4s  %s\n", br.Name, state, idx)
	}
	for _, e := range in.Entries {
		name := e.Path
		if name == "" {
			name = "<gfid:" + e.GFID + ">"
		}
		if e.SplitBrain {
			name += "  (split-brain)"
		}
		fmt.Fprintf(&b, "  %s\n", name)
	}
	if shown := len(in.Entries); shown < in.Pending && shown > 0 {
		fmt.Fprintf(&b, "  ... and %d more\n", in.Pending-shown)
	}
	return b.String()
}

// statusLine is the one-line human form of heal status.
func statusLine(s *replicate.Status) string {
	state := "idle"
	switch {
	case s.Paused:
		state = "paused"
	case s.FullRunning:
		state = "full heal running"
	case s.Pending > 0 || s.Indexed > 0:
		state = "healing"
	}
	pending := int64(s.Pending)
	pending = max(pending, s.Indexed)
	line := fmt.Sprintf("%s: %s, %d pending", s.Volume, state, pending)
	if s.FilesTotal > 0 || s.BytesTotal > 0 || s.FullRunning {
		line += fmt.Sprintf("; last full heal: files %d/%d, %s/%s, %s/s",
			s.FilesDone, s.FilesTotal, byteCount(s.BytesDone), byteCount(s.BytesTotal), byteCount(int64(s.BytesPerSec)))
		if s.FullRunning && s.ETASeconds >= 0 {
			line += ", ETA " + (time.Duration(s.ETASeconds) * time.Second).Round(time.Second).String()
		}
		line += fmt.Sprintf(" (%s)", (time.Duration(s.Seconds * float64(time.Second))).Round(100*time.Millisecond))
	}
	return line
}

// resolvedText is the human form of a split-brain resolution.
func resolvedText(volume string, res *replicate.Resolved) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s resolved %d", volume, res.Policy, len(res.Resolved))
	if len(res.Failed) > 0 {
		fmt.Fprintf(&b, ", %d failed", len(res.Failed))
	}
	b.WriteString("\n")
	for _, p := range res.Resolved {
		fmt.Fprintf(&b, "  resolved %s\n", p)
	}
	for _, p := range res.Failed {
		fmt.Fprintf(&b, "  failed   %s\n", p)
	}
	return b.String()
}
