package fuse

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The kernel caps a FUSE mount's readahead at the smaller of what the
// daemon asks for in INIT (max_readahead, 1 MiB here) and its backing
// device's read_ahead_kb, which starts at the system default of 128 KiB.
// So without more, a sequential read through a graph that is not passed
// through (replicate, a network graph) arrives as 128 KiB READs however
// large max_readahead is. As root, Mount raises the mount's
// read_ahead_kb in sysfs to the whole request size.

// bdiReadAheadPath returns the sysfs file holding the readahead of the
// file system mounted at mountpoint (its device number names it).
func bdiReadAheadPath(mountpoint string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(mountpoint, &st); err != nil {
		return "", fmt.Errorf("stat %s: %w", mountpoint, err)
	}
	return fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev)), nil
}

// raiseReadAhead sets the readahead of the mount at mountpoint to kb KiB
// unless it is already at least that, and returns the value in force.
func raiseReadAhead(mountpoint string, kb int) (int, error) {
	path, err := bdiReadAheadPath(mountpoint)
	if err != nil {
		return 0, err
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	cur, err := strconv.Atoi(strings.TrimSpace(string(old)))
	if err != nil {
		return 0, fmt.Errorf("read %s: %q is not a number", path, old)
	}
	if cur >= kb {
		return cur, nil
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(kb)), 0o644); err != nil {
		return cur, fmt.Errorf("write %s: %w", path, err)
	}
	return kb, nil
}
