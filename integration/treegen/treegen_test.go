package treegen_test

import (
	"os"
	"testing"

	"github.com/loom-fs/loom/integration/treegen"
	"golang.org/x/sys/unix"
)

// TestGenerate builds the small tree (or, with TREEGEN_DIR set, into that
// directory, for trying things by hand) and checks a few of its entries.
func TestGenerate(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := os.Getenv("TREEGEN_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	sum, err := treegen.Generate(dir, treegen.Small)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files < treegen.Small.WideEntries || sum.Specials != 5 || sum.HardLinks != 4 {
		t.Errorf("summary %+v", sum)
	}
	var st unix.Stat_t
	if err := unix.Lstat(dir+"/links/a", &st); err != nil || st.Nlink != 4 {
		t.Errorf("links/a: nlink %d, %v", st.Nlink, err)
	}
	if err := unix.Lstat(dir+"/modes/sticky", &st); err != nil || st.Mode&0o7777 != 0o1777 {
		t.Errorf("modes/sticky: mode %o, %v", st.Mode, err)
	}
}
