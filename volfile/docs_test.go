package volfile

import (
	"os"
	"strings"
	"testing"
)

// TestDocExamples parses every TOML example in docs/volfile.md, and checks
// the GlusterFS-syntax claims the page makes, so the page stays true.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/volfile.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```toml\n")[1:]
	if len(blocks) == 0 {
		t.Fatal("docs/volfile.md has no TOML example")
	}
	for i, b := range blocks {
		src, _, _ := strings.Cut(b, "```")
		if _, err := ParseTOML("docs/volfile.md example", []byte(src)); err != nil {
			t.Errorf("TOML example %d: %v", i+1, err)
		}
	}
	specs, err := ParseGluster("one-line.vol", []byte(`volume a type t/x option k"v" option a#b x end-volume`))
	if err != nil {
		t.Fatal(err)
	}
	if got := showOptions(specs[0].Options); got != `["k"="v" "a#b"="x"]` {
		t.Errorf("one-line volume options: %s", got)
	}
}
