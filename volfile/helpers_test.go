package volfile

import (
	"fmt"
	"slices"
	"strings"

	"github.com/loom-fs/loom/xlator"
)

// sameGraph reports how a and b differ in what a volfile means (names,
// types, options in order, subvolumes), ignoring positions; "" if they do
// not.
func sameGraph(a, b []xlator.VolumeSpec) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d volumes, then %d", len(a), len(b))
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Name != y.Name || x.Type != y.Type {
			return fmt.Sprintf("volume %d: %q (%q), then %q (%q)", i, x.Name, x.Type, y.Name, y.Type)
		}
		if !slices.EqualFunc(x.Options, y.Options, func(p, q xlator.OptionSpec) bool { return p.Key == q.Key && p.Value == q.Value }) {
			return fmt.Sprintf("volume %q: options %s, then %s", x.Name, showOptions(x.Options), showOptions(y.Options))
		}
		if !slices.EqualFunc(x.Subvolumes, y.Subvolumes, func(p, q xlator.SubvolumeRef) bool { return p.Name == q.Name }) {
			return fmt.Sprintf("volume %q: subvolumes %v, then %v", x.Name, x.Subvolumes, y.Subvolumes)
		}
	}
	return ""
}

func showOptions(opts []xlator.OptionSpec) string {
	parts := make([]string, len(opts))
	for i, o := range opts {
		parts[i] = fmt.Sprintf("%q=%q", o.Key, o.Value)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
