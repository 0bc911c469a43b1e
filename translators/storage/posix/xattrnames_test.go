package posix

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// A lookup asked for the xattr names answers them without Loom's own
// (the GFID, a changelog counter), alone or beside changelog keys; one
// not asked carries no list, and a file without xattrs answers an empty
// list, not a missing one.
func TestLookupXattrNames(t *testing.T) {
	p, dir := newBrick(t)
	createFile(t, p, "/f", nil)
	createFile(t, p, "/bare", nil)
	ok(t, unix.Setxattr(filepath.Join(dir, "f"), "user.a", []byte("1"), 0))
	ok(t, unix.Setxattr(filepath.Join(dir, "f"), "user.b", []byte("2"), 0))
	must[xlator.XData](t)(p.Xattrop(bg, root, loc("/f"), xlator.AddArray32,
		xlator.XData{"loom.pending.z": {0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}}))
	for _, req := range []xlator.XData{
		{xlator.XDataXattrNames: nil},
		{xlator.XDataXattrNames: nil, "loom.pending.z": nil, "loom.dirty": nil},
	} {
		_, x, err := p.Lookup(bg, root, loc("/f"), req)
		ok(t, err)
		v, found := x[xlator.XDataXattrNames]
		if !found {
			t.Fatalf("request %v: no names in the reply %v", req, x)
		}
		got := xlator.SplitXattrNames(v)
		slices.Sort(got)
		if !slices.Equal(got, []string{"user.a", "user.b"}) {
			t.Errorf("request %v: names %q, want user.a and user.b only", req, got)
		}
		_, x, err = p.Lookup(bg, root, loc("/bare"), req)
		ok(t, err)
		if v, found := x[xlator.XDataXattrNames]; !found || len(v) != 0 {
			t.Errorf("request %v: a file without xattrs answered %q (present %v), want an empty list", req, v, found)
		}
	}
	_, x, err := p.Lookup(bg, root, loc("/f"), xlator.XData{"loom.dirty": nil})
	ok(t, err)
	if _, found := x[xlator.XDataXattrNames]; found {
		t.Errorf("names answered without being asked: %v", x)
	}
}
