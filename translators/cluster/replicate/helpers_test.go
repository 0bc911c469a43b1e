package replicate_test

import (
	"fmt"
	"log/slog"
	"testing"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	errorgen "github.com/loom-fs/loom/translators/debug/error-gen"
	_ "github.com/loom-fs/loom/translators/features/index"
	_ "github.com/loom-fs/loom/translators/features/locks"
	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// cluster is a replicate volume over n bricks built for a test.
type cluster struct {
	g      *xlator.Graph
	top    *replicate.Replicate
	dirs   []string
	faults []*errorgen.ErrorGen // one per brick when built with faults
}

// buildOpts choose what stands under replicate on each brick.
type buildOpts struct {
	n       int
	index   bool // features/index right above each posix
	locks   bool // features/locks above that
	faults  bool // debug/error-gen above that
	options []string
	dirs    []string     // existing brick directories; fresh temp dirs when nil
	log     *slog.Logger // the graph's logger; xlatortest's (warnings to stderr) when nil
}

func newCluster(t *testing.T, o buildOpts) *cluster {
	t.Helper()
	cl := &cluster{dirs: o.dirs}
	var specs []xlator.VolumeSpec
	var kids []xlator.SubvolumeRef
	for i := 0; i < o.n; i++ {
		if len(cl.dirs) <= i {
			cl.dirs = append(cl.dirs, t.TempDir())
		}
		below := fmt.Sprintf("posix%d", i)
		specs = append(specs, xlatortest.PosixSpec(below, cl.dirs[i]))
		if o.index {
			name := fmt.Sprintf("index%d", i)
			specs = append(specs, xlator.VolumeSpec{Name: name, Type: "features/index",
				Subvolumes: []xlator.SubvolumeRef{{Name: below}}})
			below = name
		}
		if o.locks {
			name := fmt.Sprintf("locks%d", i)
			specs = append(specs, xlator.VolumeSpec{Name: name, Type: "features/locks",
				Subvolumes: []xlator.SubvolumeRef{{Name: below}}})
			below = name
		}
		if o.faults {
			name := fmt.Sprintf("brick%d", i)
			specs = append(specs, xlator.VolumeSpec{Name: name, Type: errorgen.Type,
				Subvolumes: []xlator.SubvolumeRef{{Name: below}}})
			below = name
		}
		kids = append(kids, xlator.SubvolumeRef{Name: below})
	}
	top := xlator.VolumeSpec{Name: "rep", Type: replicate.Type, Subvolumes: kids}
	for k := 0; k+1 < len(o.options); k += 2 {
		top.Options = append(top.Options, xlator.OptionSpec{Key: o.options[k], Value: o.options[k+1]})
	}
	specs = append(specs, top)
	cl.g = xlatortest.BuildWith(t, specs, xlator.BuildOptions{Log: o.log})
	cl.top = cl.g.Top().(*replicate.Replicate)
	if o.faults {
		for i := 0; i < o.n; i++ {
			cl.faults = append(cl.faults, cl.g.Find(fmt.Sprintf("brick%d", i)).(*errorgen.ErrorGen))
		}
	}
	return cl
}
