package replicate_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	"golang.org/x/sys/unix"
)

// changelogOnDisk returns the changelog xattrs (loom.dirty,
// loom.pending.*) stored on path, by on-disk name.
func changelogOnDisk(t *testing.T, path string) map[string][]byte {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := unix.Llistxattr(path, buf)
	if err != nil {
		t.Fatalf("listxattr %s: %v", path, err)
	}
	out := map[string][]byte{}
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if !strings.HasSuffix(name, ".loom.dirty") && !strings.Contains(name, ".loom.pending.") {
			continue
		}
		v := make([]byte, 64)
		m, err := unix.Lgetxattr(path, name, v)
		if err != nil {
			t.Fatalf("getxattr %s %s: %v", path, name, err)
		}
		out[name] = v[:m]
	}
	return out
}

// Counters that drop to zero are removed from the bricks: a file whose
// transactions all ended carries no changelog keys. A brick that misses a
// write is still blamed (the key stays, non-zero, on the other brick and
// features/index lists the file), is healed when it comes back, and then
// neither copy carries a key and the index is empty.
func TestZeroChangelogIsRemovedAndMissedWriteHealed(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, index: true, locks: true, faults: true})
	f := client(t, cl.top)
	f.writeFile("/clean", []byte("both bricks saw this"))
	for i, dir := range cl.dirs {
		if keys := changelogOnDisk(t, dir+"/clean"); len(keys) != 0 {
			t.Fatalf("brick %d: changelog left after a clean write: %v", i, keys)
		}
	}
	cl.faults[1].Kill()
	data := bytes.Repeat([]byte("missed by brick1 "), 1000)
	fd := f.open("/clean")
	f.write(fd, data, 0)
	f.close(fd)
	keys := changelogOnDisk(t, cl.dirs[0]+"/clean")
	var blame []byte
	for name, v := range keys {
		if strings.HasSuffix(name, ".loom.pending.brick1") {
			blame = v
		}
	}
	if len(blame) < 4 || int32(binary.BigEndian.Uint32(blame)) <= 0 {
		t.Fatalf("brick0 does not blame brick1's data after a write it missed: %v", keys)
	}
	if in := cl.control(t, "info").(*replicate.Info); in.Pending == 0 {
		t.Fatalf("the index lists nothing while brick1 missed a write: %+v", in)
	}
	cl.faults[1].Revive()
	cl.waitHealed(t, 20*time.Second)
	sameTrees(t, cl.dirs[0], cl.dirs[1])
	for i, dir := range cl.dirs {
		if keys := changelogOnDisk(t, dir+"/clean"); len(keys) != 0 {
			t.Fatalf("brick %d: changelog left after the heal: %v", i, keys)
		}
	}
	got, err := f.read("/clean")
	if err != nil || !bytes.HasPrefix(got, data) {
		t.Fatalf("read after heal: %d bytes, %v", len(got), err)
	}
}
