package loomcli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is the release this binary was built from. The Makefile sets it
// with -ldflags "-X github.com/loom-fs/loom/cmd/loomcli.Version=..." (git
// describe); a plain "go build" leaves "dev".
var Version = "dev"

func init() {
	Register(&Command{
		Name:    "version",
		Summary: "print the version of loom",
		Usage:   "loom version",
		Help:    "Prints the release, the source revision when known, and the Go toolchain and platform.",
		Run:     runVersion,
	})
}

func runVersion(ctx context.Context, env *Env, args []string) int {
	if len(args) > 0 {
		return env.usagef("version", "takes no arguments")
	}
	fmt.Fprintf(env.Stdout, "loom %s%s (%s %s/%s)\n", Version, revision(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

// revision returns ", revision R[-dirty]" from the build's VCS stamp, or "".
func revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
			if len(rev) > 12 {
				rev = rev[:12]
			}
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return ""
	}
	return ", revision " + rev + dirty
}
