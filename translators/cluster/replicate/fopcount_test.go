package replicate_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/loom-fs/loom/xlator"
)

// fopCountType is a passthrough that counts the fops replicate sends to
// one brick, for the heal benchmark's fops-per-file figure (a count that
// does not depend on the machine's load).
const fopCountType = "test/fopcount"

func init() {
	xlator.Register(xlator.Descriptor{Type: fopCountType, Doc: "counts fops (tests)",
		New: func(cfg *xlator.Config) (xlator.Translator, error) {
			return &fopCount{Base: xlator.NewBase(cfg)}, nil
		}, MinChildren: 1, MaxChildren: 1})
}

type fopCount struct {
	xlator.Base
	m sync.Map // fop name -> *atomic.Int64
}

func (f *fopCount) n(op string) {
	v, ok := f.m.Load(op)
	if !ok {
		// Allocated only for a fop not counted yet: the benchmark
		// measures the heal's CPU time, not the counter's.
		v, _ = f.m.LoadOrStore(op, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

// counts returns the counts by fop and their total.
func (f *fopCount) counts() (map[string]int64, int64) {
	out := map[string]int64{}
	var total int64
	f.m.Range(func(k, v any) bool {
		n := v.(*atomic.Int64).Load()
		out[k.(string)] = n
		total += n
		return true
	})
	return out, total
}

// summary formats counts per file, biggest first.
func summary(m map[string]int64, files int) string {
	type kv struct {
		k string
		v int64
	}
	var s []kv
	for k, v := range m {
		s = append(s, kv{k, v})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].v > s[j].v })
	var b strings.Builder
	for _, e := range s {
		fmt.Fprintf(&b, " %s=%.2f", e.k, float64(e.v)/float64(files))
	}
	return b.String()
}

func (f *fopCount) Lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	f.n("lookup")
	return f.Base.Lookup(ctx, c, loc, req)
}
func (f *fopCount) Stat(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (xlator.Stat, error) {
	f.n("stat")
	return f.Base.Stat(ctx, c, loc)
}
func (f *fopCount) Fstat(ctx context.Context, c *xlator.Call, fd *xlator.FD) (xlator.Stat, error) {
	f.n("fstat")
	return f.Base.Fstat(ctx, c, fd)
}
func (f *fopCount) Setattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, a *xlator.SetAttr) (xlator.Stat, error) {
	f.n("setattr")
	return f.Base.Setattr(ctx, c, loc, a)
}
func (f *fopCount) Fsetattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, a *xlator.SetAttr) (xlator.Stat, error) {
	f.n("fsetattr")
	return f.Base.Fsetattr(ctx, c, fd, a)
}
func (f *fopCount) Ftruncate(ctx context.Context, c *xlator.Call, fd *xlator.FD, size uint64) (xlator.Stat, error) {
	f.n("ftruncate")
	return f.Base.Ftruncate(ctx, c, fd, size)
}
func (f *fopCount) Readlink(ctx context.Context, c *xlator.Call, loc *xlator.Loc) (string, error) {
	f.n("readlink")
	return f.Base.Readlink(ctx, c, loc)
}
func (f *fopCount) Mknod(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, rdev uint64, umask uint32) (xlator.Stat, error) {
	f.n("mknod")
	return f.Base.Mknod(ctx, c, loc, mode, rdev, umask)
}
func (f *fopCount) Mkdir(ctx context.Context, c *xlator.Call, loc *xlator.Loc, mode uint32, umask uint32) (xlator.Stat, error) {
	f.n("mkdir")
	return f.Base.Mkdir(ctx, c, loc, mode, umask)
}
func (f *fopCount) Symlink(ctx context.Context, c *xlator.Call, target string, loc *xlator.Loc, umask uint32) (xlator.Stat, error) {
	f.n("symlink")
	return f.Base.Symlink(ctx, c, target, loc, umask)
}
func (f *fopCount) Link(ctx context.Context, c *xlator.Call, o, n *xlator.Loc) (xlator.Stat, error) {
	f.n("link")
	return f.Base.Link(ctx, c, o, n)
}
func (f *fopCount) Open(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	f.n("open")
	return f.Base.Open(ctx, c, fd)
}
func (f *fopCount) Create(ctx context.Context, c *xlator.Call, fd *xlator.FD, mode uint32, umask uint32) (xlator.Stat, error) {
	f.n("create")
	return f.Base.Create(ctx, c, fd, mode, umask)
}
func (f *fopCount) Read(ctx context.Context, c *xlator.Call, fd *xlator.FD, dest []byte, off int64) (int, error) {
	f.n("read")
	return f.Base.Read(ctx, c, fd, dest, off)
}
func (f *fopCount) Write(ctx context.Context, c *xlator.Call, fd *xlator.FD, data []byte, off int64) (int, error) {
	f.n("write")
	return f.Base.Write(ctx, c, fd, data, off)
}
func (f *fopCount) Release(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	f.n("release")
	return f.Base.Release(ctx, c, fd)
}
func (f *fopCount) Discard(ctx context.Context, c *xlator.Call, fd *xlator.FD, off, length int64) error {
	f.n("discard")
	return f.Base.Discard(ctx, c, fd, off, length)
}
func (f *fopCount) Seek(ctx context.Context, c *xlator.Call, fd *xlator.FD, off int64, whence int) (int64, error) {
	f.n("seek")
	return f.Base.Seek(ctx, c, fd, off, whence)
}
func (f *fopCount) Opendir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	f.n("opendir")
	return f.Base.Opendir(ctx, c, fd)
}
func (f *fopCount) Readdir(ctx context.Context, c *xlator.Call, fd *xlator.FD, off uint64, size int, plus bool) ([]xlator.DirEntry, error) {
	f.n("readdir")
	return f.Base.Readdir(ctx, c, fd, off, size, plus)
}
func (f *fopCount) Releasedir(ctx context.Context, c *xlator.Call, fd *xlator.FD) error {
	f.n("releasedir")
	return f.Base.Releasedir(ctx, c, fd)
}
func (f *fopCount) Setxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string, value []byte, flags int) error {
	f.n("setxattr")
	return f.Base.Setxattr(ctx, c, loc, name, value, flags)
}
func (f *fopCount) Getxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) ([]byte, error) {
	f.n("getxattr")
	return f.Base.Getxattr(ctx, c, loc, name)
}
func (f *fopCount) Listxattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc) ([]string, error) {
	f.n("listxattr")
	return f.Base.Listxattr(ctx, c, loc)
}
func (f *fopCount) Removexattr(ctx context.Context, c *xlator.Call, loc *xlator.Loc, name string) error {
	f.n("removexattr")
	return f.Base.Removexattr(ctx, c, loc, name)
}
func (f *fopCount) Fsetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string, value []byte, flags int) error {
	f.n("fsetxattr")
	return f.Base.Fsetxattr(ctx, c, fd, name, value, flags)
}
func (f *fopCount) Fgetxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD, name string) ([]byte, error) {
	f.n("fgetxattr")
	return f.Base.Fgetxattr(ctx, c, fd, name)
}
func (f *fopCount) Flistxattr(ctx context.Context, c *xlator.Call, fd *xlator.FD) ([]string, error) {
	f.n("flistxattr")
	return f.Base.Flistxattr(ctx, c, fd)
}
func (f *fopCount) Xattrop(ctx context.Context, c *xlator.Call, loc *xlator.Loc, op xlator.XattropOp, x xlator.XData) (xlator.XData, error) {
	f.n("xattrop")
	return f.Base.Xattrop(ctx, c, loc, op, x)
}
func (f *fopCount) Fxattrop(ctx context.Context, c *xlator.Call, fd *xlator.FD, op xlator.XattropOp, x xlator.XData) (xlator.XData, error) {
	f.n("fxattrop")
	return f.Base.Fxattrop(ctx, c, fd, op, x)
}
func (f *fopCount) Inodelk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, cmd xlator.LkCmd, lk xlator.Flock) error {
	f.n("inodelk")
	return f.Base.Inodelk(ctx, c, domain, loc, cmd, lk)
}
func (f *fopCount) Finodelk(ctx context.Context, c *xlator.Call, domain string, fd *xlator.FD, cmd xlator.LkCmd, lk xlator.Flock) error {
	f.n("finodelk")
	return f.Base.Finodelk(ctx, c, domain, fd, cmd, lk)
}
func (f *fopCount) Entrylk(ctx context.Context, c *xlator.Call, domain string, loc *xlator.Loc, basename string, cmd xlator.EntrylkCmd, typ xlator.EntrylkType) error {
	f.n("entrylk")
	return f.Base.Entrylk(ctx, c, domain, loc, basename, cmd, typ)
}
