package loomcli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documents a user reads to learn the command line, from this
// package's directory. migrate's subcommands are documented in
// migration.md, to which the user guide points.
const (
	userGuide = "../../docs/user-guide.md"
	readme    = "../../README.md"
	migration = "../../docs/migration.md"
)

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// inlineLoom matches an inline code span holding a loom command line.
var inlineLoom = regexp.MustCompile("`((?:bin/)?loom [^`]+)`")

// docCommandLines returns the loom command lines of a Markdown text: the
// lines of its code blocks that run loom (after an optional "$ " prompt),
// without their comment or what a pipe or && adds, and its inline code
// spans that start with loom; each without the leading "loom". Error
// messages quoted in the text ("loom mount: ...") are left out.
func docCommandLines(text string) []string {
	var out []string
	add := func(line string) {
		for _, cut := range []string{" #", " |", " &&", " >"} {
			if i := strings.Index(line, cut); i >= 0 {
				line = line[:i]
			}
		}
		line = strings.TrimPrefix(strings.TrimSpace(line), "bin/")
		rest, ok := strings.CutPrefix(line, "loom ")
		// "loom mount: ..." is an error message, not a command.
		if f := strings.Fields(rest); ok && len(f) > 0 && !strings.HasSuffix(f[0], ":") {
			out = append(out, rest)
		}
	}
	inBlock := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			continue
		}
		if inBlock {
			add(strings.TrimPrefix(strings.TrimSpace(line), "$ "))
		}
	}
	for _, m := range inlineLoom.FindAllStringSubmatch(text, -1) {
		add(strings.Join(strings.Fields(m[1]), " "))
	}
	return out
}

// resolveCommand returns the command a documented command line runs and
// its arguments.
func resolveCommand(words []string) (*Command, []string, bool) {
	if len(words) == 0 {
		return nil, nil, false
	}
	c, ok := lookupCommand(words[0])
	if !ok {
		return nil, nil, false
	}
	if c.Run != nil {
		return c, words[1:], true
	}
	if len(words) < 2 {
		return c, nil, true // the group alone, as prose names it
	}
	sub, ok := lookupSubcommand(c.Name, words[1])
	return sub, words[2:], ok
}

// Every loom command line in the user guide, the README and migration.md
// names a command that exists and only flags it defines.
func TestDocsCommandLinesExist(t *testing.T) {
	defined := definedFlags(t)
	for _, doc := range []string{userGuide, readme, migration} {
		for _, line := range docCommandLines(readDoc(t, doc)) {
			c, args, ok := resolveCommand(strings.Fields(line))
			if !ok {
				t.Errorf("%s: %q: no such command", filepath.Base(doc), "loom "+line)
				continue
			}
			for _, a := range args {
				if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
					continue
				}
				name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
				if !defined[c][name] && !isHelpFlag(a) {
					t.Errorf("%s: %q: loom %s has no flag %s", filepath.Base(doc), "loom "+line, commandPath(c), a)
				}
			}
		}
	}
}

// Every command and every flag a user can type is in the user guide
// (migrate's subcommands and their flags may be in migration.md instead).
func TestDocsNameEveryCommandAndFlag(t *testing.T) {
	guide := readDoc(t, userGuide)
	migrate := readDoc(t, migration)
	for c, flags := range definedFlags(t) {
		path := commandPath(c)
		docs := guide
		if strings.HasPrefix(path, "migrate ") {
			docs += migrate
		}
		if !strings.Contains(strings.Join(strings.Fields(docs), " "), "loom "+path) {
			t.Errorf("the user guide never names \"loom %s\"", path)
		}
		for name := range flags {
			mention := regexp.MustCompile(`(^|[^A-Za-z0-9-])--?` + regexp.QuoteMeta(name) + `($|[^A-Za-z0-9-])`)
			if !mention.MatchString(docs) {
				t.Errorf("the user guide never names flag %s of loom %s", name, path)
			}
		}
	}
}
