// Package treecheck compares directory trees entry by entry: the verifier
// of "loom migrate finish", of the migration tests and of the migration
// benchmark. Scan records everything a user can observe of each entry
// (never following symbolic links, never changing access times);
// Compare lists each path that differs and what differs.
package treecheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Entry is what Scan records of one directory entry.
type Entry struct {
	Path   string // relative to the root; "." for the root
	Mode   uint32 // st_mode: type and permission bits
	UID    uint32
	GID    uint32
	Size   int64 // regular files and symlinks
	Rdev   uint64
	Nlink  uint64 // non-directories; Loom's handle link left out
	Atime  unix.Timespec
	Mtime  unix.Timespec
	Target string            // symlink target
	Sum    [32]byte          // regular files: digest of the contents
	Data   []Extent          // regular files: the SEEK_DATA/SEEK_HOLE map
	Xattrs map[string]string // every xattr (ACLs included) but Loom's own

	dev, ino uint64
}

// Extent is one data region of a regular file, [Off, Off+Len).
type Extent struct{ Off, Len int64 }

// Type returns the S_IFMT bits of the entry's mode.
func (e *Entry) Type() uint32 { return e.Mode & unix.S_IFMT }

// Tree is every entry of a scanned tree, by relative path, plus its
// hard-link groups.
type Tree struct {
	Root    string
	Entries map[string]*Entry
	// Links maps each path of a non-directory with more than one name
	// in the tree to the sorted names of its inode within the tree.
	Links map[string][]string
}

// Options adjust Scan.
type Options struct {
	// KeepLoom keeps Loom's metadata (the root's .loom directory and
	// the trusted.loom.* / user.loom.* xattrs) in the scan; by default
	// they are left out and a Loom handle's link is not counted.
	KeepLoom bool
	// Workers is the number of entries examined in parallel; 0 means
	// twice the CPUs.
	Workers int
	// NoContents skips reading regular files (no Sum, no Data).
	NoContents bool
}

// IsLoomXattr reports whether name is one of Loom's on-disk metadata
// xattrs.
func IsLoomXattr(name string) bool {
	return strings.HasPrefix(name, "trusted.loom.") || strings.HasPrefix(name, "user.loom.")
}

// LoomDir is the name of Loom's metadata directory at a brick's root.
const LoomDir = ".loom"

// Scan walks root without following symbolic links and records every
// entry. Reading never changes access times (O_NOATIME).
func Scan(root string, opt Options) (*Tree, error) {
	workers := opt.Workers
	if workers <= 0 {
		workers = 2 * runtime.NumCPU()
	}
	s := &scanner{root: root, opt: opt, tree: &Tree{Root: root, Entries: map[string]*Entry{}, Links: map[string][]string{}},
		jobs: make(chan string, 1024)}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rel := range s.jobs {
				s.examine(rel)
			}
		}()
	}
	walkErr := s.walk(".")
	close(s.jobs)
	wg.Wait()
	if walkErr != nil {
		return nil, walkErr
	}
	if len(s.errs) > 0 {
		return nil, errors.Join(s.errs...)
	}
	s.tree.groupLinks()
	return s.tree, nil
}

// scanner is one run of Scan: a walker feeding paths to workers.
type scanner struct {
	root string
	opt  Options
	jobs chan string

	mu   sync.Mutex
	tree *Tree
	errs []error
}

func (s *scanner) abs(rel string) string {
	if rel == "." {
		return s.root
	}
	return s.root + "/" + rel
}

func (s *scanner) fail(err error) {
	s.mu.Lock()
	if len(s.errs) < 20 {
		s.errs = append(s.errs, err)
	}
	s.mu.Unlock()
}

// walk sends rel and, for a directory, everything below it to the
// workers.
func (s *scanner) walk(rel string) error {
	s.jobs <- rel
	f, err := OpenDir(s.abs(rel))
	if err != nil {
		return fmt.Errorf("treecheck: scan %s: %w", s.abs(rel), err)
	}
	ents, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("treecheck: scan %s: %w", s.abs(rel), err)
	}
	for _, de := range ents {
		child := de.Name()
		if rel != "." {
			child = rel + "/" + de.Name()
		} else if de.Name() == LoomDir && !s.opt.KeepLoom {
			continue
		}
		if de.IsDir() {
			if err := s.walk(child); err != nil {
				return err
			}
			continue
		}
		s.jobs <- child
	}
	return nil
}

// examine records one entry.
func (s *scanner) examine(rel string) {
	p := s.abs(rel)
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		if errors.Is(err, unix.ENOENT) && rel != "." {
			return // removed while the scan ran
		}
		s.fail(fmt.Errorf("treecheck: lstat %s: %w", p, err))
		return
	}
	e := &Entry{Path: rel, Mode: st.Mode, UID: st.Uid, GID: st.Gid, Rdev: st.Rdev,
		Atime: st.Atim, Mtime: st.Mtim, dev: st.Dev, ino: st.Ino}
	typ := st.Mode & unix.S_IFMT
	if typ != unix.S_IFDIR {
		e.Nlink = uint64(st.Nlink)
	}
	if typ == unix.S_IFREG || typ == unix.S_IFLNK {
		e.Size = st.Size
	}
	xs, err := readXattrs(p)
	if err != nil {
		s.fail(err)
		return
	}
	for name, v := range xs {
		if !s.opt.KeepLoom && IsLoomXattr(name) {
			if strings.HasSuffix(name, ".loom.gfid") && typ != unix.S_IFDIR && s.hasHandle(v, &st) {
				e.Nlink--
			}
			continue
		}
		if e.Xattrs == nil {
			e.Xattrs = map[string]string{}
		}
		e.Xattrs[name] = v
	}
	switch typ {
	case unix.S_IFLNK:
		t, err := readlinkKeepAtime(p, st.Atim)
		if err != nil {
			s.fail(err)
			return
		}
		e.Target = t
	case unix.S_IFREG:
		if !s.opt.NoContents {
			if err := digest(p, e); err != nil {
				s.fail(err)
				return
			}
		}
	}
	s.mu.Lock()
	s.tree.Entries[rel] = e
	s.mu.Unlock()
}

// OpenDir opens a directory for reading without changing its atime
// (O_NOATIME; without it where that is refused).
func OpenDir(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOATIME|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.EPERM) {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), path), nil
}

// readlinkKeepAtime reads a symlink's target and puts back the atime
// readlink may have changed (there is no O_NOATIME for readlink).
func readlinkKeepAtime(path string, atime unix.Timespec) (string, error) {
	t, err := os.Readlink(path)
	if err != nil {
		return "", fmt.Errorf("treecheck: readlink %s: %w", path, err)
	}
	var st unix.Stat_t
	if unix.Lstat(path, &st) == nil && st.Atim != atime {
		keep := []unix.Timespec{atime, {Nsec: unix.UTIME_OMIT}}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, keep, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return "", fmt.Errorf("treecheck: restoring the atime of %s: %w", path, err)
		}
	}
	return t, nil
}

// hasHandle reports whether the Loom handle of gfid (16 raw bytes) is a
// link to the inode st.
func (s *scanner) hasHandle(gfid string, st *unix.Stat_t) bool {
	if len(gfid) != 16 {
		return false
	}
	g := []byte(gfid)
	name := fmt.Sprintf("%x-%x-%x-%x-%x", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
	var hs unix.Stat_t
	p := filepath.Join(s.root, LoomDir, "handles", fmt.Sprintf("%02x", g[0]), fmt.Sprintf("%02x", g[1]), name)
	return unix.Lstat(p, &hs) == nil && hs.Ino == st.Ino && hs.Dev == st.Dev
}

// groupLinks fills Links from the inode numbers.
func (t *Tree) groupLinks() {
	type key struct{ dev, ino uint64 }
	groups := map[key][]string{}
	for p, e := range t.Entries {
		if e.Type() != unix.S_IFDIR && e.Nlink > 1 {
			k := key{e.dev, e.ino}
			groups[k] = append(groups[k], p)
		}
	}
	for _, names := range groups {
		sortStrings(names)
		for _, n := range names {
			t.Links[n] = names
		}
	}
}
