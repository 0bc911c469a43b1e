package replicate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A heal that changes a sink moves the sink's times: creating a name in
// a directory moves its mtime, writing a file's data moves the file's.
// The source's times must win on every copy afterwards, even when the
// sink is the read child (which a metadata heal of copies that no
// changelog tells apart would take the times from): here the returning
// brick is read-subvolume, and the times the live brick had before the
// heal must be on both bricks after it.
func TestHealKeepsSourceTimes(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, index: true, locks: true, faults: true,
		options: []string{"read-subvolume", "brick1", "read-hash-mode", "0"}})
	f := client(t, cl.top)
	f.mkdir("/d")
	f.writeFile("/d/x", []byte("before"))
	cl.faults[1].Kill()
	f.writeFile("/d/new", []byte("made while brick1 was away"))
	fd := f.open("/d/x")
	f.write(fd, bytes.Repeat([]byte("after "), 100), 0)
	f.close(fd)
	mtime := func(brick int, p string) time.Time {
		t.Helper()
		st, err := os.Lstat(filepath.Join(cl.dirs[brick], p))
		if err != nil {
			t.Fatal(err)
		}
		return st.ModTime()
	}
	want := map[string]time.Time{"d": mtime(0, "d"), "d/x": mtime(0, "d/x")}
	cl.faults[1].Revive()
	cl.waitHealed(t, 30*time.Second)
	for p, w := range want {
		for b := range cl.dirs {
			if got := mtime(b, p); !got.Equal(w) {
				t.Errorf("brick%d %s: mtime %v after the heal, want the source's %v", b, p, got, w)
			}
		}
	}
	sameTrees(t, cl.dirs[0], cl.dirs[1])
}
