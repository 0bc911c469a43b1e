package volfile

import (
	"bytes"
	"strings"
	"unicode"

	"github.com/loom-fs/loom/xlator"
)

// FormatGluster writes specs in canonical GlusterFS syntax: one block per
// volume, two-space indent, type first, then options in order, then
// subvolumes, and a blank line between volumes. Words are quoted only
// when they must be (or when they hold '#' or white space, for the reader).
func FormatGluster(specs []xlator.VolumeSpec) []byte {
	var b bytes.Buffer
	for i, v := range specs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("volume " + quoteWord(v.Name) + "\n")
		b.WriteString("  type " + quoteWord(v.Type) + "\n")
		for _, o := range v.Options {
			b.WriteString("  option " + quoteWord(o.Key) + " " + quoteWord(o.Value) + "\n")
		}
		if len(v.Subvolumes) > 0 {
			b.WriteString("  subvolumes")
			for _, s := range v.Subvolumes {
				b.WriteString(" " + quoteWord(s.Name))
			}
			b.WriteByte('\n')
		}
		b.WriteString("end-volume\n")
	}
	return b.Bytes()
}

// needsQuotes reports whether w must be (or is clearer) written as a
// quoted string: empty, a keyword, or holding white space, quotes,
// backslashes, backticks, '#' or control characters.
func needsQuotes(w string) bool {
	if w == "" {
		return true
	}
	if _, kw := keywords[w]; kw {
		return true
	}
	for _, r := range w {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("\"\\`#", r) {
			return true
		}
	}
	return false
}

// quoteWord writes w as a GlusterFS-syntax word, quoting and escaping it
// when needed.
func quoteWord(w string) string {
	if !needsQuotes(w) {
		return w
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range w {
		switch r {
		case '"', '\\', '`':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
