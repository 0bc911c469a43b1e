package replicate

import (
	"reflect"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

func TestTimesPlan(t *testing.T) {
	at := func(sec int64, ns uint32) xlator.Stat {
		return xlator.Stat{GFID: xlator.GFID{1}, Mode: 0o100644, Mtime: xlator.Timespec{Sec: sec, Nsec: ns}, Atime: xlator.Timespec{Sec: sec, Nsec: ns}}
	}
	ok := func(st xlator.Stat, pending ...counters) replyState {
		if pending == nil {
			pending = []counters{{}, {}, {}}
		}
		return replyState{OK: true, Stat: st, Pending: pending}
	}
	cases := []struct {
		name    string
		states  []replyState
		prefer  int
		src     int
		targets []int
	}{
		{"equal", []replyState{ok(at(5, 1)), ok(at(5, 1))}, -1, 0, nil},
		{"ns differ", []replyState{ok(at(5, 1)), ok(at(5, 2))}, -1, 0, []int{1}},
		{"prefer read child", []replyState{ok(at(5, 1)), ok(at(5, 2))}, 1, 1, []int{0}},
		{"down child left out", []replyState{ok(at(5, 1)), {}, ok(at(6, 0))}, -1, 0, []int{2}},
		{"sink left out", []replyState{ok(at(5, 1), counters{}, counters{1, 0, 0}), ok(at(6, 0))}, -1, 0, nil},
		{"entry sink left out, even preferred", []replyState{ok(at(5, 1), counters{}, counters{0, 0, 1}), ok(at(4, 0))}, 1, 0, nil},
		{"metadata sink left out", []replyState{ok(at(5, 1), counters{}, counters{0, 1, 0}), ok(at(6, 0))}, -1, 0, nil},
		{"split-brain", []replyState{ok(at(5, 1), counters{}, counters{1, 0, 0}), ok(at(6, 0), counters{1, 0, 0}, counters{})}, -1, -1, nil},
	}
	for _, c := range cases {
		src, targets := timesPlan(c.states, c.prefer)
		if src != c.src || !reflect.DeepEqual(targets, c.targets) {
			t.Errorf("%s: timesPlan = %d %v, want %d %v", c.name, src, targets, c.src, c.targets)
		}
	}
}
