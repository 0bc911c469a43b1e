package replicate_test

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	"golang.org/x/sys/unix"
)

// blamedOnDisk counts the inodes of a brick (its hidden .loom left out)
// whose changelog xattrs hold a non-zero value, read straight from disk.
func blamedOnDisk(t *testing.T, brick string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(brick, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".loom" && filepath.Dir(p) == brick {
			return filepath.SkipDir
		}
		buf := make([]byte, 4096)
		sz, err := unix.Llistxattr(p, buf)
		if err != nil {
			return nil
		}
		for _, name := range strings.Split(string(buf[:sz]), "\x00") {
			short := strings.TrimPrefix(strings.TrimPrefix(name, "trusted."), "user.")
			if short != "loom.dirty" && !strings.HasPrefix(short, "loom.pending.") {
				continue
			}
			v := make([]byte, 64)
			k, err := unix.Lgetxattr(p, name, v)
			if err == nil && !bytes.Equal(v[:k], make([]byte, k)) {
				n++
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", brick, err)
	}
	return n
}

// A brick blamed while the mount runs with self-heal off; the graph is
// stopped (its waiting set is lost) and started again on the same bricks:
// the bricks' indexes name every pending inode, so the heal completes
// without a lookup or a full crawl, and the counts match the changelogs
// on disk before and after.
func TestIndexFindsHealsAfterRestart(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, index: true, locks: true, faults: true,
		options: []string{"self-heal", "off"}})
	f := client(t, cl.top)
	f.mkdir("/d")
	f.writeFile("/d/before", []byte("both copies have this"))
	cl.faults[1].Kill()
	for _, p := range []string{"/d/a", "/d/b", "/c"} {
		f.writeFile(p, bytes.Repeat([]byte(p), 1000))
	}
	fd := f.open("/d/before")
	f.write(fd, []byte("only brick0 has this"), 0)
	f.close(fd)
	cl.faults[1].Revive()
	in := cl.control(t, "info").(*replicate.Info)
	want := blamedOnDisk(t, cl.dirs[0])
	if want == 0 || in.Bricks[0].Pending != want || !in.Bricks[0].Indexed {
		t.Fatalf("brick0 index: %+v; %d inodes are blamed on its disk", in.Bricks[0], want)
	}
	if got := blamedOnDisk(t, cl.dirs[1]); in.Bricks[1].Pending != got {
		t.Fatalf("brick1 index: %+v; %d inodes with a changelog on its disk", in.Bricks[1], got)
	}
	if err := cl.g.Stop(); err != nil {
		t.Fatal(err)
	}

	again := newCluster(t, buildOpts{n: 2, index: true, locks: true, faults: true, dirs: cl.dirs})
	again.waitHealed(t, 20*time.Second)
	sameTrees(t, cl.dirs[0], cl.dirs[1])
	in = again.control(t, "info").(*replicate.Info)
	for i, b := range in.Bricks {
		if b.Pending != 0 || blamedOnDisk(t, cl.dirs[i]) != 0 {
			t.Errorf("after the heal, brick %s: %+v, %d blamed on disk", b.Name, b, blamedOnDisk(t, cl.dirs[i]))
		}
	}
}
