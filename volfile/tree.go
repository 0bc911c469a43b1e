package volfile

import (
	"strings"

	"github.com/loom-fs/loom/xlator"
)

// Tree draws the graph as an indented text tree, from the volume named top
// ("" means the last volume, as in GlusterFS). Each volume is a line
// "name (type)" followed by its options as "key = value" lines; its
// subvolumes hang below it. A volume reached a second time (shared by two
// parents) is shown once in full and then as "name (type, see above)".
// Volumes the top does not reach (such as protocol/server) are drawn after
// it as further trees, separated by blank lines.
func Tree(specs []xlator.VolumeSpec, top string) string {
	if len(specs) == 0 {
		return ""
	}
	g := newGraphView(specs, top)
	t := &treeWriter{g: g, state: make([]int, len(specs))}
	if g.top < 0 {
		t.b.WriteString(quoteWord(top) + " (not defined)\n")
	} else {
		t.draw(g.top, "", "", "")
	}
	reached := make([]bool, len(specs))
	for i, s := range t.state {
		reached[i] = s != unseen
	}
	for _, r := range g.extraRoots(reached, func(int) {}) {
		if t.state[r] != unseen {
			continue
		}
		t.b.WriteByte('\n')
		t.draw(r, "", "", "")
	}
	return t.b.String()
}

const (
	unseen = iota
	drawing
	drawn
)

type treeWriter struct {
	g     *graphView
	state []int
	b     strings.Builder
}

// draw writes volume i: its line starts with prefix+branch, and what hangs
// below it starts with below.
func (t *treeWriter) draw(i int, prefix, branch, below string) {
	v := &t.g.specs[i]
	label := quoteWord(v.Name) + " (" + quoteWord(v.Type)
	switch t.state[i] {
	case drawn:
		t.b.WriteString(prefix + branch + label + ", see above)\n")
		return
	case drawing:
		t.b.WriteString(prefix + branch + label + ", cycle)\n")
		return
	}
	t.state[i] = drawing
	t.b.WriteString(prefix + branch + label + ")\n")
	inner := prefix + below
	optPrefix := inner + "    "
	if len(v.Subvolumes) > 0 {
		optPrefix = inner + "│   "
	}
	for _, o := range v.Options {
		t.b.WriteString(optPrefix + quoteWord(o.Key) + " = " + quoteWord(o.Value) + "\n")
	}
	for j, ref := range v.Subvolumes {
		branch, next := "├── ", "│   "
		if j == len(v.Subvolumes)-1 {
			branch, next = "└── ", "    "
		}
		c := t.g.child(ref)
		if c < 0 {
			t.b.WriteString(inner + branch + quoteWord(ref.Name) + " (not defined)\n")
			continue
		}
		t.draw(c, inner, branch, next)
	}
	t.state[i] = drawn
}
