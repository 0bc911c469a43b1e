package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// A Workload is one measured phase. The runner calls Prepare (untimed),
// times Run, then calls Finish (untimed). Workloads of one group run in
// list order in the same directory and may depend on earlier ones (the
// read reads what the write wrote), so -groups selects whole groups.
type Workload struct {
	// Name is the row label ("seq-write").
	Name string
	// Group is the dependency group: "seq", "rand" or "small".
	Group string
	// Unit is "MiB/s" or "ops/s"; Run returns MiB or ops accordingly.
	Unit string
	// Prepare runs before the clock starts; nil means nothing to do.
	Prepare func(ctx context.Context, v *visit) error
	// Run does the measured work and returns how much it did.
	Run func(ctx context.Context, v *visit) (float64, error)
	// Finish runs after the clock stops; nil means nothing to do.
	Finish func(ctx context.Context, v *visit) error
	// Value says Run returns the figure itself (a ratio), not an
	// amount to divide by its time.
	Value bool
}

// visit is one target's pass through the workloads in one round.
type visit struct {
	cfg   *Config
	dir   string // fresh directory inside the target
	round int
	// bufs are shared, reused buffers (see newBuffers).
	bufs *buffers
}

// workloads is the benchmark, in the order it runs.
var workloads = []Workload{
	{Name: "seq-write", Group: "seq", Unit: "MiB/s", Run: seqWrite},
	{Name: "seq-read", Group: "seq", Unit: "MiB/s", Prepare: dropBefore, Run: seqRead, Finish: removeSeq},
	{Name: "rand-read", Group: "rand", Unit: "ops/s", Prepare: prepareRand, Run: randRead},
	{Name: "rand-write", Group: "rand", Unit: "ops/s", Run: randWrite, Finish: removeRand},
	{Name: "small-create", Group: "small", Unit: "ops/s", Prepare: smallMkdirs, Run: smallCreate},
	{Name: "small-stat", Group: "small", Unit: "ops/s", Prepare: dropBefore, Run: smallStat},
	{Name: "small-readdir", Group: "small", Unit: "ops/s", Prepare: dropBefore, Run: smallReaddir},
	{Name: "small-read", Group: "small", Unit: "ops/s", Prepare: dropBefore, Run: smallRead},
	{Name: "small-unlink", Group: "small", Unit: "ops/s", Run: smallUnlink, Finish: smallRmdirs},
}

// workloadGroups are the valid -groups values (heal.go adds "heal").
var workloadGroups = []string{"seq", "rand", "small"}

// defaultGroups run when -groups is not given.
var defaultGroups = []string{"seq", "rand", "small"}

// selectWorkloads keeps the workloads of the named groups, in list order.
func selectWorkloads(groups []string) []Workload {
	var out []Workload
	for _, w := range workloads {
		for _, g := range groups {
			if w.Group == g {
				out = append(out, w)
			}
		}
	}
	return out
}

// dropBefore syncs the target's filesystem and drops the kernel's page,
// dentry and inode caches, so the next phase reaches the FUSE daemon.
func dropBefore(ctx context.Context, v *visit) error {
	return dropCaches(v.dir)
}

// dropCaches runs syncfs on dir's filesystem (only that one: a global sync
// would wait for the other users' disk writes) and then writes 3 to
// /proc/sys/vm/drop_caches. tmpfs content itself cannot be dropped.
func dropCaches(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("drop caches: %w", err)
	}
	_ = syncfs(f) // best effort: a FUSE daemon may not implement syncfs
	f.Close()
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0); err != nil {
		return fmt.Errorf("drop caches: %w", err)
	}
	return nil
}

// checkCtx returns the context's error every so often, so long loops stop
// promptly on Ctrl-C without a clock read per operation.
func checkCtx(ctx context.Context, i int) error {
	if i&255 == 0 {
		return ctx.Err()
	}
	return nil
}

// parseGroups validates a comma-separated -groups value.
func parseGroups(s string) ([]string, error) {
	var out []string
	for _, g := range strings.Split(s, ",") {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		ok := false
		for _, known := range workloadGroups {
			ok = ok || g == known
		}
		if !ok {
			return nil, fmt.Errorf("-groups: unknown group %q (known: %s)", g, strings.Join(workloadGroups, ","))
		}
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-groups: no group named")
	}
	return out, nil
}

func seqPath(v *visit) string  { return filepath.Join(v.dir, "seq") }
func randPath(v *visit) string { return filepath.Join(v.dir, "rand") }
