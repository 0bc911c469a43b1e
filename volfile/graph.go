package volfile

import "github.com/loom-fs/loom/xlator"

// graphView indexes specs by name for drawing. It tolerates what the
// graph builder would refuse (undefined names, cycles, duplicates), so
// that a broken volfile can still be drawn.
type graphView struct {
	specs []xlator.VolumeSpec
	index map[string]int // name -> first volume with it
	top   int            // -1 when the requested top is not defined
}

func newGraphView(specs []xlator.VolumeSpec, top string) *graphView {
	g := &graphView{specs: specs, index: map[string]int{}, top: len(specs) - 1}
	for i, s := range specs {
		if _, dup := g.index[s.Name]; !dup {
			g.index[s.Name] = i
		}
	}
	if top != "" {
		i, ok := g.index[top]
		if !ok {
			i = -1
		}
		g.top = i
	}
	return g
}

// child returns the index of a subvolume, or -1 if it is not defined.
func (g *graphView) child(ref xlator.SubvolumeRef) int {
	if i, ok := g.index[ref.Name]; ok {
		return i
	}
	return -1
}

// extraRoots returns, in file order, the volumes not in reached that no
// other unreached volume has as a subvolume (protocol/server volumes, or
// mistakes); volumes reached from neither (a cycle among unreached ones)
// come last, starting from the first in the file.
func (g *graphView) extraRoots(reached []bool, mark func(int)) []int {
	var roots []int
	used := make([]bool, len(g.specs))
	for i, s := range g.specs {
		if reached[i] {
			continue
		}
		for _, ref := range s.Subvolumes {
			if c := g.child(ref); c >= 0 && c != i {
				used[c] = true
			}
		}
	}
	for i := range g.specs {
		if !reached[i] && !used[i] {
			roots = append(roots, i)
			mark(i)
		}
	}
	for i := range g.specs {
		if !reached[i] {
			roots = append(roots, i)
			mark(i)
		}
	}
	return roots
}
