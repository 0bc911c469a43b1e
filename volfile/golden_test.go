package volfile

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGolden parses every volfile in testdata and compares, with the files
// in testdata/golden: its conversion to the other syntax (.toml or .vol),
// its canonical form in its own syntax (.fmt), its tree (.tree) and its
// DOT graph (.dot) — or, for a file that must fail, the error (.err).
// go test -run TestGolden -update rewrites them.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		if info, err := os.Stat(in); err != nil || info.IsDir() {
			continue
		}
		name := filepath.Base(in)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			specs, err := Parse(name, data)
			if strings.HasPrefix(name, "bad-") {
				if err == nil {
					t.Fatalf("parsed without error")
				}
				checkGolden(t, name+".err", err.Error()+"\n")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			own, other, otherExt := FormatGluster(specs), FormatTOML(specs), ".toml"
			reparseOther := ParseTOML
			if DetectSyntax(name, data) == SyntaxTOML {
				own, other, otherExt = FormatTOML(specs), FormatGluster(specs), ".vol"
				reparseOther = ParseGluster
			}
			checkGolden(t, name+".fmt", string(own))
			checkGolden(t, name+otherExt, string(other))
			checkGolden(t, name+".tree", Tree(specs, ""))
			checkGolden(t, name+".dot", Dot(specs, ""))
			back, err := reparseOther("converted"+otherExt, other)
			if err != nil {
				t.Fatalf("converted form does not parse: %v\n%s", err, other)
			}
			if d := sameGraph(specs, back); d != "" {
				t.Errorf("conversion changed the graph: %s", d)
			}
			again, err := Parse(name, own)
			if err != nil {
				t.Fatalf("canonical form does not parse: %v\n%s", err, own)
			}
			if d := sameGraph(specs, again); d != "" {
				t.Errorf("formatting changed the graph: %s", d)
			}
		})
	}
}

// checkGolden compares got with testdata/golden/name, or rewrites it
// under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (go test -run TestGolden -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}
