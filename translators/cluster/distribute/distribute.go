// Package distribute is the cluster/distribute translator: one namespace
// over many subvolumes, modelled on GlusterFS's DHT. A file lives on the
// subvolume its name hashes to within its directory's layout (each
// directory carries its hash range on every subvolume); a file that lives
// elsewhere is found through a link file on the hashed subvolume.
// Directories exist on every subvolume. Rebalance moves files to where a
// changed layout (a subvolume added or decommissioned) says they belong.
// See README.md.
package distribute

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/loom-fs/loom/xlator"
)

// Type is the registered translator type.
const Type = "cluster/distribute"

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        Type,
		Doc:         "one namespace over many subvolumes: hash-based placement, link files, layout self-heal and rebalance (DHT-like)",
		New:         New,
		Options:     Options,
		MinChildren: 1,
		MaxChildren: 256,
	})
}

// Options is the option schema of cluster/distribute.
var Options = []xlator.OptionDef{
	{Key: "lookup-unhashed", Type: xlator.TypeEnum, Default: "auto", Allowed: []string{"on", "off", "auto"},
		Help: "when a name is not on its hashed subvolume, look on every subvolume: on (always), off (never; trust link files), auto (only in directories whose layout changed and is not yet committed by a rebalance)"},
	{Key: "min-free-disk", Type: xlator.TypeString, Default: "10%",
		Help: "free space a subvolume keeps: a percentage (10%) or a size (5GB); a new file whose hashed subvolume has less goes to the subvolume with the most room, with a link file on the hashed one"},
	{Key: "rebalance-workers", Type: xlator.TypeInt, Default: "2", Min: 1, Max: 64,
		Help: "files a rebalance migrates in parallel"},
	{Key: "decommission", Type: xlator.TypeStringList,
		Help: "subvolumes being drained: layouts give them no range, and rebalance moves every file off them; once rebalance completes they can be removed from the volfile"},
	{Key: "rebalance-resume", Type: xlator.TypeBool, Default: "on",
		Help: "when the graph starts and the checkpoint on the subvolumes says a rebalance was running (the process died), continue it"},
}

// Distribute spreads files over its children by name hash.
type Distribute struct {
	xlator.Base

	kids     []xlator.Translator
	unhashed string
	reserve  Reserve
	workers  int
	resume   bool
	domain   string // inodelk/entrylk domain

	decom atomic.Pointer[[]bool] // decommissioned children

	upMu     sync.Mutex
	up       []bool
	reported []bool
	isUp     bool

	noLocks []atomic.Bool
	local   *localLocks
	owners  atomic.Uint64

	layouts *layoutCache
	inodes  *inodeCache
	space   *spaceCache
	cookies *cookieTable
	gate    *gate
	reb     *rebalancer

	runCtx context.Context
	stop   context.CancelFunc
	// background is the goroutine Start leaves running (resuming a
	// rebalance); Fini waits for it before the bricks below are closed.
	background sync.WaitGroup
}

// New builds a cluster/distribute translator from cfg.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	o := cfg.Options
	r, err := ParseReserve(o.String("min-free-disk"))
	if err != nil {
		return nil, fmt.Errorf("option min-free-disk: %w", err)
	}
	n := len(cfg.Children)
	d := &Distribute{
		Base:     xlator.NewBase(cfg),
		kids:     cfg.Children,
		unhashed: o.String("lookup-unhashed"),
		reserve:  r,
		workers:  int(o.Int("rebalance-workers")),
		resume:   o.Bool("rebalance-resume"),
		domain:   "dht." + cfg.Name,
		up:       make([]bool, n),
		reported: make([]bool, n),
		noLocks:  make([]atomic.Bool, n),
		local:    newLocalLocks(),
		layouts:  newLayoutCache(),
		inodes:   newInodeCache(),
		gate:     newGate(),
		cookies:  newCookieTable(),
	}
	seen := map[string]bool{}
	for _, k := range cfg.Children {
		if seen[k.Name()] {
			return nil, fmt.Errorf("child %q is listed twice", k.Name())
		}
		seen[k.Name()] = true
	}
	decom := make([]bool, n)
	for _, name := range o.List("decommission") {
		i := d.indexOf(name)
		if i < 0 {
			return nil, fmt.Errorf("option decommission: %q is not a subvolume of %s", name, cfg.Name)
		}
		decom[i] = true
	}
	if !anyFalse(decom) {
		return nil, fmt.Errorf("option decommission: every subvolume is decommissioned; files would have nowhere to go")
	}
	d.decom.Store(&decom)
	d.runCtx, d.stop = context.WithCancel(context.Background())
	d.space = newSpaceCache(d)
	d.reb = newRebalancer(d)
	return d, nil
}

// Start resumes a rebalance that a previous process left running.
func (d *Distribute) Start(ctx context.Context) error {
	if d.resume {
		d.background.Add(1)
		go func() {
			defer d.background.Done()
			d.reb.resumeIfRunning()
		}()
	}
	return nil
}

// Fini stops a running rebalance (its checkpoint lets it resume) and
// waits for every goroutine of its own, so none touches a subvolume that
// the graph finalizes next.
func (d *Distribute) Fini() error {
	d.stop()
	d.background.Wait()
	d.reb.wait()
	return nil
}

// Reconfigure changes lookup-unhashed, min-free-disk and decommission on a
// live graph.
func (d *Distribute) Reconfigure(opts *xlator.Options) error {
	r, err := ParseReserve(opts.String("min-free-disk"))
	if err != nil {
		return fmt.Errorf("option min-free-disk: %w", err)
	}
	decom := make([]bool, len(d.kids))
	for _, name := range opts.List("decommission") {
		i := d.indexOf(name)
		if i < 0 {
			return fmt.Errorf("option decommission: %q is not a subvolume of %s", name, d.Name())
		}
		decom[i] = true
	}
	if !anyFalse(decom) {
		return fmt.Errorf("option decommission: every subvolume is decommissioned")
	}
	d.reserve = r
	d.unhashed = opts.String("lookup-unhashed")
	d.decom.Store(&decom)
	return nil
}

// indexOf returns the position of the child named name, or -1.
func (d *Distribute) indexOf(name string) int {
	for i, k := range d.kids {
		if k.Name() == name {
			return i
		}
	}
	return -1
}

// index returns the position of child t, or -1.
func (d *Distribute) index(t xlator.Translator) int {
	for i, k := range d.kids {
		if k == t {
			return i
		}
	}
	return -1
}

// decommissioned returns which children are being drained.
func (d *Distribute) decommissioned() []bool { return *d.decom.Load() }

// upSet returns which children are up now.
func (d *Distribute) upSet() []bool {
	d.upMu.Lock()
	defer d.upMu.Unlock()
	return append([]bool(nil), d.up...)
}

// isChildUp reports whether child i is up.
func (d *Distribute) isChildUp(i int) bool {
	d.upMu.Lock()
	defer d.upMu.Unlock()
	return d.up[i]
}

// allUp reports whether every child is up.
func (d *Distribute) allUp() bool { return !anyFalse(d.upSet()) }

// active returns the children that new layouts give a range: up and not
// decommissioned.
func (d *Distribute) active() []bool {
	up := d.upSet()
	decom := d.decommissioned()
	for i := range up {
		up[i] = up[i] && !decom[i]
	}
	return up
}

// Notify tracks which children are up. Distribute reports child-up once
// every child has reported (up or down) and at least one is up, so that
// the first directory operations see the whole volume; and child-down
// when none is up.
func (d *Distribute) Notify(ev xlator.Event, from xlator.Translator) {
	i := d.index(from)
	if i < 0 {
		return
	}
	d.upMu.Lock()
	d.reported[i] = true
	switch ev {
	case xlator.EventChildUp:
		d.up[i] = true
	case xlator.EventChildDown:
		d.up[i] = false
	}
	want := !anyFalse(d.reported) && anyTrue(d.up)
	changed := want != d.isUp
	d.isUp = want
	d.upMu.Unlock()
	if ev == xlator.EventChildUp {
		d.Log().Info("child up", "child", from.Name())
	} else {
		d.Log().Warn("child down: its files answer ENOTCONN until it returns", "child", from.Name())
	}
	if changed {
		if want {
			d.Emit(xlator.EventChildUp)
		} else {
			d.Emit(xlator.EventChildDown)
		}
	}
}

func anyFalse(b []bool) bool {
	for _, v := range b {
		if !v {
			return true
		}
	}
	return false
}

func anyTrue(b []bool) bool {
	for _, v := range b {
		if v {
			return true
		}
	}
	return false
}
