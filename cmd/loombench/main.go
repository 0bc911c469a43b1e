// Command loombench runs the same file-system workloads on the native
// directory, go-fuse's loopback example and Loom graphs, all on a private
// tmpfs, in turns over several rounds, and prints each target's median
// and its ratio to loopback. `make bench` runs it; see docs/benchmarks.md.
//
// It needs root and /dev/fuse, and always unmounts what it mounted and
// stops the daemons it started, on Ctrl-C and on -timeout too.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	args := os.Args[1:]
	cfg, err := parseFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loombench: %v\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeoutCause(ctx, cfg.Timeout, fmt.Errorf("-timeout %v reached", cfg.Timeout))
	defer cancel()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	if err := run(ctx, cfg, args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "loombench: %v\n", err)
		os.Exit(1)
	}
}
