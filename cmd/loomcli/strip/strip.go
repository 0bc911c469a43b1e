// Package strip removes every trace of Loom from a directory tree that
// was a brick: the trusted.loom.* and user.loom.* xattrs of every entry
// (symbolic links included, never followed) and the .loom directory at
// its root. Every other attribute is kept exactly: removing an xattr
// changes only the ctime, which is checked, and the root's times, which
// removing .loom changes, are put back.
package strip

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/loom-fs/loom/cmd/loomcli/treecheck"
	"golang.org/x/sys/unix"
)

// Result counts what Tree removed.
type Result struct {
	Entries int // entries visited
	Xattrs  int // xattrs removed
	LoomDir bool
}

// Tree strips Loom's metadata from root: Xattrs, then RemoveLoomDir.
func Tree(root string) (*Result, error) {
	res, err := Xattrs(root)
	if err != nil {
		return res, err
	}
	res.LoomDir, err = RemoveLoomDir(root)
	return res, err
}

// Xattrs removes Loom's xattrs from every entry of root (but root/.loom,
// which it leaves alone).
func Xattrs(root string) (*Result, error) {
	var rootSt unix.Stat_t
	if err := unix.Lstat(root, &rootSt); err != nil {
		return nil, fmt.Errorf("strip %s: %w", root, err)
	}
	if rootSt.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, fmt.Errorf("strip %s: not a directory", root)
	}
	res := &Result{}
	paths := make(chan string, 1024)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for i := 0; i < runtime.NumCPU()*2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range paths {
				n, err := stripEntry(p)
				mu.Lock()
				res.Entries++
				res.Xattrs += n
				if err != nil && len(errs) < 20 {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	walkErr := walk(root, true, paths)
	close(paths)
	wg.Wait()
	return res, errors.Join(append(errs, walkErr)...)
}

// walk sends dir and everything below it (but the root's .loom) to paths.
func walk(dir string, top bool, paths chan<- string) error {
	paths <- dir
	f, err := treecheck.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("strip: %s: %w", dir, err)
	}
	ents, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("strip: %s: %w", dir, err)
	}
	for _, de := range ents {
		if top && de.Name() == treecheck.LoomDir {
			continue
		}
		p := filepath.Join(dir, de.Name())
		if de.IsDir() {
			if err := walk(p, false, paths); err != nil {
				return err
			}
			continue
		}
		paths <- p
	}
	return nil
}

// stripEntry removes Loom's xattrs from path (not followed) and returns
// how many it removed; if the entry's times moved, they are put back.
func stripEntry(path string) (int, error) {
	names, err := treecheck.ListXattrs(path)
	if err != nil {
		return 0, err
	}
	var before unix.Stat_t
	n := 0
	for _, name := range names {
		if !treecheck.IsLoomXattr(name) {
			continue
		}
		if n == 0 {
			if err := unix.Lstat(path, &before); err != nil {
				return 0, fmt.Errorf("strip: lstat %s: %w", path, err)
			}
		}
		err := unix.Lremovexattr(path, name)
		switch {
		case err == nil:
			n++
		case errors.Is(err, unix.ENODATA):
			// Another name of the same inode (a hard link), stripped
			// by another worker since the listing: not ours to count.
		default:
			return n, fmt.Errorf("strip: removexattr %s %s: %w", path, name, err)
		}
	}
	if n > 0 {
		if err := keepTimes(path, &before); err != nil {
			return n, err
		}
	}
	return n, nil
}

// keepTimes puts back the atime and mtime of before if path's changed.
func keepTimes(path string, before *unix.Stat_t) error {
	var after unix.Stat_t
	if err := unix.Lstat(path, &after); err != nil {
		return fmt.Errorf("strip: lstat %s: %w", path, err)
	}
	if after.Atim == before.Atim && after.Mtim == before.Mtim {
		return nil
	}
	ts := []unix.Timespec{before.Atim, before.Mtim}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("strip: restoring the times of %s: %w", path, err)
	}
	return nil
}

// RemoveLoomDir removes root/.loom (never following its symlinks) and
// puts back root's times. It reports whether there was one.
func RemoveLoomDir(root string) (bool, error) {
	dir := filepath.Join(root, treecheck.LoomDir)
	st, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("strip: %w", err)
	}
	if !st.IsDir() {
		return false, fmt.Errorf("strip: %s is not a directory; not Loom's, left alone", dir)
	}
	var before unix.Stat_t
	if err := unix.Lstat(root, &before); err != nil {
		return false, fmt.Errorf("strip: lstat %s: %w", root, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return false, fmt.Errorf("strip: removing %s: %w", dir, err)
	}
	return true, keepTimes(root, &before)
}
