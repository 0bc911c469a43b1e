package xlator

import (
	"fmt"
	"reflect"
	"strings"
	"unicode"
)

// fopNames are the names of every method of Fops in GlusterFS's spelling
// (lookup, fsetxattr, copy_file_range), read from the interface so that a
// new fop is known everywhere as soon as it is declared.
var fopNames = func() []string {
	ft := reflect.TypeFor[Fops]()
	names := make([]string, ft.NumMethod())
	for i := range names {
		names[i] = snake(ft.Method(i).Name)
	}
	return names
}()

// FopNames returns the name of every fop in GlusterFS's spelling, in the
// order of the Fops interface's methods (sorted by name).
func FopNames() []string { return append([]string(nil), fopNames...) }

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

// foldFop makes a user's fop name comparable: case, "_" and "-" do not
// matter.
func foldFop(name string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(name))
}

// CanonicalFops checks fop names given in an option (such as debug/trace's
// include-fops) and returns them as a set in FopNames' spelling; an
// unknown name is an error that names the option and lists the fops.
func CanonicalFops(option string, given []string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, g := range given {
		found := ""
		for _, name := range fopNames {
			if foldFop(name) == foldFop(g) {
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
