package replicate_test

import (
	"context"
	"encoding/binary"
	"path/filepath"
	"testing"
	"time"

	"github.com/pkg/xattr"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	"github.com/loom-fs/loom/xlator"
)

// blame encodes one changelog value (data, metadata, entry).
func blame(d, m, e int32) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint32(b[0:], uint32(d))
	binary.BigEndian.PutUint32(b[4:], uint32(m))
	binary.BigEndian.PutUint32(b[8:], uint32(e))
	return b
}

// A record the healer does not know of (here: made on a brick directly,
// for an inode then unlinked below replicate, so no transaction
// remembers it and no child-up reads the index) is found once the healer
// has nothing left to do: it counts the bricks' records, reads the index
// and drops the stale record, and heal info reaches 0 without an "index"
// command or waiting for the periodic read (10 minutes).
func TestIdleHealerReadsLeftoverRecords(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, index: true, locks: true})
	f := client(t, cl.top)
	ctx := context.Background()
	f.writeFile("/a", []byte("a"))
	f.writeFile("/gone", []byte("gone"))
	_, gone, err := f.resolve("/gone")
	if err != nil {
		t.Fatal(err)
	}
	_, a, err := f.resolve("/a")
	if err != nil {
		t.Fatal(err)
	}
	brick0 := cl.g.Find("locks0")
	mark := func(g xlator.GFID, v []byte) {
		t.Helper()
		if _, err := brick0.Xattrop(ctx, xlator.RootCall(), &xlator.Loc{GFID: g}, xlator.AddArray32, xlator.XData{"loom.pending.locks1": v}); err != nil {
			t.Fatalf("xattrop: %v", err)
		}
	}
	mark(gone.GFID, blame(1, 0, 0))
	for i := 0; i < 2; i++ {
		below := cl.g.Find([]string{"locks0", "locks1"}[i])
		loc := &xlator.Loc{Parent: xlator.RootGFID, Name: "gone", Path: "/gone", GFID: gone.GFID}
		if err := below.Unlink(ctx, xlator.RootCall(), loc); err != nil {
			t.Fatalf("unlink below replicate on brick %d: %v", i, err)
		}
	}
	in := cl.control(t, "info").(*replicate.Info)
	listed := false
	for _, e := range in.Entries {
		listed = listed || e.GFID == gone.GFID.String()
	}
	if !listed {
		t.Fatalf("info before: %+v, want the stale record of %s listed", in, gone.GFID)
	}
	// Give the healer something to heal and forget: a metadata blame
	// on /a, found by a lookup.
	mark(a.GFID, blame(0, 1, 0))
	cl.top.Lookup(ctx, xlator.RootCall(), xlator.RootLoc().Child("a"), nil)
	cl.waitHealed(t, 5*time.Second)
}

// A copy's blame of itself is written by no fop and ignored by every
// verdict, but it kept the brick's index record (and heal info above 0)
// for good: the heal that finds one takes it off, and the record goes.
func TestStraySelfBlameIsCleared(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, index: true, locks: true})
	f := client(t, cl.top)
	ctx := context.Background()
	f.writeFile("/a", []byte("a"))
	_, a, err := f.resolve("/a")
	if err != nil {
		t.Fatal(err)
	}
	cl.control(t, "sync")
	brick0 := cl.g.Find("locks0")
	if _, err := brick0.Xattrop(ctx, xlator.RootCall(), &xlator.Loc{GFID: a.GFID}, xlator.AddArray32, xlator.XData{"loom.pending.locks0": blame(0, 1, 0)}); err != nil {
		t.Fatalf("xattrop: %v", err)
	}
	cl.control(t, "index")
	cl.waitHealed(t, 5*time.Second)
	if v, err := xattr.LGet(filepath.Join(cl.dirs[0], "a"), "trusted.loom.pending.locks0"); err == nil {
		t.Fatalf("the self-blame is still on brick0: %x", v)
	}
}
