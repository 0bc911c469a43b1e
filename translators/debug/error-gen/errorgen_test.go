package errorgen_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	errorgen "github.com/loom-fs/loom/translators/debug/error-gen"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

func TestConformanceWhenNotFailing(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return xlatortest.NewStack(t, xlatortest.Layer(errorgen.Type))
	})
}

func TestForwardsEverythingWhenNotFailing(t *testing.T) {
	xlatortest.CheckForwarding(t, func(child xlator.Translator) xlator.Translator {
		return xlatortest.Wrap(t, errorgen.Type, child, "error-no", "ENOSPC", "enable", "all")
	})
}

// overRecorder builds error-gen with options kv over a Recorder leaf, as a
// started graph, and returns both.
func overRecorder(t *testing.T, kv ...string) (*xlator.Graph, *errorgen.ErrorGen, *xlatortest.Recorder) {
	t.Helper()
	eg := xlatortest.Layer(errorgen.Type, kv...)
	eg.Name = "eg"
	eg.Subvolumes = []xlator.SubvolumeRef{{Name: "leaf"}}
	g := xlatortest.Build(t, []xlator.VolumeSpec{{Name: "leaf", Type: xlatortest.RecorderType}, eg})
	return g, g.Top().(*errorgen.ErrorGen), g.Find("leaf").(*xlatortest.Recorder)
}

// pattern calls stat n times and returns which calls failed, as a string
// of '.' (passed) and 'x' (failed with want).
func pattern(t *testing.T, tr xlator.Translator, n int, want syscall.Errno) string {
	t.Helper()
	var b strings.Builder
	for range n {
		_, err := tr.Stat(context.Background(), xlator.RootCall(), xlator.RootLoc())
		switch {
		case err == nil:
			b.WriteByte('.')
		case errors.Is(err, want):
			b.WriteByte('x')
		default:
			t.Fatalf("stat failed with %v, want %v", err, want)
		}
	}
	return b.String()
}

func TestEvenPace(t *testing.T) {
	_, eg, leaf := overRecorder(t, "failure", "25", "enable", "stat")
	got := pattern(t, eg, 12, syscall.EIO)
	if got != "...x...x...x" {
		t.Fatalf("failure 25%%: %s, want every fourth call failing", got)
	}
	if eg.Failed() != 3 || leaf.Count("Stat") != 9 {
		t.Fatalf("failed %d, child saw %d stats; want 3 and 9", eg.Failed(), leaf.Count("Stat"))
	}
	// A fop not enabled never fails.
	for range 10 {
		if _, _, err := eg.Lookup(context.Background(), xlator.RootCall(), xlator.RootLoc(), nil); err != nil {
			t.Fatalf("lookup is not enabled but failed: %v", err)
		}
	}
}

func TestErrnoAndMessage(t *testing.T) {
	_, eg, _ := overRecorder(t, "failure", "100", "error-no", "ENOSPC", "enable", "write,mkdir")
	fd := xlator.NewFD(xlator.RootLoc().Child("full"), syscall.O_RDWR, false)
	_, err := eg.Write(context.Background(), xlator.RootCall(), fd, []byte("x"), 0)
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "write /full") {
		t.Fatalf("write: %v, want ENOSPC naming the fop and path", err)
	}
	if xlator.Errno(err) != syscall.ENOSPC {
		t.Fatalf("Errno(%v) = %v", err, xlator.Errno(err))
	}
}

func TestSchedule(t *testing.T) {
	_, eg, _ := overRecorder(t, "failure", "100", "fail-after", "5", "fail-count", "3", "error-no", "ETIMEDOUT")
	if got := pattern(t, eg, 12, syscall.ETIMEDOUT); got != ".....xxx...." {
		t.Fatalf("fail-after 5 fail-count 3: %s", got)
	}
}

func TestRandomIsSeeded(t *testing.T) {
	_, a, _ := overRecorder(t, "failure", "30", "random-failure", "on", "seed", "42")
	_, b, _ := overRecorder(t, "failure", "30", "random-failure", "on", "seed", "42")
	pa, pb := pattern(t, a, 1000, syscall.EIO), pattern(t, b, 1000, syscall.EIO)
	if pa != pb {
		t.Fatal("two error-gens with the same seed failed different calls")
	}
	n := strings.Count(pa, "x")
	if n < 230 || n > 370 {
		t.Fatalf("random failure 30%% failed %d of 1000 calls", n)
	}
	_, even, _ := overRecorder(t, "failure", "30")
	if pe := pattern(t, even, 1000, syscall.EIO); pe == pa || strings.Count(pe, "x") != 300 {
		t.Fatalf("even pace failed %d of 1000 calls, random the same calls: %v", strings.Count(pe, "x"), pe == pa)
	}
}

func TestReleaseIsNotFailedByAll(t *testing.T) {
	_, eg, leaf := overRecorder(t, "failure", "100")
	fd := xlator.NewFD(xlator.RootLoc().Child("f"), syscall.O_RDONLY, false)
	if err := eg.Release(context.Background(), xlator.RootCall(), fd); err != nil || leaf.Count("Release") != 1 {
		t.Fatalf("release under enable all: %v (child saw %d)", err, leaf.Count("Release"))
	}
	if err := eg.Open(context.Background(), xlator.RootCall(), fd); !errors.Is(err, syscall.EIO) {
		t.Fatalf("open under failure 100: %v", err)
	}
}

func TestKillAndRevive(t *testing.T) {
	g, eg, leaf := overRecorder(t)
	if !g.IsUp() {
		t.Fatal("graph is not up before kill")
	}
	eg.Kill()
	if g.IsUp() || !eg.IsDown() {
		t.Fatal("kill did not send child-down to the top")
	}
	leaf.Reset()
	if got := pattern(t, eg, 5, syscall.ENOTCONN); got != "xxxxx" || leaf.Total() != 0 {
		t.Fatalf("a killed brick answered %s and its child saw %d fops", got, leaf.Total())
	}
	eg.Kill() // killing twice changes nothing
	eg.Revive()
	if !g.IsUp() || eg.IsDown() {
		t.Fatal("revive did not send child-up to the top")
	}
	if got := pattern(t, eg, 5, syscall.EIO); got != "....." {
		t.Fatalf("a revived brick answered %s", got)
	}
}

func TestReviveRestoresEarlierSettings(t *testing.T) {
	_, eg, _ := overRecorder(t, "failure", "50", "enable", "stat", "error-no", "EBUSY")
	eg.Kill()
	eg.Revive()
	if got := pattern(t, eg, 4, syscall.EBUSY); got != ".x.x" {
		t.Fatalf("after kill and revive: %s, want the 50%% EBUSY pace back", got)
	}
}

func TestStartsDown(t *testing.T) {
	eg := xlatortest.Layer(errorgen.Type, "failure", "100", "error-no", "ENOTCONN")
	eg.Name = "eg"
	eg.Subvolumes = []xlator.SubvolumeRef{{Name: "leaf"}}
	g, err := xlator.Build([]xlator.VolumeSpec{{Name: "leaf", Type: xlatortest.RecorderType}, eg}, xlator.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Stop() })
	if err := g.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := g.WaitUp(ctx); err == nil {
		t.Fatal("a graph over a brick configured dead came up")
	}
	g.Top().(*errorgen.ErrorGen).Revive()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	if err := g.WaitUp(ctx2); err != nil {
		t.Fatalf("after revive: %v", err)
	}
}

func TestReconfigure(t *testing.T) {
	g, eg, _ := overRecorder(t)
	opts, err := xlator.NewOptions(errorgen.Options, []xlator.OptionSpec{
		{Key: "failure", Value: "100%"}, {Key: "error-no", Value: "ENOTCONN"}}, "eg")
	if err != nil {
		t.Fatal(err)
	}
	if err := eg.Reconfigure(opts); err != nil {
		t.Fatal(err)
	}
	if g.IsUp() {
		t.Fatal("reconfiguring to fail everything with ENOTCONN did not report child-down")
	}
	s := eg.Settings()
	if s.Failure != 100 || s.Errno != syscall.ENOTCONN || s.Fops != nil {
		t.Fatalf("settings after reconfigure: %+v", s)
	}
	off, _ := xlator.NewOptions(errorgen.Options, nil, "eg")
	if err := eg.Reconfigure(off); err != nil || !g.IsUp() {
		t.Fatalf("reconfigure to defaults: %v, up %v", err, g.IsUp())
	}
	if err := eg.Apply(errorgen.Settings{Failure: 100, Fops: []string{"no-such-fop"}}); err == nil {
		t.Fatal("Apply accepted an unknown fop")
	}
}

func TestRejectsBadOptions(t *testing.T) {
	for _, kv := range [][]string{
		{"enable", "lookup,frobnicate"},
		{"error-no", "EWHATEVER"},
		{"failure", "150"},
		{"fail-count", "-1"},
	} {
		eg := xlatortest.Layer(errorgen.Type, kv...)
		eg.Name = "eg"
		eg.Subvolumes = []xlator.SubvolumeRef{{Name: "leaf"}}
		_, err := xlator.Build([]xlator.VolumeSpec{{Name: "leaf", Type: xlatortest.RecorderType}, eg}, xlator.BuildOptions{})
		if err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("option %s %s: %v, want an error naming the option", kv[0], kv[1], err)
		}
	}
}

// A killed brick over real storage refuses fops; revived, its data is intact.
func TestKillOverPosix(t *testing.T) {
	top := xlatortest.NewStack(t, xlatortest.Layer(errorgen.Type))
	eg := top.(*errorgen.ErrorGen)
	ctx, c := context.Background(), xlator.RootCall()
	loc := xlator.RootLoc().Child("kept")
	loc.GFID = xlator.NewGFID()
	if _, err := eg.Mkdir(ctx, c, loc, 0o755, 0); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	eg.Kill()
	if _, _, err := eg.Lookup(ctx, c, xlator.RootLoc().Child("kept"), nil); !errors.Is(err, syscall.ENOTCONN) {
		t.Fatalf("lookup on a killed brick: %v", err)
	}
	eg.Revive()
	st, _, err := eg.Lookup(ctx, c, xlator.RootLoc().Child("kept"), nil)
	if err != nil || st.GFID != loc.GFID {
		t.Fatalf("lookup after revive: gfid %v, %v; want %v", st.GFID, err, loc.GFID)
	}
}
