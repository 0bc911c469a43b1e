package fuse

import (
	"fmt"
	"os"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/posixtest"
)

// posixtestSkips are go-fuse posixtest cases not run, with the reason.
var posixtestSkips = map[string]string{
	"FcntlFlockLocksFile": "expects two fds of one process to conflict; fails on ext4 too",
}

// TestPosixtest runs go-fuse's POSIX conformance cases against the bridge
// over storage/posix, each case in a fresh directory of one mount.
func TestPosixtest(t *testing.T) {
	m := startMount(t, "", "")
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
			sub := m.path(name)
			if err := os.Mkdir(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			guard(t, 60*time.Second, name, func() { posixtest.All[name](t, sub) })
		})
	}
}

// TestForgetBoundsInodeTable looks up 20,000 files, then makes the kernel
// drop its caches: the FORGETs must shrink the inode table.
func TestForgetBoundsInodeTable(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 20,000 files")
	}
	brick := t.TempDir()
	const files = 20000
	for i := 0; i < files; i++ {
		if err := os.WriteFile(fmt.Sprintf("%s/f%05d", brick, i), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := startMount(t, brick, "")
	guard(t, 90*time.Second, "stat 20,000 files", func() {
		var st syscall.Stat_t
		for i := 0; i < files; i++ {
			if err := syscall.Lstat(fmt.Sprintf("%s/f%05d", m.dir, i), &st); err != nil {
				t.Fatal(err)
			}
		}
	})
	// Anything on the machine that drops caches meanwhile makes the kernel
	// forget some already; what matters is the bound after the drop.
	before := m.inodes(t)
	t.Logf("inode table: %d after %d lookups", before, files)
	if err := os.WriteFile("/proc/sys/vm/drop_caches", []byte("2"), 0); err != nil {
		t.Skipf("cannot drop caches: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	after := m.inodes(t)
	for after > files/10 && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		after = m.inodes(t)
	}
	t.Logf("inode table: %d after lookups, %d after drop_caches", before, after)
	if after > files/10 {
		t.Errorf("inode table still holds %d after %d lookups and a drop of the kernel's caches", after, files)
	}
}
