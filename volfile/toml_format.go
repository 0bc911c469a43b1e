package volfile

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/loom-fs/loom/xlator"
)

// FormatTOML writes specs in canonical TOML syntax: one [[volume]] table
// per volume with name, type and subvolumes, then a [volume.options] table
// with the options in order, and a blank line between volumes. Option
// values that read back as the same text are written as TOML integers,
// floats or booleans; everything else is a string.
func FormatTOML(specs []xlator.VolumeSpec) []byte {
	var b bytes.Buffer
	for i, v := range specs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("[[volume]]\n")
		b.WriteString("name = " + tomlString(v.Name) + "\n")
		b.WriteString("type = " + tomlString(v.Type) + "\n")
		if len(v.Subvolumes) > 0 {
			names := make([]string, len(v.Subvolumes))
			for j, s := range v.Subvolumes {
				names[j] = tomlString(s.Name)
			}
			b.WriteString("subvolumes = [" + strings.Join(names, ", ") + "]\n")
		}
		if len(v.Options) > 0 {
			b.WriteString("[volume.options]\n")
			keys := make([]string, len(v.Options))
			for j, o := range v.Options {
				keys[j] = o.Key
			}
			for _, o := range v.Options {
				b.WriteString(tomlOptionKey(o.Key, keys) + " = " + tomlValue(o.Value) + "\n")
			}
		}
	}
	return b.Bytes()
}

// tomlString writes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if isControl(r) {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// isBareKey reports whether s can be a bare TOML key.
func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isBareKeyByte(s[i]) {
			return false
		}
	}
	return true
}

// tomlOptionKey writes an option key. A dotted key whose parts are all
// bare is written bare (transport.socket.listen-port), which TOML reads as
// nested tables that ParseTOML joins back with "." — unless another key of
// the same volume is a dotted prefix of it or it of another, which TOML
// would take as a table and a value at one name; then it is quoted.
func tomlOptionKey(key string, all []string) string {
	parts := strings.Split(key, ".")
	for _, p := range parts {
		if !isBareKey(p) {
			return tomlString(key)
		}
	}
	if len(parts) == 1 {
		return key
	}
	for _, o := range all {
		if strings.HasPrefix(o, key+".") || strings.HasPrefix(key, o+".") {
			return tomlString(key)
		}
	}
	return key
}

// tomlValue writes an option value: as an integer, float or boolean when
// TOML reads that back as exactly the same text, else as a string.
func tomlValue(s string) string {
	switch s {
	case "true", "false":
		return s
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		return s
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && strconv.FormatFloat(f, 'g', -1, 64) == s &&
		strings.ContainsAny(s, ".e") && !strings.ContainsAny(s, "IN") {
		return s
	}
	return tomlString(s)
}
