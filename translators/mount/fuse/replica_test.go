package fuse

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	_ "github.com/loom-fs/loom/translators/cluster/replicate"
	errorgen "github.com/loom-fs/loom/translators/debug/error-gen"
	_ "github.com/loom-fs/loom/translators/features/locks"
	"github.com/loom-fs/loom/xlator"
)

// Passthrough through cluster/replicate (README.md of replicate,
// "Reads"): real mounts of replicate over two local bricks, b0 (read
// child, with debug/error-gen above it) and b1.

// backingBelowType forwards the passthrough capability of the translator
// under its child (test only): it lets the error-gen above brick b0 fail
// writes while the kernel reads b0's file, as with a brick whose writes
// fail.
const backingBelowType = "test/backing-below"

func init() {
	xlator.Register(xlator.Descriptor{Type: backingBelowType, Doc: "test: offers the passthrough capability of its grandchild",
		New: func(cfg *xlator.Config) (xlator.Translator, error) {
			return &backingBelow{Base: xlator.NewBase(cfg)}, nil
		}, MinChildren: 1, MaxChildren: 1})
}

type backingBelow struct{ xlator.Base }

func (b *backingBelow) BackingFile(fd *xlator.FD) (int, bool) {
	kid, ok := b.FirstChild().(interface{ FirstChild() xlator.Translator })
	if !ok {
		return -1, false
	}
	bf, ok := kid.FirstChild().(xlator.BackingFiler)
	if !ok {
		return -1, false
	}
	return bf.BackingFile(fd)
}

// replicaGraph is posix0 <- locks0 <- faults0 (error-gen) <- pt0, and
// posix1 <- locks1, under cluster/replicate reading from pt0.
func replicaGraph(dir string) []xlator.VolumeSpec {
	opt := func(k, v string) []xlator.OptionSpec { return []xlator.OptionSpec{{Key: k, Value: v}} }
	return []xlator.VolumeSpec{
		{Name: "posix0", Type: "storage/posix", Options: opt("directory", filepath.Join(dir, "b0"))},
		{Name: "locks0", Type: "features/locks", Subvolumes: subs("posix0")},
		{Name: "faults0", Type: "debug/error-gen", Options: opt("failure", "0"), Subvolumes: subs("locks0")},
		{Name: "pt0", Type: backingBelowType, Subvolumes: subs("faults0")},
		{Name: "posix1", Type: "storage/posix", Options: opt("directory", filepath.Join(dir, "b1"))},
		{Name: "locks1", Type: "features/locks", Subvolumes: subs("posix1")},
		{Name: "rep", Type: "cluster/replicate", Options: opt("read-subvolume", "pt0"), Subvolumes: subs("pt0", "locks1")},
	}
}

// subs names subvolumes.
func subs(names ...string) []xlator.SubvolumeRef {
	var out []xlator.SubvolumeRef
	for _, n := range names {
		out = append(out, xlator.SubvolumeRef{Name: n})
	}
	return out
}

// replicaCommands reads commands from stdin in the child: "fail FOPS"
// makes faults0 fail those fops with EIO, "fail" stops that; each is
// answered "ok" (or an error line).
func replicaCommands(g *xlator.Graph) {
	eg := g.Find("faults0").(*errorgen.ErrorGen)
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "fail" {
			fmt.Println("unknown command")
			continue
		}
		s := errorgen.Settings{}
		if len(f) > 1 {
			s = errorgen.Settings{Failure: 100, Errno: syscall.EIO, Fops: strings.Split(f[1], ",")}
		}
		if err := eg.Apply(s); err != nil {
			fmt.Println("error", err)
			continue
		}
		fmt.Println("ok")
	}
}

// command sends a replicaCommands line and waits for its "ok".
func (m *testMount) command(t *testing.T, line string) {
	t.Helper()
	if _, err := fmt.Fprintln(m.in, line); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-m.lines:
		if l != "ok" {
			t.Fatalf("%q: server said %q", line, l)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%q: no answer within 10s", line)
	}
}

// brickFile returns the content of name on brick b (0 or 1).
func (m *testMount) brickFile(t *testing.T, b int, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(m.brick, fmt.Sprintf("b%d", b), name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sameBricks fails unless both bricks hold want as name.
func (m *testMount) sameBricks(t *testing.T, name string, want []byte) {
	t.Helper()
	for b := 0; b < 2; b++ {
		if got := m.brickFile(t, b, name); !bytes.Equal(got, want) {
			t.Errorf("brick b%d holds %d bytes %.20q..., want %d bytes %.20q...", b, len(got), got, len(want), want)
		}
	}
}

// readerReads returns the Read fops that reached replicate while fn ran.
func (m *testMount) readsDuring(t *testing.T, fn func()) int64 {
	t.Helper()
	before, _, _ := m.ioCounts(t)
	fn()
	after, _, _ := m.ioCounts(t)
	return after - before
}

// readAll reads f from offset 0 to its end with pread.
func readAll(t *testing.T, f *os.File) []byte {
	t.Helper()
	var out []byte
	buf := make([]byte, 64<<10)
	for off := int64(0); ; {
		n, err := f.ReadAt(buf, off)
		out = append(out, buf[:n]...)
		off += int64(n)
		if err != nil || n == 0 {
			break
		}
	}
	return out
}

func startReplica(t *testing.T) *testMount {
	t.Helper()
	dir := t.TempDir()
	for _, b := range []string{"b0", "b1"} {
		if err := os.Mkdir(filepath.Join(dir, b), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return startServe(t, serveConfig{Brick: dir, Replica: true, CountIO: true})
}

// TestReplicaPassthroughReads checks that a read-only handle through
// replicate passes through (no Read reaches the graph) and sees what other
// handles of the mount write before it opens and while it is open (a
// write, a truncate, an O_DIRECT write), that a handle opened for writing
// beside it neither fails nor writes one copy only, and that the copies
// end up equal.
func TestReplicaPassthroughReads(t *testing.T) {
	m := startReplica(t)
	guard(t, 90*time.Second, "passthrough through replicate", func() {
		path := m.path("f")
		data := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB
		r := m.writeAndOpen(t, path, data)
		defer r.Close()
		var got []byte
		if n := m.readsDuring(t, func() { got = readAll(t, r) }); n != 0 {
			t.Errorf("%d reads of a read-only handle reached replicate: not passed through", n)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("passthrough read %d bytes, not what was written", len(got))
		}

		// A writer beside the reader: its writes reach every copy, and
		// the reader (reading b0's file) sees them at once.
		w, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatalf("open for writing beside a passthrough reader: %v", err)
		}
		if _, err := w.WriteAt([]byte("WRITTEN"), 1000); err != nil {
			t.Fatal(err)
		}
		copy(data[1000:], "WRITTEN")
		if n := m.readsDuring(t, func() { got = readAll(t, r) }); n != 0 {
			t.Errorf("%d reads of the passthrough handle reached replicate", n)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("the reader did not see the write of another handle")
		}
		// Reads of the writer come through the graph (FOPEN_DIRECT_IO).
		buf := make([]byte, 7)
		if n := m.readsDuring(t, func() {
			if _, err := w.ReadAt(buf, 1000); err != nil {
				t.Fatal(err)
			}
		}); n == 0 || string(buf) != "WRITTEN" {
			t.Errorf("writer's read: %q with %d reads through the graph", buf, n)
		}
		if err := w.Truncate(5000); err != nil {
			t.Fatal(err)
		}
		data = data[:5000]
		if got = readAll(t, r); !bytes.Equal(got, data) {
			t.Fatalf("after truncate the reader read %d bytes, want %d", len(got), len(data))
		}
		w.Close()

		// An O_DIRECT writer beside the reader.
		dw, err := os.OpenFile(path, os.O_RDWR|syscall.O_DIRECT, 0)
		if err != nil {
			t.Fatal(err)
		}
		block := alignedBlock(4096)
		copy(block, bytes.Repeat([]byte("D"), 4096))
		if _, err := dw.WriteAt(block, 4096); err != nil {
			t.Fatalf("O_DIRECT write: %v", err)
		}
		dw.Close()
		data = append(data[:4096], block...)
		if got = readAll(t, r); !bytes.Equal(got, data) {
			t.Fatalf("after an O_DIRECT write the reader read %d bytes, want %d", len(got), len(data))
		}
		r.Close()
		// The writers shared the reader's backing file: the other copy
		// was blamed until healed (see TestReplicaPassthroughMmap).
		waitSameBricks(t, m, "f", data)

		// A new O_DIRECT reader after every handle closed passes through.
		m.waitReleased(t)
		dr, err := os.OpenFile(path, os.O_RDONLY|syscall.O_DIRECT, 0)
		if err != nil {
			t.Fatal(err)
		}
		rb := alignedBlock(4096)
		if n := m.readsDuring(t, func() {
			if _, err := dr.ReadAt(rb, 4096); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%d O_DIRECT reads reached replicate: not passed through", n)
		}
		dr.Close()
		if !bytes.Equal(rb, block) {
			t.Fatal("O_DIRECT passthrough read returned other data")
		}
		waitSameBricks(t, m, "f", data)
	})
}

// waitSameBricks waits up to 20 s for both bricks to hold want as name
// with nothing pending in either changelog (a heal may be under way).
func waitSameBricks(t *testing.T, m *testMount, name string, want []byte) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		a, b := m.brickFile(t, 0, name), m.brickFile(t, 1, name)
		clean := changelogClean(m, name)
		if bytes.Equal(a, want) && bytes.Equal(b, want) && clean {
			return
		}
		if time.Now().After(deadline) {
			m.sameBricks(t, name, want)
			if !clean {
				t.Errorf("changelog of %s still not clean", name)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// changelogClean reports whether no pending counter on either brick's copy
// of name is nonzero.
func changelogClean(m *testMount, name string) bool {
	for b := 0; b < 2; b++ {
		p := filepath.Join(m.brick, fmt.Sprintf("b%d", b), name)
		for _, key := range []string{"trusted.loom.pending.pt0", "trusted.loom.pending.locks1", "trusted.loom.dirty"} {
			v := make([]byte, 64)
			n, err := unix.Getxattr(p, key, v)
			if err != nil {
				continue
			}
			if bytes.Count(v[:n], []byte{0}) != n {
				return false
			}
		}
	}
	return true
}

// alignedBlock returns n bytes aligned for O_DIRECT.
func alignedBlock(n int) []byte {
	buf := make([]byte, n+4096)
	off := 4096 - int(uintptr(unsafe.Pointer(&buf[0]))&4095)
	return buf[off%4096 : off%4096+n]
}

// TestReplicaPassthroughPinnedWriteFails checks that while a passthrough
// reader reads b0's copy, a write that fails on b0 fails as a whole: it
// is written nowhere, the copies stay equal and the reader sees no
// change; once b0 takes writes again, both copies get them.
func TestReplicaPassthroughPinnedWriteFails(t *testing.T) {
	m := startReplica(t)
	guard(t, 90*time.Second, "failing writes on the pinned brick", func() {
		path := m.path("f")
		data := bytes.Repeat([]byte("abcdefgh"), 1<<10)
		r := m.writeAndOpen(t, path, data)
		defer r.Close()
		if got := readAll(t, r); !bytes.Equal(got, data) {
			t.Fatal("first read differs")
		}
		w, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		m.command(t, "fail write,ftruncate,truncate,fallocate,discard,zerofill")
		if _, err := w.WriteAt([]byte("LOST"), 0); err == nil {
			t.Error("a write that failed on the pinned brick succeeded")
		}
		if err := w.Truncate(10); err == nil {
			t.Error("a truncate that failed on the pinned brick succeeded")
		}
		if got := readAll(t, r); !bytes.Equal(got, data) {
			t.Errorf("the reader sees %.20q... (%d bytes) after failed writes", got, len(got))
		}
		m.sameBricks(t, "f", data)
		m.command(t, "fail")
		if _, err := w.WriteAt([]byte("KEPT"), 0); err != nil {
			t.Fatal(err)
		}
		copy(data, "KEPT")
		if got := readAll(t, r); !bytes.Equal(got, data) {
			t.Errorf("the reader sees %.20q... after a good write", got)
		}
		w.Close()
		r.Close()
		waitSameBricks(t, m, "f", data)
	})
}

// TestReplicaPassthroughMmap opens a file read-only (passthrough), then
// read-write, writes through a shared mapping of the second handle and
// reads: nothing fails, the reader sees the mapped writes, and once the
// handles are closed the heal makes the other copy equal (the mapping
// wrote to the pinned copy only).
func TestReplicaPassthroughMmap(t *testing.T) {
	m := startReplica(t)
	guard(t, 90*time.Second, "mmap beside a passthrough reader", func() {
		path := m.path("f")
		data := bytes.Repeat([]byte("m"), 8192)
		r := m.writeAndOpen(t, path, data)
		defer r.Close()
		readAll(t, r)
		w, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatalf("open RDWR beside a passthrough reader: %v", err)
		}
		defer w.Close()
		writeThroughMapping(t, w, 8192, 100, "MAPPED", "beside a passthrough reader")
		copy(data[100:], "MAPPED")
		if got := readAll(t, r); !bytes.Equal(got, data) {
			t.Errorf("the reader does not see the mapped write")
		}
		buf := make([]byte, 6)
		if _, err := w.ReadAt(buf, 100); err != nil || string(buf) != "MAPPED" {
			t.Errorf("the writer reads %q, %v", buf, err)
		}
		w.Close()
		r.Close()
		waitSameBricks(t, m, "f", data)
		if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
			t.Errorf("read after close: %d bytes, %v", len(got), err)
		}
	})
}

// TestReplicaBlamedNotPassedThrough checks that a file whose b0 copy is
// blamed (a write failed there) is not passed through, and reads come
// from the good copy b1.
func TestReplicaBlamedNotPassedThrough(t *testing.T) {
	m := startReplica(t)
	guard(t, 90*time.Second, "blamed copy", func() {
		path := m.path("f")
		old := bytes.Repeat([]byte("o"), 4096)
		if err := os.WriteFile(path, old, 0o644); err != nil {
			t.Fatal(err)
		}
		m.command(t, "fail write,ftruncate,truncate,discard,zerofill,fallocate")
		fresh := bytes.Repeat([]byte("n"), 4096)
		w, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteAt(fresh, 0); err != nil {
			t.Fatalf("write with one good copy: %v", err)
		}
		w.Close()
		if got := m.brickFile(t, 0, "f"); !bytes.Equal(got, old) {
			t.Fatalf("b0 took the write")
		}
		r, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var got []byte
		if n := m.readsDuring(t, func() { got = readAll(t, r) }); n == 0 {
			t.Error("a file with a blamed copy was passed through")
		}
		if !bytes.Equal(got, fresh) {
			t.Errorf("read %.10q..., want the good copy's %.10q...", got, fresh)
		}
		r.Close()
		m.command(t, "fail")
		waitSameBricks(t, m, "f", fresh)
	})
}

// writeAndOpen writes data to a new file at path and, once the graph has
// released the writer's handle, opens it read-only.
func (m *testMount) writeAndOpen(t *testing.T, path string, data []byte) *os.File {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m.waitReleased(t)
	r, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestReplicaDirectWriters checks the handles open for writing through
// replicate, which skip the page cache (FOPEN_DIRECT_IO, directWriter):
// a reader opened while a writer is open (so cached, not passed through)
// sees every later write, a shared mapping of the writer's handle works
// and reaches both bricks, and the writer reads its own writes.
func TestReplicaDirectWriters(t *testing.T) {
	m := startReplica(t)
	guard(t, 90*time.Second, "direct writers", func() {
		path := m.path("f")
		w, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		data := bytes.Repeat([]byte("a"), 3*4096+100)
		if _, err := w.WriteAt(data, 0); err != nil {
			t.Fatal(err)
		}
		r, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if got := readAll(t, r); !bytes.Equal(got, data) {
			t.Fatalf("the reader reads %d bytes, want the %d written", len(got), len(data))
		}
		// The reader's pages are cached now; a write must drop them.
		copy(data[4000:], "OVERWRITTEN")
		if _, err := w.WriteAt([]byte("OVERWRITTEN"), 4000); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, r); !bytes.Equal(got, data) {
			t.Errorf("the cached reader does not see a later write")
		}
		writeThroughMapping(t, w, 8192, 100, "MAPPED", "of a writer")
		copy(data[100:], "MAPPED")
		if got := readAll(t, w); !bytes.Equal(got, data) {
			t.Errorf("the writer does not read back the mapped and written data")
		}
		if got := readAll(t, r); !bytes.Equal(got, data) {
			t.Errorf("the reader does not see the mapped write")
		}
		w.Close()
		r.Close()
		waitSameBricks(t, m, "f", data)
	})
}

// writeThroughMapping maps the first size bytes of f shared, writes text
// at off through the mapping, syncs and unmaps it; where names the case
// in a failure.
func writeThroughMapping(t *testing.T, f *os.File, size, off int, text, where string) {
	t.Helper()
	mem, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("shared mapping %s: %v", where, err)
	}
	copy(mem[off:], text)
	if err := unix.Msync(mem, unix.MS_SYNC); err != nil {
		t.Fatalf("msync of the mapping %s: %v", where, err)
	}
	if err := unix.Munmap(mem); err != nil {
		t.Fatalf("munmap %s: %v", where, err)
	}
}
