package distribute

import (
	"sync"

	"github.com/loom-fs/loom/xlator"
)

// gate keeps file migration and the fops of this process that change a
// file apart. Every open FD of a file and every path fop that modifies a
// file holds the file busy; a migration starts only on a file nobody
// holds, is abandoned if someone takes it meanwhile, and while it
// switches the file over (a few metadata fops) newcomers wait. Together
// with the re-check of the source's size and times before the switch,
// nothing written through this mount is lost to a migration.
type gate struct {
	mu   sync.Mutex
	cond *sync.Cond
	busy map[xlator.GFID]int
	migs map[xlator.GFID]*migration
}

// migration is the gate's record of a file being migrated.
type migration struct {
	aborted   bool // someone took the file: the copy is discarded
	switching bool
}

func newGate() *gate {
	g := &gate{busy: map[xlator.GFID]int{}, migs: map[xlator.GFID]*migration{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// enter marks f busy (an open, or a modifying fop): a migration in
// progress is abandoned, one switching is waited for. The caller must
// find the file's location after enter returns, since a switch may just
// have moved it.
func (g *gate) enter(f xlator.GFID) {
	if f.IsZero() {
		return
	}
	g.mu.Lock()
	for {
		m := g.migs[f]
		if m == nil || !m.switching {
			if m != nil {
				m.aborted = true
			}
			break
		}
		g.cond.Wait()
	}
	g.busy[f]++
	g.mu.Unlock()
}

// leave ends what enter began.
func (g *gate) leave(f xlator.GFID) {
	if f.IsZero() {
		return
	}
	g.mu.Lock()
	if g.busy[f]--; g.busy[f] <= 0 {
		delete(g.busy, f)
	}
	g.mu.Unlock()
}

// held reports whether a fop or an open FD of this process holds f busy.
func (g *gate) held(f xlator.GFID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.busy[f] > 0
}

// begin registers a migration of f; false when f is busy or already being
// migrated.
func (g *gate) begin(f xlator.GFID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.busy[f] > 0 || g.migs[f] != nil {
		return false
	}
	g.migs[f] = &migration{}
	return true
}

// startSwitch moves the migration of f to its switch: false (and the
// migration forgotten) when it was abandoned; otherwise newcomers wait
// until end.
func (g *gate) startSwitch(f xlator.GFID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.migs[f]
	if m.aborted || g.busy[f] > 0 {
		delete(g.migs, f)
		g.cond.Broadcast()
		return false
	}
	m.switching = true
	return true
}

// end forgets the migration of f and wakes whoever waits for it.
func (g *gate) end(f xlator.GFID) {
	g.mu.Lock()
	delete(g.migs, f)
	g.cond.Broadcast()
	g.mu.Unlock()
}
