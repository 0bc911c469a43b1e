package all

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// Every translator folder (translators/<category>/<name>) whose code
// registers a type is linked in by this package: its type is registered
// once translators/all is imported. The list comes from the tree, so a new
// translator that forgets its blank import here fails this test.
func TestBuiltinsRegistered(t *testing.T) {
	dirs, err := filepath.Glob("../*/*")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, dir := range dirs {
		if !registers(t, dir) {
			continue
		}
		typ := strings.TrimPrefix(filepath.ToSlash(dir), "../")
		checked++
		if _, ok := xlator.Lookup(typ); !ok {
			t.Errorf("%s registers a translator type, but importing translators/all does not register %s: add its blank import to all.go", dir, typ)
		}
	}
	if checked < 4 {
		t.Fatalf("found only %d translator folders that register a type", checked)
	}
}

// registers reports whether the non-test Go files of dir call
// xlator.Register.
func registers(t *testing.T, dir string) bool {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(src), "xlator.Register(") {
			return true
		}
	}
	return false
}
