package distribute_test

import (
	"fmt"
	"testing"

	_ "github.com/loom-fs/loom/translators/cluster/replicate"

	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

func TestConformance2(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator { return newVolume(t, opts{n: 2}).top })
}

func TestConformance3Locks(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator { return newVolume(t, opts{n: 3, locks: true}).top })
}

func TestConformance5(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator { return newVolume(t, opts{n: 5}).top })
}

// Distributed-replicate 2x2: distribute over two replicate pairs of
// posix bricks with features/locks.
func TestConformanceDistributedReplicate(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator { return newDistRep(t).Top() })
}

func newDistRep(t *testing.T) *xlator.Graph {
	var specs []xlator.VolumeSpec
	for i := 0; i < 4; i++ {
		p := fmt.Sprintf("posix%d", i)
		specs = append(specs, xlatortest.PosixSpec(p, t.TempDir()),
			xlator.VolumeSpec{Name: fmt.Sprintf("locks%d", i), Type: "features/locks", Subvolumes: []xlator.SubvolumeRef{{Name: p}}})
	}
	for k := 0; k < 2; k++ {
		specs = append(specs, xlator.VolumeSpec{Name: fmt.Sprintf("pair%d", k), Type: "cluster/replicate",
			Subvolumes: []xlator.SubvolumeRef{{Name: fmt.Sprintf("locks%d", 2*k)}, {Name: fmt.Sprintf("locks%d", 2*k+1)}}})
	}
	specs = append(specs, xlator.VolumeSpec{Name: "dht", Type: "cluster/distribute",
		Subvolumes: []xlator.SubvolumeRef{{Name: "pair0"}, {Name: "pair1"}}})
	return xlatortest.Build(t, specs)
}
