package volfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// seeds adds every testdata file with one of the extensions, and the
// given extra inputs, to the fuzz corpus.
func seeds(f *testing.F, ext string, extra ...string) {
	files, _ := filepath.Glob("testdata/*" + ext)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
	f.Add(FormatGluster(awkward))
	f.Add(FormatTOML(awkward))
}

// FuzzParseGluster checks that the GlusterFS parser never panics and that
// whatever it accepts formats, in either syntax, to text that parses back
// to the same graph.
func FuzzParseGluster(f *testing.F) {
	seeds(f, ".vol",
		"volume a\n type t\n option k \"v\\\"\\n\"\n subvolumes b \"c d\"\nend-volume\n",
		"volume \"\" type \"\" option \"\" \"\" end-volume",
		"volume a type t option k\"v\" option x#y z#w #c\n end-volume",
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := ParseGluster("f.vol", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.vol:") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		checkReparse(t, specs)
	})
}

// FuzzParseTOML checks the same for the TOML parser.
func FuzzParseTOML(f *testing.F) {
	seeds(f, ".toml",
		"[[volume]]\nname=\"a\"\ntype=\"t\"\noptions={a.b=1,\"a.c\"=2.5,d=false}\n",
		"[[volume]]\nname='a'\ntype=\"\"\"t\"\"\"\nsubvolumes=[]\n[volume.options.x]\ny.z='''\nq'''\n",
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		specs, err := ParseTOML("f.toml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.toml") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		checkReparse(t, specs)
	})
}

// checkReparse formats specs in both syntaxes and parses each back.
func checkReparse(t *testing.T, specs []xlator.VolumeSpec) {
	t.Helper()
	g := FormatGluster(specs)
	back, err := ParseGluster("g.vol", g)
	if err != nil {
		t.Fatalf("formatted GlusterFS text does not parse: %v\n%s", err, g)
	}
	if d := sameGraph(specs, back); d != "" {
		t.Fatalf("GlusterFS round trip: %s\n%s", d, g)
	}
	tm := FormatTOML(specs)
	back, err = ParseTOML("t.toml", tm)
	if err != nil {
		t.Fatalf("formatted TOML does not parse: %v\n%s", err, tm)
	}
	if d := sameGraph(specs, back); d != "" {
		t.Fatalf("TOML round trip: %s\n%s", d, tm)
	}
	_ = Tree(specs, "")
	_ = Dot(specs, "")
}
