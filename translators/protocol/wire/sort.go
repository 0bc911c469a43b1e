package wire

import (
	"slices"

	"github.com/loom-fs/loom/xlator"
)

// sortedKeys returns the keys of x in order.
func sortedKeys(x xlator.XData) []string {
	keys := make([]string, 0, len(x))
	for k := range x {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
