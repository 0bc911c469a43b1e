package distribute_test

import (
	"testing"

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
