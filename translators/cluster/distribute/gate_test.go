package distribute

import (
	"sync"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

func TestGate(t *testing.T) {
	g := newGate()
	f := xlator.NewGFID()
	g.enter(f)
	if g.begin(f) {
		t.Fatal("a migration began on a busy file")
	}
	g.leave(f)
	if !g.begin(f) {
		t.Fatal("a migration could not begin on an idle file")
	}
	if g.begin(f) {
		t.Fatal("two migrations of one file")
	}
	g.enter(f) // abandons the migration
	g.leave(f)
	if g.startSwitch(f) {
		t.Fatal("an abandoned migration switched")
	}
	if !g.begin(f) || !g.startSwitch(f) {
		t.Fatal("an undisturbed migration could not switch")
	}
	var wg sync.WaitGroup
	entered := make(chan time.Time, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		g.enter(f)
		entered <- time.Now()
		g.leave(f)
	}()
	time.Sleep(50 * time.Millisecond)
	ended := time.Now()
	g.end(f)
	wg.Wait()
	if at := <-entered; at.Before(ended) {
		t.Fatal("enter did not wait for the switch to end")
	}
}
