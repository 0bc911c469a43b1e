package xlator

import (
	"strings"
	"testing"
	"time"
)

var testDefs = []OptionDef{
	{Key: "directory", Type: TypePath, Required: true, Help: "where the data lives"},
	{Key: "enabled", Type: TypeBool, Default: "on", Help: "a switch"},
	{Key: "count", Type: TypeInt, Default: "4", Min: 1, Max: 64, Help: "workers"},
	{Key: "block", Type: TypeSize, Default: "128KB", Help: "block size"},
	{Key: "timeout", Type: TypeDuration, Default: "42s", Help: "ping timeout"},
	{Key: "mode", Type: TypeEnum, Default: "fast", Allowed: []string{"fast", "safe"}, Help: "mode"},
	{Key: "names", Type: TypeStringList, Help: "names"},
	{Key: "reserve", Type: TypePercent, Default: "1%", Help: "reserve"},
	{Key: "auth.addr.*.allow", Type: TypeString, Help: "allowed addresses"},
}

func opt(key, value string, line int) OptionSpec {
	return OptionSpec{Key: key, Value: value, Pos: Pos{File: "t.vol", Line: line, Col: 3}}
}

func TestOptionsTypedValuesAndDefaults(t *testing.T) {
	o, err := NewOptions(testDefs, []OptionSpec{
		opt("directory", "/srv/data", 2),
		opt("enabled", "no", 3),
		opt("count", "16", 4),
		opt("block", "1MiB", 5),
		opt("timeout", "500ms", 6),
		opt("names", "a, b c", 7),
		opt("auth.addr.brick.allow", "127.0.0.1", 8),
	}, "v")
	if err != nil {
		t.Fatal(err)
	}
	if o.String("directory") != "/srv/data" || o.Bool("enabled") || o.Int("count") != 16 {
		t.Errorf("given values wrong: %q %v %d", o.String("directory"), o.Bool("enabled"), o.Int("count"))
	}
	if o.Size("block") != 1<<20 || o.Duration("timeout") != 500*time.Millisecond {
		t.Errorf("size/duration wrong: %d %v", o.Size("block"), o.Duration("timeout"))
	}
	if got := o.List("names"); strings.Join(got, "|") != "a|b|c" {
		t.Errorf("list = %q", got)
	}
	if o.String("mode") != "fast" || o.Percent("reserve") != 1 {
		t.Errorf("defaults wrong: %q %v", o.String("mode"), o.Percent("reserve"))
	}
	if !o.IsSet("count") || o.IsSet("mode") {
		t.Errorf("IsSet wrong")
	}
	if m := o.Matching("auth.addr.*.allow"); m["auth.addr.brick.allow"] != "127.0.0.1" || len(m) != 1 {
		t.Errorf("Matching = %v", m)
	}
}

func TestOptionsErrorsNamePlaceVolumeAndKey(t *testing.T) {
	cases := []struct {
		name string
		give []OptionSpec
		want []string
	}{
		{"unknown with suggestion", []OptionSpec{opt("directory", "/x", 2), opt("directroy", "/y", 3)},
			[]string{"t.vol:3:3", `volume "v"`, `unknown option "directroy"`, `did you mean "directory"`}},
		{"unknown far from any", []OptionSpec{opt("directory", "/x", 2), opt("zzzzzzzzzz", "1", 4)},
			[]string{"t.vol:4:3", "known options:"}},
		{"duplicate", []OptionSpec{opt("directory", "/x", 2), opt("directory", "/y", 5)},
			[]string{"t.vol:5:3", "given twice", "t.vol:2:3"}},
		{"bad bool", []OptionSpec{opt("directory", "/x", 2), opt("enabled", "maybe", 6)},
			[]string{"t.vol:6:3", `option "enabled"`, "not a boolean"}},
		{"int out of range", []OptionSpec{opt("directory", "/x", 2), opt("count", "100", 7)},
			[]string{"outside 1..64"}},
		{"not an int", []OptionSpec{opt("directory", "/x", 2), opt("count", "many", 7)},
			[]string{"not a whole number"}},
		{"bad size", []OptionSpec{opt("directory", "/x", 2), opt("block", "huge", 7)},
			[]string{"not a size"}},
		{"bad duration", []OptionSpec{opt("directory", "/x", 2), opt("timeout", "soon", 7)},
			[]string{"not a duration"}},
		{"bad enum", []OptionSpec{opt("directory", "/x", 2), opt("mode", "slow", 7)},
			[]string{`"slow" is not one of fast, safe`}},
		{"relative path", []OptionSpec{opt("directory", "data", 2)},
			[]string{"not an absolute path"}},
		{"bad percent", []OptionSpec{opt("directory", "/x", 2), opt("reserve", "120%", 2)},
			[]string{"percentage"}},
		{"missing required", nil, []string{`required option "directory" is missing`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewOptions(testDefs, c.give, "v")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseHelpers(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "4096": 4096, "64KB": 64 << 10, "1MiB": 1 << 20, "2g": 2 << 30, "10 MB": 10 << 20, "7b": 7} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.5MB", "MB", "99999999999999999999"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) accepted", bad)
		}
	}
	for in, want := range map[string]time.Duration{"42": 42 * time.Second, "1.5": 1500 * time.Millisecond, "10ms": 10 * time.Millisecond, "1m": time.Minute} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, s := range []string{"on", "YES", "true", "enable", "1"} {
		if b, err := ParseBool(s); err != nil || !b {
			t.Errorf("ParseBool(%q) = %v, %v", s, b, err)
		}
	}
}

func TestKeyPatterns(t *testing.T) {
	for _, c := range []struct {
		pat, key string
		want     bool
	}{
		{"auth.addr.*.allow", "auth.addr.brick1.allow", true},
		{"auth.addr.*.allow", "auth.addr..allow", false},
		{"auth.addr.*.allow", "auth.addr.brick.reject", false},
		{"directory", "directory", true},
		{"directory", "directoryx", false},
	} {
		if got := keyMatches(c.pat, c.key); got != c.want {
			t.Errorf("keyMatches(%q, %q) = %v", c.pat, c.key, got)
		}
	}
}

func TestMissingRequiredOptionNamesTheVolumePlace(t *testing.T) {
	Register(Descriptor{Type: "test/needsdir", Doc: "needs a directory", Options: testDefs[:1],
		New: func(cfg *Config) (Translator, error) { return &testLeaf{Leaf: NewLeaf(cfg)}, nil }})
	specs := []VolumeSpec{{Name: "brick", Type: "test/needsdir", Pos: Pos{File: "m.vol", Line: 4, Col: 1}}}
	_, err := Check(specs, "")
	want := `m.vol:4:1: volume "brick" (test/needsdir): required option "directory" is missing (where the data lives)`
	if err == nil || err.Error() != want {
		t.Fatalf("error\n got %v\nwant %s", err, want)
	}
}
