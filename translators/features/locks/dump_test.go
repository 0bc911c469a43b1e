package locks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/translators/features/locks"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// Dump and the loom.locks.dump xattr list granted and waiting locks.
func TestDump(t *testing.T) {
	l := newLocks(t)
	f, g := create(t, l, "f"), create(t, l, "g")
	dir := mkdir(t, l, "d")
	ctx := context.Background()
	if d := l.Dump(); d != "" {
		t.Fatalf("dump of a fresh translator: %q", d)
	}
	mustLk(t, l, caller("", 0x2a), f, lock(xlator.WriteLock, 0, 100))
	p := setlkw(ctx, l, caller("", 0x2b), f, lock(xlator.ReadLock, 50, 0))
	p.blocked(t, "reader")
	mustLk(t, l, caller("", 0x2c), g, lock(xlator.ReadLock, 7, 1))
	if err := l.Inodelk(ctx, caller("c1", 1), "replicate", &f.Loc, xlator.LkSet, lock(xlator.WriteLock, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Entrylk(ctx, caller("c1", 1), "dht", dir, "name", xlator.EntryLockNB, xlator.EntryRead); err != nil {
		t.Fatal(err)
	}
	fs := f.GFID().String()
	wantF := fs + " posix\n" +
		"  granted write 0-99 client=\"\" owner=0x2a pid=1042\n" +
		"  waiting read 50-EOF client=\"\" owner=0x2b pid=1043\n" +
		fs + " inodelk domain=\"replicate\"\n" +
		"  granted write 0-EOF client=\"c1\" owner=0x1 pid=1001\n"
	got, err := l.Getxattr(ctx, xlator.RootCall(), &f.Loc, locks.DumpXattr)
	if err != nil || string(got) != wantF {
		t.Fatalf("getxattr %s = %q, %v; want %q", locks.DumpXattr, got, err, wantF)
	}
	got, err = l.Fgetxattr(ctx, xlator.RootCall(), f, locks.DumpXattr)
	if err != nil || string(got) != wantF {
		t.Fatalf("fgetxattr %s = %q, %v", locks.DumpXattr, got, err)
	}
	all := l.Dump()
	for _, want := range []string{wantF, g.GFID().String() + " posix\n  granted read 7-7 ",
		dir.GFID.String() + " entrylk domain=\"dht\"\n  granted read \"name\" client=\"c1\""} {
		if !strings.Contains(all, want) {
			t.Errorf("Dump lacks %q:\n%s", want, all)
		}
	}
	// Other names go to the brick.
	if _, err := l.Getxattr(ctx, xlator.RootCall(), &f.Loc, "user.missing"); !xlatorIs(err, syscall.ENODATA) {
		t.Errorf("getxattr of a missing name: %v, want ENODATA from the brick", err)
	}
	mustLk(t, l, caller("", 0x2a), f, lock(xlator.Unlock, 0, 0))
	p.granted(t, "reader")
}

func xlatorIs(err error, e syscall.Errno) bool { return xlator.Errno(err) == e }

// With trace on, grants, waits and releases are logged; reconfigure
// switches it.
func TestTraceOption(t *testing.T) {
	var buf bytes.Buffer
	var mu lockedWriter
	mu.w = &buf
	lg := slog.New(slog.NewTextHandler(&mu, &slog.HandlerOptions{Level: slog.LevelInfo}))
	g := xlatortest.BuildWith(t, []xlator.VolumeSpec{
		xlatortest.PosixSpec("posix", t.TempDir()),
		{Name: "locks", Type: locks.Type, Options: []xlator.OptionSpec{{Key: "trace", Value: "on"}},
			Subvolumes: []xlator.SubvolumeRef{{Name: "posix"}}},
	}, xlator.BuildOptions{Log: lg})
	l := g.Top().(*locks.Locks)
	fd := create(t, l, "f")
	ctx := context.Background()
	mustLk(t, l, caller("", 1), fd, lock(xlator.WriteLock, 0, 10))
	p := setlkw(ctx, l, caller("", 2), fd, lock(xlator.WriteLock, 0, 10))
	p.blocked(t, "writer")
	mustLk(t, l, caller("", 1), fd, lock(xlator.Unlock, 0, 0))
	p.granted(t, "writer")
	out := mu.String()
	for _, want := range []string{`msg="lock granted"`, `msg="lock waiting"`, `msg="lock released"`, "kind=posix", `lock="write 0-9 client=\"\" owner=0x2`} {
		if !strings.Contains(out, want) {
			t.Errorf("trace log lacks %s:\n%s", want, out)
		}
	}
	off, err := xlator.NewOptions(locks.Options, []xlator.OptionSpec{{Key: "trace", Value: "off"}}, "locks")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Reconfigure(off); err != nil {
		t.Fatal(err)
	}
	before := len(mu.String())
	mustLk(t, l, caller("", 3), fd, lock(xlator.ReadLock, 100, 1))
	if after := mu.String()[before:]; strings.Contains(after, "lock granted") {
		t.Errorf("logged with trace off: %s", after)
	}
}

// The schema declares only trace and rejects what it does not implement.
func TestOptions(t *testing.T) {
	for _, o := range []xlator.OptionSpec{{Key: "trace", Value: "maybe"}, {Key: "mandatory-locking", Value: "on"}} {
		_, err := xlator.Check([]xlator.VolumeSpec{
			xlatortest.PosixSpec("posix", t.TempDir()),
			{Name: "locks", Type: locks.Type, Options: []xlator.OptionSpec{o},
				Subvolumes: []xlator.SubvolumeRef{{Name: "posix"}}},
		}, "")
		if err == nil || !strings.Contains(err.Error(), o.Key) {
			t.Errorf("option %s %s: %v, want an error naming it", o.Key, o.Value, err)
		}
	}
	_, err := xlator.Check([]xlator.VolumeSpec{
		xlatortest.PosixSpec("a", t.TempDir()), xlatortest.PosixSpec("b", t.TempDir()),
		{Name: "locks", Type: locks.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "a"}, {Name: "b"}}},
	}, "")
	if err == nil {
		t.Error("features/locks over two subvolumes was accepted")
	}
}

// The "dump" control command reports the same state as JSON.
func TestControlDump(t *testing.T) {
	l := newLocks(t)
	f, g := create(t, l, "f"), create(t, l, "g")
	mustLk(t, l, caller("", 1), f, lock(xlator.WriteLock, 0, 10))
	mustLk(t, l, caller("", 2), g, lock(xlator.ReadLock, 0, 0))
	var ctl xlator.Controller = l
	res, err := ctl.Control(context.Background(), "dump", []string{f.GFID().String()})
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(res)
	want := `[{"gfid":"` + f.GFID().String() + `","kind":"posix","granted":["write 0-9 client=\"\" owner=0x1 pid=1001"]}]`
	if err != nil || string(js) != want {
		t.Fatalf("dump of f = %s, %v; want %s", js, err, want)
	}
	res, err = ctl.Control(context.Background(), "dump", nil)
	if all, ok := res.([]locks.SpaceState); err != nil || !ok || len(all) != 2 {
		t.Fatalf("dump of all = %#v, %v", res, err)
	}
	if _, err := ctl.Control(context.Background(), "dump", []string{"nonsense"}); err == nil {
		t.Error("dump of a bad GFID succeeded")
	}
	if _, err := ctl.Control(context.Background(), "heal", nil); err == nil || !strings.Contains(err.Error(), "dump") {
		t.Errorf("unknown command: %v, want an error listing dump", err)
	}
}
