package main

import (
	"fmt"
	"syscall"
)

// mountTmpfs mounts a private tmpfs of the given size at dir, so every
// target's files live in memory and the ratios measure the FUSE daemons,
// not a shared virtual disk.
func mountTmpfs(dir, size string) error {
	opts := "size=" + size + ",mode=0755"
	if err := syscall.Mount("loombench", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount tmpfs %s (%s): %w", dir, opts, err)
	}
	return nil
}
