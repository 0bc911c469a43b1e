package volfile

import (
	"os"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// TestPositions checks that both parsers record where each volume, type,
// option and subvolume is written, since the graph builder's errors point
// there.
func TestPositions(t *testing.T) {
	type want struct {
		vol, typ, opt, sub string // expected Pos.String() of volume 2's parts
	}
	tests := []struct {
		file string
		want want
	}{
		{"replicated.vol", want{vol: "replicated.vol:9:1", typ: "replicated.vol:10:10", opt: "replicated.vol:11:12", sub: ""}},
		{"values.toml", want{vol: "values.toml:7:1", typ: "values.toml:9:8", opt: "values.toml:15:3", sub: "values.toml:11:3"}},
		{"basic.toml", want{vol: "basic.toml:8:1", typ: "basic.toml:10:8", opt: "", sub: "basic.toml:11:15"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			specs, err := Parse(tt.file, data)
			if err != nil {
				t.Fatal(err)
			}
			v := specs[1]
			check := func(what string, got xlator.Pos, want string) {
				t.Helper()
				if want != "" && got.String() != want {
					t.Errorf("%s of volume %q at %s, want %s", what, v.Name, got, want)
				}
			}
			check("start", v.Pos, tt.want.vol)
			check("type", v.TypePos, tt.want.typ)
			if len(v.Options) > 0 {
				check("first option", v.Options[0].Pos, tt.want.opt)
			}
			if len(v.Subvolumes) > 0 {
				check("first subvolume", v.Subvolumes[0].Pos, tt.want.sub)
			}
		})
	}
}

// TestGraphBuilderErrorsPointAtTOMLLines checks that an error the graph
// builder finds (here an unknown translator type) names the TOML line.
func TestGraphBuilderErrorsPointAtTOMLLines(t *testing.T) {
	specs, err := ParseTOML("v.toml", []byte("[[volume]]\nname = \"a\"\n\n  type = \"no/such-type\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = xlator.Check(specs, "")
	if err == nil {
		t.Fatal("Check accepted an unknown type")
	}
	if got, want := err.Error()[:len("v.toml:4:10:")], "v.toml:4:10:"; got != want {
		t.Errorf("Check error %q does not start with %q", err, want)
	}
}

// TestTOMLPositionsInsideMultilineStrings checks that text that looks like
// a table header or a key inside a multi-line string does not confuse
// where later keys are found.
func TestTOMLPositionsInsideMultilineStrings(t *testing.T) {
	src := "[[volume]]\nname = \"a\"\ntype = \"t/x\"\n[volume.options]\nnote = \"\"\"\n[[volume]]\nk = 1\n\"\"\"\nk = 2\n"
	specs, err := ParseTOML("m.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 1 || len(specs[0].Options) != 2 {
		t.Fatalf("got %+v", specs)
	}
	if got := specs[0].Options[1].Pos.String(); got != "m.toml:9:1" {
		t.Errorf("option k at %s, want m.toml:9:1", got)
	}
}
