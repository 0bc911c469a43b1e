package main

import (
	"fmt"
	"math/rand/v2"
	"syscall"

	"golang.org/x/sys/unix"
)

// buffers are allocated once per run and reused by every visit, so no
// workload measures the Go allocator.
type buffers struct {
	// block is one sequential-I/O block of pseudo-random bytes (nothing
	// below can shortcut zeros).
	block []byte
	// read is a block-sized buffer to read into.
	read []byte
	// direct is page-aligned (mmap), as O_DIRECT requires.
	direct []byte
	// small is the content of every small file.
	small []byte
}

func newBuffers(cfg *Config) (*buffers, error) {
	direct, err := syscall.Mmap(-1, 0, cfg.RandBlock, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, fmt.Errorf("mmap O_DIRECT buffer: %w", err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	b := &buffers{
		block:  make([]byte, cfg.Block),
		read:   make([]byte, cfg.Block),
		direct: direct,
		small:  make([]byte, cfg.SmallSize),
	}
	fill(b.block)
	fill(b.direct)
	fill(b.small)
	return b, nil
}

// syncfs flushes the filesystem holding f (syncfs(2)).
func syncfs(f interface{ Fd() uintptr }) error {
	return unix.Syncfs(int(f.Fd()))
}
