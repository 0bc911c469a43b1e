package volfile

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/loom-fs/loom/xlator"
)

// ParseTOML reads a volfile in TOML syntax. filename is used in positions
// and error messages. The schema is strict:
//
//	[[volume]]                      # one table per volume, in order
//	name = "brick"                  # required string
//	type = "storage/posix"          # required string
//	subvolumes = ["a", "b"]         # optional array of strings
//	[volume.options]                # optional table (or options = {...})
//	directory = "/srv/data"         # string, integer, float or boolean
//	transport.socket.listen-port = 24007   # dotted keys join with "."
//
// Any other key is an error, and so is a value of the wrong type. Option
// values become the text the GlusterFS form would hold (24007, 0.5, true);
// options keep the order they are written in.
func ParseTOML(filename string, data []byte) ([]xlator.VolumeSpec, error) {
	var root map[string]any
	md, err := toml.Decode(string(data), &root)
	if err != nil {
		return nil, tomlError(filename, data, err)
	}
	keys := md.Keys()
	tp := &tomlParser{file: filename, lines: newLineIndex(filename, data), sites: locateKeys(data, keys), root: root}
	if t := md.Type("volume"); t != "" && t != "ArrayHash" {
		return nil, errorf(tp.pos(tp.siteOf(keys, "volume")), "`volume` must be an array of tables: write each volume as a [[volume]] table")
	}
	vols, _ := root["volume"].([]map[string]any)
	for i, k := range keys {
		if err := tp.key(i, k, vols); err != nil {
			return nil, err
		}
	}
	for i := range tp.specs {
		if err := tp.finish(i); err != nil {
			return nil, err
		}
	}
	return tp.specs, nil
}

// tomlError turns a TOML library error into an Error with the position
// the library reported.
func tomlError(file string, data []byte, err error) error {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return &Error{Pos: xlator.Pos{File: file}, Msg: "TOML: " + err.Error(), Err: err}
	}
	pos := posAt(file, data, pe.Position.Start)
	if pe.Position.Start < 0 || pe.Position.Line > 0 && pos.Line != pe.Position.Line {
		pos = xlator.Pos{File: file, Line: pe.Position.Line}
	}
	msg := "TOML: " + pe.Message
	if pe.Usage != "" {
		msg += " (" + strings.Join(strings.Fields(pe.Usage), " ") + ")"
	}
	return &Error{Pos: pos, Msg: msg, Err: err}
}

type tomlParser struct {
	file  string
	lines *lineIndex
	sites []keySite
	root  map[string]any
	specs []xlator.VolumeSpec
	seen  []map[string]xlator.Pos // per volume: name, type, subvolumes and option keys given
}

func (tp *tomlParser) pos(off int) xlator.Pos {
	if off < 0 {
		return xlator.Pos{File: tp.file}
	}
	return tp.lines.pos(off)
}

// siteOf returns the offset of the first key equal to name (top level).
func (tp *tomlParser) siteOf(keys []toml.Key, name string) int {
	for i, k := range keys {
		if len(k) == 1 && k[0] == name {
			return tp.sites[i].off
		}
	}
	return -1
}

// key handles the i-th key of the document.
func (tp *tomlParser) key(i int, k toml.Key, vols []map[string]any) error {
	site := tp.sites[i]
	at := tp.pos(site.off)
	if k[0] != "volume" {
		return errorf(at, "unknown key %q at the top level: a TOML volfile holds only [[volume]] tables", k[0])
	}
	if len(k) == 1 {
		if len(tp.specs) >= len(vols) {
			return errorf(at, "`volume` must be an array of tables: write each volume as a [[volume]] table")
		}
		tp.specs = append(tp.specs, xlator.VolumeSpec{Pos: at})
		tp.seen = append(tp.seen, map[string]xlator.Pos{})
		return nil
	}
	n := len(tp.specs) - 1
	if n < 0 {
		return errorf(at, "key %q outside a [[volume]] table", k.String())
	}
	v, raw := &tp.specs[n], vols[n]
	what := fmt.Sprintf("volume %d", n+1)
	if v.Name != "" {
		what = fmt.Sprintf("volume %q", v.Name)
	}
	switch k[1] {
	case "name", "type":
		s, ok := raw[k[1]].(string)
		if !ok || len(k) > 2 {
			return errorf(at, "%s: `%s` must be a string, not %s", what, k[1], tomlTypeName(raw[k[1]]))
		}
		if err := tp.checkText(at, what+": "+k[1], s); err != nil {
			return err
		}
		if k[1] == "name" {
			v.Name = s
		} else {
			v.Type, v.TypePos = s, tp.pos(site.value)
		}
		tp.seen[n][k[1]] = at
	case "subvolumes":
		list, ok := raw["subvolumes"].([]any)
		if !ok || len(k) > 2 {
			return errorf(at, "%s: `subvolumes` must be an array of volume names, like [\"a\", \"b\"], not %s", what, tomlTypeName(raw["subvolumes"]))
		}
		for j, e := range list {
			s, ok := e.(string)
			if !ok {
				return errorf(at, "%s: subvolume %d must be a string (a volume name), not %s", what, j+1, tomlTypeName(e))
			}
			ref := xlator.SubvolumeRef{Name: s, Pos: at}
			if len(site.elems) == len(list) {
				ref.Pos = tp.pos(site.elems[j])
			}
			if err := tp.checkText(ref.Pos, what+": subvolume", s); err != nil {
				return err
			}
			v.Subvolumes = append(v.Subvolumes, ref)
		}
	case "options":
		return tp.option(at, what, v, n, k[2:], raw["options"])
	default:
		return errorf(at, "%s: unknown key %q (a volume has name, type, subvolumes and options)", what, k[1])
	}
	return nil
}

// option handles a key under a volume's options table; path is the part
// after "options" (empty for the table itself).
func (tp *tomlParser) option(at xlator.Pos, what string, v *xlator.VolumeSpec, n int, path []string, table any) error {
	cur := table
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			break
		}
		cur = m[p]
	}
	if _, isTable := cur.(map[string]any); isTable {
		return nil // a table of options; its options follow as their own keys
	}
	if len(path) == 0 {
		return errorf(at, "%s: `options` must be a table of option = value, not %s", what, tomlTypeName(cur))
	}
	key := strings.Join(path, ".")
	value, err := optionText(cur)
	if err != nil {
		return errorf(at, "%s: option %q: %v", what, key, err)
	}
	if err := tp.checkText(at, fmt.Sprintf("%s: option %q", what, key), key); err != nil {
		return err
	}
	if err := tp.checkText(at, fmt.Sprintf("%s: option %q: value", what, key), value); err != nil {
		return err
	}
	if first, dup := tp.seen[n]["option "+key]; dup {
		return errorf(at, "%s: option %q given twice (first at %s)", what, key, first)
	}
	tp.seen[n]["option "+key] = at
	v.Options = append(v.Options, xlator.OptionSpec{Key: key, Value: value, Pos: at})
	return nil
}

// optionText converts a TOML option value to the text the GlusterFS form
// would hold.
func optionText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "", fmt.Errorf("%v is not a finite number", x)
		}
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return "", fmt.Errorf("value must be a string, integer, float or boolean, not %s", tomlTypeName(v))
}

// tomlTypeName names the TOML type of a decoded value, for messages.
func tomlTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "missing"
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	}
	return fmt.Sprintf("a %T (date or time)", v)
}

func (tp *tomlParser) checkText(at xlator.Pos, what, s string) error {
	if i, bad := badText(s); i >= 0 {
		return errorf(at, "%s holds %s", what, bad)
	}
	return nil
}

// finish checks that volume i has its required keys.
func (tp *tomlParser) finish(i int) error {
	v := &tp.specs[i]
	if _, ok := tp.seen[i]["name"]; !ok {
		return errorf(v.Pos, "volume %d has no `name`", i+1)
	}
	if _, ok := tp.seen[i]["type"]; !ok {
		return errorf(v.Pos, "volume %q has no `type`", v.Name)
	}
	return nil
}
