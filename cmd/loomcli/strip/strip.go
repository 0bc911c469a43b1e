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

// Tree strips Loom's metadata from root: Xattrs and ClearLoomDir at
// once, then RemoveLoomDir.
func Tree(root string) (*Result, error) {
	cleared := make(chan error, 1)
	go func() { cleared <- ClearLoomDir(root) }()
	res, err := Xattrs(root)
	if err := errors.Join(err, <-cleared); err != nil {
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
	if err := removeAll(dir, nil); err != nil {
		return false, err
	}
	return true, keepTimes(root, &before)
}

// ClearLoomDir removes everything in root/.loom but the names in keep
// (never following symlinks), and leaves .loom itself: it changes no
// time of root, so it can run while Xattrs strips root. It does nothing
// if there is no .loom.
func ClearLoomDir(root string, keep ...string) error {
	dir := filepath.Join(root, treecheck.LoomDir)
	st, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("strip: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("strip: %s is not a directory; not Loom's, left alone", dir)
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[k] = true
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("strip: %s: %w", dir, err)
	}
	var errs []error
	for _, de := range ents {
		if !kept[de.Name()] {
			errs = append(errs, removeAll(filepath.Join(dir, de.Name()), de))
		}
	}
	return errors.Join(errs...)
}

// removeAll removes path and everything below it. The handle index
// (.loom/handles/xx/yy/GFID) holds a directory or two and a link for
// every inode of the brick, and removing it one entry after the other
// (os.RemoveAll, which also tries to unlink each directory before it
// looks inside) took as long as stripping every xattr of the tree. Each
// directory just below path is removed by one of several parallel
// workers: an rmdir holds its parent's lock while the file system frees
// the directory's block (a discard, on a disk mounted with discard), so
// the workers must work in different parents to overlap.
func removeAll(path string, de os.DirEntry) error {
	if de != nil && !de.IsDir() {
		return wrapRemove(path, os.Remove(path))
	}
	ents, err := readDirNoFollow(path)
	if err != nil {
		return err
	}
	jobs := make(chan string, len(ents))
	for _, e := range ents {
		p := filepath.Join(path, e.Name())
		if !e.IsDir() {
			if err := wrapRemove(p, unix.Unlink(p)); err != nil {
				return err
			}
			continue
		}
		jobs <- p
	}
	close(jobs)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for i := 0; i < min(len(jobs), removeWorkers); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				if err := removeTree(p); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return wrapRemove(path, unix.Rmdir(path))
}

// removeTree removes the directory dir and everything below it, never
// following a symlink: one read of each directory, each entry unlinked
// (or, a directory, removed the same way) by the type the read gave.
func removeTree(dir string) error {
	ents, err := readDirNoFollow(dir)
	if err != nil {
		return err
	}
	for _, de := range ents {
		p := filepath.Join(dir, de.Name())
		if de.IsDir() {
			err = removeTree(p)
		} else {
			err = wrapRemove(p, unix.Unlink(p))
		}
		if err != nil {
			return err
		}
	}
	return wrapRemove(dir, unix.Rmdir(dir))
}

// readDirNoFollow lists the directory dir, refusing a symlink to one.
func readDirNoFollow(dir string) ([]os.DirEntry, error) {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("strip: opening %s: %w", dir, err)
	}
	f := os.NewFile(uintptr(fd), dir)
	defer f.Close()
	ents, err := f.ReadDir(-1)
	if err != nil {
		return nil, fmt.Errorf("strip: reading %s: %w", dir, err)
	}
	return ents, nil
}

// removeWorkers is how many subtrees removeAll removes at once: the
// removals wait on the disk (the journal, the discard of each freed
// directory block) far more than on the CPU.
const removeWorkers = 16

func wrapRemove(path string, err error) error {
	if err != nil {
		return fmt.Errorf("strip: removing %s: %w", path, err)
	}
	return nil
}
