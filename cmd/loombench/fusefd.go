package main

import (
	"fmt"
	"os"
	"syscall"
)

// mountFuseFd opens /dev/fuse and mounts it at dir with mount(2), the
// way fusermount does, and returns the connection for a daemon to serve
// as /dev/fd/3 (go-fuse's "magic mountpoint"). This lets the daemon run
// without CAP_SYS_ADMIN: the mount is ours, the serving is its. extra
// are further mount options (comma separated, may be empty), so the mount
// can mirror what the daemon would have asked fusermount for.
func mountFuseFd(dir, name, extra string) (*os.File, error) {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", dir, err)
	}
	opts := fmt.Sprintf("fd=%d,rootmode=40000,user_id=0,group_id=0", f.Fd())
	if extra != "" {
		opts += "," + extra
	}
	if err := syscall.Mount(name, dir, "fuse."+name, syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		f.Close()
		return nil, fmt.Errorf("mount %s (fuse fd): %w", dir, err)
	}
	return f, nil
}
