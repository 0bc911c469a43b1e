package posix

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

func TestMain(m *testing.M) {
	syscall.Umask(0) // as the CLI does: the brick applies the caller's umask itself
	os.Exit(m.Run())
}

var bg = context.Background()

// root is the caller used by most tests.
var root = xlator.RootCall()

// newBrickAt builds a brick on dir with extra options.
func newBrickAt(t *testing.T, dir string, opts ...xlator.OptionSpec) *Posix {
	t.Helper()
	given := append([]xlator.OptionSpec{{Key: optDirectory, Value: dir}}, opts...)
	o, err := xlator.NewOptions(Options, given, "brick")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(&xlator.Config{Name: "brick", Type: TypeName, Options: o})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Fini() })
	return tr.(*Posix)
}

// newBrick builds a brick on a fresh temporary directory.
func newBrick(t *testing.T) (*Posix, string) {
	t.Helper()
	dir := t.TempDir()
	return newBrickAt(t, dir), dir
}

func loc(path string) *xlator.Loc { return &xlator.Loc{Path: path} }

func wantErrno(t *testing.T, err error, want syscall.Errno) {
	t.Helper()
	if xlator.Errno(err) != want {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// createFile creates path with data through the brick and releases it.
func createFile(t *testing.T, p *Posix, path string, data []byte) xlator.Stat {
	t.Helper()
	fd := xlator.NewFD(loc(path), uint32(os.O_RDWR), false)
	st, err := p.Create(bg, root, fd, 0o644, 0)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	if len(data) > 0 {
		if _, err := p.Write(bg, root, fd, data, 0); err != nil {
			t.Fatalf("write %s: %v", path, err)
		}
	}
	ok(t, p.Release(bg, root, fd))
	return st
}

func isErr(err error, e syscall.Errno) bool { return errors.Is(err, e) }
