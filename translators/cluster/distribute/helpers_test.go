package distribute_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/distribute"
	_ "github.com/loom-fs/loom/translators/features/locks"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
	"golang.org/x/sys/unix"
)

// volume is a distribute volume over n bricks built for a test.
type volume struct {
	g    *xlator.Graph
	top  *distribute.Distribute
	dirs []string
}

// opts choose what the test volume is made of.
type opts struct {
	n       int
	locks   bool     // features/locks above each posix
	dirs    []string // existing brick directories; fresh temp dirs when nil
	options []string // distribute options, key value pairs
}

func newVolume(t *testing.T, o opts) *volume {
	t.Helper()
	v := &volume{dirs: o.dirs}
	var specs []xlator.VolumeSpec
	var kids []xlator.SubvolumeRef
	for i := 0; i < o.n; i++ {
		if len(v.dirs) <= i {
			v.dirs = append(v.dirs, t.TempDir())
		}
		name := fmt.Sprintf("brick%d", i)
		below := name
		if o.locks {
			below = fmt.Sprintf("posix%d", i)
		}
		specs = append(specs, xlatortest.PosixSpec(below, v.dirs[i]))
		if o.locks {
			specs = append(specs, xlator.VolumeSpec{Name: name, Type: "features/locks",
				Subvolumes: []xlator.SubvolumeRef{{Name: below}}})
		}
		kids = append(kids, xlator.SubvolumeRef{Name: name})
	}
	top := xlator.VolumeSpec{Name: "dht", Type: distribute.Type, Subvolumes: kids}
	for k := 0; k+1 < len(o.options); k += 2 {
		top.Options = append(top.Options, xlator.OptionSpec{Key: o.options[k], Value: o.options[k+1]})
	}
	specs = append(specs, top)
	v.g = xlatortest.Build(t, specs)
	v.top = v.g.Top().(*distribute.Distribute)
	return v
}

// brickLayout reads directory rel's layout xattr off every brick
// directory (a zero Range where it is missing).
func brickLayout(t *testing.T, dirs []string, rel string) distribute.Layout {
	t.Helper()
	var lay distribute.Layout
	for _, b := range dirs {
		buf := make([]byte, 64)
		n, err := unix.Lgetxattr(filepath.Join(b, rel), "trusted.loom.dht.layout", buf)
		if err != nil {
			lay = append(lay, distribute.Range{})
			continue
		}
		r, err := distribute.DecodeRange(buf[:n])
		if err != nil {
			t.Fatalf("%s on %s: %v", rel, b, err)
		}
		lay = append(lay, r)
	}
	return lay
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
