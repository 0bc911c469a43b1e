// Package readonly is the features/read-only translator: with the option
// read-only on (the default) every fop that would change the volume fails
// with EROFS before it reaches the subvolume; reads, lookups, listings and
// locks pass through. It is GlusterFS's features/read-only.
package readonly

import (
	"context"
	"sync/atomic"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// Type is the registered translator type.
const Type = "features/read-only"

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        Type,
		Doc:         "refuses every modifying fop with EROFS; reads and lookups pass",
		New:         New,
		Options:     Options,
		MinChildren: 1,
		MaxChildren: 1,
	})
}

// Options is the option schema of features/read-only.
var Options = []xlator.OptionDef{
	{Key: "read-only", Type: xlator.TypeBool, Default: "on",
		Help: "refuse modifying fops with EROFS; off makes the translator a plain passthrough"},
}

// ReadOnly refuses modifying fops while its read-only option is on.
type ReadOnly struct {
	xlator.Base
	on atomic.Bool
}

// New builds a features/read-only translator from cfg.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	r := &ReadOnly{Base: xlator.NewBase(cfg)}
	r.on.Store(cfg.Options.Bool("read-only"))
	return r, nil
}

// Reconfigure switches read-only on or off on a live graph.
func (r *ReadOnly) Reconfigure(opts *xlator.Options) error {
	on := opts.Bool("read-only")
	if r.on.Swap(on) != on {
		r.Log().Info("read-only changed", "read-only", on)
	}
	return nil
}

// SetReadOnly switches read-only on or off (the Go form of Reconfigure).
func (r *ReadOnly) SetReadOnly(on bool) { r.on.Store(on) }

// IsReadOnly reports whether modifying fops are refused.
func (r *ReadOnly) IsReadOnly() bool { return r.on.Load() }

// refuse returns EROFS, annotated with the fop and path, when read-only
// is on.
func (r *ReadOnly) refuse(op, path string) error {
	if r.on.Load() {
		return xlator.Wrap(op, path, syscall.EROFS)
	}
	return nil
}

// writeFlags are the open(2) flags that ask to change a file.
const writeFlags = syscall.O_WRONLY | syscall.O_RDWR | syscall.O_TRUNC | syscall.O_APPEND | syscall.O_CREAT

// Open refuses opening for writing or truncation.
func (r *ReadOnly) Open(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	if fd.Flags&writeFlags != 0 {
		if err := r.refuse("open", fd.Loc.Path); err != nil {
			return err
		}
	}
	return r.Base.Open(ctx, c, fd)
}
