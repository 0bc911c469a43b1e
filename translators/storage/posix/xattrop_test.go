package posix

import (
	"encoding/binary"
	"os"
	"sync"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

func TestAddArrays(t *testing.T) {
	got, err := addArrays([]byte{0, 0, 0, 1, 0, 0, 0, 2}, []byte{0xff, 0xff, 0xff, 0xff}, 4)
	ok(t, err)
	if want := []byte{0, 0, 0, 0, 0, 0, 0, 2}; string(got) != string(want) {
		t.Fatalf("got %x", got)
	}
	got, err = addArrays(nil, []byte{0, 0, 0, 0, 0, 0, 0, 5}, 8)
	ok(t, err)
	if binary.BigEndian.Uint64(got) != 5 {
		t.Fatalf("got %x", got)
	}
	if _, err := addArrays(nil, []byte{1, 2, 3}, 4); err == nil {
		t.Fatal("a 3-byte value was added as int32s")
	}
}

// Concurrent xattrops on one file lose no update (run with -race).
func TestXattropAtomic(t *testing.T) {
	p, _ := newBrick(t)
	f := createFile(t, p, "/f", nil)
	fd := xlator.NewFD(&xlator.Loc{Path: "/f", GFID: f.GFID}, uint32(os.O_RDWR), false)
	ok(t, p.Open(bg, root, fd))
	defer p.Release(bg, root, fd)
	one := []byte{0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff} // +1, -1
	const workers, each = 8, 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				var err error
				if w%2 == 0 {
					_, err = p.Xattrop(bg, root, loc("/f"), xlator.AddArray32, xlator.XData{"loom.pending.v": one})
				} else {
					_, err = p.Fxattrop(bg, root, fd, xlator.AddArray32, xlator.XData{"loom.pending.v": one})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	out := must[xlator.XData](t)(p.Xattrop(bg, root, loc("/f"), xlator.AddArray32, xlator.XData{"loom.pending.v": make([]byte, 8)}))
	v := out["loom.pending.v"]
	if got := int32(binary.BigEndian.Uint32(v)); got != workers*each {
		t.Fatalf("counter 0 is %d, want %d", got, workers*each)
	}
	if got := int32(binary.BigEndian.Uint32(v[4:])); got != -workers*each {
		t.Fatalf("counter 1 is %d, want %d", got, -workers*each)
	}
	// 64-bit counters.
	out = must[xlator.XData](t)(p.Xattrop(bg, root, loc("/f"), xlator.AddArray64, xlator.XData{"loom.big": {0, 0, 0, 1, 0, 0, 0, 0}}))
	if binary.BigEndian.Uint64(out["loom.big"]) != 1<<32 {
		t.Fatalf("int64 counter %x", out["loom.big"])
	}
	_, err := p.Xattrop(bg, root, loc("/f"), xlator.AddArray32, xlator.XData{"trusted.loom.gfid": make([]byte, 4)})
	wantErrno(t, err, syscall.EPERM)
}
