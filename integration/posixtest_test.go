package integration

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/posixtest"
)

// posixtestSkips are go-fuse posixtest cases not run, with the reason.
var posixtestSkips = map[string]string{
	"FcntlFlockLocksFile": "expects two fds of one process to conflict; fails on ext4 too, and go-fuse's own suite skips it",
}

// runPosixtest runs every case of go-fuse's posixtest.All, each in a fresh
// subdirectory of one storage/posix mount and under its own watchdog.
func runPosixtest(t *testing.T, env []string) {
	brick := newBrick(t)
	m := mountLoomWith(t, posixVolfile(brick), mountConfig{env: env, deadline: 5 * time.Minute})
	runPosixtestCases(t, m, brick)
}

// runPosixtestCases runs every case of go-fuse's posixtest.All on m (but
// posixtestSkips), in name order, each as a subtest in a fresh
// subdirectory of the mount and under its own 60 s watchdog. If brick is
// not empty, each case's directory must also be there (a graph with the
// mount's names on one brick).
func runPosixtestCases(t *testing.T, m *Mount, brick string) {
	t.Helper()
	names := make([]string, 0, len(posixtest.All))
	for name := range posixtest.All {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fn := posixtest.All[name]
		t.Run(name, func(t *testing.T) {
			if why, ok := posixtestSkips[name]; ok {
				t.Skip(why)
			}
			sub := m.Path(name)
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatalf("mkdir %s: %v", sub, err)
			}
			m.guard(t, 60*time.Second, "posixtest "+name, func() { fn(t, sub) })
			if brick == "" {
				return
			}
			if _, err := os.Stat(filepath.Join(brick, name)); err != nil {
				t.Errorf("the case's directory is not on the brick: %v", err)
			}
		})
	}
}

// TestPosixtest runs go-fuse's POSIX conformance cases against a
// storage/posix mount.
func TestPosixtest(t *testing.T) {
	runPosixtest(t, nil)
}

// TestPosixtestGOMAXPROCS1 runs them again with the loom process limited
// to one P, which exposes deadlocks between its goroutines.
func TestPosixtestGOMAXPROCS1(t *testing.T) {
	runPosixtest(t, []string{"GOMAXPROCS=1"})
}
