// Package trace is the debug/trace translator: it logs every fop that
// passes through it with log/slog — its arguments (paths, GFIDs, offsets,
// sizes, flags, names; never data contents), its result and its latency —
// and forwards it unchanged. It is GlusterFS's debug/trace.
package trace

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// Type is the registered translator type.
const Type = "debug/trace"

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        Type,
		Doc:         "logs every fop with its arguments, result and latency",
		New:         New,
		Options:     Options,
		MinChildren: 1,
		MaxChildren: 1,
	})
}

// Options is the option schema of debug/trace.
var Options = []xlator.OptionDef{
	{Key: "log-level", Type: xlator.TypeEnum, Default: "info", Allowed: []string{"debug", "info", "warn", "error"},
		Help: "the slog level fop lines are logged at"},
	{Key: "include-fops", Type: xlator.TypeStringList,
		Help: "trace only these fops (names such as lookup, write, copy_file_range); empty traces all"},
	{Key: "exclude-fops", Type: xlator.TypeStringList,
		Help: "never trace these fops"},
	{Key: "slow-threshold", Type: xlator.TypeDuration, Default: "0",
		Help: "log only fops that took at least this long; 0 logs every fop"},
}

// config is the part of the translator that reconfigure replaces.
type config struct {
	level  slog.Level
	traced map[string]bool // by fop name, as xlator.FopNames gives them
	slow   time.Duration
}

// Trace logs every fop it forwards.
type Trace struct {
	xlator.Base
	cfg atomic.Pointer[config]
}

// New builds a debug/trace translator from cfg.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	c, err := parseConfig(cfg.Options)
	if err != nil {
		return nil, err
	}
	t := &Trace{Base: xlator.NewBase(cfg)}
	t.cfg.Store(c)
	return t, nil
}

// Reconfigure applies changed options on a live graph.
func (t *Trace) Reconfigure(opts *xlator.Options) error {
	c, err := parseConfig(opts)
	if err != nil {
		return err
	}
	t.cfg.Store(c)
	return nil
}

func parseConfig(opts *xlator.Options) (*config, error) {
	c := &config{slow: opts.Duration("slow-threshold"), traced: map[string]bool{}}
	if err := c.level.UnmarshalText([]byte(opts.String("log-level"))); err != nil {
		return nil, fmt.Errorf("option log-level: %w", err)
	}
	include, err := xlator.CanonicalFops("include-fops", opts.List("include-fops"))
	if err != nil {
		return nil, err
	}
	exclude, err := xlator.CanonicalFops("exclude-fops", opts.List("exclude-fops"))
	if err != nil {
		return nil, err
	}
	for _, name := range xlator.FopNames() {
		c.traced[name] = len(include) == 0 || include[name]
	}
	for name := range exclude {
		c.traced[name] = false
	}
	return c, nil
}

// begin reports whether fop is traced and, if so, the time it starts.
func (t *Trace) begin(fop string) (time.Time, bool) {
	if !t.cfg.Load().traced[fop] {
		return time.Time{}, false
	}
	return time.Now(), true
}

// slow reports how long the fop took and whether that is long enough to log.
func (t *Trace) slow(start time.Time) (time.Duration, bool) {
	d := time.Since(start)
	return d, d >= t.cfg.Load().slow
}

// emit writes the line of one fop: its name as the message, the caller,
// the arguments, the result and the latency.
func (t *Trace) emit(ctx context.Context, fop string, c *xlator.Call, d time.Duration, err error, attrs ...slog.Attr) {
	lg := t.Log()
	level := t.cfg.Load().level
	if !lg.Enabled(ctx, level) {
		return
	}
	all := make([]slog.Attr, 0, len(attrs)+6)
	if c != nil {
		all = append(all, slog.Any("uid", c.UID), slog.Any("gid", c.GID), slog.Any("pid", c.PID))
	}
	all = append(all, attrs...)
	if err != nil {
		all = append(all, slog.String("result", xlator.Errno(err).Error()), slog.String("err", err.Error()))
	} else {
		all = append(all, slog.String("result", "ok"))
	}
	all = append(all, slog.Duration("latency", d))
	lg.LogAttrs(ctx, level, fop, all...)
}

// done reports, for a traced fop, how long it took and whether that is
// long enough to log.
func (t *Trace) done(start time.Time, on bool) (time.Duration, bool) {
	if !on {
		return 0, false
	}
	return t.slow(start)
}

// whenceName names lseek's whence for Seek.
func whenceName(whence int) string {
	switch whence {
	case 3:
		return "SEEK_DATA"
	case 4:
		return "SEEK_HOLE"
	}
	return fmt.Sprintf("whence(%d)", whence)
}
