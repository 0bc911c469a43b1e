package xlatortest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// PosixType is the registered type of the storage translator the helpers
// build on. xlatortest does not import it (the posix package's own tests
// use this package); a test that calls NewPosix or NewStack imports
// _ "github.com/loom-fs/loom/translators/storage/posix" itself.
const PosixType = "storage/posix"

// upTimeout bounds how long Build waits for a graph to report child-up.
const upTimeout = 10 * time.Second

// testLog is the logger graphs built by this package get: warnings and
// errors only, on standard error, so a failing test shows why.
func testLog() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// Build builds specs through xlator.Build (so every option is validated),
// starts the graph, waits for its top to report child-up, and stops the
// graph when the test ends. The top is the last volume.
func Build(t testing.TB, specs []xlator.VolumeSpec) *xlator.Graph {
	t.Helper()
	return BuildWith(t, specs, xlator.BuildOptions{})
}

// BuildWith is Build with build options (a logger of the test's own, a
// top other than the last volume).
func BuildWith(t testing.TB, specs []xlator.VolumeSpec, bo xlator.BuildOptions) *xlator.Graph {
	t.Helper()
	if bo.Log == nil {
		bo.Log = testLog()
	}
	g, err := xlator.Build(specs, bo)
	if err != nil {
		t.Fatalf("build graph: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	if err := g.Start(ctx); err != nil {
		t.Fatalf("start graph: %v", err)
	}
	t.Cleanup(func() {
		if err := g.Stop(); err != nil {
			t.Errorf("stop graph: %v", err)
		}
	})
	if err := g.WaitUp(ctx); err != nil {
		t.Fatalf("graph did not come up: %v", err)
	}
	return g
}

// PosixSpec returns the spec of a storage/posix volume named name over dir.
func PosixSpec(name, dir string) xlator.VolumeSpec {
	return xlator.VolumeSpec{Name: name, Type: PosixType,
		Options: []xlator.OptionSpec{{Key: "directory", Value: dir}}}
}

// NewPosix returns a started storage/posix over a fresh t.TempDir(),
// stopped when the test ends.
func NewPosix(t *testing.T) xlator.Translator {
	t.Helper()
	needType(t, PosixType)
	return Build(t, []xlator.VolumeSpec{PosixSpec("posix", t.TempDir())}).Top()
}

// NewStack builds storage/posix over a fresh t.TempDir() with layers
// stacked on it in order (the last is the top): each layer's Subvolumes is
// set to the one below, and a missing Name becomes "layer<i>". It returns
// the started top, stopped when the test ends.
func NewStack(t *testing.T, layers ...xlator.VolumeSpec) xlator.Translator {
	t.Helper()
	needType(t, PosixType)
	specs := []xlator.VolumeSpec{PosixSpec("posix", t.TempDir())}
	for i, l := range layers {
		if l.Name == "" {
			l.Name = fmt.Sprintf("layer%d", i+1)
		}
		l.Subvolumes = []xlator.SubvolumeRef{{Name: specs[len(specs)-1].Name}}
		specs = append(specs, l)
	}
	return Build(t, specs).Top()
}

// Layer returns a spec of type typ with options given as key, value pairs,
// for NewStack.
func Layer(typ string, kv ...string) xlator.VolumeSpec {
	if len(kv)%2 != 0 {
		panic("xlatortest.Layer: options must be key, value pairs")
	}
	s := xlator.VolumeSpec{Type: typ}
	for i := 0; i < len(kv); i += 2 {
		s.Options = append(s.Options, xlator.OptionSpec{Key: kv[i], Value: kv[i+1]})
	}
	return s
}

// Wrap constructs a translator of type typ directly over child, with
// options given as key, value pairs (validated against the type's schema),
// wires it with xlator.Attach and finalizes it when the test ends. It does
// not start it; it is meant for CheckForwarding's wrap function.
func Wrap(t *testing.T, typ string, child xlator.Translator, kv ...string) xlator.Translator {
	t.Helper()
	d := needType(t, typ)
	spec := Layer(typ, kv...)
	opts, err := xlator.NewOptions(d.Options, spec.Options, typ)
	if err != nil {
		t.Fatalf("options of %s: %v", typ, err)
	}
	tr, err := d.New(&xlator.Config{Name: "under-test", Type: typ,
		Children: []xlator.Translator{child}, Options: opts, Log: testLog()})
	if err != nil {
		t.Fatalf("new %s: %v", typ, err)
	}
	xlator.Attach(tr)
	t.Cleanup(func() {
		if err := tr.Fini(); err != nil {
			t.Errorf("fini %s: %v", typ, err)
		}
	})
	return tr
}

func needType(t *testing.T, typ string) *xlator.Descriptor {
	t.Helper()
	d, ok := xlator.Lookup(typ)
	if !ok {
		t.Fatalf("translator type %q is not registered: blank-import its package in this test", typ)
	}
	return d
}
