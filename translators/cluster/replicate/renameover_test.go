package replicate_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"
)

// Renames over existing names while a brick is down: the live brick's
// fNN.r is the renamed file (its GFID), the returning brick's fNN.r still
// the old file, and its fNN the renamed file under its old name. The
// entry heal replaces the stale fNN.r; when it does so by linking the
// inode the sink already has (create answers EEXIST) it leaves that inode
// blamed, and the inode must be healed then, not when the indexes are
// next read (10 minutes): info reaches 0 and the bricks are identical.
// Half the files are also rewritten while the brick is away, so their
// heal races the entry heal.
func TestRenameOverExistingWhileDownIsHealed(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, index: true, locks: true, faults: true})
	f := client(t, cl.top)
	ctx := context.Background()
	f.mkdir("/d")
	const n = 24
	for k := 0; k < n; k++ {
		f.writeFile(fmt.Sprintf("/d/f%02d", k), bytes.Repeat([]byte{'a' + byte(k)}, 1000+k))
		f.writeFile(fmt.Sprintf("/d/f%02d.r", k), []byte("old target"))
	}
	cl.faults[1].Kill()
	for k := 0; k < n; k++ {
		p := fmt.Sprintf("/d/f%02d", k)
		if k%2 == 1 {
			fd := f.open(p)
			f.write(fd, bytes.Repeat([]byte("new "), 500+k), 0)
			f.close(fd)
		}
		if err := cl.top.Rename(ctx, f.c, f.loc(p), f.loc(p+".r"), 0); err != nil {
			t.Fatalf("rename %s: %v", p, err)
		}
	}
	cl.faults[1].Revive()
	cl.waitHealed(t, 5*time.Second)
	sameTrees(t, cl.dirs[0], cl.dirs[1])
}

// Files written and then unlinked while a brick is down: the live brick's
// index keeps a record of each (its changelog blamed the absent brick
// when the file went), and the returning brick still has the files until
// the entry heal removes them. Each inode is remembered by its write and
// healed when the brick returns, racing that entry heal and the read of
// the indexes; however that goes, the records must go with the inodes,
// and info must reach 0 without waiting for the next index read.
func TestUnlinkWhileDownDropsRecords(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, index: true, locks: true, faults: true})
	f := client(t, cl.top)
	ctx := context.Background()
	f.mkdir("/d")
	const n = 24
	for k := 0; k < n; k++ {
		f.writeFile(fmt.Sprintf("/d/f%02d", k), []byte("before"))
	}
	cl.faults[1].Kill()
	for k := 0; k < n; k++ {
		p := fmt.Sprintf("/d/f%02d", k)
		fd := f.open(p)
		f.write(fd, []byte("while down"), 0)
		f.close(fd)
		if err := cl.top.Unlink(ctx, f.c, f.loc(p)); err != nil {
			t.Fatalf("unlink %s: %v", p, err)
		}
	}
	cl.faults[1].Revive()
	cl.waitHealed(t, 5*time.Second)
	sameTrees(t, cl.dirs[0], cl.dirs[1])
}
