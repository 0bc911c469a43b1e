package replicate_test

import (
	"testing"

	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

func TestConformanceReplica2(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return newCluster(t, buildOpts{n: 2, locks: true}).top
	})
}

func TestConformanceReplica3(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return newCluster(t, buildOpts{n: 3, locks: true}).top
	})
}

// Without features/locks below, transactions are serialised by the
// process-local lock manager.
func TestConformanceWithoutLocks(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return newCluster(t, buildOpts{n: 2}).top
	})
}

// The parallel fan-out, which bricks over the network use, on local
// bricks (which fan out serially by default).
func TestConformanceParallelFanOut(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return newCluster(t, buildOpts{n: 2, locks: true, options: []string{"fan-out", "parallel"}}).top
	})
}
