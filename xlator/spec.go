package xlator

import "fmt"

// Pos is a place in a volfile, for error messages.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats p as file:line:col (parts that are unknown are left out).
func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "<input>"
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// VolumeSpec is one volume of a volfile, as written: the graph builder
// turns a list of them into translators. Parsers (package volfile) fill
// the positions so errors can point at the text.
type VolumeSpec struct {
	Name       string
	Type       string
	Options    []OptionSpec
	Subvolumes []SubvolumeRef
	Pos        Pos // where the volume starts
	TypePos    Pos // where its type is given
}

// OptionSpec is one "option KEY VALUE" line.
type OptionSpec struct {
	Key   string
	Value string
	Pos   Pos
}

// SubvolumeRef is one name in a "subvolumes" line.
type SubvolumeRef struct {
	Name string
	Pos  Pos
}

// Option returns the value of key and whether it is set.
func (v *VolumeSpec) Option(key string) (string, bool) {
	for _, o := range v.Options {
		if o.Key == key {
			return o.Value, true
		}
	}
	return "", false
}
