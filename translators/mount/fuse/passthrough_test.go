package fuse

import (
	"bytes"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestPassthrough checks that FUSE passthrough engages over storage/posix
// (no Read or Write fop reaches the graph while files are written, read,
// appended to and mapped through the mount) and that sizes, mtimes and
// contents seen through the mount stay right.
func TestPassthrough(t *testing.T) {
	m := startServe(t, serveConfig{CountIO: true})
	guard(t, 60*time.Second, "passthrough I/O", func() {
		path := m.path("f")
		data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatal(err)
		}
		// Size and mtime are right while the file is open and after.
		if st := statT(t, path); st.Size != int64(len(data)) {
			t.Fatalf("size while open: %d, wrote %d", st.Size, len(data))
		}
		mtime := statT(t, path).Mtim
		time.Sleep(20 * time.Millisecond)
		if _, err := f.WriteAt([]byte("X"), 5); err != nil {
			t.Fatal(err)
		}
		if st := statT(t, path); st.Mtim == mtime {
			t.Errorf("mtime unchanged after a write: %v", st.Mtim)
		}
		// A second handle shares the backing file.
		g, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		if _, err := g.ReadAt(buf, 0); err != nil || string(buf) != "01234X6789abcdef" {
			t.Fatalf("read through a second handle: %q, %v", buf, err)
		}
		f.Close()
		g.Close()
		if st := statT(t, path); st.Size != int64(len(data)) {
			t.Fatalf("size after close: %d, wrote %d", st.Size, len(data))
		}

		// Opened again after the last release: a new backing id.
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		data[5] = 'X'
		if !bytes.Equal(got, data) {
			t.Fatal("content read back differs from what was written")
		}

		// O_APPEND appends, and truncation is seen by the next stat.
		a, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Write([]byte("tail")); err != nil {
			t.Fatal(err)
		}
		if st := statT(t, path); st.Size != int64(len(data))+4 {
			t.Fatalf("size after append: %d, want %d", st.Size, len(data)+4)
		}
		if err := a.Truncate(100); err != nil {
			t.Fatal(err)
		}
		a.Close()
		if st := statT(t, path); st.Size != 100 {
			t.Fatalf("size after ftruncate: %d, want 100", st.Size)
		}

		// A shared mapping writes through to the file.
		mf, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		mem, err := unix.Mmap(int(mf.Fd()), 0, 100, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
		if err != nil {
			t.Fatal(err)
		}
		copy(mem, "mapped")
		if err := unix.Msync(mem, unix.MS_SYNC); err != nil {
			t.Fatal(err)
		}
		unix.Munmap(mem)
		mf.Close()
		got, err = os.ReadFile(path)
		if err != nil || len(got) != 100 || string(got[:6]) != "mapped" {
			t.Fatalf("after writing through a mapping: %q..., %d bytes, %v", got[:min(len(got), 6)], len(got), err)
		}
		if st := statT(t, m.brick+"/f"); st.Size != 100 {
			t.Fatalf("brick file size %d, want 100", st.Size)
		}
	})
	if reads, writes, _ := m.ioCounts(t); reads != 0 || writes != 0 {
		t.Errorf("%d reads and %d writes reached the graph: passthrough did not engage", reads, writes)
	}
}

// TestPassthroughOff checks that -o passthrough=off sends I/O through
// the graph.
func TestPassthroughOff(t *testing.T) {
	m := startServe(t, serveConfig{CountIO: true, Options: "passthrough=off"})
	guard(t, 30*time.Second, "I/O without passthrough", func() {
		path := m.path("f")
		if err := os.WriteFile(path, []byte("through the graph"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != "through the graph" {
			t.Fatalf("read back %q, %v", got, err)
		}
	})
	if reads, writes, _ := m.ioCounts(t); writes == 0 {
		t.Errorf("%d reads and %d writes reached the graph with passthrough off", reads, writes)
	}
}
