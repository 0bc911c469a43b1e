package distribute_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/distribute"
	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// populate writes files with distinct contents in a few directories and
// returns path -> contents.
func populate(t *testing.T, f *client, dirs, files int) map[string][]byte {
	t.Helper()
	want := map[string][]byte{}
	for d := 0; d < dirs; d++ {
		dir := fmt.Sprintf("/d%d", d)
		f.mkdir(dir)
		for i := 0; i < files; i++ {
			p := fmt.Sprintf("%s/f%03d", dir, i)
			data := bytes.Repeat([]byte(p), 1+i%50)
			f.write(p, data)
			want[p] = data
		}
	}
	return want
}

// runRebalance sends cmd and waits for the run to end.
func runRebalance(t *testing.T, d *distribute.Distribute, cmd string) distribute.Status {
	t.Helper()
	if _, err := d.Control(context.Background(), cmd, nil); err != nil {
		t.Fatalf("rebalance %s: %v", cmd, err)
	}
	return waitRebalance(t, d)
}

func waitRebalance(t *testing.T, d *distribute.Distribute) distribute.Status {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		res, err := d.Control(context.Background(), "status", nil)
		if err != nil {
			t.Fatal(err)
		}
		st := res.(distribute.Status)
		if st.State != distribute.StateRunning {
			return st
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("rebalance did not end within a minute")
	return distribute.Status{}
}

// checkPlaced verifies every file is on exactly one brick as data (its
// hashed one when settled is set), no link file is listed, contents match
// and every layout covers the hash space.
func checkPlaced(t *testing.T, v *volume, f *client, want map[string][]byte, settled bool) {
	t.Helper()
	for p, data := range want {
		rel := p[1:]
		on, _ := onBricks(t, v.dirs, rel)
		if len(on) != 1 {
			t.Errorf("%s is data on bricks %v, want exactly one", p, on)
			continue
		}
		if got, err := f.tryRead(p); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s reads %d bytes (%v), want %d", p, len(got), err, len(data))
		}
	}
	dirs := map[string]int{}
	for p := range want {
		dirs[filepath.Dir(p)]++
	}
	for dir, n := range dirs {
		if got := f.list(dir); len(got) != n {
			t.Errorf("%s lists %d names, want %d", dir, len(got), n)
		}
		var lay distribute.Layout
		for _, b := range v.dirs {
			buf := make([]byte, 64)
			k, err := unix.Lgetxattr(filepath.Join(b, dir), "trusted.loom.dht.layout", buf)
			if err != nil {
				lay = append(lay, distribute.Range{})
				continue
			}
			r, _ := distribute.DecodeRange(buf[:k])
			lay = append(lay, r)
		}
		if p := lay.Problem(); p != "" {
			t.Errorf("%s layout: %s", dir, p)
		}
		if settled {
			if !lay.Committed() {
				t.Errorf("%s layout not committed after rebalance", dir)
			}
			for p := range want {
				if filepath.Dir(p) != dir {
					continue
				}
				h, _ := lay.Search(distribute.Hash(filepath.Base(p)))
				if on, links := onBricks(t, v.dirs, p[1:]); len(on) == 1 && (on[0] != h || len(links) != 0) {
					t.Errorf("%s on brick %v with link files on %v, hashed brick %d", p, on, links, h)
				}
			}
		}
	}
}

// Adding a brick: fix-layout spreads layouts (files found through
// lookup-everywhere), then start moves the files to their hashed bricks,
// only those whose hash the new brick took over.
func TestRebalanceAfterAddingBrick(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	var want map[string][]byte
	{
		v := newVolume(t, opts{n: 2, dirs: dirs})
		want = populate(t, newClient(t, v.top), 3, 60)
		v.g.Stop()
	}
	dirs = append(dirs, t.TempDir())
	v := newVolume(t, opts{n: 3, dirs: dirs, options: []string{"rebalance-workers", "4"}})
	f := newClient(t, v.top)
	checkPlaced(t, v, f, want, false)
	st := runRebalance(t, v.top, "fix-layout")
	if st.State != distribute.StateCompleted || st.Dirs != 4 {
		t.Fatalf("fix-layout: %+v", st)
	}
	checkPlaced(t, v, f, want, false)
	f.write("/d0/new-after-fix", []byte("new"))
	want["/d0/new-after-fix"] = []byte("new")
	st = runRebalance(t, v.top, "start")
	if st.State != distribute.StateCompleted || st.Migrated == 0 || st.Failed != 0 || st.Skipped != 0 {
		t.Fatalf("rebalance: %+v", st)
	}
	if st.TotalFiles < st.Migrated || st.Bytes == 0 {
		t.Errorf("counters: %+v", st)
	}
	// Each old brick keeps most of its range: a third of the files move
	// (an even re-split moved two thirds on average).
	if frac := float64(st.Migrated) / float64(len(want)); frac > 0.45 {
		t.Errorf("rebalance moved %d of %d files (%.0f%%), want about a third", st.Migrated, len(want), frac*100)
	}
	ents, _ := os.ReadDir(filepath.Join(dirs[2], "d1"))
	if len(ents) < 8 {
		t.Errorf("new brick holds %d files of /d1 after rebalance, want about a third of 60 (20)", len(ents))
	}
	checkPlaced(t, v, f, want, true)
	// A second run finds nothing to do.
	if st := runRebalance(t, v.top, "start"); st.Migrated != 0 || st.State != distribute.StateCompleted {
		t.Fatalf("second rebalance: %+v", st)
	}
}

// Renames, hard links and a writer while rebalance runs: afterwards every
// file exists exactly once with the last content written.
func TestRebalanceWithConcurrentChanges(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	var want map[string][]byte
	{
		v := newVolume(t, opts{n: 2, dirs: dirs})
		f := newClient(t, v.top)
		want = populate(t, f, 2, 150)
		v.g.Stop()
	}
	dirs = append(dirs, t.TempDir(), t.TempDir())
	v := newVolume(t, opts{n: 4, dirs: dirs, locks: true})
	f := newClient(t, v.top)
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writes atomic.Int64
	wg.Add(2)
	go func() { // writer: rewrites files in place
		defer wg.Done()
		g := newClient(t, v.top)
		r := rand.New(rand.NewSource(1))
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			p := fmt.Sprintf("/d0/f%03d", r.Intn(150))
			data := []byte(fmt.Sprintf("rewrite %d of %s", n, p))
			mu.Lock()
			if err := g.tryWrite(p, data); err != nil {
				mu.Unlock()
				t.Errorf("write %s during rebalance: %v", p, err)
				return
			}
			want[p] = data
			mu.Unlock()
			writes.Add(1)
		}
	}()
	go func() { // renamer: a storm of renames within and across directories
		defer wg.Done()
		g := newClient(t, v.top)
		r := rand.New(rand.NewSource(2))
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			from := fmt.Sprintf("/d1/f%03d", r.Intn(150))
			to := fmt.Sprintf("/d%d/r%03d", r.Intn(2), n)
			mu.Lock()
			data, ok := want[from]
			if ok {
				if err := g.rename(from, to); err != nil {
					mu.Unlock()
					t.Errorf("rename %s %s during rebalance: %v", from, to, err)
					return
				}
				delete(want, from)
				want[to] = data
			}
			mu.Unlock()
		}
	}()
	if _, err := v.top.Control(context.Background(), "start", nil); err != nil {
		t.Fatal(err)
	}
	st := waitRebalance(t, v.top)
	close(stop)
	wg.Wait()
	if st.State != distribute.StateCompleted || st.Failed != 0 {
		t.Fatalf("rebalance: %+v", st)
	}
	t.Logf("rebalance migrated %d files (%d skipped) while %d writes ran", st.Migrated, st.Skipped, writes.Load())
	checkPlaced(t, v, f, want, false)
	// Once quiet, a second run places everything.
	if st := runRebalance(t, v.top, "start"); st.Failed != 0 || st.Skipped != 0 {
		t.Fatalf("second rebalance: %+v", st)
	}
	checkPlaced(t, v, f, want, true)
}

// Decommissioning a brick drains it; status then names it removable.
func TestDecommission(t *testing.T) {
	v := newVolume(t, opts{n: 3})
	f := newClient(t, v.top)
	want := populate(t, f, 2, 60)
	if _, err := v.top.Control(context.Background(), "decommission", []string{"brick1"}); err != nil {
		t.Fatal(err)
	}
	st := runRebalance(t, v.top, "start")
	if st.State != distribute.StateCompleted || len(st.Removable) != 1 || st.Removable[0] != "brick1" {
		t.Fatalf("rebalance: %+v", st)
	}
	for _, d := range []string{"d0", "d1"} {
		if ents, _ := os.ReadDir(filepath.Join(v.dirs[1], d)); len(ents) != 0 {
			t.Fatalf("drained brick still holds %d entries in %s", len(ents), d)
		}
	}
	checkPlaced(t, v, f, want, true)
	if _, err := v.top.Control(context.Background(), "decommission", []string{"nope"}); err == nil {
		t.Fatal("decommissioning an unknown subvolume succeeded")
	}
}

// A checkpoint left "running" by a process that died makes the next
// graph continue the rebalance by itself.
func TestRebalanceResumesFromCheckpoint(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	var want map[string][]byte
	{
		v := newVolume(t, opts{n: 2, dirs: dirs})
		want = populate(t, newClient(t, v.top), 2, 40)
		v.g.Stop()
	}
	dirs = append(dirs, t.TempDir())
	for _, b := range dirs {
		cp := []byte(`{"state":"running","mode":"start","dirs_done":1,"last":"/"}`)
		if err := unix.Setxattr(b, "trusted.loom.dht.rebalance", cp, 0); err != nil {
			t.Fatal(err)
		}
	}
	v := newVolume(t, opts{n: 3, dirs: dirs})
	deadline := time.Now().Add(10 * time.Second)
	var st distribute.Status
	for time.Now().Before(deadline) {
		res, _ := v.top.Control(context.Background(), "status", nil)
		if st = res.(distribute.Status); st.Resumed && st.State == distribute.StateCompleted {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !st.Resumed || st.State != distribute.StateCompleted || st.Migrated == 0 {
		t.Fatalf("no resumed rebalance: %+v", st)
	}
	checkPlaced(t, v, newClient(t, v.top), want, true)
}

// Unknown commands list the known ones.
func TestControlUnknown(t *testing.T) {
	v := newVolume(t, opts{n: 2})
	if _, err := v.top.Control(context.Background(), "frobnicate", nil); err == nil {
		t.Fatal("unknown command accepted")
	}
	_ = xlator.RootCall
}

// A listing paged while rebalance moves files from the brick it has
// already listed to the one it lists next shows each file once.
func TestReaddirDuringMigrationListsOnce(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir()}
	var want map[string][]byte
	{
		v := newVolume(t, opts{n: 1, dirs: dirs[:1]})
		want = populate(t, newClient(t, v.top), 1, 40)
		v.g.Stop()
	}
	v := newVolume(t, opts{n: 2, dirs: dirs})
	f := newClient(t, v.top)
	loc, _, err := f.resolve("/d0")
	if err != nil {
		t.Fatal(err)
	}
	fd := xlator.NewFD(loc, unix.O_RDONLY, true)
	if err := v.top.Opendir(f.ctx, f.c, fd); err != nil {
		t.Fatal(err)
	}
	defer v.top.Releasedir(f.ctx, f.c, fd)
	seen := map[string]int{}
	page := func(off uint64) ([]xlator.DirEntry, uint64) {
		ents, err := v.top.Readdir(f.ctx, f.c, fd, off, 64<<10, true)
		if err != nil {
			t.Fatalf("readdir at %d: %v", off, err)
		}
		for _, e := range ents {
			if e.Name != "." && e.Name != ".." {
				seen[e.Name]++
			}
			off = e.Off
		}
		return ents, off
	}
	// The first page is the first brick's whole listing: every file.
	_, off := page(0)
	if len(seen) != len(want) {
		t.Fatalf("first page lists %d files, want %d", len(seen), len(want))
	}
	st := runRebalance(t, v.top, "start")
	if st.State != distribute.StateCompleted || st.Migrated == 0 {
		t.Fatalf("rebalance: %+v", st)
	}
	for {
		ents, next := page(off)
		if len(ents) == 0 {
			break
		}
		off = next
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times in one pass (%d files migrated meanwhile)", name, n, st.Migrated)
		}
	}
	// A new pass from offset 0 lists every file, once, from where it is now.
	clear(seen)
	for ents, off := page(0); len(ents) > 0; {
		ents, off = page(off)
	}
	if len(seen) != len(want) {
		t.Errorf("a new pass lists %d files, want %d", len(seen), len(want))
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times in the new pass", name, n)
		}
	}
}
