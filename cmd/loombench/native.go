package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// nativeTarget runs the workloads directly in a directory on the run's
// tmpfs: the ceiling no FUSE filesystem can reach.
type nativeTarget struct {
	dir string
}

func (t *nativeTarget) Name() string { return "native" }

func (t *nativeTarget) Describe() string { return "the tmpfs directory itself, no FUSE" }

func (t *nativeTarget) Setup(ctx context.Context, env *Env) error {
	t.dir = filepath.Join(env.Scratch, "native")
	if err := os.MkdirAll(t.dir, 0o755); err != nil {
		return fmt.Errorf("setup native: %w", err)
	}
	return nil
}

func (t *nativeTarget) Path() string { return t.dir }

func (t *nativeTarget) Teardown() error { return nil }
