package xlatortest

import (
	"bytes"
	"fmt"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// lseek whence values for Seek.
const (
	seekData = 3 // SEEK_DATA
	seekHole = 4 // SEEK_HOLE
)

func testGFID(f *client) {
	seen := map[xlator.GFID]string{xlator.RootGFID: "/"}
	for i := range 30 {
		p := fmt.Sprintf("/f%d", i)
		st := f.writeFile(p, nil)
		if st.GFID.IsZero() {
			f.t.Fatalf("%s has a zero gfid", p)
		}
		if prev, dup := seen[st.GFID]; dup {
			f.t.Fatalf("%s and %s share gfid %v", p, prev, st.GFID)
		}
		seen[st.GFID] = p
	}
	d := f.mkdir("/d", 0o755)
	if _, dup := seen[d.GFID]; dup || d.GFID.IsZero() {
		f.t.Fatalf("directory gfid %v is zero or reused", d.GFID)
	}
	first := f.stat("/f0")
	for range 3 {
		if again := f.stat("/f0"); again.GFID != first.GFID || again.Ino != first.Ino {
			f.t.Fatalf("repeated lookups disagree: %v/%d then %v/%d", first.GFID, first.Ino, again.GFID, again.Ino)
		}
	}
	if err := f.rename("/f0", "/d/moved", 0); err != nil {
		f.t.Fatalf("rename: %v", err)
	}
	if err := f.rename("/d", "/d2", 0); err != nil {
		f.t.Fatalf("rename dir: %v", err)
	}
	if got := f.stat("/d2/moved"); got.GFID != first.GFID {
		f.t.Fatalf("gfid after two renames: %v, want %v", got.GFID, first.GFID)
	}
	if got := f.stat("/d2"); got.GFID != d.GFID {
		f.t.Fatalf("directory gfid after rename: %v, want %v", got.GFID, d.GFID)
	}
}

func testFallocate(f *client) {
	fd, _ := f.create("/f", 0o644)
	const mib = 1 << 20
	if err := f.top.Fallocate(f.ctx, f.c, fd, 0, 0, mib); err != nil {
		f.t.Fatalf("fallocate 1 MiB: %v", err)
	}
	st, err := f.top.Fstat(f.ctx, f.c, fd)
	if err != nil || st.Size != mib || st.Blocks < mib/512 {
		f.t.Fatalf("after fallocate: size %d blocks %d, %v; want %d and at least %d", st.Size, st.Blocks, err, mib, mib/512)
	}
	if got := f.readAll(fd, 0); !bytes.Equal(got, make([]byte, mib)) {
		f.t.Fatal("fallocated range does not read as zeros")
	}
	if err := f.top.Fallocate(f.ctx, f.c, fd, xlator.FallocKeepSize, mib, mib); err != nil {
		f.t.Fatalf("fallocate KEEP_SIZE: %v", err)
	}
	st2, err := f.top.Fstat(f.ctx, f.c, fd)
	if err != nil || st2.Size != mib || st2.Blocks < 2*mib/512 {
		f.t.Fatalf("after fallocate KEEP_SIZE: size %d blocks %d, %v; want size %d and at least %d blocks", st2.Size, st2.Blocks, err, mib, 2*mib/512)
	}
}

func testDiscardZerofill(f *client) {
	fd, _ := f.create("/f", 0o644)
	data := bytes.Repeat([]byte{0xff}, 64<<10)
	f.write(fd, data, 0)
	if err := f.top.Discard(f.ctx, f.c, fd, 4096, 8192); err != nil {
		f.t.Fatalf("discard: %v", err)
	}
	want := bytes.Clone(data)
	clear(want[4096 : 4096+8192])
	if got := f.readAll(fd, 0); !bytes.Equal(got, want) {
		f.t.Fatal("discarded range does not read as zeros, or data around it changed")
	}
	if err := f.top.Zerofill(f.ctx, f.c, fd, 32<<10, 100); err != nil {
		f.t.Fatalf("zerofill: %v", err)
	}
	clear(want[32<<10 : 32<<10+100])
	if got := f.readAll(fd, 0); !bytes.Equal(got, want) {
		f.t.Fatal("zero-filled range does not read as zeros, or data around it changed")
	}
	if err := f.top.Zerofill(f.ctx, f.c, fd, 64<<10, 4096); err != nil {
		f.t.Fatalf("zerofill past EOF: %v", err)
	}
	st, err := f.top.Fstat(f.ctx, f.c, fd)
	if err != nil || st.Size != 68<<10 {
		f.t.Fatalf("zerofill past EOF: size %d, %v; want %d (zerofill extends the file)", st.Size, err, 68<<10)
	}
	if err := f.top.Discard(f.ctx, f.c, fd, 0, 128<<10); err != nil {
		f.t.Fatalf("discard across EOF: %v", err)
	}
	if st, _ := f.top.Fstat(f.ctx, f.c, fd); st.Size != 68<<10 {
		f.t.Fatalf("discard changed the size to %d", st.Size)
	}
}

func testSeekDataHole(f *client) {
	fd, _ := f.create("/sparse", 0o644)
	const mib = 1 << 20
	block := bytes.Repeat([]byte("d"), 4096)
	f.write(fd, block, 0)
	f.write(fd, block, mib)
	seek := func(off int64, whence int) int64 {
		f.t.Helper()
		got, err := f.top.Seek(f.ctx, f.c, fd, off, whence)
		if err != nil {
			f.t.Fatalf("seek(%d, %d): %v", off, whence, err)
		}
		return got
	}
	for _, tc := range []struct {
		off    int64
		whence int
		want   int64
	}{
		{0, seekData, 0},
		{0, seekHole, 4096},
		{4096, seekData, mib},
		{100, seekData, 100},
		{mib, seekHole, mib + 4096},
		{mib + 10, seekData, mib + 10},
	} {
		if got := seek(tc.off, tc.whence); got != tc.want {
			f.t.Fatalf("seek(%d, %s) = %d, want %d", tc.off, map[int]string{seekData: "SEEK_DATA", seekHole: "SEEK_HOLE"}[tc.whence], got, tc.want)
		}
	}
	_, err := f.top.Seek(f.ctx, f.c, fd, mib+4096, seekData)
	wantErrno(f.t, "SEEK_DATA at EOF", err, syscall.ENXIO)
	if err := f.top.Discard(f.ctx, f.c, fd, 0, 4096); err != nil {
		f.t.Fatalf("discard: %v", err)
	}
	if got := seek(0, seekData); got != mib {
		f.t.Fatalf("after punching the first block, SEEK_DATA from 0 = %d, want %d", got, mib)
	}
}

func testCopyFileRange(f *client) {
	f.writeFile("/src", []byte("0123456789"))
	in := f.open("/src", syscall.O_RDONLY)
	out, _ := f.create("/dst", 0o644)
	f.write(out, []byte("ab"), 0)
	n, err := f.top.CopyFileRange(f.ctx, f.c, in, 2, out, 2, 5, 0)
	if err != nil || n != 5 {
		f.t.Fatalf("copy_file_range: %d, %v; want 5", n, err)
	}
	if got := f.contents("/dst"); string(got) != "ab23456" {
		f.t.Fatalf("destination = %q, want \"ab23456\"", got)
	}
	n, err = f.top.CopyFileRange(f.ctx, f.c, in, 8, out, 7, 100, 0)
	if err != nil || n != 2 {
		f.t.Fatalf("copy_file_range past the source's end: %d, %v; want 2", n, err)
	}
	n, err = f.top.CopyFileRange(f.ctx, f.c, in, 10, out, 0, 100, 0)
	if err != nil || n != 0 {
		f.t.Fatalf("copy_file_range at the source's end: %d, %v; want 0", n, err)
	}
	if got := f.contents("/dst"); string(got) != "ab2345689" {
		f.t.Fatalf("destination = %q, want \"ab2345689\"", got)
	}
	if got := f.contents("/src"); string(got) != "0123456789" {
		f.t.Fatalf("source changed: %q", got)
	}
}

func testStatfs(f *client) {
	s, err := f.top.Statfs(f.ctx, f.c, f.loc("/"))
	if err != nil {
		f.t.Fatalf("statfs: %v", err)
	}
	if s.Bsize == 0 || s.Frsize == 0 || s.Blocks == 0 || s.Bfree > s.Blocks || s.Bavail > s.Bfree ||
		s.Files == 0 || s.Ffree > s.Files || s.NameLen < 255 {
		f.t.Fatalf("statfs is not sane: %+v", s)
	}
	f.writeFile("/f", nil)
	s2, err := f.top.Statfs(f.ctx, f.c, f.loc("/f"))
	if err != nil || s2.Blocks != s.Blocks || s2.Bsize != s.Bsize {
		f.t.Fatalf("statfs of a file: %+v, %v; want the volume's %+v", s2, err, s)
	}
}
