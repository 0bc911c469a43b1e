package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// distVolfile is a cluster/distribute volume over one storage/posix brick
// per directory.
func distVolfile(bricks []string) string {
	var b strings.Builder
	var names []string
	for i, dir := range bricks {
		name := fmt.Sprintf("brick%d", i)
		names = append(names, name)
		fmt.Fprintf(&b, "volume %s\n    type storage/posix\n    option directory %s\nend-volume\n\n", name, dir)
	}
	fmt.Fprintf(&b, "volume dht\n    type cluster/distribute\n    option rebalance-workers 4\n    subvolumes %s\nend-volume\n", strings.Join(names, " "))
	return b.String()
}

// distBricks makes n empty brick directories.
func distBricks(t *testing.T, n int) []string {
	t.Helper()
	dir := testDir(t)
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, mkdirAll(t, filepath.Join(dir, fmt.Sprintf("brick%d", i))))
	}
	return out
}

// TestDistributePosixtest runs go-fuse's POSIX cases through a
// distribute mount over 2, 3 and 5 bricks.
func TestDistributePosixtest(t *testing.T) {
	for _, n := range []int{2, 3, 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			m := mountLoomWith(t, distVolfile(distBricks(t, n)), mountConfig{deadline: 3 * time.Minute})
			runPosixtestCases(t, m, "")
		})
	}
}

// dataOn counts, per brick, the regular files under rel that are data
// (not link files, mode ---------T).
func dataOn(t *testing.T, bricks []string, rel string) (perBrick []int, where map[string][]int) {
	t.Helper()
	where = map[string][]int{}
	perBrick = make([]int, len(bricks))
	for i, b := range bricks {
		ents, err := os.ReadDir(filepath.Join(b, rel))
		if err != nil {
			continue
		}
		for _, e := range ents {
			fi, err := e.Info()
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			if fi.Mode()&os.ModeSticky != 0 && fi.Mode().Perm() == 0 {
				continue
			}
			perBrick[i]++
			where[e.Name()] = append(where[e.Name()], i)
		}
	}
	return perBrick, where
}

// TestDistributeReloadAndRebalance grows a mounted volume: a third brick
// is added to the volfile and "loom volfile reload" switches the live
// mount to it; files stay, a handle opened before keeps working, and
// "loom rebalance start" moves a share of the files to the new brick,
// each file ending on exactly one brick with its contents. SIGHUP to the
// mount process then reloads again instead of unmounting, and so does the
// alias "loom reload".
func TestDistributeReloadAndRebalance(t *testing.T) {
	bricks := distBricks(t, 3)
	m := mountLoomWith(t, distVolfile(bricks[:2]), mountConfig{deadline: 3 * time.Minute})
	const files = 300
	want := map[string][]byte{}
	if err := os.Mkdir(m.Path("d"), 0o755); err != nil {
		t.Fatal(err)
	}
	m.guard(t, time.Minute, "write files", func() {
		for i := 0; i < files; i++ {
			name := fmt.Sprintf("f%03d", i)
			data := bytes.Repeat([]byte(name), 100+i)
			if err := os.WriteFile(m.Path("d", name), data, 0o644); err != nil {
				t.Fatal(err)
			}
			want[name] = data
		}
	})
	held, err := os.OpenFile(m.Path("d", "held"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if _, err := held.WriteString("before reload;"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(m.Volfile, []byte(distVolfile(bricks)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runLoom(t, "volfile", "reload", m.Dir); r.code != 0 || !strings.Contains(r.stdout, "switched to top dht") {
		t.Fatalf("loom volfile reload: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	m.guard(t, time.Minute, "use the mount after the reload", func() {
		if _, err := held.WriteString("after reload"); err != nil {
			t.Fatalf("write through a handle opened before the reload: %v", err)
		}
		if err := held.Close(); err != nil {
			t.Fatal(err)
		}
		want["held"] = []byte("before reload;after reload")
		if got, err := os.ReadFile(m.Path("d", "held")); err != nil || !bytes.Equal(got, want["held"]) {
			t.Fatalf("held file reads %q, %v", got, err)
		}
		ents, err := os.ReadDir(m.Path("d"))
		if err != nil || len(ents) != files+1 {
			t.Fatalf("after the reload /d lists %d entries (%v), want %d", len(ents), err, files+1)
		}
		if err := os.WriteFile(m.Path("d", "new-after-reload"), []byte("n"), 0o644); err != nil {
			t.Fatal(err)
		}
		want["new-after-reload"] = []byte("n")
	})
	r := runLoom(t, "rebalance", "--wait", m.Dir, "start")
	if r.code != 0 || !strings.Contains(r.stdout, "completed") {
		t.Fatalf("loom rebalance start: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	t.Logf("rebalance: %s", strings.TrimSpace(r.stdout))
	perBrick, where := dataOn(t, bricks, "d")
	if perBrick[2] < files/6 {
		t.Errorf("the new brick holds %d files after rebalance (per brick %v), want about a third", perBrick[2], perBrick)
	}
	m.guard(t, time.Minute, "check files", func() {
		ents, err := os.ReadDir(m.Path("d"))
		if err != nil || len(ents) != len(want) {
			t.Fatalf("/d lists %d entries (%v), want %d", len(ents), err, len(want))
		}
		for name, data := range want {
			if on := where[name]; len(on) != 1 {
				t.Errorf("%s is data on bricks %v, want exactly one", name, on)
			}
			got, err := os.ReadFile(m.Path("d", name))
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("%s: %d bytes, %v; want %d bytes", name, len(got), err, len(data))
			}
		}
	})
	r = runLoom(t, "rebalance", "--json", m.Dir, "status")
	if r.code != 0 || !strings.Contains(r.stdout, `"state":"completed"`) {
		t.Fatalf("status --json: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	// Each old brick kept most of its range: only the files whose hash
	// the new brick took over moved, about a third (an even re-split
	// moved two thirds on average), all of them to the new brick.
	var reply struct {
		Status struct {
			Migrated int64 `json:"migrated"`
		} `json:"status"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &reply); err != nil {
		t.Fatalf("status --json: %v in %q", err, r.stdout)
	}
	st := reply.Status
	if frac := float64(st.Migrated) / float64(len(want)); frac > 0.45 || st.Migrated != int64(perBrick[2]) {
		t.Errorf("rebalance migrated %d of %d files (%.0f%%), the new brick holds %d; want about a third, all to the new brick",
			st.Migrated, len(want), frac*100, perBrick[2])
	}
	// SIGHUP reloads the volfile (as GlusterFS does) and the mount goes
	// on; "loom reload" is the same as "loom volfile reload".
	if err := syscall.Kill(m.Pid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if out, _ := os.ReadFile(m.Output); strings.Contains(string(out), "SIGHUP: reloaded") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reload a minute after SIGHUP:\n%s", tail(m.Output, 20))
		}
	}
	if r := runLoom(t, "reload", m.Dir); r.code != 0 || !strings.Contains(r.stdout, "switched to top dht") {
		t.Fatalf("loom reload: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}
	m.guard(t, time.Minute, "use the mount after SIGHUP", func() {
		if !isMounted(m.Dir) {
			t.Fatal("SIGHUP unmounted the volume")
		}
		for name, data := range want {
			if got, err := os.ReadFile(m.Path("d", name)); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("%s after SIGHUP: %d bytes, %v", name, len(got), err)
			}
		}
	})
}

// distReplicaClientVolfile is distributed-replicate 2x2 over four loom
// serve processes: one protocol/client per port, replicate over ports 0
// and 1 ("pair0") and over 2 and 3 ("pair1"), distribute over the pairs.
func distReplicaClientVolfile(ports []int) string {
	var b strings.Builder
	for i, p := range ports {
		fmt.Fprintf(&b, "volume c%d\n    type protocol/client\n    option remote-host 127.0.0.1\n    option remote-port %d\n    option remote-subvolume locks\n    option ping-timeout 2s\n    option reconnect-max-backoff 300ms\nend-volume\n", i, p)
	}
	b.WriteString("volume pair0\n    type cluster/replicate\n    subvolumes c0 c1\nend-volume\n")
	b.WriteString("volume pair1\n    type cluster/replicate\n    subvolumes c2 c3\nend-volume\n")
	b.WriteString("volume dht\n    type cluster/distribute\n    subvolumes pair0 pair1\nend-volume\n")
	return b.String()
}

// pairHealInfo runs "loom heal --volume VOLUME --json MNT info".
func pairHealInfo(t *testing.T, mnt, volume string) healInfo {
	t.Helper()
	// The mount shows in mountinfo a moment before loom has its control
	// socket (the kernel lists it once mount(2) returns): retry that.
	var out []byte
	var err error
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out, err = exec.Command(loomBin, "heal", "--volume", volume, "--json", mnt, "info").CombinedOutput()
		if err == nil || !strings.Contains(string(out), "no loom process answers") || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("loom heal --volume %s info: %v\n%s", volume, err, out)
	}
	var rep struct {
		Result healInfo `json:"result"`
		Error  string   `json:"error"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || rep.Error != "" {
		t.Fatalf("loom heal --volume %s info answered %q (%v)", volume, out, err)
	}
	return rep.Result
}

// pairHealed polls the heal info of a replicate volume until nothing is
// pending and both its bricks are up; it returns the last answer and
// whether that happened within the time given.
func pairHealed(t *testing.T, mnt, volume string, within time.Duration) (healInfo, bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		in := pairHealInfo(t, mnt, volume)
		done := in.Pending == 0 && len(in.Bricks) == 2
		for _, b := range in.Bricks {
			done = done && b.Up && b.Pending == 0
		}
		if done {
			return in, true
		}
		if time.Now().After(deadline) {
			return in, false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Distributed-replicate 2x2 over four "loom serve" processes (posix,
// index, locks, server; one brick each) mounted with "loom mount":
// go-fuse's posixtest passes through it; then kill -9 of one brick's
// process during writes: its replica partner serves and the mount keeps
// working; the process restarts on its port, heal info of both pairs
// reaches 0 and each pair's bricks are identical (contents, modes,
// owners, ns times, xattrs).
func TestDistributeReplicate2x2(t *testing.T) {
	requireEnv(t)
	bricks := distBricks(t, 4)
	ports := []int{freePort(t), freePort(t), freePort(t), freePort(t)}
	vols := make([]string, 4)
	srvs := make([]*Server, 4)
	for i := range bricks {
		vols[i] = indexServerVolfile(bricks[i], ports[i])
		srvs[i] = startServe(t, vols[i])
	}
	m := mountLoomWith(t, distReplicaClientVolfile(ports), mountConfig{deadline: 5 * time.Minute})
	runPosixtestCases(t, m, "")
	w := startWriter(t, m.Path("w"))
	m.guard(t, 90*time.Second, "writes around a brick kill", func() {
		time.Sleep(500 * time.Millisecond)
		srvs[1].kill9(t)
		time.Sleep(3 * time.Second) // past ping-timeout: the brick is down, writes go on
		if in := pairHealInfo(t, m.Dir, "pair0"); in.Bricks[0].Pending == 0 || in.Bricks[1].Up {
			t.Errorf("pair0's heal info while its second brick is down: %+v", in)
		}
		srvs[1] = startServe(t, vols[1])
		time.Sleep(time.Second)
	})
	w.finish(t)
	t.Logf("%d fops through the mount around the kill", w.n.Load())
	perBrick, _ := dataOn(t, bricks, "w")
	if perBrick[0] == 0 || perBrick[2] == 0 {
		t.Errorf("the writer's files are not spread over both pairs: %v", perBrick)
	}
	var stuck []string
	m.guard(t, 90*time.Second, "heal", func() {
		for _, p := range []struct {
			volume string
			within time.Duration
		}{{"pair0", 60 * time.Second}, {"pair1", 30 * time.Second}} {
			if in, ok := pairHealed(t, m.Dir, p.volume, p.within); !ok {
				stuck = append(stuck, fmt.Sprintf("%s: %+v", p.volume, in))
			}
		}
	})
	if code := m.Unmount(t); code != 0 {
		t.Errorf("loom exited with %d", code)
	}
	if len(stuck) > 0 {
		t.Fatalf("heal info did not reach 0 after the restart: %s", strings.Join(stuck, "; "))
	}
	sameBricks(t, bricks[0], bricks[1])
	sameBricks(t, bricks[2], bricks[3])
}
