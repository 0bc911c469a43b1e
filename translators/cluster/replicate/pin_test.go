package replicate_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// openRO opens p read-only through the cluster.
func openRO(t *testing.T, f *fops, p string) *xlator.FD {
	t.Helper()
	l, _, err := f.resolve(p)
	if err != nil {
		t.Fatal(err)
	}
	fd := xlator.NewFD(l, syscall.O_RDONLY, false)
	if err := f.top.Open(context.Background(), f.c, fd); err != nil {
		t.Fatal(err)
	}
	return fd
}

// TestPassthroughRules checks which opens replicate lets the kernel
// read from a brick file: read-only ones, not while a handle is open for
// writing, not for a writer.
func TestPassthroughRules(t *testing.T) {
	cl := newCluster(t, buildOpts{n: 2, locks: true, options: []string{"read-subvolume", "locks0"}})
	f := client(t, cl.top)
	f.writeFile("/f", []byte("data"))
	w := f.open("/f") // O_RDWR
	if _, ok := cl.top.BackingFile(w); ok {
		t.Error("a handle open for writing was offered passthrough")
	}
	r := openRO(t, f, "/f")
	if _, ok := cl.top.BackingFile(r); ok {
		t.Error("passthrough offered while a handle is open for writing")
	}
	f.close(r)
	f.close(w)
	r = openRO(t, f, "/f")
	ufd, ok := cl.top.BackingFile(r)
	if !ok {
		t.Fatal("a read-only handle with every copy good was not offered passthrough")
	}
	var st unix.Stat_t
	var want unix.Stat_t
	if err := unix.Fstat(ufd, &st); err != nil {
		t.Fatal(err)
	}
	if err := unix.Stat(filepath.Join(cl.dirs[0], "f"), &want); err != nil || st.Ino != want.Ino {
		t.Errorf("the backing file is not brick 0's copy (read-subvolume)")
	}
	f.close(r)
}

// TestPinnedCopyIsHealSource: with the copies unequal and both marked
// dirty (no copy blamed), a data heal takes the bigger copy as source —
// unless a passthrough handle reads the other: the pinned copy is then
// the source and is never written.
func TestPinnedCopyIsHealSource(t *testing.T) {
	for _, pinned := range []bool{false, true} {
		name := "unpinned"
		if pinned {
			name = "pinned"
		}
		t.Run(name, func(t *testing.T) {
			cl := newCluster(t, buildOpts{n: 2, locks: true, options: []string{"read-subvolume", "locks0"}})
			f := client(t, cl.top)
			small := bytes.Repeat([]byte("a"), 4096)
			f.writeFile("/f", small)
			var r *xlator.FD
			if pinned {
				r = openRO(t, f, "/f")
				if _, ok := cl.top.BackingFile(r); !ok {
					t.Fatal("not offered passthrough")
				}
			}
			big := bytes.Repeat([]byte("b"), 8192)
			dirty := []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
			for i, d := range cl.dirs {
				p := filepath.Join(d, "f")
				if i == 1 {
					if err := os.WriteFile(p, big, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if err := unix.Setxattr(p, "trusted.loom.dirty", dirty, 0); err != nil {
					t.Fatal(err)
				}
			}
			cl.control(t, "full")
			cl.waitHealed(t, 20*time.Second)
			want := big
			if pinned {
				want = small
			}
			for i, d := range cl.dirs {
				got, err := os.ReadFile(filepath.Join(d, "f"))
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("brick %d holds %d bytes %.8q..., want %d bytes %.8q... (%v)", i, len(got), got, len(want), want, err)
				}
			}
			if r != nil {
				f.close(r)
			}
		})
	}
}

// TestPinDeferralLoggedOnce: a data heal deferred by a passthrough pin is
// not a failure; the healer says so once per item (at info), not as a
// warning on every try, and the heal runs once the handles close.
func TestPinDeferralLoggedOnce(t *testing.T) {
	var buf xlatortest.SyncBuffer
	lg := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cl := newCluster(t, buildOpts{n: 2, locks: true, options: []string{"read-subvolume", "locks0"}, log: lg})
	f := client(t, cl.top)
	f.writeFile("/f", bytes.Repeat([]byte("a"), 4096))
	r := openRO(t, f, "/f")
	if _, ok := cl.top.BackingFile(r); !ok {
		t.Fatal("not offered passthrough")
	}
	w := f.open("/f")
	if _, ok := cl.top.BackingFile(w); ok { // shares it: the pinned copy is exposed
		t.Fatal("a handle open for writing was offered passthrough")
	}
	dirty := []byte{0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}
	for _, d := range cl.dirs {
		if err := unix.Setxattr(filepath.Join(d, "f"), "trusted.loom.dirty", dirty, 0); err != nil {
			t.Fatal(err)
		}
	}
	const says = "heal waits: an open passthrough handle"
	for try := 0; try < 3; try++ {
		cl.control(t, "full")
		deadline := time.Now().Add(10 * time.Second)
		for strings.Count(buf.String(), "heal still waits")+strings.Count(buf.String(), says) <= try {
			if time.Now().After(deadline) {
				t.Fatalf("try %d of the heal was not deferred by the pin; log:\n%s", try, buf.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		for cl.control(t, "status").(*replicate.Status).FullRunning {
			time.Sleep(10 * time.Millisecond)
		}
	}
	out := buf.String()
	if n := strings.Count(out, says); n != 1 {
		t.Errorf("the deferral was said %d times at info, want once; log:\n%s", n, out)
	}
	if strings.Contains(out, "level=WARN") {
		t.Errorf("a pin's deferral was logged as a warning; log:\n%s", out)
	}
	f.close(w)
	f.close(r)
	cl.control(t, "full")
	cl.waitHealed(t, 20*time.Second)
}
