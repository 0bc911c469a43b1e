package distribute

import (
	"context"
	"encoding/json"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// checkpointXattr holds, on the root of every subvolume, where a
// rebalance has got to, so that one interrupted by a crash continues.
const checkpointXattr = "loom.dht.rebalance"

// checkpoint is the persisted progress of a rebalance: directories are
// crawled in a fixed order (depth first, names sorted), and DirsDone of
// them, the last being Last, are finished.
type checkpoint struct {
	State    string `json:"state"`
	Mode     string `json:"mode"`
	DirsDone int64  `json:"dirs_done"`
	Last     string `json:"last,omitempty"`
}

// saveCheckpoint writes cp on the root of every up child.
func (d *Distribute) saveCheckpoint(ctx context.Context, cp checkpoint) {
	b, _ := json.Marshal(cp)
	up := d.upSet()
	for i, k := range d.kids {
		if up[i] {
			if err := k.Setxattr(ctx, xlator.RootCall(), rootLoc(), checkpointXattr, b, 0); err != nil {
				d.Log().Warn("saving the rebalance checkpoint failed", "child", k.Name(), "err", err)
			}
		}
	}
}

// loadCheckpoint reads the checkpoint from the first child that has one.
func (d *Distribute) loadCheckpoint(ctx context.Context) (checkpoint, bool) {
	up := d.upSet()
	for i, k := range d.kids {
		if !up[i] {
			continue
		}
		b, err := k.Getxattr(ctx, xlator.RootCall(), rootLoc(), checkpointXattr)
		if err != nil {
			continue
		}
		var cp checkpoint
		if json.Unmarshal(b, &cp) == nil {
			return cp, true
		}
	}
	return checkpoint{}, false
}

// resumeWait bounds how long a resume waits for every child to come up.
const resumeWait = time.Minute

// resumeIfRunning continues a rebalance whose checkpoint says it was
// running when its process ended.
func (r *rebalancer) resumeIfRunning() {
	deadline := time.Now().Add(resumeWait)
	for !r.d.allUp() {
		if time.Now().After(deadline) || r.d.runCtx.Err() != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	cp, ok := r.d.loadCheckpoint(r.d.runCtx)
	if !ok || cp.State != StateRunning {
		return
	}
	r.d.Log().Info("resuming the rebalance a previous process left running", "mode", cp.Mode, "dirs_done", cp.DirsDone, "last", cp.Last)
	if err := r.start(cp.Mode, cp.DirsDone, cp.Last, true); err != nil {
		r.d.Log().Warn("could not resume the rebalance", "err", err)
	}
}
