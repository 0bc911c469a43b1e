package volfile

import (
	"errors"
	"testing"
)

// TestGlusterErrors checks the text and position of every GlusterFS-syntax
// error.
func TestGlusterErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"missing end-volume before volume",
			"volume a\n  type storage/posix\nvolume b\n  type debug/trace\nend-volume\n",
			"t.vol:3:1: expected `end-volume` before `volume` at t.vol:3:1 (volume \"a\" started at t.vol:1:1)"},
		{"unterminated volume",
			"# head\nvolume x\n  type storage/posix\n  option directory /d\n",
			"t.vol:2:1: unterminated volume \"x\" started at t.vol:2:1: expected `end-volume` before the end of the file"},
		{"option without a value before end-volume",
			"volume a\n  type storage/posix\n  option directory\nend-volume\n",
			"t.vol:4:1: option directory without a value (found `end-volume`)"},
		{"option without a value at end of file",
			"volume a\n  type t/x\n  option directory",
			"t.vol:3:19: option directory without a value (found end of file)"},
		{"option without a key",
			"volume a\n  type t/x\n  option\nend-volume\n",
			"t.vol:4:1: option without a key: expected a key after `option` at t.vol:3:3, found `end-volume`"},
		{"type twice",
			"volume a\n  type t/x\n  type t/y\nend-volume\n",
			"t.vol:3:3: `type` given twice in volume \"a\" (first at t.vol:2:3)"},
		{"subvolumes twice",
			"volume a\n  type t/x\n  subvolumes b\n  subvolumes c\nend-volume\n",
			"t.vol:4:3: `subvolumes` given twice in volume \"a\" (first at t.vol:3:3)"},
		{"subvolumes without names",
			"volume a\n  type t/x\n  subvolumes\nend-volume\n",
			"t.vol:3:3: `subvolumes` without names in volume \"a\" (found `end-volume`)"},
		{"duplicate option names both lines",
			"volume a\n  type t/x\n  option k 1\n  option k 2\nend-volume\n",
			"t.vol:4:10: option k given twice in volume \"a\" (first at t.vol:3:10); GlusterFS would silently keep the last, Loom refuses"},
		{"no type",
			"volume a\n  option k v\nend-volume\n",
			"t.vol:3:1: volume \"a\" has no `type` (it started at t.vol:1:1)"},
		{"type without a value",
			"volume a\n  type\nend-volume\n",
			"t.vol:3:1: expected a translator type after `type` at t.vol:2:3, found `end-volume`"},
		{"volume without a name",
			"volume\n",
			"t.vol:2:1: expected a volume name after `volume` at t.vol:1:1, found end of file"},
		{"keyword as a value on the same line",
			"volume a\n  type t/x\n  option mode type\nend-volume\n",
			"t.vol:3:15: option mode without a value (found `type`) (to use it as a name or value, write it in double quotes)"},
		{"keyword as a volume name",
			"volume type\n",
			"t.vol:1:8: expected a volume name after `volume` at t.vol:1:1, found `type` (to use it as a name or value, write it in double quotes)"},
		{"stray word at top level",
			"volum a\n",
			"t.vol:1:1: expected `volume`, found word volum"},
		{"stray word in a volume",
			"volume a\n  type t/x\n  opton k v\nend-volume\n",
			"t.vol:3:3: unexpected word opton in volume \"a\": expected `type`, `option`, `subvolumes` or `end-volume`"},
		{"end-volume at top level",
			"end-volume\n",
			"t.vol:1:1: expected `volume`, found `end-volume`"},
		{"backtick in a word",
			"volume a\n  type t/x\n  option host `hostname`\nend-volume\n",
			"t.vol:3:15: backtick: GlusterFS runs `...` through the shell and puts the output in the volfile; Loom refuses shell execution in volfiles (write the value itself, or quote it with \\` for a literal backtick)"},
		{"backtick in a string",
			"volume a\n  type t/x\n  option host \"x`id`\"\nend-volume\n",
			"t.vol:3:17: backtick: GlusterFS runs `...` through the shell and puts the output in the volfile; Loom refuses shell execution in volfiles (write the value itself, or quote it with \\` for a literal backtick)"},
		{"unterminated string",
			"volume a\n  type t/x\n  option k \"abc\nend-volume\n",
			"t.vol:3:12: unterminated string: no closing \" on the same line (write \\n for a line break)"},
		{"unknown escape",
			"volume a\n  type t/x\n  option k \"a\\qb\"\nend-volume\n",
			"t.vol:3:14: unknown escape \\q in string (known: \\\\ \\\" \\` \\n \\t \\r)"},
		{"backslash outside a string",
			"volume a\n  type t/x\n  option k a\\b\nend-volume\n",
			"t.vol:3:13: backslash outside a quoted string (write the word in double quotes, with \\\\ for a backslash)"},
		{"control character",
			"volume a\n  type t/x\n  option k a\x01b\nend-volume\n",
			"t.vol:3:13: control character U+0001 in volfile"},
		{"invalid UTF-8",
			"volume a\n  type t/x\n  option k é\xff\nend-volume\n",
			"t.vol:3:13: invalid UTF-8 in volfile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := ParseGluster("t.vol", []byte(tt.in))
			if err == nil {
				t.Fatalf("parsed without error: %+v", specs)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			var ve *Error
			if !errors.As(err, &ve) || ve.Pos.Line == 0 || ve.Pos.File != "t.vol" {
				t.Errorf("error %v carries no position (%#v)", err, ve)
			}
		})
	}
}

// TestTOMLErrors checks the text and position of TOML-syntax errors, both
// the schema's and the TOML library's.
func TestTOMLErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown volume key",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\nnmae = \"b\"\n",
			"t.toml:4:1: volume \"a\": unknown key \"nmae\" (a volume has name, type, subvolumes and options)"},
		{"unknown top-level key",
			"title = \"x\"\n[[volume]]\nname = \"a\"\ntype = \"t/x\"\n",
			"t.toml:1:1: unknown key \"title\" at the top level: a TOML volfile holds only [[volume]] tables"},
		{"volume as a table",
			"[volume]\nname = \"a\"\n",
			"t.toml:1:1: `volume` must be an array of tables: write each volume as a [[volume]] table"},
		{"name of the wrong type",
			"[[volume]]\nname = 3\ntype = \"t/x\"\n",
			"t.toml:2:1: volume 1: `name` must be a string, not an integer"},
		{"subvolumes not an array",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\nsubvolumes = \"b\"\n",
			"t.toml:4:1: volume \"a\": `subvolumes` must be an array of volume names, like [\"a\", \"b\"], not a string"},
		{"subvolume not a string",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\nsubvolumes = [\"b\", 2]\n",
			"t.toml:4:1: volume \"a\": subvolume 2 must be a string (a volume name), not an integer"},
		{"option array",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\n[volume.options]\nk = [1, 2]\n",
			"t.toml:5:1: volume \"a\": option \"k\": value must be a string, integer, float or boolean, not an array"},
		{"option date",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\n[volume.options]\n  when = 1979-05-27\n",
			"t.toml:5:3: volume \"a\": option \"when\": value must be a string, integer, float or boolean, not a time.Time (date or time)"},
		{"option not finite",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\noptions = { ratio = nan }\n",
			"t.toml:4:13: volume \"a\": option \"ratio\": NaN is not a finite number"},
		{"options not a table",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\noptions = \"k=v\"\n",
			"t.toml:4:1: volume \"a\": `options` must be a table of option = value, not a string"},
		{"option twice through dotted and quoted keys",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\n[volume.options]\na.b = 1\n\"a.b\" = 2\n",
			"t.toml:6:1: volume \"a\": option \"a.b\" given twice (first at t.toml:5:1)"},
		{"control character in a value",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\n[volume.options]\nk = \"a\\u0001\"\n",
			"t.toml:5:1: volume \"a\": option \"k\": value holds control character U+0001"},
		{"no name",
			"[[volume]]\nname = \"a\"\ntype = \"t/x\"\n\n[[volume]]\ntype = \"t/x\"\n",
			"t.toml:5:1: volume 2 has no `name`"},
		{"no type",
			"[[volume]]\nname = \"a\"\n",
			"t.toml:1:1: volume \"a\" has no `type`"},
		{"TOML syntax error keeps its position",
			"[[volume]]\nname = \"a\"\ntype = t/x\n",
			"t.toml:3:8: TOML: expected value but found \"t\" instead"},
		{"TOML duplicate key",
			"[[volume]]\nname = \"a\"\nname = \"b\"\n",
			"t.toml:3:1: TOML: Key 'volume.name' has already been defined."},
		{"unterminated TOML string",
			"[[volume]]\nname = \"a\ntype = \"t/x\"\n",
			"t.toml:2:10: TOML: strings cannot contain newlines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			specs, err := ParseTOML("t.toml", []byte(tt.in))
			if err == nil {
				t.Fatalf("parsed without error: %+v", specs)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
		})
	}
}
