package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// indexServerVolfile exports brick as posix, features/index and
// features/locks ("locks") on 127.0.0.1:port.
func indexServerVolfile(brick string, port int) string {
	return fmt.Sprintf(`volume brick
    type storage/posix
    option directory %s
end-volume
volume index
    type features/index
    subvolumes brick
end-volume
volume locks
    type features/locks
    subvolumes index
end-volume
volume server
    type protocol/server
    option transport.socket.listen-address 127.0.0.1
    option transport.socket.listen-port %d
    subvolumes locks
end-volume
`, brick, port)
}

// replicaClientVolfile is replicate over one protocol/client per port.
func replicaClientVolfile(ports []int) string {
	var b strings.Builder
	var kids []string
	for i, p := range ports {
		fmt.Fprintf(&b, "volume c%d\n    type protocol/client\n    option remote-host 127.0.0.1\n    option remote-port %d\n    option remote-subvolume locks\n    option ping-timeout 2s\n    option reconnect-max-backoff 300ms\nend-volume\n", i, p)
		kids = append(kids, fmt.Sprintf("c%d", i))
	}
	fmt.Fprintf(&b, "volume rep\n    type cluster/replicate\n    subvolumes %s\nend-volume\n", strings.Join(kids, " "))
	return b.String()
}

// healInfo is what "loom heal MNT info --json" prints per volume.
type healInfo struct {
	Pending    int `json:"pending"`
	SplitBrain int `json:"split_brain"`
	Bricks     []struct {
		Name    string `json:"name"`
		Up      bool   `json:"up"`
		Indexed bool   `json:"indexed"`
		Pending int64  `json:"pending"`
	} `json:"bricks"`
}

// runHealInfo runs the loom binary's "heal MNT info --json".
func runHealInfo(t *testing.T, mnt string) healInfo {
	t.Helper()
	out, err := exec.Command(loomBin, "heal", "--json", mnt, "info").CombinedOutput()
	if err != nil {
		t.Fatalf("loom heal info: %v\n%s", err, out)
	}
	var rep struct {
		Result healInfo `json:"result"`
		Error  string   `json:"error"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || rep.Error != "" {
		t.Fatalf("loom heal info answered %q (%v)", out, err)
	}
	return rep.Result
}

// waitHealInfoZero polls heal info until nothing is pending anywhere.
func waitHealInfoZero(t *testing.T, mnt string, within time.Duration) healInfo {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		in := runHealInfo(t, mnt)
		done := in.Pending == 0
		for _, b := range in.Bricks {
			done = done && b.Up && b.Pending == 0
		}
		if done {
			return in
		}
		if time.Now().After(deadline) {
			human, _ := exec.Command(loomBin, "heal", mnt, "info").CombinedOutput()
			t.Fatalf("heal info not 0 after %v: %+v\n%s", within, in, human)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// sameBricks compares two bricks entry by entry: contents, modes, owners,
// ns mtimes, xattrs (Loom's own left out; the root's times too, which
// .loom changes).
func sameBricks(t *testing.T, a, b string) {
	t.Helper()
	so := snapshotOpts{skipInternal: true, skipRootTime: true}
	sa, sb := snapshot(t, a, so), snapshot(t, b, so)
	if len(sa) < 2 {
		t.Fatalf("brick %s is empty", a)
	}
	if !reflect.DeepEqual(sa, sb) {
		t.Errorf("the bricks differ:\n%s", diffSnapshots(sa, sb))
	}
}

// writer writes, renames, truncates and changes files under dir until
// stopped, failing the test on any error: the mount must keep working.
type writer struct {
	stop  atomic.Bool
	wg    sync.WaitGroup
	n     atomic.Int64
	fails atomic.Int64
	err   atomic.Value
}

func startWriter(t *testing.T, dir string) *writer {
	t.Helper()
	w := &writer{}
	must(t, os.MkdirAll(dir, 0o755))
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		block := bytes.Repeat([]byte("loom heal "), 3000)
		for k := 0; !w.stop.Load(); k++ {
			p := filepath.Join(dir, fmt.Sprintf("f%03d", k%200))
			err := os.WriteFile(p, block[:1000+k%20000], 0o640)
			if err == nil && k%7 == 0 {
				err = os.Truncate(p, int64(k%500))
			}
			if err == nil && k%11 == 0 {
				err = os.Rename(p, p+".r")
			}
			if err == nil && k%13 == 0 {
				err = os.Chmod(filepath.Join(dir), 0o755)
			}
			if err == nil && k%17 == 0 {
				err = unix.Setxattr(p+".r", "user.k", []byte(fmt.Sprint(k)), 0)
				if err == unix.ENOENT {
					err = nil
				}
			}
			if err != nil {
				w.fails.Add(1)
				w.err.Store(fmt.Errorf("op %d on %s: %w", k, p, err))
			}
			w.n.Add(1)
		}
	}()
	return w
}

func (w *writer) finish(t *testing.T) {
	t.Helper()
	w.stop.Store(true)
	w.wg.Wait()
	if w.fails.Load() > 0 {
		t.Errorf("%d of %d fops failed through the mount; last: %v", w.fails.Load(), w.n.Load(), w.err.Load())
	}
}

// kill -9 of one brick's loom serve during writes through replicate(2):
// the mount keeps working; the server comes back on its port; the heal
// completes (found through the bricks' indexes, no full crawl) and heal
// info reaches 0; both bricks are identical (contents, modes, owners, ns
// times, xattrs).
func TestHealServeKill9DuringWrites(t *testing.T) {
	requireEnv(t)
	bricks := newBricks(t, 2)
	ports := []int{freePort(t), freePort(t)}
	startServe(t, indexServerVolfile(bricks[0], ports[0]))
	vol1 := indexServerVolfile(bricks[1], ports[1])
	srv1 := startServe(t, vol1)
	m := mountLoomWith(t, replicaClientVolfile(ports), mountConfig{deadline: 2 * time.Minute})
	w := startWriter(t, m.Path("w"))
	m.guard(t, 90*time.Second, "writes around a brick kill", func() {
		time.Sleep(500 * time.Millisecond)
		srv1.kill9(t)
		time.Sleep(3 * time.Second) // past ping-timeout: the brick is down, writes go on
		in := runHealInfo(t, m.Dir)
		if in.Bricks[0].Pending == 0 {
			t.Errorf("nothing pending in brick 0's index while brick 1 is down: %+v", in)
		}
		startServe(t, vol1)
		time.Sleep(time.Second)
	})
	w.finish(t)
	t.Logf("%d fops through the mount", w.n.Load())
	m.guard(t, 60*time.Second, "heal", func() { waitHealInfoZero(t, m.Dir, 45*time.Second) })
	if code := m.Unmount(t); code != 0 {
		t.Errorf("loom exited with %d", code)
	}
	sameBricks(t, bricks[0], bricks[1])
}

// A brick blamed, then the mount killed with kill -9 (its waiting set is
// lost): the remount finds every pending heal in the bricks' indexes and
// completes it without "heal full"; the index counts match before and
// reach 0 after.
func TestHealIndexAfterMountKill9(t *testing.T) {
	requireEnv(t)
	bricks := newBricks(t, 2)
	ports := []int{freePort(t), freePort(t)}
	startServe(t, indexServerVolfile(bricks[0], ports[0]))
	vol1 := indexServerVolfile(bricks[1], ports[1])
	srv1 := startServe(t, vol1)
	volfile := replicaClientVolfile(ports)
	m := mountLoomWith(t, volfile, mountConfig{deadline: time.Minute})
	must(t, os.MkdirAll(m.Path("d/e"), 0o755))
	writeFile(t, m.Path("d/old"), []byte("both"))
	srv1.kill9(t)
	for k := 0; k < 50; k++ {
		writeFile(t, m.Path(fmt.Sprintf("d/e/n%02d", k)), bytes.Repeat([]byte{byte(k)}, 5000))
	}
	writeFile(t, m.Path("d/old"), []byte("brick 0 only"))
	must(t, os.Chmod(m.Path("d/old"), 0o600))
	in := runHealInfo(t, m.Dir)
	if in.Bricks[0].Pending < 3 || in.Bricks[1].Up {
		t.Fatalf("heal info while brick 1 is down: %+v", in)
	}
	m.kill()
	m.Exited(10 * time.Second)
	unmountWithin(m.Dir, unix.MNT_DETACH)
	startServe(t, vol1)

	m2 := mountLoomWith(t, volfile, mountConfig{deadline: time.Minute})
	m2.guard(t, 45*time.Second, "heal after remount", func() { waitHealInfoZero(t, m2.Dir, 30*time.Second) })
	if code := m2.Unmount(t); code != 0 {
		t.Errorf("loom exited with %d", code)
	}
	sameBricks(t, bricks[0], bricks[1])
	if n := len(readIndexDir(t, bricks[0])) + len(readIndexDir(t, bricks[1])); n != 0 {
		t.Errorf("%d index records left on the bricks after the heal", n)
	}
}

// readIndexDir lists the records in a brick's index directory.
func readIndexDir(t *testing.T, brick string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(brick, ".loom", "index"))
	if err != nil {
		t.Fatalf("index directory: %v", err)
	}
	var out []string
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "base-") {
			out = append(out, e.Name())
		}
	}
	return out
}
