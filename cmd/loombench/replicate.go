package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// replicaVolfile is cluster/replicate over two local bricks, each
// storage/posix under features/locks (issue #3): every write goes to both.
func replicaVolfile(scratch, name string) (string, []string) {
	var b strings.Builder
	var bricks, kids []string
	for i := 0; i < 2; i++ {
		dir := filepath.Join(scratch, fmt.Sprintf("%s-brick%d", name, i))
		bricks = append(bricks, dir)
		fmt.Fprintf(&b, "volume posix%d\n    type storage/posix\n    option directory %s\nend-volume\n", i, dir)
		fmt.Fprintf(&b, "volume locks%d\n    type features/locks\n    subvolumes posix%d\nend-volume\n", i, i)
		kids = append(kids, fmt.Sprintf("locks%d", i))
	}
	fmt.Fprintf(&b, "volume rep\n    type cluster/replicate\n    subvolumes %s\nend-volume\n", strings.Join(kids, " "))
	return b.String(), bricks
}

func init() {
	targetFactories = append(targetFactories, func() Target {
		return newLoomTarget("loom-replica2", "Loom cluster/replicate over two storage/posix+features/locks bricks on the same disk", replicaVolfile)
	})
}
