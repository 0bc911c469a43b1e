package replicate_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	errorgen "github.com/loom-fs/loom/translators/debug/error-gen"
	"github.com/loom-fs/loom/xlator"
)

// entryDirty returns the entry counter of loom.dirty of the root on each
// brick, asked of each brick's stack directly.
func entryDirty(t *testing.T, cl *cluster) []int32 {
	t.Helper()
	var out []int32
	for i := range cl.dirs {
		kid := cl.g.Find(fmt.Sprintf("brick%d", i))
		_, x, err := kid.Lookup(context.Background(), xlator.RootCall(), xlator.RootLoc(), xlator.XData{"loom.dirty": nil})
		if err != nil {
			t.Fatalf("lookup of the root on brick %d: %v", i, err)
		}
		var v int32
		if b := x["loom.dirty"]; len(b) >= 12 {
			v = int32(binary.BigEndian.Uint32(b[8:]))
		}
		out = append(out, v)
	}
	return out
}

// eventuallySameTrees is sameTrees once the batched sync of times (after
// post-op-delay) has had its chance: it waits up to 5 s for the bricks to
// match.
func eventuallySameTrees(t *testing.T, a, b string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if treeOf(t, a, ".") == treeOf(t, b, ".") {
			return
		}
	}
	sameTrees(t, a, b)
}

// While entry changes follow each other in a directory, the directory
// stays marked dirty on every copy (a crash then leaves the mark for the
// heal); the mark goes when the stream pauses.
func TestDirHoldKeepsDirtyWhileEntriesChange(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, locks: true, faults: true, options: []string{"post-op-delay", "300ms"}})
	f := client(t, cl.top)
	for k := 0; k < 5; k++ {
		f.writeFile(fmt.Sprintf("/f%d", k), []byte("x"))
		if d := entryDirty(t, cl); d[0] != 1 || d[1] != 1 {
			t.Fatalf("after create %d: entry dirty %v, want 1 on both copies while the stream goes on", k, d)
		}
	}
	if err := cl.top.Unlink(context.Background(), f.c, f.loc("/f0")); err != nil {
		t.Fatal(err)
	}
	if d := entryDirty(t, cl); d[0] != 1 || d[1] != 1 {
		t.Fatalf("after unlink: entry dirty %v, want 1 on both copies", d)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := entryDirty(t, cl)
		if d[0] == 0 && d[1] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("entry dirty %v 10 s after the last change, want 0 on both copies", d)
		}
		time.Sleep(20 * time.Millisecond)
	}
	eventuallySameTrees(t, cl.dirs[0], cl.dirs[1])
}

// rootChangelog returns brick i's entry counters of the root: its dirty
// count and what it holds against brick j.
func rootChangelog(t *testing.T, cl *cluster, i, j int) (dirty, pending int32) {
	t.Helper()
	kid := cl.g.Find(fmt.Sprintf("brick%d", i))
	pk := fmt.Sprintf("loom.pending.brick%d", j)
	_, x, err := kid.Lookup(context.Background(), xlator.RootCall(), xlator.RootLoc(), xlator.XData{"loom.dirty": nil, pk: nil})
	if err != nil {
		t.Fatalf("lookup of the root on brick %d: %v", i, err)
	}
	entry := func(b []byte) int32 {
		if len(b) < 12 {
			return 0
		}
		return int32(binary.BigEndian.Uint32(b[8:]))
	}
	return entry(x["loom.dirty"]), entry(x[pk])
}

// A create that fails on one copy during a stream of entry changes ends
// the stream's hold at once: the other copy's dirty mark is taken off and
// it blames the failed copy, with no wait for the stream to pause.
func TestDirHoldFailedCreateIsBlamedAtOnce(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, locks: true, faults: true, options: []string{"self-heal", "off", "post-op-delay", "10s"}})
	f := client(t, cl.top)
	f.writeFile("/a", []byte("a"))
	if err := cl.faults[1].Apply(errorgen.Settings{Failure: 100, Errno: syscall.EIO, Fops: []string{"create"}, FailCount: 1}); err != nil {
		t.Fatal(err)
	}
	f.writeFile("/b", []byte("b")) // fails on brick 1 only
	if n := cl.faults[1].Failed(); n != 1 {
		t.Fatalf("error-gen failed %d fops, want the one create", n)
	}
	if d, p := rootChangelog(t, cl, 0, 1); d != 0 || p != 1 {
		t.Errorf("brick 0's root: entry dirty %d, pending against brick 1 %d; want 0 and 1", d, p)
	}
	if d, p := rootChangelog(t, cl, 1, 0); d != 1 || p != 0 {
		t.Errorf("brick 1's root: entry dirty %d, pending against brick 0 %d; want 1 (it failed) and 0", d, p)
	}
	if got, err := f.read("/b"); err != nil || string(got) != "b" {
		t.Errorf("read /b: %q, %v", got, err)
	}
}

// The same failure with self-heal on: the heal makes the copies identical
// and takes every mark off.
func TestDirHoldFailedCreateIsHealed(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, locks: true, faults: true})
	f := client(t, cl.top)
	f.writeFile("/a", []byte("a"))
	if err := cl.faults[1].Apply(errorgen.Settings{Failure: 100, Errno: syscall.EIO, Fops: []string{"create"}, FailCount: 1}); err != nil {
		t.Fatal(err)
	}
	f.writeFile("/b", []byte("b"))
	cl.waitHealed(t, 10*time.Second)
	if d := entryDirty(t, cl); d[0] != 0 || d[1] != 0 {
		t.Errorf("entry dirty %v after the heal, want 0", d)
	}
	eventuallySameTrees(t, cl.dirs[0], cl.dirs[1])
	if got, err := f.read("/b"); err != nil || string(got) != "b" {
		t.Errorf("read /b: %q, %v", got, err)
	}
}

// A heal of a directory is not kept out by a stream of entry changes in
// it: a full heal finishes while creates in the root go on.
func TestDirHoldLetsHealIn(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, locks: true, faults: true, options: []string{"post-op-delay", "1s"}})
	f := client(t, cl.top)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
			}
			f.writeFile(fmt.Sprintf("/s%05d", k), []byte("s"))
		}
	}()
	defer func() {
		close(stop)
		<-done
	}()
	time.Sleep(100 * time.Millisecond)
	cl.control(t, "full")
	deadline := time.Now().Add(10 * time.Second)
	for {
		time.Sleep(20 * time.Millisecond)
		if st := cl.control(t, "status").(*replicate.Status); !st.FullRunning {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a full heal did not finish within 10 s while creates went on in the root")
		}
	}
}
