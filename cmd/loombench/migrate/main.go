// Command migrate is loombench's migration benchmark: it generates one
// tree (the fidelity tree of integration/treegen plus a bulk of files of
// mixed sizes, a multi-GiB sparse file, links and xattrs) and copies it
// to an empty directory with each method in turn — cp -a, rsync -aHAX,
// loom migrate (direct and through protocol/server+client) and, when
// installed, GlusterFS replica heal — timing each from start to a
// durable, complete copy, and verifying each result entry by entry
// against the tree as it was. It prints a table with each method's time,
// its ratio to cp -a and what it failed to carry over.
//
//	go run ./cmd/loombench/migrate [-size 1GiB] [-files 5000] [-workdir DIR]
//
// It needs root. See docs/benchmarks.md, "Migration".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// config is the benchmark's flags.
type config struct {
	size    int64
	files   int
	sparse  int64
	wide    int
	workdir string
	loomBin string
	methods []string
	rounds  int
	keep    bool
}

func main() {
	c := &config{}
	fs := flag.NewFlagSet("migrate", flag.ExitOnError)
	size := fs.String("size", "1GiB", "bytes of the bulk files (KiB, MiB, GiB suffixes)")
	sparse := fs.String("sparse", "4GiB", "apparent size of the sparse file")
	fs.IntVar(&c.files, "files", 5000, "bulk files, in nested directories")
	fs.IntVar(&c.wide, "wide", 2000, "entries of the wide directory")
	fs.StringVar(&c.workdir, "workdir", "/var/tmp", "parent of the run's directory (a disk file system, not tmpfs)")
	fs.StringVar(&c.loomBin, "loom-bin", "", "prebuilt loom binary (default: build ./cmd/loom)")
	methods := fs.String("methods", strings.Join(methodNames(), ","), "methods to run, in order")
	fs.IntVar(&c.rounds, "rounds", 1, "times each method runs (the median is reported)")
	fs.BoolVar(&c.keep, "keep", false, "keep the run's directory")
	fs.Parse(os.Args[1:])
	var err error
	if c.size, err = parseSize(*size); err != nil {
		fatal(err)
	}
	if c.sparse, err = parseSize(*sparse); err != nil {
		fatal(err)
	}
	c.methods = strings.Split(*methods, ",")
	for _, m := range c.methods {
		if findMethod(m) == nil {
			fatal(fmt.Errorf("-methods: unknown method %q (known: %s)", m, strings.Join(methodNames(), ",")))
		}
	}
	if os.Geteuid() != 0 {
		fatal(fmt.Errorf("needs root (device nodes, owners, trusted xattrs, mounts)"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "loombench migrate: %v\n", err)
	os.Exit(1)
}

// parseSize reads 123, 4KiB, 5MiB, 1GiB.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
		}
	}
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// run generates the tree and times each method.
func run(ctx context.Context, c *config) error {
	dir, err := os.MkdirTemp(c.workdir, "loom-migbench-")
	if err != nil {
		return err
	}
	os.Chmod(dir, 0o755)
	if !c.keep {
		defer os.RemoveAll(dir)
	}
	if c.loomBin == "" {
		c.loomBin = filepath.Join(dir, "loom")
		if err := buildLoom(c.loomBin); err != nil {
			return err
		}
	}
	b := &bench{c: c, dir: dir, old: filepath.Join(dir, "old")}
	if err := b.generate(); err != nil {
		return err
	}
	var results []*result
	for _, name := range c.methods {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res := b.measure(ctx, findMethod(name))
		results = append(results, res)
		fmt.Fprintf(os.Stderr, "%s: %s\n", name, res.summary())
	}
	printTable(os.Stdout, b, results)
	return nil
}

func elapsed(start time.Time) time.Duration { return time.Since(start).Round(10 * time.Millisecond) }
