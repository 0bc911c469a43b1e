package fuse

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

func TestLockConversion(t *testing.T) {
	for _, tc := range []struct {
		kernel gofuse.FileLock
		flock  xlator.Flock
	}{
		{gofuse.FileLock{Start: 0, End: lockEOF, Typ: syscall.F_WRLCK, Pid: 7}, xlator.Flock{Type: xlator.WriteLock, Start: 0, Len: 0, PID: 7, Owner: 42}},
		{gofuse.FileLock{Start: 100, End: 199, Typ: syscall.F_RDLCK, Pid: 8}, xlator.Flock{Type: xlator.ReadLock, Start: 100, Len: 100, PID: 8, Owner: 42}},
		{gofuse.FileLock{Start: 5, End: 5, Typ: syscall.F_WRLCK}, xlator.Flock{Type: xlator.WriteLock, Start: 5, Len: 1, Owner: 42}},
	} {
		got := flockOf(&tc.kernel, 42)
		if got != tc.flock {
			t.Errorf("flockOf(%+v) = %+v, want %+v", tc.kernel, got, tc.flock)
		}
		if back := fileLockOf(got); back != tc.kernel {
			t.Errorf("fileLockOf(%+v) = %+v, want %+v", got, back, tc.kernel)
		}
	}
	if lk := fileLockOf(xlator.Flock{Type: xlator.Unlock, Start: 9, Len: 3}); lk.Typ != syscall.F_UNLCK || lk.Start != 0 || lk.End != 0 {
		t.Errorf("an unlock answer carries a range: %+v", lk)
	}
}

func TestErrno(t *testing.T) {
	live := &reqContext{cancel: make(chan struct{})}
	closed := make(chan struct{})
	close(closed)
	dead := &reqContext{cancel: closed}
	for _, tc := range []struct {
		name string
		err  error
		ctx  context.Context
		want syscall.Errno
	}{
		{"nil", nil, live, 0},
		{"bare errno", syscall.ENOENT, live, syscall.ENOENT},
		{"wrapped errno", fmt.Errorf("lookup /a: %w", syscall.EACCES), live, syscall.EACCES},
		{"OpError", xlator.Wrap("open", "/a", syscall.EISDIR), live, syscall.EISDIR},
		{"wrapped ENOSYS", fmt.Errorf("flush: %w", syscall.ENOSYS), live, syscall.ENOTSUP},
		{"no errno", fmt.Errorf("something broke"), live, syscall.EIO},
		{"interrupted", fmt.Errorf("wait: %w", context.Canceled), dead, syscall.EINTR},
		{"interrupted with errno", fmt.Errorf("lk: %w", syscall.EAGAIN), dead, syscall.EAGAIN},
	} {
		if got := errno(tc.err, tc.ctx); got != tc.want {
			t.Errorf("%s: errno(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	if neverENOSYS(gofuse.ENOSYS) != gofuse.ENOTSUP || neverENOSYS(gofuse.EIO) != gofuse.EIO {
		t.Error("neverENOSYS")
	}
}

func TestReqContext(t *testing.T) {
	ch := make(chan struct{})
	ctx := &reqContext{cancel: ch}
	if ctx.Err() != nil {
		t.Fatal("fresh request context is done")
	}
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	close(ch)
	<-child.Done() // an interrupt reaches derived contexts
	if ctx.Err() != context.Canceled || child.Err() != context.Canceled {
		t.Fatalf("after interrupt: %v, %v", ctx.Err(), child.Err())
	}
	var never reqContext // Release: never cancelled
	if never.Err() != nil || never.Done() != nil {
		t.Fatal("a nil cancel channel must never be done")
	}
}

func TestSetAttrOf(t *testing.T) {
	in := &gofuse.SetAttrIn{}
	in.Valid = gofuse.FATTR_MODE | gofuse.FATTR_ATIME | gofuse.FATTR_ATIME_NOW | gofuse.FATTR_MTIME
	in.Mode = 0o104755
	in.Mtime, in.Mtimensec = 1234, 56
	a, ok := setAttrOf(in)
	want := xlator.SetAttr{Valid: xlator.SetMode | xlator.SetAtimeNow | xlator.SetMtime, Mode: 0o4755, Mtime: xlator.Timespec{Sec: 1234, Nsec: 56}}
	if !ok || a != want {
		t.Errorf("setAttrOf = %+v, %v; want %+v", a, ok, want)
	}
	in.Valid = gofuse.FATTR_SIZE
	if _, ok := setAttrOf(in); ok {
		t.Error("a size-only setattr produced a Setattr")
	}
}

func TestParseGroups(t *testing.T) {
	status := []byte("Name:\tbash\nUid:\t0\t0\t0\t0\nGroups:\t4 24 27 1000 \nNSpid:\t1\n")
	g, err := parseGroups(status, "x")
	if err != nil || fmt.Sprint(g) != "[4 24 27 1000]" {
		t.Fatalf("parseGroups = %v, %v", g, err)
	}
	g, err = parseGroups([]byte("Name:\tx\nGroups:\t\nNSpid:\t1\n"), "x")
	if err != nil || len(g) != 0 {
		t.Fatalf("no groups: %v, %v", g, err)
	}
	if _, err := parseGroups([]byte("Name:\tx\n"), "x"); err == nil {
		t.Fatal("missing Groups line accepted")
	}
}

func TestGroupCacheSelf(t *testing.T) {
	c := newGroupCache(defaultGroupsTimeout)
	pid := uint32(syscall.Getpid())
	want, err := syscall.Getgroups()
	if err != nil {
		t.Fatal(err)
	}
	got := c.get(pid, uint32(syscall.Geteuid()), uint32(syscall.Getegid()))
	if len(got) != len(want) {
		t.Fatalf("groups of this process: got %v, want %v", got, want)
	}
	if c.get(0, 0, 0) != nil {
		t.Fatal("pid 0 (the kernel) has groups")
	}
}

// BenchmarkReadGroups measures what resolving groups costs per request
// without the cache.
func BenchmarkReadGroups(b *testing.B) {
	pid := uint32(syscall.Getpid())
	for b.Loop() {
		if _, err := readGroups(pid); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGroupCache measures the cached path.
func BenchmarkGroupCache(b *testing.B) {
	c := newGroupCache(defaultGroupsTimeout)
	pid := uint32(syscall.Getpid())
	for b.Loop() {
		c.get(pid, 0, 0)
	}
}
