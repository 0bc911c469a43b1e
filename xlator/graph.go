package xlator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// Graph is a built stack of translators: one top (what is mounted), maybe
// extra roots (protocol/server volumes the top does not reach), and every
// translator in bottom-up order.
type Graph struct {
	top   Translator
	roots []Translator
	nodes []Translator // bottom-up: children before parents

	mu      sync.Mutex
	topUp   bool
	upCh    chan struct{}
	stopped bool
}

// BuildOptions tune Build.
type BuildOptions struct {
	// Top names the volume to use as the top; "" means the last volume
	// in the file, as in GlusterFS.
	Top string
	// Log is the parent logger for every translator.
	Log *slog.Logger
}

// Check validates specs as Build would (types, options, subvolumes,
// cycles, reachability) without constructing anything. It returns the
// name of the top volume.
func Check(specs []VolumeSpec, top string) (string, error) {
	p, err := plan(specs, top)
	if err != nil {
		return "", err
	}
	for _, i := range p.order {
		s := &specs[i]
		d, _ := Lookup(s.Type)
		if _, err := specOptions(d, s); err != nil {
			return "", err
		}
	}
	return specs[p.top].Name, nil
}

// specOptions validates a volume's options against its type's schema; a
// missing required option is reported at the volume's position.
func specOptions(d *Descriptor, s *VolumeSpec) (*Options, error) {
	opts, err := NewOptions(d.Options, s.Options, s.Name)
	var missing *MissingOptionError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("%s: volume %q (%s): required option %q is missing (%s)", s.Pos, s.Name, s.Type, missing.Key, missing.Help)
	}
	return opts, err
}

type buildPlan struct {
	top   int
	roots []int
	order []int // bottom-up
}

// plan checks the structure of specs and orders them bottom-up.
func plan(specs []VolumeSpec, top string) (*buildPlan, error) {
	if len(specs) == 0 {
		return nil, errors.New("volfile has no volumes")
	}
	index := map[string]int{}
	for i := range specs {
		s := &specs[i]
		if s.Name == "" {
			return nil, fmt.Errorf("%s: volume without a name", s.Pos)
		}
		if prev, dup := index[s.Name]; dup {
			return nil, fmt.Errorf("%s: volume %q defined twice (first at %s)", s.Pos, s.Name, specs[prev].Pos)
		}
		index[s.Name] = i
		if s.Type == "" {
			return nil, fmt.Errorf("%s: volume %q has no type", s.Pos, s.Name)
		}
		d, ok := Lookup(s.Type)
		if !ok {
			return nil, fmt.Errorf("%s: volume %q: unknown translator type %q (loom help lists the types)", firstPos(s.TypePos, s.Pos), s.Name, s.Type)
		}
		n := len(s.Subvolumes)
		if n < d.MinChildren || (d.MaxChildren >= 0 && n > d.MaxChildren) {
			return nil, fmt.Errorf("%s: volume %q: type %s takes %s, got %d", s.Pos, s.Name, s.Type, childRange(d), n)
		}
	}
	for i := range specs {
		seen := map[string]bool{}
		for _, ref := range specs[i].Subvolumes {
			if _, ok := index[ref.Name]; !ok {
				return nil, fmt.Errorf("%s: volume %q: subvolume %q is not defined", firstPos(ref.Pos, specs[i].Pos), specs[i].Name, ref.Name)
			}
			if seen[ref.Name] {
				return nil, fmt.Errorf("%s: volume %q: subvolume %q listed twice", firstPos(ref.Pos, specs[i].Pos), specs[i].Name, ref.Name)
			}
			seen[ref.Name] = true
		}
	}
	p := &buildPlan{top: len(specs) - 1}
	if top != "" {
		i, ok := index[top]
		if !ok {
			return nil, fmt.Errorf("volume %q (the requested top) is not defined", top)
		}
		p.top = i
	}
	// Depth-first post-order from each root gives a bottom-up order and
	// finds cycles (a volume met again while still on the stack).
	const (
		unseen = iota
		onStack
		done
	)
	state := make([]int, len(specs))
	var stack []string
	var visit func(i int) error
	visit = func(i int) error {
		switch state[i] {
		case done:
			return nil
		case onStack:
			cycle := append(stack[indexOf(stack, specs[i].Name):], specs[i].Name)
			return fmt.Errorf("%s: subvolumes form a cycle: %s", specs[i].Pos, strings.Join(cycle, " -> "))
		}
		state[i] = onStack
		stack = append(stack, specs[i].Name)
		for _, ref := range specs[i].Subvolumes {
			if err := visit(index[ref.Name]); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
		p.order = append(p.order, i)
		return nil
	}
	if err := visit(p.top); err != nil {
		return nil, err
	}
	p.roots = []int{p.top}
	for i := range specs {
		if d, _ := Lookup(specs[i].Type); d.Root && state[i] == unseen {
			if err := visit(i); err != nil {
				return nil, err
			}
			p.roots = append(p.roots, i)
		}
	}
	for i := range specs {
		if state[i] == unseen {
			// A cycle among unreached volumes is reported as such.
			if err := visit(i); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%s: volume %q is not used: neither the top volume %q nor a protocol/server reaches it", specs[i].Pos, specs[i].Name, specs[p.top].Name)
		}
	}
	return p, nil
}

func firstPos(a, b Pos) Pos {
	if a.Line != 0 {
		return a
	}
	return b
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return 0
}

func childRange(d *Descriptor) string {
	switch {
	case d.MaxChildren == 0:
		return "no subvolumes"
	case d.MinChildren == d.MaxChildren && d.MinChildren == 1:
		return "exactly one subvolume"
	case d.MinChildren == d.MaxChildren:
		return fmt.Sprintf("exactly %d subvolumes", d.MinChildren)
	case d.MaxChildren < 0:
		return fmt.Sprintf("at least %d subvolume(s)", d.MinChildren)
	}
	return fmt.Sprintf("%d to %d subvolumes", d.MinChildren, d.MaxChildren)
}

// Build validates specs and constructs every translator bottom-up. If any
// constructor fails, the ones already built are finalized in reverse order
// and the error names the volume.
func Build(specs []VolumeSpec, bo BuildOptions) (*Graph, error) {
	p, err := plan(specs, bo.Top)
	if err != nil {
		return nil, err
	}
	lg := bo.Log
	if lg == nil {
		lg = slog.Default()
	}
	g := &Graph{upCh: make(chan struct{})}
	built := map[string]Translator{}
	for _, i := range p.order {
		s := &specs[i]
		d, _ := Lookup(s.Type)
		opts, err := specOptions(d, s)
		if err != nil {
			g.finiAll()
			return nil, err
		}
		children := make([]Translator, len(s.Subvolumes))
		for j, ref := range s.Subvolumes {
			children[j] = built[ref.Name]
		}
		t, err := d.New(&Config{Name: s.Name, Type: s.Type, Children: children, Options: opts, Log: lg})
		if err != nil {
			g.finiAll()
			return nil, fmt.Errorf("%s: volume %q (%s): %w", s.Pos, s.Name, s.Type, err)
		}
		Attach(t)
		built[s.Name] = t
		g.nodes = append(g.nodes, t)
	}
	g.top = built[specs[p.top].Name]
	for _, r := range p.roots {
		g.roots = append(g.roots, built[specs[r].Name])
	}
	SetEventListener(g.top, g.topEvent)
	return g, nil
}

// New assembles a graph from translators built by hand (tests, embedding
// programs): top and every translator below it, already wired with
// Attach. It finds them by walking the children.
func New(top Translator) *Graph {
	g := &Graph{top: top, roots: []Translator{top}, upCh: make(chan struct{})}
	seen := map[Translator]bool{}
	var walk func(t Translator)
	walk = func(t Translator) {
		if seen[t] {
			return
		}
		seen[t] = true
		for _, c := range t.Children() {
			walk(c)
		}
		g.nodes = append(g.nodes, t)
	}
	walk(top)
	SetEventListener(top, g.topEvent)
	return g
}

func (g *Graph) topEvent(ev Event, _ Translator) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch ev {
	case EventChildUp:
		if !g.topUp {
			g.topUp = true
			close(g.upCh)
		}
	case EventChildDown:
		if g.topUp {
			g.topUp = false
			g.upCh = make(chan struct{})
		}
	}
}

// Top returns the top translator.
func (g *Graph) Top() Translator { return g.top }

// Roots returns the top followed by any extra roots (protocol/server).
func (g *Graph) Roots() []Translator { return g.roots }

// Translators returns every translator, children before parents.
func (g *Graph) Translators() []Translator { return g.nodes }

// Find returns the translator with the given volume name.
func (g *Graph) Find(name string) Translator {
	for _, t := range g.nodes {
		if t.Name() == name {
			return t
		}
	}
	return nil
}

// Start calls Start on every translator that has it, bottom-up. If one
// fails, the graph is stopped (every translator finalized) and the error
// names the volume.
func (g *Graph) Start(ctx context.Context) error {
	for _, t := range g.nodes {
		if s, ok := t.(Starter); ok {
			if err := s.Start(ctx); err != nil {
				g.Stop()
				return fmt.Errorf("start volume %q (%s): %w", t.Name(), t.Type(), err)
			}
		}
	}
	return nil
}

// WaitUp waits until the top has reported child-up (every leaf it needs is
// serving) or ctx ends.
func (g *Graph) WaitUp(ctx context.Context) error {
	g.mu.Lock()
	ch := g.upCh
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		if why := g.downReasons(); why != "" {
			return fmt.Errorf("volume %q did not come up: %s: %w", g.top.Name(), why, ctx.Err())
		}
		return fmt.Errorf("waiting for volume %q to come up: %w", g.top.Name(), ctx.Err())
	}
}

// downReasons joins what each translator that can tell says about why it
// is down ("client0: connect 127.0.0.1:24007: connection refused").
func (g *Graph) downReasons() string {
	var why []string
	for _, t := range g.nodes {
		if r, ok := t.(DownReasoner); ok {
			if s := r.DownReason(); s != "" {
				why = append(why, t.Name()+": "+s)
			}
		}
	}
	return strings.Join(why, "; ")
}

// IsUp reports whether the top is currently up.
func (g *Graph) IsUp() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.topUp
}

// Stop finalizes every translator top-down, once. It returns the first
// error, after trying them all.
func (g *Graph) Stop() error {
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return nil
	}
	g.stopped = true
	g.mu.Unlock()
	return g.finiAll()
}

func (g *Graph) finiAll() error {
	var first error
	for i := len(g.nodes) - 1; i >= 0; i-- {
		t := g.nodes[i]
		if err := t.Fini(); err != nil {
			slog.Warn("fini failed", "volume", t.Name(), "type", t.Type(), "err", err)
			if first == nil {
				first = fmt.Errorf("stop volume %q: %w", t.Name(), err)
			}
		}
	}
	return first
}
