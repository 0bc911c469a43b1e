package all

import (
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// Every built-in type this package promises is registered once it is imported.
func TestBuiltinsRegistered(t *testing.T) {
	for _, typ := range []string{
		"debug/error-gen",
		"debug/trace",
		"features/read-only",
		"storage/posix",
	} {
		if _, ok := xlator.Lookup(typ); !ok {
			t.Errorf("%s is not registered by importing translators/all", typ)
		}
	}
}
