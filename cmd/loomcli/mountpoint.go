package loomcli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// checkMountpoint makes sure dir can be mounted on: it exists, is a
// directory and nothing is mounted there yet. It returns the absolute path
// with symbolic links resolved, which is how /proc/self/mountinfo names it.
func checkMountpoint(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("mountpoint %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, syscall.ENOTCONN):
		return "", fmt.Errorf("mountpoint %s: a dead FUSE mount is still there (transport endpoint is not connected); remove it with \"umount -l %s\"", dir, abs)
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("mountpoint %s does not exist", dir)
	case err != nil:
		return "", fmt.Errorf("mountpoint %s: %w", dir, err)
	case !st.IsDir():
		return "", fmt.Errorf("mountpoint %s is not a directory", dir)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("mountpoint %s: %w", dir, err)
	}
	mounted, err := isMountpoint(real)
	if err != nil {
		return "", err
	}
	if mounted {
		// statfs is never answered from the kernel's caches: a dead
		// FUSE server shows here even right after it died.
		var sfs syscall.Statfs_t
		if err := syscall.Statfs(real, &sfs); errors.Is(err, syscall.ENOTCONN) {
			return "", fmt.Errorf("mountpoint %s: a dead FUSE mount is still there (transport endpoint is not connected); remove it with \"umount -l %s\"", dir, real)
		}
		return "", fmt.Errorf("mountpoint %s is already mounted (see /proc/self/mountinfo); unmount it first", dir)
	}
	return real, nil
}

// isMountpoint reports whether a filesystem is mounted on the absolute,
// symlink-free path dir, according to /proc/self/mountinfo.
func isMountpoint(dir string) (bool, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, fmt.Errorf("checking mountpoint %s: %w", dir, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if mp, ok := mountinfoMountpoint(sc.Text()); ok && mp == dir {
			return true, nil
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("checking mountpoint %s: reading /proc/self/mountinfo: %w", dir, err)
	}
	return false, nil
}

// mountinfoMountpoint returns the mount point (the fifth field) of one
// /proc/self/mountinfo line, with the kernel's octal escapes decoded.
func mountinfoMountpoint(line string) (string, bool) {
	fields := strings.Fields(line)
	if len(fields) < 5 {
		return "", false
	}
	return unescapeOctal(fields[4]), true
}

// unescapeOctal decodes the \NNN escapes the kernel writes for space, tab,
// newline and backslash in mount paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// checkNotInBrick refuses a mountpoint that is a brick directory or lies
// inside one (a leaf volume's "directory" option): the brick would then
// reach itself through the mount, and every lookup there would hang.
func checkNotInBrick(specs []xlator.VolumeSpec, mountpoint string) error {
	for i := range specs {
		s := &specs[i]
		d, ok := xlator.Lookup(s.Type)
		if !ok || d.MaxChildren != 0 {
			continue
		}
		dir, ok := s.Option("directory")
		if !ok {
			continue
		}
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real
		}
		rel, err := filepath.Rel(filepath.Clean(dir), mountpoint)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return fmt.Errorf("mountpoint %s is inside the brick directory %s of volume %q (%s:%d): the volume would serve itself", mountpoint, dir, s.Name, s.Pos.File, s.Pos.Line)
		}
	}
	return nil
}
