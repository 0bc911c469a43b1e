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

// flagSetSeen, when not nil, is shown the flag set of each command that
// parses its arguments, with every flag defined. The help test sets it to
// compare each command's flags with its help text.
var flagSetSeen func(c *Command, fs *flag.FlagSet)

// runFlags parses args for the command c and handles -h: it returns the
// positional arguments, or ok false with the exit status to return.
// Flags may come after positional arguments too.
func runFlags(env *Env, c *Command, fs *flag.FlagSet, args []string) (pos []string, status int, ok bool) {
	pos, err := parseFlags(fs, args)
	return flagsParsed(env, c, fs, pos, err)
}

// runLeadingFlags is runFlags for a command whose flags all come before
// its first positional argument, since the arguments after that are
// passed on as they are (a translator's command and its arguments).
func runLeadingFlags(env *Env, c *Command, fs *flag.FlagSet, args []string) (pos []string, status int, ok bool) {
	err := fs.Parse(args)
	return flagsParsed(env, c, fs, fs.Args(), err)
}

// flagsParsed finishes the parsing of c's flag set fs: -h prints c's help
// (exit 0), any other error is a usage error (exit 2).
func flagsParsed(env *Env, c *Command, fs *flag.FlagSet, pos []string, err error) ([]string, int, bool) {
	if flagSetSeen != nil {
		flagSetSeen(c, fs)
	}
	if errors.Is(err, flag.ErrHelp) {
		printCommandHelp(env.Stdout, c)
		return nil, exitOK, false
	}
	if err != nil {
		return nil, env.usagef(commandPath(c), "%v", err), false
	}
	return pos, exitOK, true
}

// commandPath is what the user types after "loom" to run c: its name, or
// for a subcommand its group's name and its own ("migrate start").
func commandPath(c *Command) string {
	for _, g := range commands {
		for _, s := range g.Subcommands {
			if s == c {
				return g.Name + " " + c.Name
			}
		}
	}
	return c.Name
}
