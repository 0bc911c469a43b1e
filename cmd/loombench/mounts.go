package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// mountEntry is one line of /proc/mounts.
type mountEntry struct {
	Source, Point, FSType string
}

// readMounts parses /proc/mounts, undoing its octal escapes (\040 for a
// space) in the mount point.
func readMounts() ([]mountEntry, error) {
	f, err := os.Open("/proc/mounts")
	if err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	defer f.Close()
	var out []mountEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 {
			continue
		}
		out = append(out, mountEntry{
			Source: unescapeMount(fields[0]),
			Point:  unescapeMount(fields[1]),
			FSType: fields[2],
		})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mounts: %w", err)
	}
	return out, nil
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountedFSType returns the filesystem type mounted at dir, or "" if dir
// is not a mount point. The last matching line wins (stacked mounts).
func mountedFSType(dir string) (string, error) {
	dir = filepath.Clean(dir)
	ms, err := readMounts()
	if err != nil {
		return "", err
	}
	t := ""
	for _, m := range ms {
		if m.Point == dir {
			t = m.FSType
		}
	}
	return t, nil
}

// waitForMount polls until a filesystem whose type starts with prefix is
// mounted at dir, the daemon exits (exited is closed), or timeout passes.
func waitForMount(dir, prefix string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(timeout)
	for {
		t, err := mountedFSType(dir)
		if err != nil {
			return err
		}
		if strings.HasPrefix(t, prefix) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("wait for mount %s: daemon exited before mounting", dir)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for mount %s: no %s mount after %v", dir, prefix, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// unmount unmounts dir, retrying briefly while it is busy and falling back
// to a lazy (detached) unmount, so no mount is ever left behind. A dir
// that is not mounted is not an error.
func unmount(dir string) error {
	for i := 0; i < 20; i++ {
		t, err := mountedFSType(dir)
		if err != nil {
			return err
		}
		if t == "" {
			return nil
		}
		err = syscall.Unmount(dir, 0)
		if err == nil {
			continue // stacked mounts: check again
		}
		if !errors.Is(err, syscall.EBUSY) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t, err := mountedFSType(dir)
	if err != nil || t == "" {
		return err
	}
	if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
		return fmt.Errorf("unmount %s: %w", dir, err)
	}
	return nil
}
