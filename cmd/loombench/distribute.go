package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// distributeVolfile is cluster/distribute over four storage/posix bricks
// on the same disk (issue #6): each file lives on one brick, directories
// on all four.
func distributeVolfile(scratch, name string) (string, []string) {
	var b strings.Builder
	var bricks, kids []string
	for i := 0; i < 4; i++ {
		dir := filepath.Join(scratch, fmt.Sprintf("%s-brick%d", name, i))
		bricks = append(bricks, dir)
		kid := fmt.Sprintf("brick%d", i)
		fmt.Fprintf(&b, "volume %s\n    type storage/posix\n    option directory %s\nend-volume\n", kid, dir)
		kids = append(kids, kid)
	}
	fmt.Fprintf(&b, "volume dht\n    type cluster/distribute\n    subvolumes %s\nend-volume\n", strings.Join(kids, " "))
	return b.String(), bricks
}

func init() {
	targetFactories = append(targetFactories, func() Target {
		return newLoomTarget("loom-dht4", "Loom cluster/distribute over four storage/posix bricks on the same disk", distributeVolfile)
	})
	comparisons = append(comparisons, comparison{"loom-dht4", "loom"}, comparison{"loom-dht4", "loom-nopt"})
}
