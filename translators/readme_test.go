package translators_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/loom-fs/loom/volfile"
	"github.com/loom-fs/loom/xlator"

	_ "github.com/loom-fs/loom/translators/all"
)

// codeBlocks returns the fenced code blocks of a Markdown text with the
// line each starts on.
func codeBlocks(md string) (blocks []string, lines []int) {
	var cur []string
	in, start := false, 0
	for i, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			if in {
				blocks = append(blocks, strings.Join(cur, "\n")+"\n")
				lines = append(lines, start)
				cur = nil
			}
			in, start = !in, i+2
			continue
		}
		if in {
			cur = append(cur, line)
		}
	}
	return blocks, lines
}

// isVolfile reports whether a code block is a whole volfile in either
// syntax (shell sessions and Go snippets are not).
func isVolfile(block string) bool {
	t := strings.TrimSpace(block)
	gluster := strings.Contains(t, "end-volume") && strings.HasPrefix(firstWord(t), "volume")
	toml := strings.HasPrefix(firstWord(t), "[[volume]]")
	return gluster || toml
}

func firstWord(s string) string {
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			return line
		}
	}
	return ""
}

// TestEveryTranslatorHasAnHonestReadme checks each translators/<cat>/<name>
// folder: a README exists; for a registered type, it names every option of
// the schema; and each volfile example in it passes xlator.Check.
func TestEveryTranslatorHasAnHonestReadme(t *testing.T) {
	dirs, err := filepath.Glob("*/*")
	if err != nil {
		t.Fatal(err)
	}
	examples := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || strings.HasPrefix(dir, "all") {
			continue
		}
		t.Run(dir, func(t *testing.T) {
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatalf("%s has no README.md: %v", dir, err)
			}
			md := string(readme)
			if d, ok := xlator.Lookup(dir); ok {
				for _, o := range d.Options {
					if !strings.Contains(md, "`"+o.Key+"`") {
						t.Errorf("%s/README.md does not document option `%s`", dir, o.Key)
					}
				}
			}
			blocks, lines := codeBlocks(md)
			for i, b := range blocks {
				if !isVolfile(b) {
					continue
				}
				examples++
				name := filepath.Join(dir, "README.md") + ":" + strconv.Itoa(lines[i])
				specs, err := volfile.Parse(name, []byte(b))
				if err != nil {
					t.Errorf("example at %s does not parse: %v", name, err)
					continue
				}
				if _, err := xlator.Check(specs, ""); err != nil {
					t.Errorf("example at %s fails the graph check: %v", name, err)
				}
			}
		})
	}
	if examples == 0 {
		t.Fatal("no volfile examples found in any translator README")
	}
}
