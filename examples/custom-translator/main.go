// Command loom-custom is the loom command with one more translator built
// in: debug/delay, from this example.
package main

import (
	"os"

	"github.com/loom-fs/loom/cmd/loomcli"
	_ "github.com/loom-fs/loom/examples/custom-translator/delay"
	_ "github.com/loom-fs/loom/translators/all"
)

func main() { os.Exit(loomcli.Main(os.Args)) }
