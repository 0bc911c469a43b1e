package volfile

import (
	"slices"
	"strings"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// awkward holds names and values that stress both syntaxes: spaces,
// quotes, backslashes, '#', backticks, keywords, unicode, line breaks,
// empty text, dotted keys that clash, and numbers that are not canonical.
var awkward = []xlator.VolumeSpec{
	{Name: "brick one", Type: "storage/posix", Options: []xlator.OptionSpec{
		{Key: "directory", Value: "/srv/a b/ünï"},
		{Key: "quote", Value: `say "hi" \ back`},
		{Key: "hash", Value: "#not a comment"},
		{Key: "tick", Value: "`id`"},
		{Key: "kw", Value: "end-volume"},
		{Key: "volume", Value: "subvolumes"},
		{Key: "lines", Value: "one\ntwo\r\n\tthree"},
		{Key: "empty", Value: ""},
		{Key: "a", Value: "1"},
		{Key: "a.b", Value: "2"},
		{Key: "a.b.c", Value: "3.0"},
		{Key: "x.y", Value: "007"},
		{Key: "x.z", Value: "-0"},
		{Key: "bool", Value: "on"},
		{Key: "t", Value: "true"},
		{Key: "f", Value: "1e5"},
		{Key: "g", Value: "1e+21"},
		{Key: "big", Value: "9223372036854775808"},
		{Key: "neg", Value: "-12"},
		{Key: "inf", Value: "Inf"},
		{Key: "", Value: "empty key"},
		{Key: "sp ace.k", Value: "v"},
		{Key: "emoji 🙂", Value: "🙂"},
		{Key: "nbsp\u00a0x", Value: "\u00a0"},
	}},
	{Name: "type", Type: "debug/trace", Subvolumes: []xlator.SubvolumeRef{{Name: "brick one"}}},
	{Name: "top", Type: "cluster/distribute", Subvolumes: []xlator.SubvolumeRef{{Name: "type"}, {Name: "#x"}, {Name: `q"`}}},
}

// TestRoundTrip checks that formatting and parsing again keeps the graph,
// in each syntax and across them.
func TestRoundTrip(t *testing.T) {
	g, err := ParseGluster("rt.vol", FormatGluster(awkward))
	if err != nil {
		t.Fatalf("gluster: %v\n%s", err, FormatGluster(awkward))
	}
	if d := sameGraph(awkward, g); d != "" {
		t.Errorf("gluster round trip: %s\n%s", d, FormatGluster(awkward))
	}
	tm, err := ParseTOML("rt.toml", FormatTOML(awkward))
	if err != nil {
		t.Fatalf("toml: %v\n%s", err, FormatTOML(awkward))
	}
	if d := sameGraph(awkward, tm); d != "" {
		t.Errorf("toml round trip: %s\n%s", d, FormatTOML(awkward))
	}
	// Gluster -> TOML -> Gluster gives back the same text.
	back, err := ParseTOML("rt.toml", FormatTOML(g))
	if err != nil {
		t.Fatal(err)
	}
	if a, b := string(FormatGluster(back)), string(FormatGluster(awkward)); a != b {
		t.Errorf("gluster -> toml -> gluster changed the text:\n%s\nwant:\n%s", a, b)
	}
}

// TestTOMLValueTypes checks how TOML values become option text.
func TestTOMLValueTypes(t *testing.T) {
	src := `[[volume]]
name = "a"
type = "t/x"
[volume.options]
s = "text"
i = 24_007
h = 0xff
o = 0o17
f = 0.5
e = 2e3
b = true
n = -3
`
	specs, err := ParseTOML("v.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"s": "text", "i": "24007", "h": "255", "o": "15", "f": "0.5", "e": "2000", "b": "true", "n": "-3"}
	for _, o := range specs[0].Options {
		if want[o.Key] != o.Value {
			t.Errorf("option %s = %q, want %q", o.Key, o.Value, want[o.Key])
		}
	}
	if len(specs[0].Options) != len(want) {
		t.Errorf("got %d options, want %d", len(specs[0].Options), len(want))
	}
}

// TestDetectSyntax checks how Parse chooses the syntax.
func TestDetectSyntax(t *testing.T) {
	tests := []struct {
		file, data, want string
	}{
		{"x.toml", "volume a\n", SyntaxTOML},
		{"x.vol", "[[volume]]\n", SyntaxGluster},
		{"x", "# comment\n\n  volume a\n", SyntaxGluster},
		{"x", "\uFEFFvolume\ta", SyntaxGluster},
		{"x", "volume \"a b\"", SyntaxGluster},
		{"x", "[[volume]]\nname = \"a\"\n", SyntaxTOML},
		{"x", "volume = []\n", SyntaxTOML},
		{"x", "volume.x = 1\n", SyntaxTOML},
		{"x", "volumes a\n", SyntaxTOML},
		{"x", "# only a comment", SyntaxTOML},
		{"x", "", SyntaxTOML},
	}
	for _, tt := range tests {
		if got := DetectSyntax(tt.file, []byte(tt.data)); got != tt.want {
			t.Errorf("DetectSyntax(%q, %q) = %s, want %s", tt.file, tt.data, got, tt.want)
		}
	}
}

// TestParseFile checks reading from disk and the error for a missing file.
func TestParseFile(t *testing.T) {
	specs, err := ParseFile("testdata/basic.vol")
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 || specs[1].Name != "top" || specs[0].Pos.String() != "testdata/basic.vol:2:1" {
		t.Errorf("got %+v", specs)
	}
	_, err = ParseFile("testdata/no-such.vol")
	if err == nil || err.Error() != "read volfile: open testdata/no-such.vol: no such file or directory" {
		t.Errorf("missing file: %v", err)
	}
}

// TestTreeEdgeCases checks drawing graphs the builder would refuse: an
// undefined top, undefined subvolumes and a cycle.
func TestTreeEdgeCases(t *testing.T) {
	specs := []xlator.VolumeSpec{
		{Name: "a", Type: "t/a", Subvolumes: []xlator.SubvolumeRef{{Name: "b"}}},
		{Name: "b", Type: "t/b", Subvolumes: []xlator.SubvolumeRef{{Name: "a"}, {Name: "ghost"}}},
		{Name: "c", Type: "t/c"},
	}
	got := Tree(specs, "")
	want := "c (t/c)\n\na (t/a)\n└── b (t/b)\n    ├── a (t/a, cycle)\n    └── ghost (not defined)\n"
	if got != want {
		t.Errorf("Tree:\n%s\nwant:\n%s", got, want)
	}
	got = Tree(specs, "nope")
	want = "nope (not defined)\n\nc (t/c)\n\na (t/a)\n└── b (t/b)\n    ├── a (t/a, cycle)\n    └── ghost (not defined)\n"
	if got != want {
		t.Errorf("Tree with an undefined top:\n%s\nwant:\n%s", got, want)
	}
	if got := Tree(nil, ""); got != "" {
		t.Errorf("Tree(nil) = %q", got)
	}
	dot := Dot(specs, "a")
	for _, line := range []string{
		`  "a" [label="a (t/a)\l", penwidth=2];`,
		`  "ghost" [label="ghost\n(not defined)", style=dashed];`,
		`  "b" -> "ghost";`,
		`  "b" -> "a";`,
	} {
		if !contains(dot, line) {
			t.Errorf("Dot lacks %s:\n%s", line, dot)
		}
	}
}

func contains(s, line string) bool { return slices.Contains(strings.Split(s, "\n"), line) }
