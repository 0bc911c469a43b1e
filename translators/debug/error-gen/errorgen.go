// Package errorgen is the debug/error-gen translator, a fault injector: it
// fails chosen fops with a chosen errno, at a rate or on a schedule, and
// forwards everything else unchanged. Tests also drive it from Go: Kill
// makes it a brick that has gone away (every fop fails with ENOTCONN and
// child-down travels up the graph) and Revive brings it back. It is
// modelled on GlusterFS's debug/error-gen.
package errorgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// Type is the registered translator type.
const Type = "debug/error-gen"

func init() {
	xlator.Register(xlator.Descriptor{
		Type:        Type,
		Doc:         "fails chosen fops with a chosen errno, at a rate or on a schedule (fault injection)",
		New:         New,
		Options:     Options,
		MinChildren: 1,
		MaxChildren: 1,
	})
}

// Options is the option schema of debug/error-gen.
var Options = []xlator.OptionDef{
	{Key: "failure", Type: xlator.TypePercent, Default: "0",
		Help: "percentage of the enabled fops to fail; 0 fails none, 100 fails all"},
	{Key: "error-no", Type: xlator.TypeEnum, Default: "EIO", Allowed: errnoNames(),
		Help: "the errno injected failures return"},
	{Key: "enable", Type: xlator.TypeStringList, Default: "all",
		Help: "the fops that may fail (names such as lookup, write, copy_file_range), or all (every fop but release and releasedir)"},
	{Key: "random-failure", Type: xlator.TypeBool, Default: "off",
		Help: "choose failing calls at random at the failure rate; off fails calls at an exact, even pace"},
	{Key: "fail-after", Type: xlator.TypeInt, Default: "0", Min: 0, Max: 1_000_000_000,
		Help: "let this many calls of enabled fops succeed before failing any"},
	{Key: "fail-count", Type: xlator.TypeInt, Default: "0", Min: 0, Max: 1_000_000_000,
		Help: "stop failing after this many injected failures; 0 means no limit"},
	{Key: "seed", Type: xlator.TypeInt, Default: "0", Min: 0, Max: 1_000_000_000,
		Help: "seed of random-failure, for repeatable runs; 0 seeds from the clock"},
}

// Settings are what error-gen injects; the options set them, and Apply
// changes them on a live graph.
type Settings struct {
	Failure   float64       // percent of enabled calls to fail, 0..100
	Errno     syscall.Errno // what failures return
	Fops      []string      // fops that may fail; nil means all (but release and releasedir)
	Random    bool          // pick failing calls at random
	FailAfter int64         // enabled calls that succeed first
	FailCount int64         // failures before stopping; 0 is no limit
	Seed      uint64        // random seed; 0 seeds from the clock
}

// exemptFromAll are the fops "all" leaves alone: they close what was
// opened, and GlusterFS's error-gen never fails them either.
var exemptFromAll = []string{"release", "releasedir"}

// ErrorGen injects failures into the fops it forwards.
type ErrorGen struct {
	xlator.Base

	ctl sync.Mutex // orders Apply, Kill, Revive and Notify, and the events they send

	mu         sync.Mutex
	set        Settings
	beforeKill Settings // what Revive restores
	enabled    map[string]bool
	rng        *rand.Rand
	calls      int64   // enabled calls seen since the settings changed
	failed     int64   // failures injected since the settings changed
	acc        float64 // the even pace: fail when it reaches 100
	childUp    bool    // the child's last event was child-up
}

// New builds a debug/error-gen translator from cfg.
func New(cfg *xlator.Config) (xlator.Translator, error) {
	s, err := settingsFrom(cfg.Options)
	if err != nil {
		return nil, err
	}
	e := &ErrorGen{Base: xlator.NewBase(cfg)}
	if err := e.install(s); err != nil {
		return nil, err
	}
	return e, nil
}

// settingsFrom reads Settings from validated options.
func settingsFrom(opts *xlator.Options) (Settings, error) {
	s := Settings{
		Failure:   opts.Percent("failure"),
		Errno:     errnos[opts.String("error-no")],
		Random:    opts.Bool("random-failure"),
		FailAfter: opts.Int("fail-after"),
		FailCount: opts.Int("fail-count"),
		Seed:      uint64(opts.Int("seed")),
	}
	if list := opts.List("enable"); !(len(list) == 1 && list[0] == "all") {
		fops, err := xlator.CanonicalFops("enable", list)
		if err != nil {
			return s, err
		}
		for _, name := range xlator.FopNames() {
			if fops[name] {
				s.Fops = append(s.Fops, name)
			}
		}
	}
	return s, nil
}

// install validates s and makes it current, resetting the schedule. The
// caller holds no lock.
func (e *ErrorGen) install(s Settings) error {
	if s.Failure < 0 || s.Failure > 100 {
		return fmt.Errorf("error-gen: failure %v is outside 0..100", s.Failure)
	}
	if s.Errno == 0 {
		s.Errno = syscall.EIO
	}
	if s.FailAfter < 0 || s.FailCount < 0 {
		return fmt.Errorf("error-gen: fail-after and fail-count must not be negative")
	}
	enabled := map[string]bool{}
	if s.Fops == nil {
		for _, name := range xlator.FopNames() {
			enabled[name] = !slices.Contains(exemptFromAll, name)
		}
	} else {
		fops, err := xlator.CanonicalFops("enable", s.Fops)
		if err != nil {
			return err
		}
		enabled = fops
	}
	seed := s.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	e.mu.Lock()
	e.set = s
	e.enabled = enabled
	e.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	e.calls, e.failed, e.acc = 0, 0, 0
	e.mu.Unlock()
	return nil
}

// Settings returns the current settings.
func (e *ErrorGen) Settings() Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.set
	s.Fops = slices.Clone(s.Fops)
	return s
}

// Failed returns how many failures were injected since the settings last
// changed.
func (e *ErrorGen) Failed() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failed
}
