// Package loomcli is the whole loom command as a library: the subcommands
// (mount, volfile, help, version, ...) and their flag parsing. The loom
// binary is a two-line main that imports the built-in translators and calls
// Main; a custom build does the same and also imports its own translator
// packages, which register themselves with xlator.Register.
//
// Each subcommand lives in its own file and adds itself to the command
// table with Register from an init function.
package loomcli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// Command is one subcommand of loom.
type Command struct {
	// Name is what the user types after "loom".
	Name string
	// Summary is one line for the command list of "loom help".
	Summary string
	// Usage is the synopsis, such as "loom volfile check FILE".
	Usage string
	// Help is the full text shown by "loom help NAME", after the usage.
	Help string
	// Run does the work; args are the arguments after the command name.
	// It returns the process exit status. A command group (one with
	// Subcommands) leaves it nil: the first argument picks the subcommand.
	Run func(ctx context.Context, env *Env, args []string) int
	// Subcommands of a command group such as "volfile"; their Name is
	// the word after the group's name.
	Subcommands []*Command
}

// Env is what a command reads and writes: its streams and the name the
// program was started as.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Prog is the program name for messages ("loom").
	Prog string
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // the command failed
	exitUsage = 2 // the command line was wrong
)

var commands = map[string]*Command{}

// Register adds a subcommand. It panics on a duplicate or incomplete
// command, since both are programming errors.
func Register(c *Command) {
	if c.Name == "" || (c.Run == nil) == (len(c.Subcommands) == 0) || c.Summary == "" || c.Usage == "" {
		panic(fmt.Sprintf("loomcli: Register(%q): Name, Summary, Usage and one of Run or Subcommands are required", c.Name))
	}
	if _, dup := commands[c.Name]; dup {
		panic(fmt.Sprintf("loomcli: command %q registered twice", c.Name))
	}
	commands[c.Name] = c
}

// lookupCommand returns the registered command called name.
func lookupCommand(name string) (*Command, bool) {
	c, ok := commands[name]
	return c, ok
}

// commandNames returns the registered command names, sorted.
func commandNames() []string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Main runs the loom command line args (args[0] is the program name) with
// the process's standard streams and returns the exit status.
func Main(args []string) int {
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Prog: "loom"}
	return Run(context.Background(), env, args[1:])
}

// Run runs one loom command line (without the program name) in env and
// returns the exit status. Tests and embedding programs call it directly.
func Run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintf(env.Stderr, "usage: %s COMMAND [ARGS]; \"%s help\" lists the commands\n", env.Prog, env.Prog)
		return exitUsage
	}
	name := args[0]
	switch {
	case isHelpFlag(name):
		name = "help"
	case name == "-v" || name == "-version" || name == "--version":
		name = "version"
	}
	c, ok := lookupCommand(name)
	if !ok {
		fmt.Fprintf(env.Stderr, "%s: unknown command %q; \"%s help\" lists the commands\n", env.Prog, name, env.Prog)
		return exitUsage
	}
	return runCommand(ctx, env, c, args[1:])
}

// runCommand runs c, or for a group the subcommand args[0] names. A lone
// -h (or --help) shows the command's help instead, whatever the command;
// commands with flags also take it among other arguments.
func runCommand(ctx context.Context, env *Env, c *Command, args []string) int {
	if c.Run == nil && len(args) == 0 {
		return env.usagef(c.Name, "which one? (%s)", strings.Join(subcommandNames(c), ", "))
	}
	if c.Run == nil && !isHelpFlag(args[0]) {
		sub, ok := lookupSubcommand(c.Name, args[0])
		if !ok {
			return env.usagef(c.Name, "unknown subcommand %q (%s)", args[0], strings.Join(subcommandNames(c), ", "))
		}
		c, args = sub, args[1:]
	}
	if len(args) == 1 && isHelpFlag(args[0]) {
		printCommandHelp(env.Stdout, c)
		return exitOK
	}
	return c.Run(ctx, env, args)
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "-help" || arg == "--help"
}

// lookupSubcommand returns the subcommand sub of the command group.
func lookupSubcommand(group, sub string) (*Command, bool) {
	c, ok := commands[group]
	if !ok {
		return nil, false
	}
	for _, s := range c.Subcommands {
		if s.Name == sub {
			return s, true
		}
	}
	return nil, false
}

// subcommandNames lists a group's subcommands in their declared order.
func subcommandNames(c *Command) []string {
	names := make([]string, len(c.Subcommands))
	for i, s := range c.Subcommands {
		names[i] = s.Name
	}
	return names
}

// failf prints one error line for command cmd and returns exitFail. The
// message is kept on one line whatever the error contains.
func (env *Env) failf(cmd string, format string, a ...any) int {
	fmt.Fprintf(env.Stderr, "%s %s: %s\n", env.Prog, cmd, oneLine(fmt.Sprintf(format, a...)))
	return exitFail
}

// usagef prints a usage error for command cmd and returns exitUsage.
func (env *Env) usagef(cmd string, format string, a ...any) int {
	fmt.Fprintf(env.Stderr, "%s %s: %s (\"%s help %s\" shows the usage)\n", env.Prog, cmd, oneLine(fmt.Sprintf(format, a...)), env.Prog, cmd)
	return exitUsage
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
