package replicate

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	errorgen "github.com/loom-fs/loom/translators/debug/error-gen"
	_ "github.com/loom-fs/loom/translators/features/locks"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// The heal benchmark's fop counter (test/fopcount, in the external test
// package) passes file data through untouched, like features/locks: the
// benchmark measures the heal as a volume without it runs.
func init() { dataTransparent["test/fopcount"] = true }

// localFile finds the brick file behind an FD opened through translators
// that do not look at data (features/locks over storage/posix), and none
// through one that does (debug/error-gen): the heal then copies through
// the translators.
func TestLocalFile(t *testing.T) {
	dir := t.TempDir()
	g := xlatortest.Build(t, []xlator.VolumeSpec{
		xlatortest.PosixSpec("posix", dir),
		{Name: "locks", Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: "posix"}}},
		{Name: "faults", Type: errorgen.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "locks"}}},
	})
	ctx, c := context.Background(), xlator.RootCall()
	fd := xlator.NewFD(&xlator.Loc{Path: "/f", Parent: xlator.RootGFID, Name: "f"}, syscall.O_CREAT|syscall.O_RDWR, false)
	if _, err := g.Top().Create(ctx, c, fd, 0o644, 0); err != nil {
		t.Fatal(err)
	}
	defer g.Top().Release(ctx, c, fd)
	want, ok := g.Find("posix").(xlator.BackingFiler).BackingFile(fd)
	if !ok {
		t.Fatal("storage/posix has no backing file for an open file")
	}
	for _, tc := range []struct {
		name string
		ok   bool
	}{{"posix", true}, {"locks", true}, {"faults", false}} {
		got, ok := localFile(g.Find(tc.name), fd)
		if ok != tc.ok || ok && got != want {
			t.Errorf("localFile through %s: %d, %v; want %d, %v", tc.name, got, ok, want, tc.ok)
		}
	}
}

// freshAttr sets on a new copy the times always, and owner and mode only
// where the copy differs (or may: xattrs just changed, set-id bits).
func TestFreshAttr(t *testing.T) {
	times := xlator.SetAtime | xlator.SetMtime
	owner := xlator.SetUID | xlator.SetGID
	src := xlator.Stat{UID: 1, GID: 2, Mode: syscall.S_IFREG | 0o640, Atime: xlator.Timespec{Sec: 5}, Mtime: xlator.Timespec{Sec: 6}}
	for _, tc := range []struct {
		name     string
		src      xlator.Stat
		have     xlator.Stat
		typ      uint32
		xchanged bool
		want     xlator.SetAttrMask
	}{
		{"same", src, src, syscall.S_IFREG, false, times},
		{"other group", src, xlator.Stat{UID: 1, GID: 9, Mode: src.Mode}, syscall.S_IFREG, false, times | owner | xlator.SetMode},
		{"other mode", src, xlator.Stat{UID: 1, GID: 2, Mode: syscall.S_IFREG | 0o600}, syscall.S_IFREG, false, times | xlator.SetMode},
		{"xattrs changed", src, src, syscall.S_IFREG, true, times | owner | xlator.SetMode},
		{"set-id source", xlator.Stat{UID: 1, GID: 2, Mode: syscall.S_IFREG | 0o6755}, xlator.Stat{UID: 1, GID: 2, Mode: syscall.S_IFREG | 0o6755},
			syscall.S_IFREG, false, times | xlator.SetMode},
		{"symlink of another owner", xlator.Stat{UID: 1, Mode: syscall.S_IFLNK | 0o777}, xlator.Stat{UID: 3, Mode: syscall.S_IFLNK | 0o777},
			syscall.S_IFLNK, false, times | owner},
	} {
		a := freshAttr(tc.src, tc.have, tc.typ, tc.xchanged)
		if a.Valid != tc.want {
			t.Errorf("%s: sets %b; want %b", tc.name, a.Valid, tc.want)
		}
		if a.Atime != tc.src.Atime || a.Mtime != tc.src.Mtime || a.Valid&owner != 0 && (a.UID != tc.src.UID || a.GID != tc.src.GID) ||
			a.Valid&xlator.SetMode != 0 && a.Mode != tc.src.Mode&0o7777 {
			t.Errorf("%s: values %+v; want the source's", tc.name, a)
		}
	}
}

// The heal of a new file leaves a file pinned by a passthrough handle to
// healData (which waits for the pin) unless the pinned copy is its source
// and no fd open for writing shares it: then it heals the file itself.
func TestHealNewRespectsPin(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	g := xlatortest.Build(t, []xlator.VolumeSpec{
		xlatortest.PosixSpec("posix0", dirs[0]),
		{Name: "locks0", Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: "posix0"}}},
		xlatortest.PosixSpec("posix1", dirs[1]),
		{Name: "locks1", Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: "posix1"}}},
		{Name: "rep", Type: Type, Subvolumes: []xlator.SubvolumeRef{{Name: "locks0"}, {Name: "locks1"}},
			Options: []xlator.OptionSpec{{Key: "self-heal", Value: "off"}}},
	})
	r := g.Top().(*Replicate)
	ctx, c := context.Background(), xlator.RootCall()
	// /f on the first brick only, as if created while the second was away.
	gf := xlator.NewGFID()
	fd := xlator.NewFD(&xlator.Loc{Parent: xlator.RootGFID, Name: "f", GFID: gf}, syscall.O_CREAT|syscall.O_WRONLY, false)
	if _, err := r.kids[0].Create(ctx, c, fd, 0o644, 0); err != nil {
		t.Fatal(err)
	}
	data := []byte("the source's data")
	if _, err := r.kids[0].Write(ctx, c, fd, data, 0); err != nil {
		t.Fatal(err)
	}
	r.kids[0].Release(ctx, c, fd)
	created, _, err := r.healEntries(ctx, xlator.RootGFID, true)
	if err != nil || len(created) != 1 || created[0].gfid != gf || created[0].sink != 1 {
		t.Fatalf("entry heal created %+v, %v; want /f on the second brick", created, err)
	}
	jobs := r.freshJobs(created, nil)
	pin := func(child int, exposed bool) {
		r.pins.mu.Lock()
		p := r.pins.get(gf)
		p.child, p.exposed = child, exposed
		r.pins.mu.Unlock()
	}
	sinkData := func() string {
		b, err := os.ReadFile(filepath.Join(dirs[1], "f"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name    string
		child   int
		exposed bool
	}{{"pinned sink", 1, false}, {"pinned source, exposed", 0, true}} {
		pin(tc.child, tc.exposed)
		j := &jobs[0]
		if j.fds == nil {
			j = &freshJob{r: r, gfid: gf, typ: syscall.S_IFREG, src: 0, sinks: []bool{false, true}, size: uint64(len(data))}
		}
		if err := r.healNew(ctx, j); !errors.Is(err, errPinned) {
			t.Errorf("%s: heal of the new file: %v; want it left to healData, which waits for the pin", tc.name, err)
		}
		if got := sinkData(); got != "" {
			t.Errorf("%s: the new copy got %q while pinned", tc.name, got)
		}
	}
	pin(0, false)
	j := &freshJob{r: r, gfid: gf, typ: syscall.S_IFREG, src: 0, sinks: []bool{false, true}, size: uint64(len(data))}
	if err := r.healNew(ctx, j); err != nil {
		t.Errorf("pinned source: heal of the new file: %v", err)
	}
	if got := sinkData(); got != string(data) {
		t.Errorf("pinned source: the new copy has %q; want %q", got, data)
	}
	pin(-1, false)
}
