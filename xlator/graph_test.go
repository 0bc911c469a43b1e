package xlator

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lifecycleLog records constructor, start and fini calls across the test
// translator types, in order.
type lifecycleLog struct {
	mu  sync.Mutex
	log []string
}

func (l *lifecycleLog) add(s string) {
	l.mu.Lock()
	l.log = append(l.log, s)
	l.mu.Unlock()
}

func (l *lifecycleLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.log, " ")
}

var events lifecycleLog

type testLeaf struct {
	Leaf
	failStart bool
}

func (t *testLeaf) Start(ctx context.Context) error {
	events.add("start:" + t.Name())
	if t.failStart {
		return errors.New("disk on fire")
	}
	t.Emit(EventChildUp)
	return nil
}

func (t *testLeaf) Fini() error { events.add("fini:" + t.Name()); return nil }

func (t *testLeaf) Stat(ctx context.Context, c *Call, loc *Loc) (Stat, error) {
	return Stat{GFID: RootGFID, Mode: syscall.S_IFDIR | 0o755, UID: c.UID}, nil
}

type testPass struct{ Base }

func (t *testPass) Fini() error { events.add("fini:" + t.Name()); return nil }

func init() {
	Register(Descriptor{Type: "test/leaf", Doc: "test leaf", MaxChildren: 0,
		Options: []OptionDef{{Key: "fail-start", Type: TypeBool, Default: "off", Help: "fail in Start"}},
		New: func(cfg *Config) (Translator, error) {
			events.add("new:" + cfg.Name)
			return &testLeaf{Leaf: NewLeaf(cfg), failStart: cfg.Options.Bool("fail-start")}, nil
		}})
	Register(Descriptor{Type: "test/pass", Doc: "test passthrough", MinChildren: 1, MaxChildren: 1,
		New: func(cfg *Config) (Translator, error) {
			events.add("new:" + cfg.Name)
			return &testPass{Base: NewBase(cfg)}, nil
		}})
	Register(Descriptor{Type: "test/fan", Doc: "test fan-out", MinChildren: 2, MaxChildren: -1,
		New: func(cfg *Config) (Translator, error) { return &testPass{Base: NewBase(cfg)}, nil }})
	Register(Descriptor{Type: "test/server", Doc: "test extra root", MinChildren: 1, MaxChildren: -1, Root: true,
		New: func(cfg *Config) (Translator, error) { return &testPass{Base: NewBase(cfg)}, nil }})
	Register(Descriptor{Type: "test/broken", Doc: "constructor fails", MaxChildren: -1,
		New: func(cfg *Config) (Translator, error) { return nil, errors.New("cannot open the thing") }})
}

func vol(name, typ string, subs ...string) VolumeSpec {
	v := VolumeSpec{Name: name, Type: typ, Pos: Pos{File: "g.vol", Line: len(name)}}
	for _, s := range subs {
		v.Subvolumes = append(v.Subvolumes, SubvolumeRef{Name: s})
	}
	return v
}

func TestGraphStructureErrors(t *testing.T) {
	cases := []struct {
		name  string
		specs []VolumeSpec
		top   string
		want  string
	}{
		{"empty", nil, "", "no volumes"},
		{"duplicate name", []VolumeSpec{vol("a", "test/leaf"), vol("a", "test/leaf")}, "", `volume "a" defined twice`},
		{"unknown type", []VolumeSpec{vol("a", "test/nope")}, "", `unknown translator type "test/nope"`},
		{"missing subvolume", []VolumeSpec{vol("top", "test/pass", "ghost")}, "", `subvolume "ghost" is not defined`},
		{"too few children", []VolumeSpec{vol("a", "test/leaf"), vol("top", "test/fan", "a")}, "", "takes at least 2 subvolume(s), got 1"},
		{"leaf with child", []VolumeSpec{vol("a", "test/leaf"), vol("b", "test/leaf", "a")}, "", "takes no subvolumes"},
		{"cycle", []VolumeSpec{vol("a", "test/pass", "c"), vol("b", "test/pass", "a"), vol("c", "test/pass", "b")}, "", "cycle: c -> b -> a -> c"},
		{"self cycle", []VolumeSpec{vol("a", "test/pass", "a")}, "", "cycle: a -> a"},
		{"unused", []VolumeSpec{vol("lost", "test/leaf"), vol("a", "test/leaf"), vol("top", "test/pass", "a")}, "", `volume "lost" is not used`},
		{"unknown top", []VolumeSpec{vol("a", "test/leaf")}, "b", `"b" (the requested top) is not defined`},
		{"listed twice", []VolumeSpec{vol("a", "test/leaf"), vol("top", "test/fan", "a", "a")}, "", `subvolume "a" listed twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Check(c.specs, c.top)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Check error = %v, want %q", err, c.want)
			}
			if _, err := Build(c.specs, BuildOptions{Top: c.top}); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Build error = %v, want %q", err, c.want)
			}
		})
	}
}

func TestGraphBuildStartStopOrder(t *testing.T) {
	events = lifecycleLog{}
	specs := []VolumeSpec{vol("b1", "test/leaf"), vol("mid", "test/pass", "b1"), vol("top", "test/pass", "mid")}
	g, err := Build(specs, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Top().Name() != "top" || g.Find("mid") == nil || len(g.Translators()) != 3 {
		t.Fatalf("graph shape wrong: top %s, %d translators", g.Top().Name(), len(g.Translators()))
	}
	if g.IsUp() {
		t.Fatal("up before start")
	}
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := g.WaitUp(ctx); err != nil {
		t.Fatal(err)
	}
	// Fops pass through the passthrough bases to the leaf.
	st, err := g.Top().Stat(ctx, &Call{UID: 7}, RootLoc())
	if err != nil || st.UID != 7 || !st.IsDir() {
		t.Fatalf("stat through graph = %+v, %v", st, err)
	}
	// Fops the leaf lacks answer ENOTSUP, never ENOSYS.
	if _, err := g.Top().Readlink(ctx, &Call{}, RootLoc()); !errors.Is(err, syscall.ENOTSUP) {
		t.Fatalf("readlink = %v, want ENOTSUP", err)
	}
	if err := g.Stop(); err != nil {
		t.Fatal(err)
	}
	g.Stop() // a second stop does nothing
	want := "new:b1 new:mid new:top start:b1 fini:top fini:mid fini:b1"
	if got := events.String(); got != want {
		t.Fatalf("lifecycle\n got %s\nwant %s", got, want)
	}
}

func TestGraphTopVolumeNameAndExtraRoots(t *testing.T) {
	specs := []VolumeSpec{vol("b1", "test/leaf"), vol("b2", "test/leaf"), vol("srv", "test/server", "b2"),
		vol("client", "test/pass", "b1")}
	g, err := Build(specs, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	if len(g.Roots()) != 2 || g.Roots()[0].Name() != "client" || g.Roots()[1].Name() != "srv" {
		t.Fatalf("roots = %v", names(g.Roots()))
	}
	// An explicit top picks another volume; what it leaves unused is an error.
	if _, err := Check(specs, "b1"); err == nil || !strings.Contains(err.Error(), `"client" is not used`) {
		t.Fatalf("Check with top b1: %v", err)
	}
	if top, err := Check(specs[1:3], "srv"); err != nil || top != "srv" {
		t.Fatalf("Check top srv = %q, %v", top, err)
	}
}

func TestGraphCleansUpAfterPartialFailure(t *testing.T) {
	events = lifecycleLog{}
	specs := []VolumeSpec{vol("b1", "test/leaf"), vol("b2", "test/broken"), vol("top", "test/fan", "b1", "b2")}
	_, err := Build(specs, BuildOptions{})
	if err == nil || !strings.Contains(err.Error(), `volume "b2" (test/broken): cannot open the thing`) {
		t.Fatalf("Build error = %v", err)
	}
	if got := events.String(); got != "new:b1 fini:b1" {
		t.Fatalf("lifecycle after failed build: %s", got)
	}

	events = lifecycleLog{}
	specs = []VolumeSpec{vol("b1", "test/leaf"), {Name: "b2", Type: "test/leaf", Options: []OptionSpec{{Key: "fail-start", Value: "on"}}},
		vol("top", "test/fan", "b1", "b2")}
	g, err := Build(specs, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = g.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), `start volume "b2" (test/leaf): disk on fire`) {
		t.Fatalf("Start error = %v", err)
	}
	if got := events.String(); got != "new:b1 new:b2 start:b1 start:b2 fini:top fini:b2 fini:b1" {
		t.Fatalf("lifecycle after failed start: %s", got)
	}
}

func TestGraphOptionErrorsCarryPositions(t *testing.T) {
	specs := []VolumeSpec{{Name: "b", Type: "test/leaf", Pos: Pos{File: "x.vol", Line: 1},
		Options: []OptionSpec{{Key: "fail-strat", Value: "on", Pos: Pos{File: "x.vol", Line: 3, Col: 3}}}}}
	_, err := Check(specs, "")
	if err == nil || err.Error() != `x.vol:3:3: volume "b": unknown option "fail-strat" (did you mean "fail-start"?)` {
		t.Fatalf("error = %v", err)
	}
}

func TestEventsTravelUpAndDown(t *testing.T) {
	specs := []VolumeSpec{vol("b1", "test/leaf"), vol("top", "test/pass", "b1")}
	g, err := Build(specs, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !g.IsUp() {
		t.Fatal("not up after leaf emitted child-up")
	}
	g.Find("b1").(*testLeaf).Emit(EventChildDown)
	if g.IsUp() {
		t.Fatal("still up after child-down")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := g.WaitUp(ctx); err == nil {
		t.Fatal("WaitUp returned while down")
	}
	g.Find("b1").(*testLeaf).Emit(EventChildUp)
	if !g.IsUp() {
		t.Fatal("not up again")
	}
}

func names(ts []Translator) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name())
	}
	return out
}

func TestRegisterRejectsDuplicatesAndBadDefaults(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	newFn := func(cfg *Config) (Translator, error) { return nil, nil }
	mustPanic("duplicate", func() { Register(Descriptor{Type: "test/leaf", New: newFn}) })
	mustPanic("bad default", func() {
		Register(Descriptor{Type: "test/baddefault", New: newFn,
			Options: []OptionDef{{Key: "n", Type: TypeInt, Default: "many"}}})
	})
	mustPanic("no New", func() { Register(Descriptor{Type: "test/nonew"}) })
}

type downLeaf struct{ testLeaf }

func (d *downLeaf) Start(ctx context.Context) error { return nil } // never comes up
func (d *downLeaf) DownReason() string              { return "connect 127.0.0.1:1: connection refused" }

func init() {
	Register(Descriptor{Type: "test/down", Doc: "never up", MaxChildren: 0,
		New: func(cfg *Config) (Translator, error) { return &downLeaf{testLeaf{Leaf: NewLeaf(cfg)}}, nil }})
}

func TestWaitUpNamesWhyTheTopIsDown(t *testing.T) {
	g, err := Build([]VolumeSpec{vol("c0", "test/down"), vol("top", "test/pass", "c0")}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Stop()
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = g.WaitUp(ctx)
	want := `volume "top" did not come up: c0: connect 127.0.0.1:1: connection refused`
	if err == nil || !strings.HasPrefix(err.Error(), want) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitUp error = %v, want it to start with %q", err, want)
	}
}
