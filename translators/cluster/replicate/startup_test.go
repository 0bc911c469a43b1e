package replicate

import (
	"testing"

	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// Replicate reports child-up only once it can answer: not while the only
// children up are fresh (empty) bricks and another child has not been up
// yet (a first child-down does not count: a protocol/client reports one
// while its server does not listen yet); once it has, or startWait passed.
// A mount of a migration whose new side connected first failed its first
// requests with ENOTCONN before (TestMigrateFidelity/via-server, 1 run
// in 33 under load).
func TestUpWaitsForAChildThatCanAnswer(t *testing.T) {
	g := xlatortest.Build(t, []xlator.VolumeSpec{
		xlatortest.PosixSpec("new", t.TempDir()),
		xlatortest.PosixSpec("old", t.TempDir()),
		{Name: "rep", Type: Type, Subvolumes: []xlator.SubvolumeRef{{Name: "new"}, {Name: "old"}}},
	})
	r := g.Top().(*Replicate)
	for _, tc := range []struct {
		name              string
		seenUp, up, fresh []bool
		waited, wantUp    bool
	}{
		{"fresh brick up, the other not heard from", []bool{true, false}, []bool{true, false}, []bool{true, false}, false, false},
		{"fresh brick up, the other down (never up yet)", []bool{true, false}, []bool{true, false}, []bool{true, false}, false, false},
		{"fresh brick up, the other was up before", []bool{true, true}, []bool{true, false}, []bool{true, false}, false, true},
		{"a brick with data up", []bool{false, true}, []bool{false, true}, []bool{false, false}, false, true},
		{"fresh brick up, waited long enough", []bool{true, false}, []bool{true, false}, []bool{true, false}, true, true},
		{"nothing up", []bool{true, true}, []bool{false, false}, []bool{false, false}, false, false},
	} {
		r.upMu.Lock()
		copy(r.seenUp, tc.seenUp)
		copy(r.up, tc.up)
		copy(r.fresh, tc.fresh)
		r.waited, r.waitArmed, r.isUp = tc.waited, true, false
		r.upMu.Unlock()
		r.report()
		r.upMu.Lock()
		got := r.isUp
		r.upMu.Unlock()
		if got != tc.wantUp {
			t.Errorf("%s: up %v, want %v", tc.name, got, tc.wantUp)
		}
	}
}
