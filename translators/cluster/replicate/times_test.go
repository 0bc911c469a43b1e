package replicate_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// After writes, creates, renames, truncates, a symlink, a hard link, a
// touch and removals through replicate(2), both bricks hold the same
// atime and mtime to the nanosecond on every file and directory, without
// any heal (self-heal off): once the queued syncs ran (post-op-delay), and
// again after the graph stopped.
func TestReplicasGetIdenticalTimes(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, locks: true, options: []string{"self-heal", "off", "post-op-delay", "30ms"}})
	f := client(t, cl.top)
	ctx := context.Background()
	f.mkdir("/d")
	f.mkdir("/d/sub")
	f.writeFile("/d/a", bytes.Repeat([]byte("a"), 100000))
	f.writeFile("/d/b", []byte("bee"))
	fd := f.open("/d/a")
	for k := 0; k < 10; k++ {
		f.write(fd, []byte("more"), int64(k*1000))
	}
	f.close(fd)
	if _, err := cl.top.Truncate(ctx, f.c, f.loc("/d/b"), 1); err != nil {
		t.Fatalf("truncate: %v", err)
	}
	if err := cl.top.Rename(ctx, f.c, f.loc("/d/b"), f.loc("/d/sub").Child("b2"), 0); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if _, err := cl.top.Symlink(ctx, f.c, "a", f.newLoc("/d/ln"), 0); err != nil {
		t.Fatalf("symlink: %v", err)
	}
	if _, err := cl.top.Link(ctx, f.c, f.loc("/d/a"), f.newLoc("/d/sub/hard")); err != nil {
		t.Fatalf("link: %v", err)
	}
	f.writeFile("/d/gone", []byte("x"))
	if err := cl.top.Unlink(ctx, f.c, f.loc("/d").Child("gone")); err != nil {
		t.Fatalf("unlink: %v", err)
	}
	if _, err := cl.top.Setattr(ctx, f.c, f.loc("/d/sub/b2"), &xlator.SetAttr{Valid: xlator.SetAtimeNow | xlator.SetMtimeNow}); err != nil {
		t.Fatalf("touch: %v", err)
	}
	f.writeFile("/e", nil)
	deadline := time.Now().Add(5 * time.Second)
	for treeOf(t, cl.dirs[0], ".") != treeOf(t, cl.dirs[1], ".") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	sameTrees(t, cl.dirs[0], cl.dirs[1])
	if err := cl.g.Stop(); err != nil {
		t.Fatal(err)
	}
	sameTrees(t, cl.dirs[0], cl.dirs[1])
}
