package loomcli

import (
	"context"
	"flag"
	"io"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// everyCommand lists every command a user can run: the top-level ones
// and each group's subcommands (not the groups themselves).
func everyCommand() []*Command {
	var out []*Command
	for _, n := range commandNames() {
		c := commands[n]
		if c.Run != nil {
			out = append(out, c)
		}
		out = append(out, c.Subcommands...)
	}
	return out
}

// definedFlags returns the flags each command defines, by name without
// dashes: each command is run with "-h" alone, which every command that
// parses flags answers through runFlags or runLeadingFlags once its flags
// are defined (flagSetSeen), and the others by printing help or a usage
// error, touching nothing.
func definedFlags(t *testing.T) map[*Command]map[string]bool {
	t.Helper()
	seen := map[*Command]*flag.FlagSet{}
	flagSetSeen = func(c *Command, fs *flag.FlagSet) { seen[c] = fs }
	defer func() { flagSetSeen = nil }()
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Prog: "loom"}
	out := map[*Command]map[string]bool{}
	for _, c := range everyCommand() {
		c.Run(context.Background(), env, []string{"-h"})
		names := map[string]bool{}
		if fs := seen[c]; fs != nil {
			fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
		}
		out[c] = names
	}
	return out
}

// flagToken matches a flag where help text names one: after the start,
// a space, "[" or "|".
var flagToken = regexp.MustCompile(`(?:^|[\s\[|])--?([A-Za-z][A-Za-z0-9-]*)`)

// optionLine matches a line of an option list: indented, starting with a
// flag, perhaps with its other spelling ("  -f, --volfile FILE").
var optionLine = regexp.MustCompile(`^\s{2,}--?([A-Za-z][A-Za-z0-9-]*)(?:,\s+--?([A-Za-z][A-Za-z0-9-]*))?`)

// helpFlags returns the flags c's help names: those of its usage line and
// those that start a line of its option list.
func helpFlags(c *Command) map[string]bool {
	names := map[string]bool{}
	for _, m := range flagToken.FindAllStringSubmatch(c.Usage, -1) {
		names[m[1]] = true
	}
	for _, line := range strings.Split(c.Help, "\n") {
		if m := optionLine.FindStringSubmatch(line); m != nil {
			for _, n := range m[1:] {
				if n != "" {
					names[n] = true
				}
			}
		}
	}
	return names
}

// groupHelpFlags returns, per subcommand, the flags a group's help text
// names on its synopsis lines ("  loom migrate verify [--json] A B") and
// on the indented lines that carry on with more flags. A synopsis ends
// where three spaces start a description.
func groupHelpFlags(g *Command) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	var cur map[string]bool
	for _, line := range strings.Split(g.Help, "\n") {
		text := strings.TrimSpace(line)
		if i := strings.Index(text, "   "); i >= 0 {
			text = text[:i]
		}
		f := strings.Fields(text)
		switch {
		case len(f) >= 3 && f[0] == "loom" && f[1] == g.Name:
			cur = map[string]bool{}
			out[f[2]] = cur
		case cur != nil && strings.HasPrefix(line, "   ") && (strings.HasPrefix(text, "[") || strings.HasPrefix(text, "-")):
		default:
			cur = nil
			continue
		}
		for _, m := range flagToken.FindAllStringSubmatch(text, -1) {
			cur[m[1]] = true
		}
	}
	return out
}

// diffNames returns the names in a that b lacks, sorted.
func diffNames(a, b map[string]bool) []string {
	var out []string
	for n := range a {
		if !b[n] {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Every flag a command defines is in its help (usage line or option
// list), and every flag its help names is defined; a group's synopsis
// lines name exactly the flags of their subcommand; and "-h" alone shows
// every command's help.
func TestHelpMatchesFlags(t *testing.T) {
	defined := definedFlags(t)
	for _, c := range everyCommand() {
		path := commandPath(c)
		doc := helpFlags(c)
		if missing := diffNames(defined[c], doc); len(missing) > 0 {
			t.Errorf("loom %s defines flags its help does not name: %v", path, missing)
		}
		if extra := diffNames(doc, defined[c]); len(extra) > 0 {
			t.Errorf("loom %s: its help names flags it does not define: %v", path, extra)
		}
		status, out, errs := run(t, append(strings.Fields(path), "-h")...)
		if status != exitOK || !strings.HasPrefix(out, "Usage: "+c.Usage+"\n") || errs != "" {
			t.Errorf("loom %s -h: status %d, stderr %q, stdout:\n%s", path, status, errs, out)
		}
	}
	for _, n := range commandNames() {
		g := commands[n]
		if len(g.Subcommands) == 0 {
			continue
		}
		for sub, doc := range groupHelpFlags(g) {
			c, ok := lookupSubcommand(g.Name, sub)
			if !ok {
				t.Errorf("loom help %s names a subcommand %q that does not exist", g.Name, sub)
				continue
			}
			if missing := diffNames(defined[c], doc); len(missing) > 0 {
				t.Errorf("loom help %s: the synopsis of %s lacks flags: %v", g.Name, sub, missing)
			}
			if extra := diffNames(doc, defined[c]); len(extra) > 0 {
				t.Errorf("loom help %s: the synopsis of %s names flags it does not define: %v", g.Name, sub, extra)
			}
		}
	}
}
