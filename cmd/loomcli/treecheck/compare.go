package treecheck

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Diff is one path that differs between two trees, with what differs.
type Diff struct {
	Path string   `json:"path"`
	What []string `json:"what"`
}

// String formats d as one line, with the path quoted (names may hold
// newlines and any byte).
func (d Diff) String() string {
	return fmt.Sprintf("%q: %s", d.Path, strings.Join(d.What, "; "))
}

// CompareOptions leave fields out of Compare.
type CompareOptions struct {
	IgnoreAtime     bool // access times of everything
	IgnoreRootTimes bool // the root's times
	IgnoreRootMode  bool // the root's mode and owner
	IgnoreDataMap   bool // where holes are (contents are still compared)
	IgnoreContents  bool // contents and holes (for a scan with NoContents)
}

// Compare lists every path of a or b that differs, sorted by path. a is
// the reference ("old", or the expected model).
func Compare(a, b *Tree, opt CompareOptions) []Diff {
	var diffs []Diff
	for p, ea := range a.Entries {
		eb, ok := b.Entries[p]
		if !ok {
			diffs = append(diffs, Diff{Path: p, What: []string{"missing"}})
			continue
		}
		if w := compareEntry(a, b, ea, eb, opt); len(w) > 0 {
			diffs = append(diffs, Diff{Path: p, What: w})
		}
	}
	for p := range b.Entries {
		if _, ok := a.Entries[p]; !ok {
			diffs = append(diffs, Diff{Path: p, What: []string{"unexpected (not in the reference)"}})
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Path < diffs[j].Path })
	return diffs
}

func compareEntry(ta, tb *Tree, a, b *Entry, opt CompareOptions) []string {
	var w []string
	add := func(format string, v ...any) { w = append(w, fmt.Sprintf(format, v...)) }
	if a.Type() != b.Type() {
		add("type %s != %s", typeName(a.Type()), typeName(b.Type()))
		return w
	}
	root := a.Path == "."
	if a.Mode != b.Mode && !(root && opt.IgnoreRootMode) {
		add("mode %o != %o", a.Mode&0o7777, b.Mode&0o7777)
	}
	if (a.UID != b.UID || a.GID != b.GID) && !(root && opt.IgnoreRootMode) {
		add("owner %d:%d != %d:%d", a.UID, a.GID, b.UID, b.GID)
	}
	if a.Mtime != b.Mtime && !(root && opt.IgnoreRootTimes) {
		add("mtime %s != %s", ts(a.Mtime), ts(b.Mtime))
	}
	if a.Atime != b.Atime && !opt.IgnoreAtime && !(root && opt.IgnoreRootTimes) {
		add("atime %s != %s", ts(a.Atime), ts(b.Atime))
	}
	switch a.Type() {
	case unix.S_IFREG:
		if a.Size != b.Size {
			add("size %d != %d", a.Size, b.Size)
		}
		if a.Sum != b.Sum && !opt.IgnoreContents {
			add("contents differ")
		}
		if !opt.IgnoreDataMap && !opt.IgnoreContents && !sameExtents(a.Data, b.Data) {
			add("data map %s != %s", extents(a.Data), extents(b.Data))
		}
	case unix.S_IFLNK:
		if a.Target != b.Target {
			add("symlink target %q != %q", a.Target, b.Target)
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		if a.Rdev != b.Rdev {
			add("device %d:%d != %d:%d", unix.Major(a.Rdev), unix.Minor(a.Rdev), unix.Major(b.Rdev), unix.Minor(b.Rdev))
		}
	}
	if a.Type() != unix.S_IFDIR {
		if a.Nlink != b.Nlink {
			add("link count %d != %d", a.Nlink, b.Nlink)
		}
		la, lb := ta.Links[a.Path], tb.Links[b.Path]
		if strings.Join(la, "\x00") != strings.Join(lb, "\x00") {
			add("hard links %q != %q", la, lb)
		}
	}
	w = append(w, compareXattrs(a.Xattrs, b.Xattrs)...)
	return w
}

func compareXattrs(a, b map[string]string) []string {
	var w []string
	for n, va := range a {
		vb, ok := b[n]
		switch {
		case !ok:
			w = append(w, "xattr "+n+" missing")
		case va != vb:
			w = append(w, fmt.Sprintf("xattr %s %s != %s", n, short(va), short(vb)))
		}
	}
	for n := range b {
		if _, ok := a[n]; !ok {
			w = append(w, "xattr "+n+" unexpected")
		}
	}
	sort.Strings(w)
	return w
}

func sameExtents(a, b []Extent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func extents(x []Extent) string {
	if len(x) > 6 {
		return fmt.Sprintf("%v…(%d regions)", x[:6], len(x))
	}
	return fmt.Sprint(x)
}

func ts(t unix.Timespec) string { return fmt.Sprintf("%d.%09d", t.Sec, t.Nsec) }

func short(v string) string {
	if len(v) > 24 {
		return fmt.Sprintf("%q…(%d bytes)", v[:24], len(v))
	}
	if bytes.ContainsFunc([]byte(v), func(r rune) bool { return r < 32 || r > 126 }) {
		return fmt.Sprintf("%x", v)
	}
	return fmt.Sprintf("%q", v)
}

func typeName(t uint32) string {
	switch t {
	case unix.S_IFREG:
		return "file"
	case unix.S_IFDIR:
		return "directory"
	case unix.S_IFLNK:
		return "symlink"
	case unix.S_IFIFO:
		return "fifo"
	case unix.S_IFSOCK:
		return "socket"
	case unix.S_IFCHR:
		return "char device"
	case unix.S_IFBLK:
		return "block device"
	}
	return fmt.Sprintf("type %o", t)
}
