package client_test

import (
	"testing"

	"github.com/loom-fs/loom/xlator"
	"github.com/loom-fs/loom/xlator/xlatortest"
)

// The whole conformance suite through client -> TCP -> server -> posix.
func TestConformanceOverTCP(t *testing.T) {
	xlatortest.Run(t, func(t *testing.T) xlator.Translator {
		return startClient(t, startServer(t, ""))
	})
}
