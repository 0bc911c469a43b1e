package replicate

import (
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// A remember while a worker has the item (busy: healing it, or looking at
// its changelog to decide whether to forget it) must not be lost: the
// blame it follows may postdate that look. It marks the item to be healed
// again; it is not queued beside the running heal. A remember of an idle
// item queues it once.
func TestHealerRememberWhileBusyHealsAgain(t *testing.T) {
	r := &Replicate{heal: healSwitches{on: true}}
	h := newHealer(r, 1, 0, 4096)
	g := xlator.GFID{1}
	h.remember(g, nil)
	it := h.items[g]
	if it == nil || !it.queued || len(h.ready) != 1 {
		t.Fatalf("remember of a new inode: item %+v, ready %d; want it queued once", it, len(h.ready))
	}
	h.remember(g, nil)
	if len(h.ready) != 1 || it.again {
		t.Fatalf("second remember while queued: ready %d, again %v; want one entry, no again", len(h.ready), it.again)
	}
	got, kind, ok := h.next()
	if !ok || kind != workItem || got != g || !it.busy || it.queued {
		t.Fatalf("next: %v %d %v, item %+v; want g, busy", got, kind, ok, it)
	}
	before := it.gen
	h.remember(g, nil)
	if !it.again || it.queued || len(h.ready) != 0 {
		t.Fatalf("remember while busy: item %+v, ready %d; want again set, not queued", it, len(h.ready))
	}
	if it.gen == before {
		t.Fatalf("remember while busy left gen at %d; healed would forget the item", it.gen)
	}
	h.rememberIndexed([]xlator.GFID{g})
	if !it.indexed || !it.again || len(h.ready) != 0 {
		t.Fatalf("index read while busy: item %+v, ready %d; want indexed and again", it, len(h.ready))
	}
}
