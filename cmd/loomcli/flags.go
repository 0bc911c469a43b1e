package loomcli

import (
	"errors"
	"flag"
	"io"
)

// newFlagSet returns a flag set that reports errors to the caller instead
// of printing or exiting.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args with fs, allowing flags and positional arguments
// in any order ("loom mount /mnt -f x.vol" as well as "loom mount -f x.vol
// /mnt"); "--" ends the flags. It returns the positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// flag.Parse stops at "--" after consuming it, or at the first
		// non-flag argument.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// runFlags parses args for the command c and handles -h: it returns the
// positional arguments, or ok false with the exit status to return.
func runFlags(env *Env, c *Command, fs *flag.FlagSet, args []string) (pos []string, status int, ok bool) {
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(env.Stdout, c)
		return nil, exitOK, false
	}
	if err != nil {
		return nil, env.usagef(c.Name, "%v", err), false
	}
	return pos, exitOK, true
}
