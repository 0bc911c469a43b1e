package posix

import (
	"os"
	"strings"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

func TestRegistered(t *testing.T) {
	d, found := xlator.Lookup(TypeName)
	if !found || d.MaxChildren != 0 || d.New == nil {
		t.Fatalf("storage/posix registration: %+v", d)
	}
}

func TestDirectoryOption(t *testing.T) {
	file := t.TempDir() + "/file"
	ok(t, os.WriteFile(file, nil, 0o644))
	for _, c := range []struct{ dir, want string }{
		{"/nonexistent/brick", "no such file"},
		{file, "not a directory"},
	} {
		o, err := xlator.NewOptions(Options, []xlator.OptionSpec{{Key: optDirectory, Value: c.dir}}, "b")
		ok(t, err)
		_, err = New(&xlator.Config{Name: "b", Type: TypeName, Options: o})
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.dir) {
			t.Fatalf("directory %s: error %v, want one saying %q", c.dir, err, c.want)
		}
	}
	if _, err := xlator.NewOptions(Options, nil, "b"); err == nil {
		t.Fatal("a brick without a directory was accepted")
	}
	if _, err := xlator.NewOptions(Options, []xlator.OptionSpec{{Key: optDirectory, Value: "/x"}, {Key: optNamespace, Value: "system"}}, "b"); err == nil {
		t.Fatal("xattr-namespace system was accepted")
	}
}

// With xattr-namespace user, GFIDs live in user.loom.gfid and both
// namespaces' loom names stay hidden.
func TestUserNamespace(t *testing.T) {
	dir := t.TempDir()
	p := newBrickAt(t, dir, xlator.OptionSpec{Key: optNamespace, Value: "user"})
	f := createFile(t, p, "/f", nil)
	v := make([]byte, 16)
	n, err := getxattrAt(p.rootFd, "f", "user.loom.gfid", v)
	ok(t, err)
	if n != 16 || xlator.GFID(v) != f.GFID {
		t.Fatalf("user.loom.gfid = %x", v[:n])
	}
	if names := must[[]string](t)(p.Listxattr(bg, root, loc("/f"))); len(names) != 0 {
		t.Fatalf("listxattr %v", names)
	}
}
