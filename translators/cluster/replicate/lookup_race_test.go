package replicate

import (
	"bytes"
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	errorgen "github.com/loom-fs/loom/translators/debug/error-gen"
	_ "github.com/loom-fs/loom/translators/features/locks"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// gateType is a passthrough whose lookups a test can hold up or follow
// with its own code, to force one interleaving of a lookup and a heal.
const gateType = "test/gate"

func init() {
	xlator.Register(xlator.Descriptor{Type: gateType, Doc: "runs a test's hooks around lookups (tests)",
		New: func(cfg *xlator.Config) (xlator.Translator, error) {
			return &gate{Base: xlator.NewBase(cfg)}, nil
		}, MinChildren: 1, MaxChildren: 1})
}

// gatedKey marks the context of the lookups a gate's hooks apply to.
type gatedKey struct{}

type gate struct {
	xlator.Base
	mu     sync.Mutex
	before func(loc *xlator.Loc) // runs once, before the next lookup of a name
	after  func(loc *xlator.Loc) // runs once, after the next lookup of a name
}

func (g *gate) hooks(ctx context.Context, loc *xlator.Loc) (before, after func(*xlator.Loc)) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if loc.Name == "" || ctx.Value(gatedKey{}) == nil {
		return nil, nil
	}
	before, after = g.before, g.after
	g.before, g.after = nil, nil
	return before, after
}

func (g *gate) Lookup(ctx context.Context, c *xlator.Call, loc *xlator.Loc, req xlator.XData) (xlator.Stat, xlator.XData, error) {
	before, after := g.hooks(ctx, loc)
	if before != nil {
		before(loc)
	}
	st, x, err := g.Base.Lookup(ctx, c, loc, req)
	if after != nil {
		after(loc)
	}
	return st, x, err
}

// TestLookupRacingEntryHeal: a lookup that reads the source's changelog
// just before an entry heal marks it, and the sink just after the heal
// created the sink's (still empty) copy, must not record the new copy as
// good: reads set to the sink would then see no xattrs, ACLs or times of
// the source, or an empty file (a 0-byte read was seen once in
// TestFreshBrickFullHeal, session 4). The lookup looks again and
// answers, and records, what the marked changelog says.
func TestLookupRacingEntryHeal(t *testing.T) {
	var specs []xlator.VolumeSpec
	var kids []xlator.SubvolumeRef
	for _, n := range []string{"0", "1"} {
		specs = append(specs,
			xlatortest.PosixSpec("posix"+n, t.TempDir()),
			xlator.VolumeSpec{Name: "locks" + n, Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: "posix" + n}}},
			xlator.VolumeSpec{Name: "brick" + n, Type: errorgen.Type, Subvolumes: []xlator.SubvolumeRef{{Name: "locks" + n}}},
			xlator.VolumeSpec{Name: "gate" + n, Type: gateType, Subvolumes: []xlator.SubvolumeRef{{Name: "brick" + n}}})
		kids = append(kids, xlator.SubvolumeRef{Name: "gate" + n})
	}
	specs = append(specs, xlator.VolumeSpec{Name: "rep", Type: Type, Subvolumes: kids, Options: []xlator.OptionSpec{
		{Key: "read-subvolume", Value: "gate1"}, {Key: "self-heal", Value: "off"}}})
	gr := xlatortest.Build(t, specs)
	r := gr.Top().(*Replicate)
	gates := []*gate{gr.Find("gate0").(*gate), gr.Find("gate1").(*gate)}
	ctx, c := context.Background(), xlator.RootCall()
	quiet := func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for r.healer.crawling.Load() || count(r.freshSet()) > 0 {
			if time.Now().After(deadline) {
				t.Fatal("the bricks' start-up heal did not end")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if _, _, err := r.Lookup(ctx, c, xlator.RootLoc(), nil); err != nil {
		t.Fatal(err)
	}
	quiet()

	// A file on both bricks: brick1 coming back is not an empty
	// (fresh) brick, which would get a full heal at once.
	gfd := xlator.NewFD(&xlator.Loc{Path: "/g", Parent: xlator.RootGFID, Name: "g"}, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, false)
	if _, err := r.Create(ctx, c, gfd, 0o644, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(ctx, c, gfd); err != nil {
		t.Fatal(err)
	}

	// /f is written while brick1 is down: brick1 lacks it, and the
	// root's changelog on brick0 says so.
	data := bytes.Repeat([]byte("data"), 4096)
	brick1 := gr.Find("brick1").(*errorgen.ErrorGen)
	brick1.Kill()
	loc := &xlator.Loc{Path: "/f", Parent: xlator.RootGFID, Name: "f"}
	fd := xlator.NewFD(loc, syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, false)
	if _, err := r.Create(ctx, c, fd, 0o644, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Write(ctx, c, fd, data, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.Release(ctx, c, fd); err != nil {
		t.Fatal(err)
	}
	brick1.Revive()
	quiet()

	// The lookup reads brick0 first; then, before it reads brick1,
	// the root's entry heal marks brick0's copy as blaming brick1 and
	// creates brick1's empty copy.
	var created []newEntry
	healed := make(chan struct{})
	gates[0].mu.Lock()
	gates[0].after = func(*xlator.Loc) {
		defer close(healed)
		var err error
		created, _, err = r.healEntries(ctx, xlator.RootGFID, false)
		if err != nil {
			t.Errorf("entry heal: %v", err)
		}
	}
	gates[0].mu.Unlock()
	gates[1].mu.Lock()
	gates[1].before = func(*xlator.Loc) {
		select {
		case <-healed:
		case <-time.After(10 * time.Second):
			t.Error("the entry heal did not finish")
		}
	}
	gates[1].mu.Unlock()

	st, _, err := r.Lookup(context.WithValue(ctx, gatedKey{}, true), c, &xlator.Loc{Path: "/f", Parent: xlator.RootGFID, Name: "f"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 1 {
		t.Fatalf("the entry heal created %d entries, want 1 (/f on brick1)", len(created))
	}
	for _, ne := range created {
		if err := r.kids[ne.sink].Release(ctx, c, ne.fd); err != nil {
			t.Fatal(err)
		}
	}
	if st.Size != uint64(len(data)) {
		t.Errorf("lookup answered size %d from the empty new copy; want %d", st.Size, len(data))
	}
	if in := r.inodes.get(st.GFID); in == nil || in.readable[tData][1] || in.readable[tMeta][1] {
		t.Errorf("after the lookup brick1's new copy (no data, no xattrs, no times yet) counts as good: %+v", in)
	}
	rfd := xlator.NewFD(&xlator.Loc{Path: "/f", Parent: xlator.RootGFID, Name: "f", GFID: st.GFID}, syscall.O_RDONLY, false)
	if err := r.Open(ctx, c, rfd); err != nil {
		t.Fatal(err)
	}
	defer r.Release(ctx, c, rfd)
	got := make([]byte, len(data)+1)
	n, err := r.Read(ctx, c, rfd, got, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[:n], data) {
		t.Errorf("read %d bytes, want the %d written", n, len(data))
	}
}
