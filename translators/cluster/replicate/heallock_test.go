package replicate_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	errorgen "github.com/loom-fs/loom/translators/debug/error-gen"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// TestHealNeedsEveryLock: a heal writes no copy whose lock it could not
// take. With brick1 refusing every inode lock, the heal of a file brick1
// missed a write of fails and is retried; brick1's copy stays as it was
// (no writer could be kept off it) until the locks work again, and then
// the heal makes the copies equal.
func TestHealNeedsEveryLock(t *testing.T) {
	var buf xlatortest.SyncBuffer
	lg := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cl := newCluster(t, buildOpts{n: 2, locks: true, faults: true, log: lg})
	f := client(t, cl.top)
	old := bytes.Repeat([]byte("o"), 5000)
	f.writeFile("/f", old)
	// Kill keeps these settings for Revive: brick1 comes back refusing
	// inode locks, so no heal can lock it.
	if err := cl.faults[1].Apply(errorgen.Settings{Failure: 100, Errno: syscall.EIO, Fops: []string{"inodelk", "finodelk"}}); err != nil {
		t.Fatal(err)
	}
	cl.faults[1].Kill()
	fd := f.open("/f")
	f.write(fd, []byte("NEW"), 100)
	f.close(fd)
	cl.faults[1].Revive()

	cl.control(t, "full")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "did not grant the heal's lock") {
		if time.Now().After(deadline) {
			t.Fatalf("no heal failed for want of brick1's lock; log:\n%s", buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for cl.control(t, "status").(*replicate.Status).FullRunning {
		time.Sleep(10 * time.Millisecond)
	}
	got, err := os.ReadFile(filepath.Join(cl.dirs[1], "f"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, old) {
		t.Fatalf("brick1's copy was written by a heal that did not hold its lock")
	}

	// Once the locks work, a child-up's index heal (what a brick that
	// comes back gets) heals it at once.
	if err := cl.faults[1].Apply(errorgen.Settings{}); err != nil {
		t.Fatal(err)
	}
	cl.control(t, "index")
	cl.waitHealed(t, 20*time.Second)
	sameTrees(t, cl.dirs[0], cl.dirs[1])
}
