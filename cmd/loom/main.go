// Command loom mounts and manages Loom volumes; "loom help" lists its
// commands and the translator types built into it.
//
// A custom build that adds its own translators is this same file with one
// more blank import (see examples/custom-translator).
package main

import (
	"os"

	"github.com/loom-fs/loom/cmd/loomcli"
	_ "github.com/loom-fs/loom/translators/all"
)

func main() {
	os.Exit(loomcli.Main(os.Args))
}
