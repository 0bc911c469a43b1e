// Package replicate is the cluster/replicate translator: N-way replication
// with a changelog and self-heal, modelled on GlusterFS's AFR. Every
// modifying fop is a transaction on all replicas (lock, pre-op, the fop in
// parallel, post-op, unlock); reads come only from replicas nobody blames;
// a replica that fails or goes away is blamed, not fatal, and healed from
// the others when it returns. See README.md.
package replicate

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/loom-fs/loom/xlator"
)

// Type is the registered translator type.
const Type = "cluster/replicate"

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        Type,
		Doc:         "N-way replication with changelog, self-heal and split-brain handling (AFR-like)",
		New:         New,
		Options:     Options,
		MinChildren: 1,
		MaxChildren: 32,
	})
}

// Options is the option schema of cluster/replicate.
var Options = []xlator.OptionDef{
	{Key: "read-subvolume", Type: xlator.TypeString,
		Help: "the child (volume name) to read from whenever it holds a good copy; empty spreads reads by read-hash-mode"},
	{Key: "read-hash-mode", Type: xlator.TypeInt, Default: "1", Min: 0, Max: 2,
		Help: "how reads are spread over the good copies: 0 the first up child, 1 a hash of the GFID, 2 a hash of the GFID and the caller's pid"},
	{Key: "quorum-type", Type: xlator.TypeEnum, Default: "none", Allowed: []string{"none", "auto", "fixed"},
		Help: "when modifying fops are allowed: none (one child up is enough), auto (more than half, or half including the first), fixed (quorum-count children); below quorum they fail with EROFS"},
	{Key: "quorum-count", Type: xlator.TypeInt, Default: "1", Min: 1, Max: 32,
		Help: "children that must be up for modifying fops when quorum-type is fixed"},
	{Key: "favorite-child-policy", Type: xlator.TypeEnum, Default: "none",
		Allowed: []string{PolicyNone, PolicySize, PolicyMtime, PolicyCtime, PolicyMajority},
		Help:    "resolves split-brain automatically: none (leave it to the heal split-brain command), size (bigger file), mtime (newest modification), ctime (newest change), majority (the copy more than half the children hold)"},
	{Key: "self-heal", Type: xlator.TypeBool, Default: "on",
		Help: "heal in the background: on lookup, from the pending index, and a full crawl when a fresh brick appears"},
	{Key: "data-self-heal", Type: xlator.TypeBool, Default: "on",
		Help: "heal file contents (with self-heal)"},
	{Key: "metadata-self-heal", Type: xlator.TypeBool, Default: "on",
		Help: "heal modes, owners, times, xattrs and ACLs (with self-heal)"},
	{Key: "entry-self-heal", Type: xlator.TypeBool, Default: "on",
		Help: "heal directory entries (with self-heal)"},
	{Key: "heal-workers", Type: xlator.TypeInt, Default: "4", Min: 1, Max: 64,
		Help: "inodes (and directories of a full crawl) healed in parallel"},
	{Key: "heal-rate-limit", Type: xlator.TypeSize, Default: "0",
		Help: "bytes per second data heal may copy (such as 50MiB); 0 means no limit"},
	{Key: "heal-chunk-size", Type: xlator.TypeSize, Default: "1MiB", Min: 4096, Max: 64 << 20,
		Help: "data heal copies and compares files in chunks of this size, each under its own range lock"},
	{Key: "eager-lock", Type: xlator.TypeBool, Default: "on",
		Help: "keep a file's lock and pre-op across a stream of writes and a directory's dirty mark across a stream of entry changes, with one post-op at the end (delayed post-op)"},
	{Key: "post-op-delay", Type: xlator.TypeDuration, Default: "100ms", Min: 0, Max: 10_000,
		Help: "with eager-lock, how long a file's lock (a directory's dirty mark) is kept after its last write (entry change)"},
	{Key: "fan-out", Type: xlator.TypeEnum, Default: FanOutAuto, Allowed: []string{FanOutAuto, FanOutParallel, FanOutSerial},
		Help: "how a fop reaches the children: parallel (one goroutine per child but the last), serial (one after the other in the caller's goroutine, for children in this process, whose fops take microseconds, less than waking a second thread), auto (serial when no child reaches a protocol/client, else parallel; writes of 64 KiB or more always in parallel)"},
}

var _ xlator.BackingFiler = (*Replicate)(nil)

// Values of the fan-out option.
const (
	FanOutAuto     = "auto"
	FanOutParallel = "parallel"
	FanOutSerial   = "serial"
)

// Replicate replicates every fop over its children.
type Replicate struct {
	xlator.Base

	kids        []xlator.Translator
	pendingKeys []string // pendingKeys[j] = "loom.pending.<child j>"
	domain      string   // inodelk/entrylk domain of transactions
	metaDomain  string   // inodelk domain of metadata transactions
	healDomain  string   // inodelk domain that keeps two healers apart

	readChild   int // index of read-subvolume, or -1
	hashMode    int
	quorumType  string
	quorumCount int
	policy      atomic.Value // string: favorite-child-policy
	heal        healSwitches
	eagerLock   bool
	postOpDelay int64 // nanoseconds
	serial      bool  // fan out one child after the other (fan-out)

	upMu   sync.Mutex
	up     []bool
	fresh  []bool // roots that had no GFID when they came up
	isUp   bool   // what we last told the parents
	seenUp []bool // children that have been up since the start
	// waited is set once startWait has passed after the first child-up:
	// child-up is then reported even if some child never reported.
	waited    bool
	waitArmed bool // the startWait timer is set

	staleMu sync.Mutex
	stale   []staleLock // unlocks to send again when a child returns

	noLocks []atomic.Bool // children that answered ENOTSUP for inodelk/entrylk
	local   *localLocks
	owners  atomic.Uint64 // lock owners of transactions

	inodes *inodeTable
	pins   *pinTable
	eager  *eagerTable
	dirs   *dirHolds
	times  *timesTable
	healer *healer

	stop   context.CancelFunc
	runCtx context.Context
}

// healSwitches are the self-heal options.
type healSwitches struct {
	on, data, meta, entry bool
}

// New builds a cluster/replicate translator from cfg.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	o := cfg.Options
	r := &Replicate{
		Base:        xlator.NewBase(cfg),
		kids:        cfg.Children,
		domain:      cfg.Name,
		metaDomain:  cfg.Name + ".metadata",
		healDomain:  cfg.Name + ".self-heal",
		readChild:   -1,
		hashMode:    int(o.Int("read-hash-mode")),
		quorumType:  o.String("quorum-type"),
		quorumCount: int(o.Int("quorum-count")),
		heal: healSwitches{on: o.Bool("self-heal"), data: o.Bool("data-self-heal"),
			meta: o.Bool("metadata-self-heal"), entry: o.Bool("entry-self-heal")},
		eagerLock:   o.Bool("eager-lock"),
		postOpDelay: int64(o.Duration("post-op-delay")),
		serial:      serialFanOut(o.String("fan-out"), cfg.Children),
		up:          make([]bool, len(cfg.Children)),
		fresh:       make([]bool, len(cfg.Children)),
		seenUp:      make([]bool, len(cfg.Children)),
		noLocks:     make([]atomic.Bool, len(cfg.Children)),
		local:       newLocalLocks(),
		inodes:      newInodeTable(),
		pins:        newPinTable(),
	}
	r.policy.Store(o.String("favorite-child-policy"))
	seen := map[string]bool{}
	for _, k := range cfg.Children {
		if seen[k.Name()] {
			return nil, fmt.Errorf("child %q is listed twice", k.Name())
		}
		seen[k.Name()] = true
		r.pendingKeys = append(r.pendingKeys, pendingPrefix+k.Name())
	}
	if name := o.String("read-subvolume"); name != "" {
		for i, k := range cfg.Children {
			if k.Name() == name {
				r.readChild = i
			}
		}
		if r.readChild < 0 {
			return nil, fmt.Errorf("option read-subvolume: %q is not a subvolume of %s", name, cfg.Name)
		}
	}
	if r.quorumType == "fixed" && r.quorumCount > len(cfg.Children) {
		return nil, fmt.Errorf("option quorum-count: %d is more than the %d subvolumes", r.quorumCount, len(cfg.Children))
	}
	r.runCtx, r.stop = context.WithCancel(context.Background())
	r.eager = newEagerTable(r)
	r.dirs = newDirHolds(r)
	r.times = newTimesTable(r)
	r.healer = newHealer(r, int(o.Int("heal-workers")), o.Size("heal-rate-limit"), o.Size("heal-chunk-size"))
	return r, nil
}

// serialFanOut decides the fan-out option: auto is serial when no child
// reaches the network (every copy is in this process, where a fop takes
// a few microseconds and handing it to a second thread costs more than
// it saves: a wake-up and a context switch on each side).
func serialFanOut(mode string, kids []xlator.Translator) bool {
	switch mode {
	case FanOutSerial:
		return true
	case FanOutParallel:
		return false
	}
	for _, k := range kids {
		if reachesNetwork(k) {
			return false
		}
	}
	return true
}

// reachesNetwork reports whether t or a translator below it is a
// protocol/client, whose fops wait for a round trip.
func reachesNetwork(t xlator.Translator) bool {
	if t.Type() == "protocol/client" {
		return true
	}
	for _, k := range t.Children() {
		if reachesNetwork(k) {
			return true
		}
	}
	return false
}

// Start starts the background healer.
func (r *Replicate) Start(ctx context.Context) error {
	r.healer.start()
	return nil
}

// settle ends the delayed post-ops (eager-lock streams of writes and
// directory dirty holds that no transaction runs under) and syncs the
// queued times now, returning when that is done. A hold a transaction
// runs under ends with it.
func (r *Replicate) settle() {
	r.eager.flushAll()
	r.dirs.flushAll()
	r.times.flushAll()
}

// Fini ends the delayed post-ops (so no file or directory stays marked
// dirty), syncs the queued times and stops the healer.
func (r *Replicate) Fini() error {
	r.settle()
	r.stop()
	r.healer.wait()
	return nil
}

// Reconfigure changes favorite-child-policy and the heal rate on a live
// graph.
func (r *Replicate) Reconfigure(opts *xlator.Options) error {
	r.policy.Store(opts.String("favorite-child-policy"))
	r.healer.setRate(opts.Size("heal-rate-limit"))
	return nil
}

// favoritePolicy returns the current favorite-child-policy.
func (r *Replicate) favoritePolicy() string { return r.policy.Load().(string) }

// index returns the position of child t, or -1.
func (r *Replicate) index(t xlator.Translator) int {
	for i, k := range r.kids {
		if k == t {
			return i
		}
	}
	return -1
}

// freshSet returns which children are still treated as fresh bricks.
func (r *Replicate) freshSet() []bool {
	r.upMu.Lock()
	defer r.upMu.Unlock()
	return append([]bool(nil), r.fresh...)
}

// upSet returns which children are up now.
func (r *Replicate) upSet() []bool {
	r.upMu.Lock()
	defer r.upMu.Unlock()
	return append([]bool(nil), r.up...)
}
