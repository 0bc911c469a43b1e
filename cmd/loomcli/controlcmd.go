package loomcli

import (
	"context"
	"encoding/json"
	"fmt"
)

func init() {
	Register(&Command{
		Name:    "control",
		Summary: "send a command to the translators of a running mount",
		Usage:   "loom control [--type TYPE] [--volume NAME] MOUNTPOINT COMMAND [ARG...]",
		Help: `Sends COMMAND to every translator of the graph mounted at MOUNTPOINT that
takes commands, or only to those of --type or called --volume, and prints
each one's answer as JSON. The friendlier commands (heal, rebalance,
migrate) are built on this; control is for the rest, for example

  loom control --type features/locks /mnt/data dump

The mount process listens on a unix socket under /run/loom (root) named
after the mountpoint; only its owner may use it.`,
		Run: runControl,
	})
}

func runControl(ctx context.Context, env *Env, args []string) int {
	c, _ := lookupCommand("control")
	fs := newFlagSet("control")
	typ := fs.String("type", "", "only translators of this type")
	volume := fs.String("volume", "", "only the translator with this volume name")
	pos, status, ok := runLeadingFlags(env, c, fs, args)
	if !ok {
		return status
	}
	if len(pos) < 2 {
		return env.usagef("control", "need MOUNTPOINT and COMMAND")
	}
	req := &ControlRequest{Type: *typ, Volume: *volume, Cmd: pos[1], Args: pos[2:]}
	replies, err := sendControl(pos[0], req)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s control: %v\n", env.Prog, err)
		return exitFail
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	failed := false
	for _, r := range replies {
		enc.Encode(r)
		failed = failed || r.Error != ""
	}
	if failed {
		return exitFail
	}
	return exitOK
}
