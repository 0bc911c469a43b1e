package loomcli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/loom-fs/loom/xlator"
)

func init() {
	Register(&Command{
		Name:    "help",
		Summary: "show the commands, a command's usage, or a translator type's options",
		Usage:   "loom help [COMMAND | COMMAND SUBCOMMAND | TYPE]",
		Help: `Without an argument, lists the commands and every translator type built
into this binary. With a command name, shows that command's usage. With a
translator type (such as storage/posix), shows its options: name, type,
default, allowed values or range, and what it does.`,
		Run: runHelp,
	})
}

func runHelp(ctx context.Context, env *Env, args []string) int {
	switch {
	case len(args) == 0:
		printOverview(env.Stdout)
		return exitOK
	case len(args) > 2:
		return env.usagef("help", "too many arguments")
	}
	if c, ok := lookupCommand(args[0]); ok {
		if len(args) == 2 {
			if sub, ok := lookupSubcommand(args[0], args[1]); ok {
				printCommandHelp(env.Stdout, sub)
				return exitOK
			}
			return env.failf("help", "%q has no subcommand %q", args[0], args[1])
		}
		printCommandHelp(env.Stdout, c)
		return exitOK
	}
	if len(args) == 1 {
		if d, ok := xlator.Lookup(args[0]); ok {
			printTypeHelp(env.Stdout, d)
			return exitOK
		}
	}
	return env.failf("help", "%q is neither a command nor a translator type (\"%s help\" lists both)", strings.Join(args, " "), env.Prog)
}

// printOverview prints the command list and the translator types.
func printOverview(w io.Writer) {
	fmt.Fprint(w, `Loom is a stackable translator filesystem: a volfile describes a graph of
translators, and the top of the graph is mounted with FUSE.

Usage: loom COMMAND [ARGS]

Commands:
`)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, n := range commandNames() {
		fmt.Fprintf(tw, "  %s\t%s\n", n, commands[n].Summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nTranslator types:\n")
	types := xlator.Types()
	if len(types) == 0 {
		fmt.Fprint(w, "  (none registered in this binary)\n")
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, t := range types {
		d, _ := xlator.Lookup(t)
		fmt.Fprintf(tw, "  %s\t%s\n", t, firstLine(d.Doc))
	}
	tw.Flush()
	fmt.Fprint(w, "\n\"loom help COMMAND\" shows a command's usage; \"loom help TYPE\" shows a translator's options.\n")
}

// printCommandHelp prints a command's usage and help text.
func printCommandHelp(w io.Writer, c *Command) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", c.Usage, c.Summary)
	if c.Help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(c.Help, "\n"))
	}
	if len(c.Subcommands) > 0 {
		fmt.Fprint(w, "\nSubcommands:\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, s := range c.Subcommands {
			fmt.Fprintf(tw, "  %s\t%s\n", s.Usage, s.Summary)
		}
		tw.Flush()
	}
}

// firstLine returns the first line of s.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}
