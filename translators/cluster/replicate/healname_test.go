package replicate_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// gfidOnBrick returns the GFID storage/posix keeps for p on a brick.
func gfidOnBrick(t *testing.T, brick, p string) ([]byte, error) {
	t.Helper()
	buf := make([]byte, 16)
	var err error
	for _, ns := range []string{"trusted", "user"} {
		var n int
		if n, err = unix.Lgetxattr(filepath.Join(brick, p), ns+".loom.gfid", buf); err == nil {
			return buf[:n], nil
		}
	}
	return nil, err
}

// A lookup that finds an entry missing on a sink creates it there before
// it answers (the name heal), with the source's GFID: walking a deep
// chain made while a brick was away finds every level already on the
// returning brick right after its lookup, so one crawl through a mount
// creates the whole tree. Contents and attributes follow in the
// background: the bricks end identical.
func TestLookupCreatesMissingEntry(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, locks: true, faults: true})
	f := client(t, cl.top)
	ctx := context.Background()
	f.mkdir("/c")
	cl.faults[1].Kill()
	const depth = 40
	var parts []string
	for k := 0; k < depth; k++ {
		parts = append(parts, fmt.Sprintf("d%02d", k))
		f.mkdir("/c/" + strings.Join(parts, "/"))
	}
	deep := "/c/" + strings.Join(parts, "/")
	f.writeFile(deep+"/file", bytes.Repeat([]byte("deep "), 1000))
	if _, err := cl.top.Symlink(ctx, f.c, "file", f.newLoc(deep+"/link"), 0); err != nil {
		t.Fatal(err)
	}
	cl.faults[1].Revive()
	check := func(loc *xlator.Loc, rel string) {
		t.Helper()
		st, _, err := cl.top.Lookup(ctx, f.c, loc, nil)
		if err != nil {
			t.Fatalf("lookup %s: %v", rel, err)
		}
		loc.GFID = st.GFID
		g, err := gfidOnBrick(t, cl.dirs[1], rel)
		if err != nil {
			t.Fatalf("%s is not on the returning brick right after its lookup: %v", rel, err)
		}
		if !bytes.Equal(g, st.GFID[:]) {
			t.Fatalf("%s on the returning brick has GFID %x, want %x", rel, g, st.GFID[:])
		}
	}
	dir, rel := f.loc("/c"), "c"
	for _, name := range parts {
		dir, rel = dir.Child(name), filepath.Join(rel, name)
		check(dir, rel)
	}
	check(dir.Child("file"), filepath.Join(rel, "file"))
	check(dir.Child("link"), filepath.Join(rel, "link"))
	if got, err := f.read(deep + "/file"); err != nil || !bytes.Equal(got, bytes.Repeat([]byte("deep "), 1000)) {
		t.Errorf("read of the file the lookup created on a sink: %d bytes, %v", len(got), err)
	}
	cl.waitHealed(t, 30*time.Second)
	sameTrees(t, cl.dirs[0], cl.dirs[1])
}
