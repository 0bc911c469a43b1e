package xlatortest

import (
	"fmt"
	"slices"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// readdirSize is small so that listing a directory takes many calls.
const readdirSize = 256

// listDir reads a directory to its end in calls of readdirSize bytes,
// starting after cookie off, and returns the entries other than "." and
// "..". It fails on duplicate names, calls that make no progress, or a
// listing that never ends.
func (f *client) listDir(fd *xlator.FD, off uint64, plus bool) []xlator.DirEntry {
	f.t.Helper()
	var out []xlator.DirEntry
	seen := map[string]bool{}
	for calls := 0; ; calls++ {
		if calls > 10000 {
			f.t.Fatalf("readdir %s: no end after %d calls", fd.Loc.Path, calls)
		}
		ents, err := f.top.Readdir(f.ctx, f.c, fd, off, readdirSize, plus)
		if err != nil {
			f.t.Fatalf("readdir %s at %d: %v", fd.Loc.Path, off, err)
		}
		if len(ents) == 0 {
			return out
		}
		for _, e := range ents {
			if seen[e.Name] {
				f.t.Fatalf("readdir %s: %q listed twice (cookies %d then %d)", fd.Loc.Path, e.Name, off, e.Off)
			}
			seen[e.Name] = true
			if e.Name != "." && e.Name != ".." {
				out = append(out, e)
			}
		}
		next := ents[len(ents)-1].Off
		if next == off {
			f.t.Fatalf("readdir %s: the last entry's cookie %d is the one passed in", fd.Loc.Path, next)
		}
		off = next
	}
}

// populate makes n files, a directory and a symlink in dir and returns the
// expected name -> file type.
func (f *client) populate(dir string, n int) map[string]uint32 {
	f.t.Helper()
	want := map[string]uint32{}
	f.mkdir(dir, 0o755)
	for i := range n {
		name := fmt.Sprintf("file-with-a-longish-name-%03d", i)
		f.writeFile(dir+"/"+name, nil)
		want[name] = syscall.S_IFREG
	}
	f.mkdir(dir+"/sub", 0o755)
	want["sub"] = syscall.S_IFDIR
	f.symlink("sub", dir+"/link")
	want["link"] = syscall.S_IFLNK
	return want
}

func entryNames(ents []xlator.DirEntry) []string {
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name
	}
	return names
}

func testReaddirNames(f *client) {
	want := f.populate("/d", 60)
	ents := f.listDir(f.opendir("/d"), 0, false)
	if len(ents) != len(want) {
		f.t.Fatalf("readdir /d: %d entries, want %d: %v", len(ents), len(want), entryNames(ents))
	}
	for _, e := range ents {
		typ, ok := want[e.Name]
		if !ok {
			f.t.Fatalf("readdir /d: unexpected entry %q", e.Name)
		}
		if e.Type != typ {
			f.t.Errorf("readdir /d: %q has type %o, want %o", e.Name, e.Type, typ)
		}
	}
	empty := f.listDir(f.opendir("/d/sub"), 0, false)
	if len(empty) != 0 {
		f.t.Fatalf("readdir of an empty directory: %v", entryNames(empty))
	}
}

func testReaddirResume(f *client) {
	f.populate("/d", 40)
	all := f.listDir(f.opendir("/d"), 0, false)
	if len(all) < 20 {
		f.t.Fatalf("readdir /d: only %d entries", len(all))
	}
	for _, cut := range []int{0, 9, len(all) / 2, len(all) - 1} {
		// A fresh fd, resumed from a cookie handed out earlier, continues
		// exactly after that entry (the kernel does this after seekdir
		// and on every later getdents call).
		rest := f.listDir(f.opendir("/d"), all[cut].Off, false)
		if want := entryNames(all[cut+1:]); !slices.Equal(entryNames(rest), want) {
			f.t.Fatalf("resuming after entry %d (%q, cookie %d): got %v, want %v", cut, all[cut].Name, all[cut].Off, entryNames(rest), want)
		}
	}
	// Creating entries while listing neither repeats nor loses old ones.
	fd := f.opendir("/d")
	first, err := f.top.Readdir(f.ctx, f.c, fd, 0, readdirSize, false)
	if err != nil || len(first) == 0 {
		f.t.Fatalf("readdir: %d entries, %v", len(first), err)
	}
	f.writeFile("/d/added-during-listing", nil)
	rest := f.listDir(fd, first[len(first)-1].Off, false)
	got := map[string]int{}
	for _, e := range append(first, rest...) {
		got[e.Name]++
	}
	for _, e := range all {
		if got[e.Name] != 1 {
			f.t.Fatalf("listing while creating: %q seen %d times", e.Name, got[e.Name])
		}
	}
}

func testReaddirPlus(f *client) {
	want := f.populate("/d", 12)
	ents := f.listDir(f.opendir("/d"), 0, true)
	if len(ents) != len(want) {
		f.t.Fatalf("readdirplus /d: %d entries, want %d", len(ents), len(want))
	}
	for _, e := range ents {
		if !e.HasStat {
			f.t.Fatalf("readdirplus: %q has no attributes", e.Name)
		}
		st := f.stat("/d/" + e.Name)
		if e.Stat.GFID != st.GFID || e.Stat.Mode != st.Mode || e.Stat.Size != st.Size || e.Stat.Type() != want[e.Name] {
			f.t.Fatalf("readdirplus: %q has gfid %v mode %o size %d; lookup says %v %o %d",
				e.Name, e.Stat.GFID, e.Stat.Mode, e.Stat.Size, st.GFID, st.Mode, st.Size)
		}
	}
}

func testReaddirRootEmpty(f *client) {
	if ents := f.listDir(f.opendir("/"), 0, true); len(ents) != 0 {
		f.t.Fatalf("the root of a new volume lists %v; internal metadata must stay hidden", entryNames(ents))
	}
	f.writeFile("/only", nil)
	ents := f.listDir(f.opendir("/"), 0, false)
	if names := entryNames(ents); !slices.Equal(names, []string{"only"}) {
		f.t.Fatalf("root lists %v, want [only]", names)
	}
}
