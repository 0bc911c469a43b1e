package errorgen

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/loom-fs/loom/xlator"
)

// fopNames are the names of every method of xlator.Fops in GlusterFS's
// spelling (lookup, fsetxattr, copy_file_range), read from the interface
// so that a new fop can be failed as soon as it is declared.
var fopNames = func() []string {
	ft := reflect.TypeFor[xlator.Fops]()
	names := make([]string, ft.NumMethod())
	for i := range names {
		names[i] = snake(ft.Method(i).Name)
	}
	return names
}()

// snake turns a method name into a fop name: CopyFileRange -> copy_file_range.
func snake(method string) string {
	var b strings.Builder
	for i, r := range method {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fold makes a user's fop name comparable: case, "_" and "-" do not matter.
func fold(name string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(name))
}

// canonicalFops checks the fop names of an option and returns them in
// fopNames' spelling.
func canonicalFops(option string, given []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, g := range given {
		found := ""
		for _, name := range fopNames {
			if fold(name) == fold(g) {
				found = name
				break
			}
		}
		if found == "" {
			return nil, fmt.Errorf("option %s: %q is not a fop (fops: %s)", option, g, strings.Join(fopNames, ", "))
		}
		out[found] = true
	}
	return out, nil
}
