package integration

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pkg/xattr"
	"golang.org/x/sys/unix"
)

// internalDir and internalXattr are where Loom keeps its metadata on a
// brick.
const (
	internalDir   = ".loom"
	internalXattr = "trusted.loom."
	gfidXattr     = "trusted.loom.gfid"
)

// entryInfo is what a snapshot records of one file: everything a user can
// see except access times.
type entryInfo struct {
	Mode   uint32
	UID    uint32
	GID    uint32
	Size   int64
	Rdev   uint64
	Mtime  unix.Timespec
	Target string            // symlink target
	Sum    string            // sha256 of a regular file's contents
	Xattrs map[string]string // name -> value
}

// String formats e for failure messages.
func (e entryInfo) String() string {
	keys := make([]string, 0, len(e.Xattrs))
	for k := range e.Xattrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Sprintf("mode=%o uid=%d gid=%d size=%d rdev=%d mtime=%d.%09d target=%q sum=%.12s xattrs=%v",
		e.Mode, e.UID, e.GID, e.Size, e.Rdev, e.Mtime.Sec, e.Mtime.Nsec, e.Target, e.Sum, keys)
}

// snapshotOpts selects what a snapshot leaves out.
type snapshotOpts struct {
	skipInternal bool // leave out <root>/.loom and trusted.loom.* xattrs
	skipRootTime bool // leave out the root's mtime (changed by creating .loom)
}

// snapshot records every entry below root (root itself as "."), without
// following symbolic links. It fails the test on errors.
func snapshot(t *testing.T, root string, so snapshotOpts) map[string]entryInfo {
	t.Helper()
	out := map[string]entryInfo{}
	if _, err := os.Lstat(root); err != nil {
		return out
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if so.skipInternal && rel == internalDir {
			return filepath.SkipDir
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		e := entryInfo{Mode: st.Mode, UID: st.Uid, GID: st.Gid, Size: st.Size, Rdev: st.Rdev, Mtime: st.Mtim}
		if rel == "." && so.skipRootTime {
			e.Mtime = unix.Timespec{}
		}
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			e.Size = 0 // directory sizes change with their (hidden) contents
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFLNK:
			if e.Target, err = os.Readlink(p); err != nil {
				return err
			}
		case unix.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.Sum = fmt.Sprintf("%x", sha256.Sum256(b))
		}
		e.Xattrs = map[string]string{}
		names, err := xattr.LList(p)
		if err != nil {
			return fmt.Errorf("listxattr %s: %w", p, err)
		}
		for _, n := range names {
			if so.skipInternal && strings.HasPrefix(n, internalXattr) {
				continue
			}
			v, err := xattr.LGet(p, n)
			if err != nil {
				return fmt.Errorf("getxattr %s %s: %w", p, n, err)
			}
			e.Xattrs[n] = string(v)
		}
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot of %s: %v", root, err)
	}
	return out
}

// compareSnapshots reports every difference between two snapshots as a
// test error, prefixed with what.
func compareSnapshots(t *testing.T, what string, before, after map[string]entryInfo) {
	t.Helper()
	for p, b := range before {
		a, ok := after[p]
		switch {
		case !ok:
			t.Errorf("%s: %q is gone", what, p)
		case a.String() != b.String() || !sameXattrs(a.Xattrs, b.Xattrs):
			t.Errorf("%s: %q changed:\n  before %v\n  after  %v", what, p, b, a)
		}
	}
	for p, a := range after {
		if _, ok := before[p]; !ok {
			t.Errorf("%s: %q appeared (%v)", what, p, a)
		}
	}
}

// sameXattrs reports whether two xattr maps hold the same values.
func sameXattrs(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
