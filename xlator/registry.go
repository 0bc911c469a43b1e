package xlator

import (
	"fmt"
	"sort"
	"sync"
)

// Factory builds a translator from its configuration: it validates what the
// schema cannot express and opens its resources (GlusterFS's init). On
// error it must release anything it acquired.
type Factory func(cfg *Config) (Translator, error)

// Descriptor describes a translator type for the registry.
type Descriptor struct {
	Type        string // "category/name", such as "storage/posix"
	Doc         string // one line: what it does
	New         Factory
	Options     []OptionDef
	MinChildren int // subvolumes required
	MaxChildren int // subvolumes allowed; -1 for no limit
	// Root marks types that may stand as an extra root of a graph, not
	// reached from the top (protocol/server): they are started in the
	// same process, as in GlusterFS's single-file volfiles.
	Root bool
}

var (
	registryMu sync.RWMutex
	registry   = map[string]*Descriptor{}
)

// Register adds a translator type. It panics if the type is registered
// twice or the descriptor is incomplete, since both are programming errors.
func Register(d Descriptor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if d.Type == "" || d.New == nil {
		panic(fmt.Sprintf("xlator: Register(%q): type and New are required", d.Type))
	}
	if _, dup := registry[d.Type]; dup {
		panic(fmt.Sprintf("xlator: translator type %q registered twice", d.Type))
	}
	seen := map[string]bool{}
	for _, o := range d.Options {
		if seen[o.Key] {
			panic(fmt.Sprintf("xlator: %s declares option %q twice", d.Type, o.Key))
		}
		seen[o.Key] = true
		if o.Default != "" {
			if err := o.check(o.Default); err != nil {
				panic(fmt.Sprintf("xlator: %s option %q: bad default: %v", d.Type, o.Key, err))
			}
		}
	}
	dd := d
	registry[d.Type] = &dd
}

// Lookup returns the descriptor of a registered type.
func Lookup(typ string) (*Descriptor, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	d, ok := registry[typ]
	return d, ok
}

// Types returns the registered type names, sorted.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
