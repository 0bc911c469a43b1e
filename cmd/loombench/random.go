package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
)

// prepareRand writes the cfg.RandSize file that rand-read and rand-write
// use (untimed), then drops caches.
func prepareRand(ctx context.Context, v *visit) error {
	p := randPath(v)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("rand prepare: %w", err)
	}
	for off := int64(0); off < v.cfg.RandSize; off += int64(len(v.bufs.block)) {
		if _, err := f.Write(v.bufs.block); err != nil {
			f.Close()
			return fmt.Errorf("rand prepare %s: %w", p, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("rand prepare %s: %w", p, err)
	}
	return dropCaches(v.dir)
}

// randOffsets returns the aligned offsets of one phase. The sequence
// depends only on the round and the phase, so every target in a round
// sees the same offsets.
func randOffsets(v *visit, phase uint64) []int64 {
	rng := rand.New(rand.NewPCG(uint64(v.round), phase))
	blocks := v.cfg.RandSize / int64(v.cfg.RandBlock)
	offs := make([]int64, v.cfg.RandOps)
	for i := range offs {
		offs[i] = rng.Int64N(blocks) * int64(v.cfg.RandBlock)
	}
	return offs
}

// randRead does cfg.RandOps preads of cfg.RandBlock bytes at random
// aligned offsets with O_DIRECT, so every read reaches the filesystem.
func randRead(ctx context.Context, v *visit) (float64, error) {
	offs := randOffsets(v, 1)
	p := randPath(v)
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_DIRECT, 0)
	if err != nil {
		return 0, fmt.Errorf("rand-read: %w", err)
	}
	defer f.Close()
	for i, off := range offs {
		if err := checkCtx(ctx, i); err != nil {
			return 0, err
		}
		n, err := f.ReadAt(v.bufs.direct, off)
		if err != nil || n != len(v.bufs.direct) {
			return 0, fmt.Errorf("rand-read %s at %d: %d bytes: %w", p, off, n, err)
		}
	}
	return float64(len(offs)), nil
}

// randWrite does cfg.RandOps pwrites of cfg.RandBlock bytes at random
// aligned offsets with O_DIRECT, then one fsync (timed).
func randWrite(ctx context.Context, v *visit) (float64, error) {
	offs := randOffsets(v, 2)
	p := randPath(v)
	f, err := os.OpenFile(p, os.O_WRONLY|syscall.O_DIRECT, 0)
	if err != nil {
		return 0, fmt.Errorf("rand-write: %w", err)
	}
	for i, off := range offs {
		if err := checkCtx(ctx, i); err != nil {
			f.Close()
			return 0, err
		}
		if _, err := f.WriteAt(v.bufs.direct, off); err != nil {
			f.Close()
			return 0, fmt.Errorf("rand-write %s at %d: %w", p, off, err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, fmt.Errorf("rand-write fsync %s: %w", p, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("rand-write close %s: %w", p, err)
	}
	return float64(len(offs)), nil
}

func removeRand(ctx context.Context, v *visit) error {
	if err := os.Remove(randPath(v)); err != nil {
		return fmt.Errorf("rand cleanup: %w", err)
	}
	return nil
}
