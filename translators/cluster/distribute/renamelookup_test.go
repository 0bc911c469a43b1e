package distribute_test

import (
	"fmt"
	"sync"
	"testing"
)

// A rename whose new name hashes to another subvolume makes a link file
// there before it renames the data; a lookup of the new name in between
// finds the link but no data under that name. It must leave the link
// alone: it removed it as stale, and the rename then failed with ENOENT
// (EROFS through replicate) setting the link's target, or left the file
// without its link (go-fuse's posixtest OpenSymlinkRace through a
// distributed-replicated mount).
func TestRenameWhileTheNewNameIsLookedUp(t *testing.T) {
	v := newVolume(t, opts{n: 2})
	f := newClient(t, v.top)
	f.mkdir("/d")
	dir, _, err := f.resolve("/d")
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			v.top.Lookup(f.ctx, f.c, dir.Child("path"), nil) // errors (ENOENT) expected
		}
	}()
	last := ""
	for k := 0; k < 200; k++ {
		// Temporary names hash to either subvolume.
		tmp := fmt.Sprintf("/d/tmp%d", k)
		last = fmt.Sprintf("round %d", k)
		f.write(tmp, []byte(last))
		if err := f.rename(tmp, "/d/path"); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("rename %s -> /d/path in round %d: %v", tmp, k, err)
		}
	}
	close(stop)
	wg.Wait()
	if got := string(f.read("/d/path")); got != last {
		t.Errorf("/d/path holds %q, want %q", got, last)
	}
}
