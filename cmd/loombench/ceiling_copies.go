package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A replica target writes every byte once per brick, and its bricks live
// on the run's tmpfs like every other target's files, so memory bandwidth
// bounds its sequential write. The copies ceiling measures that bound in
// the same run, with no FUSE and no Loom, once per round before the
// round's workloads (when loom-replica2 is selected):
//
//   - tmpfs-1-copy: SeqSize bytes written in Block writes to one new file
//     on the scratch tmpfs, then fsync: what loopback's passthrough
//     write does (MiB/s).
//   - tmpfs-2-copies: the same bytes written to two new files at once,
//     one goroutine each, as replicate's parallel fan-out of a large
//     write does: MiB/s of the caller's data, each byte stored twice.
//
// tmpfs-2-copies / tmpfs-1-copy is the most replicate(2) could reach
// against loopback on seq-write if nothing but the two stores cost
// anything (replicate also copies each byte out of /dev/fuse first).

// copiesTargets are the targets whose seq-write the copies ceiling
// bounds.
var copiesTargets = []string{"loom-replica2"}

// needsCopiesCeiling reports whether a replica target and the seq group
// are selected.
func needsCopiesCeiling(cfg *Config) bool {
	if !contains(cfg.Groups, "seq") {
		return false
	}
	for _, n := range copiesTargets {
		if contains(cfg.Only, n) {
			return true
		}
	}
	return false
}

// measureCopiesCeiling runs both measurements once in a directory of its
// own under the scratch tmpfs and adds them to res; a failure is reported
// and skipped (the targets still run).
func measureCopiesCeiling(ctx context.Context, cfg *Config, env *Env, res *Results, stderr io.Writer) {
	dir, err := os.MkdirTemp(env.Scratch, "copies-ceiling-")
	if err != nil {
		fmt.Fprintf(stderr, "loombench: copies ceiling: %v\n", err)
		return
	}
	defer os.RemoveAll(dir)
	block := make([]byte, cfg.Block)
	for i := range block {
		block[i] = byte(i*7 + 1)
	}
	for _, copies := range []int{1, 2} {
		name := "tmpfs-1-copy"
		if copies == 2 {
			name = "tmpfs-2-copies"
		}
		rate, err := writeCopies(ctx, dir, copies, block, cfg.SeqSize)
		if err != nil {
			fmt.Fprintf(stderr, "loombench: copies ceiling %s: %v\n", name, err)
			continue
		}
		fmt.Fprintf(stderr, "loombench: copies ceiling %-14s %10s MiB/s\n", name, formatRate(rate))
		res.CopiesCeiling = addSample(res.CopiesCeiling, name, "MiB/s", rate)
	}
}

// writeCopies writes size bytes in len(block) writes to each of copies
// new files in dir at once, fsyncs them and removes them; it returns the
// rate of the caller's data (size, not copies*size) in MiB/s.
func writeCopies(ctx context.Context, dir string, copies int, block []byte, size int64) (float64, error) {
	n := size / int64(len(block))
	errs := make([]error, copies)
	var wg sync.WaitGroup
	t0 := time.Now()
	for c := 0; c < copies; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := filepath.Join(dir, fmt.Sprintf("copy%d", c))
			defer os.Remove(p)
			errs[c] = writeOneCopy(ctx, p, block, n)
		}()
	}
	wg.Wait()
	elapsed := time.Since(t0)
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return float64(n*int64(len(block))) / mib / elapsed.Seconds(), nil
}

// writeOneCopy creates p and writes block n times, then fsyncs it.
func writeOneCopy(ctx context.Context, p string, block []byte, n int64) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	for i := int64(0); i < n; i++ {
		if err := checkCtx(ctx, int(i)); err != nil {
			return err
		}
		if _, err := f.Write(block); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", p, err)
	}
	return f.Close()
}
