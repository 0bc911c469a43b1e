package fuse

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckMountpoint(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "does not exist"},
		{file, "not a directory"},
		{"/proc", "already a mount point"},
	} {
		err := checkMountpoint(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("checkMountpoint(%s) = %v, want one line saying %q", tc.path, err, tc.want)
		}
	}
	if err := checkMountpoint(dir); err != nil {
		t.Errorf("checkMountpoint(%s) = %v, want nil", dir, err)
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/mnt/a\040b\134c`); got != `/mnt/a b\c` {
		t.Errorf("got %q", got)
	}
	if got := unescapeMountinfo(`/x\04`); got != `/x\04` {
		t.Errorf("short escape: got %q", got)
	}
}
