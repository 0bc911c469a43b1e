// Package delay is an example translator, debug/delay: it makes reads and
// writes slower by a fixed latency, to see how an application copes with
// a slow disk. Every other fop passes straight through.
package delay

import (
	"context"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
)

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        "debug/delay",
		Doc:         "adds a fixed latency to every read and write",
		New:         New,
		Options:     Options,
		MinChildren: 1,
		MaxChildren: 1,
	})
}

// Options is the option schema of debug/delay.
var Options = []xlator.OptionDef{
	{Key: "latency", Type: xlator.TypeDuration, Default: "10ms",
		Help: "how long each read and write waits before it is passed on"},
}

// Delay slows down reads and writes; xlator.Base forwards the rest.
type Delay struct {
	xlator.Base
	latency time.Duration
}

// New builds a debug/delay translator from its configuration.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	return &Delay{Base: xlator.NewBase(cfg), latency: cfg.Options.Duration("latency")}, nil
}

// wait sleeps for the latency. If the caller gives up first (FUSE
// cancels a request when its process gets a signal) it answers EINTR:
// fops return errnos.
func (d *Delay) wait(ctx context.Context) error {
	select {
	case <-time.After(d.latency):
		return nil
	case <-ctx.Done():
		return syscall.EINTR
	}
}

// Read waits, then reads.
func (d *Delay) Read(ctx context.Context, c *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	if err := d.wait(ctx); err != nil {
		return 0, err
	}
	return d.Base.Read(ctx, c, fd, dest, off)
}

// Write waits, then writes.
func (d *Delay) Write(ctx context.Context, c *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	if err := d.wait(ctx); err != nil {
		return 0, err
	}
	return d.Base.Write(ctx, c, fd, data, off)
}
