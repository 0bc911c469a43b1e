package loomcli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/loom-fs/loom/volfile"
	"github.com/loom-fs/loom/xlator"
)

func init() {
	Register(&Command{
		Name:    "volfile",
		Summary: "check, draw, convert or reload a volfile",
		Usage:   "loom volfile check|graph|convert [options] FILE | reload MOUNTPOINT",
		Help: `check, graph and convert work on a volfile without mounting it; reload
makes a running mount switch to its changed volfile. A volfile is written
in GlusterFS's "volume ... end-volume" syntax or in TOML; the syntax is
told by the file name (.vol or .toml) or else by the first word.`,
		Subcommands: []*Command{
			{
				Name:    "check",
				Summary: "validate a volfile as mount would, without building anything",
				Usage:   "loom volfile check [--volume-name NAME] FILE",
				Help: `Parses FILE and checks every volume: known translator types, every option
against its type's schema, required options, subvolume counts, cycles, and
that every volume is reached from the top (or from a protocol/server).
Prints "FILE: ok, top volume X, N volumes", or the first error with its
file:line, and exits 1.`,
				Run: runVolfileCheck,
			},
			{
				Name:    "graph",
				Summary: "draw a volfile's graph as a text tree or Graphviz dot",
				Usage:   "loom volfile graph [--dot] [--volume-name NAME] FILE",
				Help: `Prints the graph from the top volume down, each volume with its type and
options. With --dot, prints it in Graphviz's dot language instead
("loom volfile graph --dot x.vol | dot -Tsvg > x.svg").`,
				Run: runVolfileGraph,
			},
			{
				Name:    "convert",
				Summary: "rewrite a volfile in the other syntax",
				Usage:   "loom volfile convert [--to toml|gluster] FILE",
				Help: `Prints FILE in the other syntax (GlusterFS volfile to TOML and back), or in
the one --to names, on standard output. Comments are not carried over.`,
				Run: runVolfileConvert,
			},
			volfileReloadCommand,
		},
	})
}

func runVolfileCheck(ctx context.Context, env *Env, args []string) int {
	c, _ := lookupSubcommand("volfile", "check")
	fs := newFlagSet("volfile check")
	top := fs.String("volume-name", "", "")
	file, status, ok := oneFileArg(env, c, fs, args)
	if !ok {
		return status
	}
	specs, name, err := loadVolfile(file, *top)
	if err != nil {
		fmt.Fprintln(env.Stderr, oneLine(err.Error()))
		return exitFail
	}
	fmt.Fprintf(env.Stdout, "%s: ok, top volume %s, %d volumes\n", file, name, len(specs))
	return exitOK
}

func runVolfileGraph(ctx context.Context, env *Env, args []string) int {
	c, _ := lookupSubcommand("volfile", "graph")
	fs := newFlagSet("volfile graph")
	dot := fs.Bool("dot", false, "")
	top := fs.String("volume-name", "", "")
	file, status, ok := oneFileArg(env, c, fs, args)
	if !ok {
		return status
	}
	specs, err := readVolfile(file)
	if err != nil {
		return env.failf("volfile graph", "%v", err)
	}
	if *top != "" && !hasVolume(specs, *top) {
		return env.failf("volfile graph", "%s: no volume named %q", file, *top)
	}
	if *dot {
		fmt.Fprint(env.Stdout, volfile.Dot(specs, *top))
	} else {
		fmt.Fprint(env.Stdout, volfile.Tree(specs, *top))
	}
	return exitOK
}

func runVolfileConvert(ctx context.Context, env *Env, args []string) int {
	c, _ := lookupSubcommand("volfile", "convert")
	fs := newFlagSet("volfile convert")
	to := fs.String("to", "", "")
	file, status, ok := oneFileArg(env, c, fs, args)
	if !ok {
		return status
	}
	switch *to {
	case "", volfile.SyntaxTOML, volfile.SyntaxGluster:
	default:
		return env.usagef("volfile convert", "--to %q: want toml or gluster", *to)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return env.failf("volfile convert", "volfile: %v", err)
	}
	specs, err := volfile.Parse(file, data)
	if err != nil {
		return env.failf("volfile convert", "%v", err)
	}
	target := *to
	if target == "" {
		target = volfile.SyntaxTOML
		if volfile.DetectSyntax(file, data) == volfile.SyntaxTOML {
			target = volfile.SyntaxGluster
		}
	}
	if target == volfile.SyntaxTOML {
		env.Stdout.Write(volfile.FormatTOML(specs))
	} else {
		env.Stdout.Write(volfile.FormatGluster(specs))
	}
	return exitOK
}

// oneFileArg parses flags for a volfile subcommand that takes one FILE.
func oneFileArg(env *Env, c *Command, fs *flag.FlagSet, args []string) (string, int, bool) {
	pos, status, ok := runFlags(env, c, fs, args)
	if !ok {
		return "", status, false
	}
	if len(pos) != 1 {
		return "", env.usagef("volfile "+c.Name, "one FILE expected, got %d arguments", len(pos)), false
	}
	return pos[0], exitOK, true
}

// hasVolume reports whether specs define a volume called name.
func hasVolume(specs []xlator.VolumeSpec, name string) bool {
	for i := range specs {
		if specs[i].Name == name {
			return true
		}
	}
	return false
}
