package main

import (
	"log"
	"sync"
)

// cleaner is a stack of release steps (unmount, stop a daemon, remove a
// directory). Run releases everything in reverse order exactly once, and
// may be called from the abort watchdog while the runner is still busy:
// unmounting under a blocked workload is what unblocks it.
type cleaner struct {
	mu    sync.Mutex
	steps []cleanStep
}

type cleanStep struct {
	name string
	fn   func() error
}

// Push adds a release step; it returns a function that runs that step
// early and removes it from the stack (for an orderly teardown).
func (c *cleaner) Push(name string, fn func() error) (runNow func() error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var once sync.Once
	var err error
	wrapped := func() error {
		once.Do(func() { err = fn() })
		return err
	}
	c.steps = append(c.steps, cleanStep{name: name, fn: wrapped})
	return wrapped
}

// Run performs every registered step, last first, logging failures, and
// returns the first error.
func (c *cleaner) Run() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first error
	for i := len(c.steps) - 1; i >= 0; i-- {
		s := c.steps[i]
		if err := s.fn(); err != nil {
			log.Printf("cleanup %s: %v", s.name, err)
			if first == nil {
				first = err
			}
		}
	}
	c.steps = nil
	return first
}
