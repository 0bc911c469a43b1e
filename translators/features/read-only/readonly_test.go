package readonly_test

import (
	"context"
	"errors"
	"syscall"
	"testing"

	readonly "github.com/loom-fs/loom/translators/features/read-only"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// modifying lists every fop that changes the volume; read-only refuses
// them all and passes the rest.
var modifying = []string{
	"Setattr", "Fsetattr", "Truncate", "Ftruncate", "Mknod", "Mkdir", "Unlink", "Rmdir",
	"Symlink", "Rename", "Link", "Create", "Write", "Fallocate", "Discard", "Zerofill",
	"CopyFileRange", "Setxattr", "Removexattr", "Fsetxattr", "Fremovexattr", "Xattrop", "Fxattrop",
}

func TestConformanceWhenOff(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return xlatortest.NewStack(t, xlatortest.Layer(readonly.Type, "read-only", "off"))
	})
}

func TestForwardsEverythingWhenOff(t *testing.T) {
	xlatortest.CheckForwarding(t, func(child xlator.Translator) xlator.Translator {
		return xlatortest.Wrap(t, readonly.Type, child, "read-only", "off")
	})
}

func TestForwardsReadsWhenOn(t *testing.T) {
	xlatortest.CheckForwarding(t, func(child xlator.Translator) xlator.Translator {
		return xlatortest.Wrap(t, readonly.Type, child)
	}, modifying...)
}

// populated returns a read-only translator (switched off) over posix with
// a file /f holding "data", a directory /d and a symlink /l.
func populated(t *testing.T) (*readonly.ReadOnly, *xlator.Loc, *xlator.Loc) {
	t.Helper()
	ro := xlatortest.NewStack(t, xlatortest.Layer(readonly.Type, "read-only", "off")).(*readonly.ReadOnly)
	ctx, c := context.Background(), xlator.RootCall()
	floc := xlator.RootLoc().Child("f")
	floc.GFID = xlator.NewGFID()
	fd := xlator.NewFD(floc, syscall.O_CREAT|syscall.O_RDWR, false)
	if _, err := ro.Create(ctx, c, fd, 0o644, 0); err != nil {
		t.Fatalf("create /f: %v", err)
	}
	if _, err := ro.Write(ctx, c, fd, []byte("data"), 0); err != nil {
		t.Fatalf("write /f: %v", err)
	}
	ro.Release(ctx, c, fd)
	dloc := xlator.RootLoc().Child("d")
	dloc.GFID = xlator.NewGFID()
	if _, err := ro.Mkdir(ctx, c, dloc, 0o755, 0); err != nil {
		t.Fatalf("mkdir /d: %v", err)
	}
	ro.SetReadOnly(true)
	return ro, floc, dloc
}

func TestRefusesEveryModifyingFop(t *testing.T) {
	ro, f, d := populated(t)
	ctx, c := context.Background(), xlator.RootCall()
	rfd := xlator.NewFD(f, syscall.O_RDONLY, false)
	if err := ro.Open(ctx, c, rfd); err != nil {
		t.Fatalf("open read-only: %v", err)
	}
	defer ro.Release(ctx, c, rfd)
	fresh := func(name string) *xlator.Loc {
		l := xlator.RootLoc().Child(name)
		l.GFID = xlator.NewGFID()
		return l
	}
	set := &xlator.SetAttr{Valid: xlator.SetMode, Mode: 0o600}
	one := func(_ any, err error) error { return err }
	calls := map[string]func() error{
		"Setattr":   func() error { return one(ro.Setattr(ctx, c, f, set)) },
		"Fsetattr":  func() error { return one(ro.Fsetattr(ctx, c, rfd, set)) },
		"Truncate":  func() error { return one(ro.Truncate(ctx, c, f, 0)) },
		"Ftruncate": func() error { return one(ro.Ftruncate(ctx, c, rfd, 0)) },
		"Mknod":     func() error { return one(ro.Mknod(ctx, c, fresh("p"), syscall.S_IFIFO|0o644, 0, 0)) },
		"Mkdir":     func() error { return one(ro.Mkdir(ctx, c, fresh("e"), 0o755, 0)) },
		"Unlink":    func() error { return ro.Unlink(ctx, c, f) },
		"Rmdir":     func() error { return ro.Rmdir(ctx, c, d) },
		"Symlink":   func() error { return one(ro.Symlink(ctx, c, "f", fresh("s"), 0)) },
		"Rename":    func() error { return ro.Rename(ctx, c, f, xlator.RootLoc().Child("g"), 0) },
		"Link":      func() error { return one(ro.Link(ctx, c, f, xlator.RootLoc().Child("h"))) },
		"Create": func() error {
			return one(ro.Create(ctx, c, xlator.NewFD(fresh("n"), syscall.O_CREAT|syscall.O_RDWR, false), 0o644, 0))
		},
		"Write":     func() error { return one(ro.Write(ctx, c, rfd, []byte("x"), 0)) },
		"Fallocate": func() error { return ro.Fallocate(ctx, c, rfd, 0, 0, 4096) },
		"Discard":   func() error { return ro.Discard(ctx, c, rfd, 0, 4) },
		"Zerofill":  func() error { return ro.Zerofill(ctx, c, rfd, 0, 4) },
		"CopyFileRange": func() error {
			return one(ro.CopyFileRange(ctx, c, rfd, 0, rfd, 4, 4, 0))
		},
		"Setxattr":     func() error { return ro.Setxattr(ctx, c, f, "user.k", []byte("v"), 0) },
		"Removexattr":  func() error { return ro.Removexattr(ctx, c, f, "user.k") },
		"Fsetxattr":    func() error { return ro.Fsetxattr(ctx, c, rfd, "user.k", []byte("v"), 0) },
		"Fremovexattr": func() error { return ro.Fremovexattr(ctx, c, rfd, "user.k") },
		"Xattrop": func() error {
			return one(ro.Xattrop(ctx, c, f, xlator.AddArray32, xlator.XData{"loom.test": make([]byte, 4)}))
		},
		"Fxattrop": func() error {
			return one(ro.Fxattrop(ctx, c, rfd, xlator.AddArray32, xlator.XData{"loom.test": make([]byte, 4)}))
		},
	}
	for _, fop := range modifying {
		call, ok := calls[fop]
		if !ok {
			t.Fatalf("no call for %s", fop)
		}
		if err := call(); !errors.Is(err, syscall.EROFS) {
			t.Errorf("%s on a read-only volume: %v, want EROFS", fop, err)
		}
	}
	for _, flags := range []uint32{syscall.O_WRONLY, syscall.O_RDWR, syscall.O_RDONLY | syscall.O_TRUNC, syscall.O_WRONLY | syscall.O_APPEND} {
		if err := ro.Open(ctx, c, xlator.NewFD(f, flags, false)); !errors.Is(err, syscall.EROFS) {
			t.Errorf("open with flags %#o: %v, want EROFS", flags, err)
		}
	}
	// Nothing changed underneath.
	st, _, err := ro.Lookup(ctx, c, f, nil)
	if err != nil || st.Size != 4 || st.Mode&0o777 != 0o644 || st.Nlink != 1 {
		t.Fatalf("/f after refused fops: size %d mode %o nlink %d, %v", st.Size, st.Mode, st.Nlink, err)
	}
	buf := make([]byte, 16)
	if n, err := ro.Read(ctx, c, rfd, buf, 0); err != nil || string(buf[:n]) != "data" {
		t.Fatalf("read on a read-only volume: %q, %v", buf[:n], err)
	}
	for _, name := range []string{"p", "e", "s", "g", "h", "n"} {
		if _, _, err := ro.Lookup(ctx, c, xlator.RootLoc().Child(name), nil); !errors.Is(err, syscall.ENOENT) {
			t.Errorf("/%s exists after a refused fop (%v)", name, err)
		}
	}
}

func TestReadsPass(t *testing.T) {
	ro, f, d := populated(t)
	ctx, c := context.Background(), xlator.RootCall()
	if _, err := ro.Stat(ctx, c, f); err != nil {
		t.Fatalf("stat: %v", err)
	}
	if err := ro.Access(ctx, c, f, 4); err != nil {
		t.Fatalf("access R_OK: %v", err)
	}
	dfd := xlator.NewFD(d, syscall.O_RDONLY|syscall.O_DIRECTORY, true)
	if err := ro.Opendir(ctx, c, dfd); err != nil {
		t.Fatalf("opendir: %v", err)
	}
	defer ro.Releasedir(ctx, c, dfd)
	if _, err := ro.Readdir(ctx, c, dfd, 0, 4096, true); err != nil {
		t.Fatalf("readdir: %v", err)
	}
	if _, err := ro.Statfs(ctx, c, xlator.RootLoc()); err != nil {
		t.Fatalf("statfs: %v", err)
	}
	if _, err := ro.Listxattr(ctx, c, f); err != nil {
		t.Fatalf("listxattr: %v", err)
	}
}

func TestReconfigure(t *testing.T) {
	ro, f, _ := populated(t)
	ctx, c := context.Background(), xlator.RootCall()
	off, err := xlator.NewOptions(readonly.Options, []xlator.OptionSpec{{Key: "read-only", Value: "off"}}, "ro")
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Reconfigure(off); err != nil || ro.IsReadOnly() {
		t.Fatalf("reconfigure read-only off: %v, still on: %v", err, ro.IsReadOnly())
	}
	if _, err := ro.Setattr(ctx, c, f, &xlator.SetAttr{Valid: xlator.SetMode, Mode: 0o600}); err != nil {
		t.Fatalf("chmod after switching read-only off: %v", err)
	}
	on, _ := xlator.NewOptions(readonly.Options, nil, "ro")
	if err := ro.Reconfigure(on); err != nil || !ro.IsReadOnly() {
		t.Fatalf("reconfigure back to the default: %v, on: %v", err, ro.IsReadOnly())
	}
	if _, err := ro.Setattr(ctx, c, f, &xlator.SetAttr{Valid: xlator.SetMode, Mode: 0o644}); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("chmod after switching read-only back on: %v", err)
	}
}

// The schema rejects a value that is not a boolean, naming the option.
func TestRejectsBadOption(t *testing.T) {
	_, err := xlator.Check([]xlator.VolumeSpec{
		xlatortest.PosixSpec("posix", t.TempDir()),
		{Name: "ro", Type: readonly.Type, Options: []xlator.OptionSpec{{Key: "read-only", Value: "maybe"}},
			Subvolumes: []xlator.SubvolumeRef{{Name: "posix"}}},
	}, "")
	if err == nil {
		t.Fatal("read-only maybe was accepted")
	}
}
