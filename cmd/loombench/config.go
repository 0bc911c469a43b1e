package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// Config is everything one run is told by its flags.
type Config struct {
	Rounds  int
	Quick   bool
	JSON    bool
	Only    []string
	Groups  []string
	Timeout time.Duration
	WorkDir string

	SeqSize   int64 // bytes written and read sequentially
	Block     int   // sequential block size
	RandSize  int64 // size of the random-I/O file
	RandBlock int   // random I/O size (O_DIRECT: a multiple of 4096)
	RandOps   int   // operations per random phase
	Files     int   // small files
	Dirs      int   // directories the small files are spread over
	SmallSize int   // bytes per small file
	TmpfsSize string

	LoopbackBin string
	LoomBin     string
	LoomArgs    []string
	LoopArgs    []string
	ProfileDir  string
	StraceDir   string
	// HealOnDisk puts the heal group's tree, copy and bricks on the
	// disk under WorkDir instead of the run's tmpfs.
	HealOnDisk bool
}

// fullSizes are the documented sizes of a real run.
func (c *Config) fullSizes() {
	c.SeqSize, c.Block = 1<<30, 1<<20
	c.RandSize, c.RandBlock, c.RandOps = 256<<20, 4096, 20000
	c.Files, c.Dirs, c.SmallSize = 10000, 100, 4096
	c.TmpfsSize = "3g"
}

// quickSizes are for a smoke run (-quick): seconds, not minutes.
func (c *Config) quickSizes() {
	c.SeqSize, c.Block = 32<<20, 1<<20
	c.RandSize, c.RandBlock, c.RandOps = 16<<20, 4096, 500
	c.Files, c.Dirs, c.SmallSize = 300, 10, 4096
	c.TmpfsSize = "256m"
}

// parseFlags turns the command line into a Config.
func parseFlags(args []string, stderr io.Writer) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("loombench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: loombench [flags]\n\nRuns the same workloads on native tmpfs, go-fuse loopback and Loom, in turns,\nand prints medians and ratios to loopback. Needs root and /dev/fuse.\n\n")
		fs.PrintDefaults()
	}
	fs.IntVar(&c.Rounds, "rounds", 7, "rounds; each round visits every target, order reversed every other round")
	fs.BoolVar(&c.Quick, "quick", false, "smoke run: small sizes and one round (unless -rounds is given)")
	fs.BoolVar(&c.JSON, "json", false, "print the results as JSON instead of a table")
	only := fs.String("only", strings.Join(targetNames(), ","), "comma-separated targets to run: "+strings.Join(targetNames(), ","))
	groups := fs.String("groups", strings.Join(defaultGroups, ","), "comma-separated workload groups: "+strings.Join(workloadGroups, ","))
	fs.DurationVar(&c.Timeout, "timeout", 30*time.Minute, "abort (and clean up) after this long")
	fs.StringVar(&c.WorkDir, "workdir", os.TempDir(), "parent of the run's private directory")
	fs.StringVar(&c.LoopbackBin, "loopback-bin", "", "prebuilt go-fuse loopback binary (default: build it)")
	fs.StringVar(&c.LoomBin, "loom-bin", "", "prebuilt loom binary (default: build ./cmd/loom)")
	loomArgs := fs.String("loom-args", "", "extra space-separated arguments for `loom mount` (e.g. \"-o entry_timeout=2\")")
	loopArgs := fs.String("loopback-args", "", "extra space-separated flags for both loopback targets (e.g. -allow-other, which adds default_permissions)")
	fs.StringVar(&c.ProfileDir, "cpuprofile-dir", "", "write each daemon's CPU profile (<target>.pprof; loom-net2's loom serve: <target>-server.pprof) into this directory")
	fs.BoolVar(&c.HealOnDisk, "heal-on-disk", false, "run the heal group (its tree, cp -a's copy and the bricks) in the run's directory under -workdir, on disk, instead of on the tmpfs")
	fs.StringVar(&c.StraceDir, "strace-dir", "", "run each daemon under `strace -f -c` and write <target>.strace here (slow: for syscall counts only)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	roundsSet := false
	fs.Visit(func(f *flag.Flag) { roundsSet = roundsSet || f.Name == "rounds" })
	if c.Quick {
		c.quickSizes()
		if !roundsSet {
			c.Rounds = 1
		}
	} else {
		c.fullSizes()
	}
	if c.Rounds < 1 {
		return nil, fmt.Errorf("-rounds: must be at least 1, got %d", c.Rounds)
	}
	var err error
	if c.Only, err = parseOnly(*only); err != nil {
		return nil, err
	}
	if c.Groups, err = parseGroups(*groups); err != nil {
		return nil, err
	}
	c.LoomArgs = strings.Fields(*loomArgs)
	c.LoopArgs = strings.Fields(*loopArgs)
	return c, nil
}

// targetNames lists every known target in table order.
func targetNames() []string {
	var names []string
	for _, f := range targetFactories {
		names = append(names, f().Name())
	}
	return names
}

// parseOnly validates -only; the table keeps the canonical order.
func parseOnly(s string) ([]string, error) {
	want := map[string]bool{}
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	var out []string
	for _, n := range targetNames() {
		if want[n] {
			out = append(out, n)
			delete(want, n)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("-only: unknown target %q (known: %s)", n, strings.Join(targetNames(), ","))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-only: no target named")
	}
	return out, nil
}
