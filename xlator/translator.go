package xlator

import (
	"context"
	"log/slog"
	"sync"
)

// Translator is one node of a graph: it answers every fop and takes part in
// the graph's life (events, start, stop). Implementations embed Base (a
// passthrough) or Leaf (answers ENOTSUP), which provide the graph plumbing;
// that is why the interface has an unexported method.
type Translator interface {
	Fops
	// Name is the volume name from the volfile.
	Name() string
	// Type is the registered type, such as "storage/posix".
	Type() string
	// Children are the subvolumes, in volfile order.
	Children() []Translator
	// Notify receives an event from a child (from is that child). The
	// default forwards it to the parents as if it were this translator's
	// own; cluster translators override it to count their children.
	Notify(ev Event, from Translator)
	// Fini releases what the constructor and Start acquired. It is called
	// once, top-down, when the graph stops or fails to start.
	Fini() error

	node() *Node
}

// Starter is implemented by translators that begin work once the whole
// graph is built (listening sockets, background healers). Start is called
// bottom-up; a leaf announces itself with Emit(EventChildUp) here.
type Starter interface {
	Start(ctx context.Context) error
}

// Reconfigurer is implemented by translators that accept changed options
// on a live graph.
type Reconfigurer interface {
	Reconfigure(opts *Options) error
}

// ClientReleaser is implemented by translators that keep state per client
// (locks, open files). When a client's connection ends, protocol/server
// calls ReleaseClient on every translator below it that implements this,
// so that nothing the client held (a lock above all) outlives it.
type ClientReleaser interface {
	ReleaseClient(client string)
}

// Controller is implemented by translators that answer administrative
// commands on a running graph (heal info, heal full, rebalance status…).
// The loom process that runs the graph passes each command that names a
// volume to that translator; the result must encode as JSON. Unknown
// commands return an error that lists the known ones.
type Controller interface {
	Control(ctx context.Context, cmd string, args []string) (any, error)
}

// BackingFiler is implemented by a translator that keeps an open FD's data
// in a local file and can hand its descriptor to the kernel, so that reads
// and writes bypass the daemon (FUSE passthrough). storage/posix does.
// Base does not forward it: a stack offers passthrough only when the top
// itself implements it, so no translator that must see I/O (trace,
// error-gen) is ever bypassed. A translator that needs to see neither
// reads nor writes may forward it explicitly (features/locks); one that
// must see writes may offer it under its own rules (cluster/replicate,
// for read-only opens).
//
// The FUSE bridge asks for every file handle it opens (fd.Flags are the
// open's flags) unless the kernel already caches the inode's pages for
// another handle; a later handle of an inode whose handles use a backing
// file is asked too, and whatever the answer, the kernel ties it to that
// same backing file (serving its reads and writes through the graph when
// the answer was no; a shared mapping of it maps the backing file).
type BackingFiler interface {
	// BackingFile returns the OS file descriptor behind fd, valid until
	// fd is released, or false if the kernel must not serve fd's I/O
	// from a backing file.
	BackingFile(fd *FD) (int, bool)
}

// ReadOnlyBackingFiler is a BackingFiler whose BackingFile answers
// false for every FD opened for writing (cluster/replicate, which must
// apply each write to every copy): every write through it reaches the
// graph. The FUSE bridge then lets the graph clear set-id bits on writes
// and truncates (FUSE_HANDLE_KILLPRIV_V2), which spares a GETXATTR of
// security.capability before each write(2).
type ReadOnlyBackingFiler interface {
	BackingFiler
	// BacksReadsOnly marks the promise; it does nothing.
	BacksReadsOnly()
}

// DownReasoner is implemented by translators that can say why they are not
// serving (protocol/client: the server's address and the connection
// error). Graph.WaitUp names these reasons when the top does not come up.
type DownReasoner interface {
	// DownReason is "" while the translator is up.
	DownReason() string
}

// Event is a notification that travels up the graph.
type Event int

// Events.
const (
	EventChildUp   Event = iota + 1 // a subvolume can serve fops
	EventChildDown                  // a subvolume can no longer serve fops
)

// String names the event.
func (e Event) String() string {
	switch e {
	case EventChildUp:
		return "child-up"
	case EventChildDown:
		return "child-down"
	}
	return "event(?)"
}

// Config is what a translator's constructor gets: its place in the graph,
// its validated options and a logger.
type Config struct {
	Name     string
	Type     string
	Children []Translator
	Options  *Options
	Log      *slog.Logger
}

// Node is the graph plumbing shared by Base and Leaf: name, type, children,
// parents, logger and event delivery.
type Node struct {
	name     string
	typ      string
	children []Translator
	log      *slog.Logger
	self     Translator

	mu      sync.Mutex
	parents []Translator
	onEvent func(Event, Translator) // set on roots by the graph
}

func newNode(cfg *Config) Node {
	lg := cfg.Log
	if lg == nil {
		lg = slog.Default()
	}
	return Node{name: cfg.Name, typ: cfg.Type, children: cfg.Children,
		log: lg.With("volume", cfg.Name, "type", cfg.Type)}
}

func (n *Node) node() *Node { return n }

// Name returns the volume name.
func (n *Node) Name() string { return n.name }

// Type returns the translator type.
func (n *Node) Type() string { return n.typ }

// Children returns the subvolumes in volfile order.
func (n *Node) Children() []Translator { return n.children }

// FirstChild returns the first subvolume, or nil for a leaf.
func (n *Node) FirstChild() Translator {
	if len(n.children) == 0 {
		return nil
	}
	return n.children[0]
}

// Log returns the translator's logger (tagged with volume and type).
func (n *Node) Log() *slog.Logger { return n.log }

// Parents returns the translators that have this one as a subvolume.
func (n *Node) Parents() []Translator {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Translator(nil), n.parents...)
}

// Emit sends ev to every parent as coming from this translator (and to the
// graph's listener if this is a root).
func (n *Node) Emit(ev Event) {
	n.mu.Lock()
	parents := append([]Translator(nil), n.parents...)
	hook := n.onEvent
	self := n.self
	n.mu.Unlock()
	for _, p := range parents {
		p.Notify(ev, self)
	}
	if hook != nil {
		hook(ev, self)
	}
}

// Notify forwards ev from a child to the parents, as this translator's own.
func (n *Node) Notify(ev Event, from Translator) { n.Emit(ev) }

// Fini does nothing; translators that hold resources override it.
func (n *Node) Fini() error { return nil }

// Attach wires t into a graph by hand: it records t as the parent of its
// children. The graph builder does this itself; tests that assemble
// translators directly call it.
func Attach(t Translator) {
	n := t.node()
	n.mu.Lock()
	n.self = t
	n.mu.Unlock()
	for _, ch := range n.children {
		cn := ch.node()
		cn.mu.Lock()
		cn.parents = append(cn.parents, t)
		cn.mu.Unlock()
	}
}

// SetEventListener makes fn receive the events t emits (used for the roots
// of a graph, which have no parent).
func SetEventListener(t Translator, fn func(Event, Translator)) {
	n := t.node()
	n.mu.Lock()
	n.onEvent = fn
	n.mu.Unlock()
}
