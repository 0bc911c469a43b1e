package posix

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// A create that asks for a GFID (as replicate's heal does on a new brick)
// races lookups of the same name (an application on the mount): every
// lookup that finds the entry must see the requested GFID, and the create
// must succeed. Without the name lock a lookup between the create's
// mkdir/open and its GFID xattr gave the entry a random GFID, and the
// create then failed on the xattr it could not set.
func TestCreateWithGFIDRacesLookup(t *testing.T) {
	p, _ := newBrick(t)
	kinds := []struct {
		name string
		make func(l *xlator.Loc) (xlator.Stat, error)
	}{
		{"create", func(l *xlator.Loc) (xlator.Stat, error) {
			fd := xlator.NewFD(l, uint32(os.O_RDWR), false)
			st, err := p.Create(bg, root, fd, 0o644, 0)
			if err == nil {
				err = p.Release(bg, root, fd)
			}
			return st, err
		}},
		{"mkdir", func(l *xlator.Loc) (xlator.Stat, error) { return p.Mkdir(bg, root, l, 0o755, 0) }},
		{"mknod", func(l *xlator.Loc) (xlator.Stat, error) {
			return p.Mknod(bg, root, l, unix.S_IFIFO|0o644, 0, 0)
		}},
		{"symlink", func(l *xlator.Loc) (xlator.Stat, error) { return p.Symlink(bg, root, "target", l, 0) }},
	}
	const rounds = 200 // without the lock, every kind failed within 2 rounds
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for i := range rounds {
				name := fmt.Sprintf("%s-%d", k.name, i)
				want := xlator.NewGFID()
				var seen atomic.Int32
				var wrong atomic.Value
				done := make(chan struct{})
				var wg sync.WaitGroup
				for range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							st, _, err := p.Lookup(bg, root, &xlator.Loc{Parent: xlator.RootGFID, Name: name}, nil)
							switch {
							case err == nil && st.GFID != want:
								wrong.Store(fmt.Sprintf("lookup saw gfid %v, create asked for %v", st.GFID, want))
								return
							case err == nil:
								seen.Add(1)
								return
							case !isErr(err, syscall.ENOENT):
								wrong.Store(fmt.Sprintf("lookup: %v", err))
								return
							}
							select {
							case <-done:
								return
							default:
								runtime.Gosched() // let the create run, also with GOMAXPROCS=1
							}
						}
					}()
				}
				st, err := k.make(&xlator.Loc{Parent: xlator.RootGFID, Name: name, GFID: want})
				close(done)
				wg.Wait()
				if err != nil {
					t.Fatalf("round %d: %s with gfid %v: %v (lookups: %v)", i, k.name, want, err, wrong.Load())
				}
				if msg := wrong.Load(); msg != nil {
					t.Fatalf("round %d: %s", i, msg)
				}
				if st.GFID != want {
					t.Fatalf("round %d: %s gave gfid %v, asked for %v", i, k.name, st.GFID, want)
				}
			}
		})
	}
}
