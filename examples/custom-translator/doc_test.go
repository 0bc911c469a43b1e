package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// guide is the translator-writing guide whose code blocks come from this
// example.
const guide = "../../docs/writing-translators.md"

// repoRoot is where the paths in the guide's markers start.
const repoRoot = "../.."

// markedBlock is a fenced code block of the guide preceded by a marker:
// <!-- file: PATH --> (the block is the whole file) or <!-- from: PATH -->
// (the block is a verbatim excerpt of it).
type markedBlock struct {
	kind, path, body string
	line             int
}

var markerRE = regexp.MustCompile(`^<!-- (file|from): (\S+) -->$`)

// markedBlocks parses the guide.
func markedBlocks(t *testing.T) []markedBlock {
	t.Helper()
	data, err := os.ReadFile(guide)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out []markedBlock
	for i := 0; i < len(lines); i++ {
		m := markerRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			t.Fatalf("%s:%d: marker not followed by a fenced code block", guide, i+1)
		}
		fence := lines[i+1][:strings.LastIndex(lines[i+1], "`")+1]
		end := i + 2
		for end < len(lines) && lines[end] != fence {
			end++
		}
		if end == len(lines) {
			t.Fatalf("%s:%d: code block never closed", guide, i+2)
		}
		out = append(out, markedBlock{kind: m[1], path: m[2], body: strings.Join(lines[i+2:end], "\n"), line: i + 1})
		i = end
	}
	return out
}

// The guide shows the example's files as they are: whole files verbatim,
// excerpts verbatim, and every line of an excerpted file somewhere.
func TestGuideMatchesExample(t *testing.T) {
	blocks := markedBlocks(t)
	if len(blocks) == 0 {
		t.Fatalf("%s has no marked code blocks", guide)
	}
	shown := map[string][]string{}
	for _, b := range blocks {
		data, err := os.ReadFile(filepath.Join(repoRoot, b.path))
		if err != nil {
			t.Errorf("%s:%d: %v", guide, b.line, err)
			continue
		}
		file := string(data)
		switch b.kind {
		case "file":
			if b.body+"\n" != file {
				t.Errorf("%s:%d: the block differs from %s; copy the file into the guide again", guide, b.line, b.path)
			}
		case "from":
			if strings.TrimSpace(b.body) == "" || !strings.Contains(file, b.body+"\n") {
				t.Errorf("%s:%d: the block is not an excerpt of %s; copy it from the file again", guide, b.line, b.path)
			}
			shown[b.path] = append(shown[b.path], b.body)
		}
	}
	for path, excerpts := range shown {
		data, _ := os.ReadFile(filepath.Join(repoRoot, path))
		all := strings.Join(excerpts, "\n")
		for i, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) != "" && !strings.Contains(all, line) {
				t.Errorf("%s line %d (%q) is not shown in %s", path, i+1, line, guide)
			}
		}
	}
	for _, want := range []string{"examples/custom-translator/main.go", "examples/custom-translator/example.vol",
		"examples/custom-translator/delay/delay_test.go", "examples/custom-translator/delay/delay.go"} {
		found := false
		for _, b := range blocks {
			found = found || b.path == want
		}
		if !found {
			t.Errorf("%s does not show %s", guide, want)
		}
	}
}
