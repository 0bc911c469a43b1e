package posix

import (
	"context"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// The shared conformance suite, on a fresh brick per case.
func TestConformance(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		p, _ := newBrick(t)
		xlator.Attach(p)
		ok(t, p.Start(context.Background()))
		return p
	})
}
