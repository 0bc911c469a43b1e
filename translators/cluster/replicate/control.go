package replicate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// Commands lists the commands Control answers.
var Commands = []string{"info", "full", "index", "status", "wait", "pause", "resume", "split-brain", "sync"}

// Info is the answer of "info": what waits to be healed.
type Info struct {
	Volume     string      `json:"volume"`
	Pending    int         `json:"pending"`     // inodes waiting for a heal (known here, or the most any brick's index holds)
	SplitBrain int         `json:"split_brain"` // of which in split-brain
	Bricks     []BrickInfo `json:"bricks"`
	Entries    []Entry     `json:"entries,omitempty"` // the first 100
}

// BrickInfo is one child's part of Info.
type BrickInfo struct {
	Name    string `json:"name"`
	Up      bool   `json:"up"`
	Indexed bool   `json:"indexed"` // it has a pending index (features/index)
	Pending int64  `json:"pending"` // records in its index: inodes with a non-zero changelog there
}

// Entry is one inode waiting to be healed.
type Entry struct {
	GFID       string `json:"gfid"`
	Path       string `json:"path,omitempty"`
	SplitBrain bool   `json:"split_brain"`
}

// Status is the answer of "status" (and of full, index, pause, resume):
// the progress of the heals.
type Status struct {
	Volume      string  `json:"volume"`
	Paused      bool    `json:"paused"`
	FullRunning bool    `json:"full_running"`
	Pending     int     `json:"pending"`       // inodes waiting here
	Indexed     int64   `json:"index_pending"` // the most records any up brick's index holds
	FilesDone   int64   `json:"files_done"`
	FilesTotal  int64   `json:"files_total"`
	BytesDone   int64   `json:"bytes_done"`
	BytesTotal  int64   `json:"bytes_total"`
	Seconds     float64 `json:"seconds"`          // since the last full heal began
	BytesPerSec float64 `json:"bytes_per_second"` // over that time
	ETASeconds  float64 `json:"eta_seconds"`      // -1 when unknown
}

// Resolved is the answer of "split-brain": the inodes it resolved and
// those it could not.
type Resolved struct {
	Policy   string   `json:"policy"`
	Resolved []string `json:"resolved"`
	Failed   []string `json:"failed,omitempty"`
}

// Control answers the heal commands (see README.md).
func (r *Replicate) Control(ctx context.Context, cmd string, args []string) (any, error) {
	h := r.healer
	switch cmd {
	case "info":
		return r.info(ctx), nil
	case "full":
		h.requestFull()
		return r.status(ctx), nil
	case "index":
		h.childUp()
		return r.status(ctx), nil
	case "status":
		return r.status(ctx), nil
	case "wait":
		return r.waitHealed(ctx, args)
	case "pause":
		h.pause()
		return r.status(ctx), nil
	case "resume":
		h.resume()
		return r.status(ctx), nil
	case "split-brain":
		return r.resolve(ctx, args)
	case "sync":
		// The delayed post-ops and the batched sync of times, now: once
		// it answers (and no fop runs), the good copies' changelogs and
		// times are final and the bricks can be compared.
		r.settle()
		return r.status(ctx), nil
	}
	return nil, fmt.Errorf("unknown command %q (known: %v)", cmd, Commands)
}

func (r *Replicate) info(ctx context.Context) *Info {
	h := r.healer
	in := &Info{Volume: r.Name()}
	up := r.upSet()
	most := int64(0)
	for i, k := range r.kids {
		b := BrickInfo{Name: k.Name(), Up: up[i]}
		if up[i] {
			b.Pending, b.Indexed = r.indexCount(ctx, i)
			most = max(most, b.Pending)
		}
		in.Bricks = append(in.Bricks, b)
	}
	h.mu.Lock()
	in.Pending = len(h.items)
	in.SplitBrain = len(h.split)
	for g, it := range h.items {
		if len(in.Entries) >= 100 {
			break
		}
		_, sb := h.split[g]
		in.Entries = append(in.Entries, Entry{GFID: g.String(), Path: it.path, SplitBrain: sb})
	}
	for g, p := range h.split {
		if _, listed := h.items[g]; !listed && len(in.Entries) < 100 {
			in.Pending++
			in.Entries = append(in.Entries, Entry{GFID: g.String(), Path: p, SplitBrain: true})
		}
	}
	h.mu.Unlock()
	in.Pending = max(in.Pending, int(most))
	r.indexEntries(ctx, in, up)
	sort.Slice(in.Entries, func(a, b int) bool { return in.Entries[a].Path < in.Entries[b].Path })
	return in
}

func (r *Replicate) status(ctx context.Context) *Status {
	h := r.healer
	s := &Status{Volume: r.Name(), FullRunning: h.crawling.Load(), ETASeconds: -1,
		FilesDone: h.filesDone.Load(), FilesTotal: h.filesTotal.Load(),
		BytesDone: h.bytesDone.Load(), BytesTotal: h.bytesTotal.Load()}
	h.mu.Lock()
	s.Paused = h.paused
	s.Pending = len(h.items)
	s.FullRunning = s.FullRunning || h.full
	h.mu.Unlock()
	for i, up := range r.upSet() {
		if !up {
			continue
		}
		if n, ok := r.indexCount(ctx, i); ok {
			s.Indexed = max(s.Indexed, n)
		}
	}
	if st := h.crawlStart.Load(); st != 0 {
		s.Seconds = time.Since(time.Unix(0, st)).Seconds()
		if s.Seconds > 0 {
			s.BytesPerSec = float64(s.BytesDone) / s.Seconds
		}
		if s.BytesPerSec > 0 && s.BytesTotal >= s.BytesDone && s.FullRunning {
			s.ETASeconds = float64(s.BytesTotal-s.BytesDone) / s.BytesPerSec
		}
	}
	return s
}

// waitMax bounds one "wait": it stays well below the control socket's
// timeout for a command (30 s).
const waitMax = 20 * time.Second

// waitTick is how often "wait" looks at the heals: the answer comes at
// most this long after the last heal ends.
const waitTick = 5 * time.Millisecond

// waitHealed answers "wait [SECONDS]": the status once a full heal has
// run and is over and nothing waits to be healed, or once the heals are
// paused (neither will change by itself), or after SECONDS (default and
// at most waitMax), whichever comes first. "loom migrate finish" waits
// for the copy with it instead of polling the status.
func (r *Replicate) waitHealed(ctx context.Context, args []string) (*Status, error) {
	limit := waitMax
	if len(args) > 0 {
		sec, err := strconv.ParseFloat(args[0], 64)
		if err != nil || sec < 0 {
			return nil, fmt.Errorf("wait: %q is not a number of seconds", args[0])
		}
		limit = min(limit, time.Duration(sec*float64(time.Second)))
	}
	h := r.healer
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	tick := time.NewTicker(waitTick)
	defer tick.Stop()
	for {
		h.mu.Lock()
		settled := h.paused || (h.crawlStart.Load() != 0 && !h.full && !h.crawling.Load() && len(h.items) == 0)
		h.mu.Unlock()
		if settled {
			return r.status(ctx), nil
		}
		select {
		case <-ctx.Done():
			return r.status(context.WithoutCancel(ctx)), nil
		case <-deadline.C:
			return r.status(ctx), nil
		case <-tick.C:
		}
	}
}

// resolve answers "split-brain POLICY [BRICK] [PATH]": bigger-file,
// latest-mtime, or source-brick BRICK, for one path or every inode known
// to be in split-brain.
func (r *Replicate) resolve(ctx context.Context, args []string) (*Resolved, error) {
	if len(args) == 0 {
		return nil, errors.New("split-brain: a policy is required: bigger-file, latest-mtime or source-brick BRICK")
	}
	res := &Resolved{Policy: args[0]}
	policy, override := PolicyNone, -1
	rest := args[1:]
	switch args[0] {
	case "bigger-file":
		policy = PolicySize
	case "latest-mtime":
		policy = PolicyMtime
	case "source-brick":
		if len(rest) == 0 {
			return nil, errors.New("split-brain source-brick: name the brick (a subvolume)")
		}
		for i, k := range r.kids {
			if k.Name() == rest[0] {
				override = i
			}
		}
		if override < 0 {
			return nil, fmt.Errorf("split-brain source-brick: %q is not a subvolume of %s", rest[0], r.Name())
		}
		rest = rest[1:]
	default:
		return nil, fmt.Errorf("split-brain: unknown policy %q (bigger-file, latest-mtime, source-brick BRICK)", args[0])
	}
	var targets []xlator.GFID
	names := map[xlator.GFID]string{}
	if len(rest) > 0 {
		_, states := r.lookupAll(ctx, xlator.RootCall(), &xlator.Loc{Path: rest[0]}, nil)
		if count(okSet(states)) == 0 {
			return nil, xlator.Wrap("split-brain", rest[0], syscall.ENOENT)
		}
		if mismatch(states) {
			return nil, xlator.Wrap("split-brain", rest[0], fmt.Errorf("the copies have different GFIDs; remove the unwanted copy from its brick: %w", syscall.EINVAL))
		}
		g := firstOK(states).Stat.GFID
		targets = append(targets, g)
		names[g] = rest[0]
	} else {
		r.healer.mu.Lock()
		for g, p := range r.healer.split {
			targets = append(targets, g)
			names[g] = p
		}
		r.healer.mu.Unlock()
	}
	for _, g := range targets {
		name := names[g]
		if name == "" {
			name = g.String()
		}
		if err := r.resolveOne(ctx, g, policy, override); err != nil {
			res.Failed = append(res.Failed, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		res.Resolved = append(res.Resolved, name)
		r.healer.mu.Lock()
		delete(r.healer.split, g)
		delete(r.healer.items, g)
		r.healer.mu.Unlock()
	}
	return res, nil
}

// resolveOne heals inode g's data and metadata from the copy the policy
// (or override) picks.
func (r *Replicate) resolveOne(ctx context.Context, g xlator.GFID, policy string, override int) error {
	_, states := r.lookupAll(ctx, xlator.RootCall(), nameless(g), nil)
	if count(okSet(states)) == 0 {
		return syscall.ENOENT
	}
	if firstOK(states).Stat.Type() == syscall.S_IFREG {
		if _, err := r.healData(ctx, g, true, policy, override); err != nil {
			return err
		}
	}
	if _, err := r.healMeta(ctx, g, true, policy, override); err != nil {
		return err
	}
	return nil
}

// indexEntries fills in.Entries up to 100 from the bricks' indexes (first
// page of each), for inodes not already listed.
func (r *Replicate) indexEntries(ctx context.Context, in *Info, up []bool) {
	listed := map[string]bool{}
	for _, e := range in.Entries {
		listed[e.GFID] = true
	}
	for i := range r.kids {
		if !up[i] || len(in.Entries) >= 100 || !in.Bricks[i].Indexed || in.Bricks[i].Pending == 0 {
			continue
		}
		r.readIndex(ctx, i, func(page []xlator.GFID) bool {
			for _, g := range page {
				if s := g.String(); !listed[s] && len(in.Entries) < 100 {
					listed[s] = true
					in.Entries = append(in.Entries, Entry{GFID: s})
				}
			}
			return false
		})
	}
}
