package posix

import (
	"os"
	"strconv"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// The benchmarks pair each fop with the same work done natively on the
// brick directory, so their ratio is the brick's overhead.

func benchFiles(b *testing.B, p *Posix, dir string, n int) []string {
	b.Helper()
	if err := os.Mkdir(dir+"/d", 0o755); err != nil {
		b.Fatal(err)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = "/d/f" + strconv.Itoa(i)
		if err := os.WriteFile(dir+names[i], []byte("data"), 0o644); err != nil {
			b.Fatal(err)
		}
		if _, _, err := p.Lookup(bg, root, loc(names[i]), nil); err != nil {
			b.Fatal(err)
		}
	}
	return names
}

func newBenchBrick(b *testing.B) (*Posix, string) {
	dir := b.TempDir()
	o, err := xlator.NewOptions(Options, []xlator.OptionSpec{{Key: optDirectory, Value: dir}}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	tr, err := New(&xlator.Config{Name: "bench", Type: TypeName, Options: o})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { tr.Fini() })
	return tr.(*Posix), dir
}

func BenchmarkLookup(b *testing.B) {
	p, dir := newBenchBrick(b)
	names := benchFiles(b, p, dir, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := p.Lookup(bg, root, loc(names[i%len(names)]), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLookupNative(b *testing.B) {
	p, dir := newBenchBrick(b)
	names := benchFiles(b, p, dir, 100)
	var st unix.Stat_t
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := unix.Lstat(dir+names[i%len(names)], &st); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead4K(b *testing.B) {
	p, _ := newBenchBrick(b)
	fd := xlator.NewFD(loc("/f"), uint32(os.O_RDWR), false)
	if _, err := p.Create(bg, root, fd, 0o644, 0); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	for off := int64(0); off < 1<<20; off += 4096 {
		p.Write(bg, root, fd, buf, off)
	}
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Read(bg, root, fd, buf, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead4KNative(b *testing.B) {
	dir := b.TempDir()
	f, err := os.Create(dir + "/f")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for off := int64(0); off < 1<<20; off += 4096 {
		f.WriteAt(buf, off)
	}
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := unix.Pread(int(f.Fd()), buf, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite4K(b *testing.B) {
	p, _ := newBenchBrick(b)
	fd := xlator.NewFD(loc("/f"), uint32(os.O_RDWR), false)
	if _, err := p.Create(bg, root, fd, 0o644, 0); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Write(bg, root, fd, buf, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateUnlink(b *testing.B) {
	p, _ := newBenchBrick(b)
	if _, err := p.Mkdir(bg, root, loc("/d"), 0o755, 0); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fd := xlator.NewFD(loc("/d/f"), uint32(os.O_RDWR), false)
		if _, err := p.Create(bg, root, fd, 0o644, 0); err != nil {
			b.Fatal(err)
		}
		p.Release(bg, root, fd)
		if err := p.Unlink(bg, root, loc("/d/f")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCreateUnlinkNative(b *testing.B) {
	dir := b.TempDir()
	os.Mkdir(dir+"/d", 0o755)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fd, err := unix.Open(dir+"/d/f", unix.O_CREAT|unix.O_EXCL|unix.O_RDWR, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		unix.Close(fd)
		if err := unix.Unlink(dir + "/d/f"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReaddirPlus(b *testing.B) {
	p, dir := newBenchBrick(b)
	benchFiles(b, p, dir, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fd := xlator.NewFD(loc("/d"), 0, true)
		if err := p.Opendir(bg, root, fd); err != nil {
			b.Fatal(err)
		}
		var off uint64
		for {
			ents, err := p.Readdir(bg, root, fd, off, 32<<10, true)
			if err != nil {
				b.Fatal(err)
			}
			if len(ents) == 0 {
				break
			}
			off = ents[len(ents)-1].Off
		}
		p.Releasedir(bg, root, fd)
	}
}

func BenchmarkReaddirPlusNative(b *testing.B) {
	p, dir := newBenchBrick(b)
	benchFiles(b, p, dir, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(dir + "/d")
		if err != nil {
			b.Fatal(err)
		}
		names, _ := f.Readdirnames(-1)
		var st unix.Stat_t
		for _, n := range names {
			unix.Fstatat(int(f.Fd()), n, &st, unix.AT_SYMLINK_NOFOLLOW)
		}
		f.Close()
	}
}
