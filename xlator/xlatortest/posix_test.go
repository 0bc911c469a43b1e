package xlatortest_test

import (
	"testing"

	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// The suite's reference: storage/posix alone.
func TestPosixConformance(t *testing.T) {
	xlatortest.Run(t, xlatortest.NewPosix)
}

// The Recorder forwards faithfully over real storage, and counts.
func TestRecorderOverPosixConformance(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		top := xlatortest.NewStack(t, xlatortest.Layer(xlatortest.RecorderType))
		t.Cleanup(func() {
			if top.(*xlatortest.Recorder).Count("Lookup") == 0 {
				t.Error("the recorder saw no lookups")
			}
		})
		return top
	})
}
