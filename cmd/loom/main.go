// Command loom mounts and manages Loom volumes; "loom help" lists its
// commands and the translator types built into it.
package main

import (
	"os"

	"github.com/loom-fs/loom/cmd/loomcli"
)

func main() {
	os.Exit(loomcli.Main(os.Args))
}
