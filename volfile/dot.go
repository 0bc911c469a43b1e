package volfile

import (
	"strconv"
	"strings"

	"github.com/loom-fs/loom/xlator"
)

// Dot draws the graph in Graphviz's DOT language: one box per volume
// labelled with its name, type and options; an edge from each volume to
// each of its subvolumes, in order; the top volume (top, or the last when
// "") drawn bold; and subvolume names that are not defined drawn dashed.
func Dot(specs []xlator.VolumeSpec, top string) string {
	g := newGraphView(specs, top)
	var b strings.Builder
	b.WriteString("digraph volfile {\n")
	b.WriteString("  node [shape=box, fontname=\"monospace\"];\n")
	for i, v := range specs {
		label := dotEscape(quoteWord(v.Name)+" ("+quoteWord(v.Type)+")") + `\l`
		for _, o := range v.Options {
			label += dotEscape(quoteWord(o.Key)+" = "+quoteWord(o.Value)) + `\l`
		}
		attrs := `label="` + label + `"`
		if i == g.top {
			attrs += ", penwidth=2"
		}
		b.WriteString("  " + g.dotID(i) + " [" + attrs + "];\n")
	}
	undefined := map[string]bool{}
	for i, v := range specs {
		for _, ref := range v.Subvolumes {
			to := g.child(ref)
			if to >= 0 {
				b.WriteString("  " + g.dotID(i) + " -> " + g.dotID(to) + ";\n")
				continue
			}
			if !undefined[ref.Name] {
				undefined[ref.Name] = true
				b.WriteString("  " + dotQuote(ref.Name) + ` [label="` + dotEscape(quoteWord(ref.Name)) + `\n(not defined)", style=dashed];` + "\n")
			}
			b.WriteString("  " + g.dotID(i) + " -> " + dotQuote(ref.Name) + ";\n")
		}
	}
	b.WriteString("}\n")
	return b.String()
}

// dotID names volume i's node: its name, quoted. A second volume with the
// same name (which the graph builder refuses) gets "#index" appended so
// that both are drawn.
func (g *graphView) dotID(i int) string {
	name := g.specs[i].Name
	if g.index[name] != i {
		name += "#" + strconv.Itoa(i)
	}
	return dotQuote(name)
}

// dotQuote writes s as a DOT quoted ID.
func dotQuote(s string) string { return `"` + dotEscape(s) + `"` }

// dotEscape escapes s for a DOT quoted string, where a backslash starts an
// escape (\l, \n) and a quote ends the string.
func dotEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`).Replace(s)
}
