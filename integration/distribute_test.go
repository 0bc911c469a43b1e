package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/posixtest"
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
			names := make([]string, 0, len(posixtest.All))
			for name := range posixtest.All {
				names = append(names, name)
			}
			sort.Strings(names)
			for _, name := range names {
				t.Run(name, func(t *testing.T) {
					if why, ok := posixtestSkips[name]; ok {
						t.Skip(why)
					}
					sub := m.Path(name)
					if err := os.Mkdir(sub, 0o755); err != nil {
						t.Fatalf("mkdir %s: %v", sub, err)
					}
					m.guard(t, 60*time.Second, "posixtest "+name, func() { posixtest.All[name](t, sub) })
				})
			}
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
// is added to the volfile and "loom reload" switches the live mount to
// it; files stay, a handle opened before keeps working, and "loom
// rebalance start" moves a share of the files to the new brick, each
// file ending on exactly one brick with its contents.
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
	if r := runLoom(t, "reload", m.Dir); r.code != 0 || !strings.Contains(r.stdout, "switched to top dht") {
		t.Fatalf("loom reload: exit %d, %q %q", r.code, r.stdout, r.stderr)
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
}
