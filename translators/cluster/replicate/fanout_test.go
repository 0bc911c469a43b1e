package replicate

import (
	"errors"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

// fakeKid is a translator of the given type over kids, for the fan-out
// choice.
type fakeKid struct{ xlator.Base }

func newFakeKid(typ string, kids ...xlator.Translator) xlator.Translator {
	f := &fakeKid{}
	f.Base = xlator.NewBase(&xlator.Config{Name: typ, Type: typ, Children: kids})
	return f
}

func TestSerialFanOutChoice(t *testing.T) {
	local := func() xlator.Translator {
		return newFakeKid("features/locks", newFakeKid("storage/posix"))
	}
	remote := func() xlator.Translator {
		return newFakeKid("debug/trace", newFakeKid("protocol/client"))
	}
	for _, tc := range []struct {
		name, mode string
		kids       []xlator.Translator
		serial     bool
	}{
		{"auto, local bricks", FanOutAuto, []xlator.Translator{local(), local()}, true},
		{"auto, one brick over the network", FanOutAuto, []xlator.Translator{local(), remote()}, false},
		{"auto, network bricks", FanOutAuto, []xlator.Translator{remote(), remote()}, false},
		{"parallel, local bricks", FanOutParallel, []xlator.Translator{local(), local()}, false},
		{"serial, network bricks", FanOutSerial, []xlator.Translator{remote(), remote()}, true},
	} {
		if got := serialFanOut(tc.mode, tc.kids); got != tc.serial {
			t.Errorf("%s: serial %v, want %v", tc.name, got, tc.serial)
		}
	}
}

// Serial and parallel fan-outs call every participant once, report
// ENOTCONN for the others, and keep each child's error in its place;
// fanOutData runs in parallel from parallelBytes on.
func TestFanOutModes(t *testing.T) {
	r := &Replicate{kids: []xlator.Translator{newFakeKid("a"), newFakeKid("b"), newFakeKid("c")}}
	parts := []bool{true, false, true}
	for _, serial := range []bool{true, false} {
		r.serial = serial
		calls := make([]int, 3)
		errs := r.fanOut(t.Context(), parts, func(i int) error {
			calls[i]++
			if i == 2 {
				return xlator.Wrap("op", "/p", errFake)
			}
			return nil
		})
		if calls[0] != 1 || calls[1] != 0 || calls[2] != 1 {
			t.Errorf("serial %v: calls %v, want [1 0 1]", serial, calls)
		}
		if errs[0] != nil || !errorsIsConn(errs[1]) || errs[2] == nil {
			t.Errorf("serial %v: errors %v", serial, errs)
		}
	}
	r.serial = true
	for _, tc := range []struct {
		n        int
		parallel bool
	}{{4096, false}, {parallelBytes - 1, false}, {parallelBytes, true}, {1 << 20, true}} {
		// In parallel, child 0 runs in a goroutine of its own and
		// waits for child 2 (in the caller's goroutine) to start,
		// which a serial fan-out would never let happen; serially,
		// the children run in their order in the caller's goroutine.
		started := make(chan struct{})
		var order []int
		errs := r.fanOutData(t.Context(), tc.n, parts, func(i int) error {
			if i == 2 {
				close(started)
			} else if tc.parallel {
				select {
				case <-started:
				case <-time.After(10 * time.Second):
					return errFake
				}
			}
			if !tc.parallel {
				order = append(order, i)
			}
			return nil
		})
		if errs[0] != nil || errs[2] != nil {
			t.Errorf("%d bytes: errors %v", tc.n, errs)
		}
		if !tc.parallel && (len(order) != 2 || order[0] != 0 || order[1] != 2) {
			t.Errorf("%d bytes: children ran in the order %v, want [0 2]", tc.n, order)
		}
	}
}

var errFake = errors.New("fake failure")
