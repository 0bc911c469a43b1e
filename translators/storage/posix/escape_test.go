package posix

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// No path a client sends leads out of the brick: "..", a symlink in the
// middle of a path (relative or absolute target) and a symlink as the last
// component are data, never followed.
func TestEscapesRefused(t *testing.T) {
	outside := t.TempDir()
	ok(t, os.WriteFile(outside+"/secret", []byte("secret"), 0o644))
	p, dir := newBrick(t)
	must[xlator.Stat](t)(p.Mkdir(bg, root, loc("/d"), 0o755, 0))
	must[xlator.Stat](t)(p.Symlink(bg, root, outside, loc("/abs"), 0))
	must[xlator.Stat](t)(p.Symlink(bg, root, "../../../../../.."+outside, loc("/d/rel"), 0))
	must[xlator.Stat](t)(p.Symlink(bg, root, "d", loc("/inner"), 0))
	must[xlator.Stat](t)(p.Symlink(bg, root, outside+"/secret", loc("/file"), 0))

	for _, path := range []string{"/..", "/../" + outside, "/d/..", "/d/../d", "/./d", "/d//x", "/abs/secret", "/d/rel/secret", "/inner/x", "/abs/"} {
		if _, _, err := p.Lookup(bg, root, loc(path), nil); err == nil {
			t.Errorf("lookup %q succeeded", path)
		}
		if _, err := p.Create(bg, root, xlator.NewFD(loc(path+"/new"), uint32(os.O_RDWR), false), 0o644, 0); err == nil {
			t.Errorf("create under %q succeeded", path)
		}
		if _, err := p.Mkdir(bg, root, loc(path+"/newdir"), 0o755, 0); err == nil {
			t.Errorf("mkdir under %q succeeded", path)
		}
	}
	// The last component is never followed.
	fd := xlator.NewFD(loc("/file"), uint32(os.O_RDONLY), false)
	wantErrno(t, p.Open(bg, root, fd), syscall.ELOOP)
	st, _, err := p.Lookup(bg, root, loc("/abs"), nil)
	ok(t, err)
	if st.Type() != syscall.S_IFLNK {
		t.Fatalf("lookup of a symlink followed it: mode %o", st.Mode)
	}
	_, err = p.Truncate(bg, root, loc("/file"), 0)
	wantErrno(t, err, syscall.EINVAL)
	_, err = p.Setattr(bg, root, loc("/file"), &xlator.SetAttr{Valid: xlator.SetMode, Mode: 0o777})
	if err == nil {
		t.Fatal("chmod through a symlink succeeded")
	}
	ok(t, p.Setxattr(bg, root, loc("/d"), "user.x", []byte("1"), 0))
	if err := p.Setxattr(bg, root, loc("/file"), "user.x", []byte("1"), 0); err == nil {
		t.Fatal("setxattr through a symlink reached its target")
	}
	// Nameless Locs with a name that is a path are refused too.
	if _, _, err := p.Lookup(bg, root, &xlator.Loc{Parent: xlator.RootGFID, Name: "../x"}, nil); err == nil {
		t.Fatal("lookup of parent+name with a slash succeeded")
	}
	if _, _, err := p.Lookup(bg, root, &xlator.Loc{Parent: xlator.RootGFID, Name: ".."}, nil); err == nil {
		t.Fatal("lookup of parent+name '..' succeeded")
	}
	// Nothing outside changed.
	data, err := os.ReadFile(outside + "/secret")
	ok(t, err)
	fi, err := os.Stat(outside + "/secret")
	ok(t, err)
	if string(data) != "secret" || fi.Mode().Perm() != 0o644 {
		t.Fatalf("outside file changed: %q %v", data, fi.Mode())
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 1 {
		t.Fatalf("outside dir has %d entries", len(ents))
	}
	if _, err := os.Stat(dir + "/new"); err == nil {
		t.Fatal("an entry appeared at the brick root")
	}
}

// Paths up to PATH_MAX-1 (4095 bytes) relative to the mount work: with the
// leading slash the brick sees 4096 bytes.
func TestLongPaths(t *testing.T) {
	p, _ := newBrick(t)
	comp := strings.Repeat("a", 100)
	path := ""
	for len(path)+1+len(comp) <= maxPath-100 {
		path += "/" + comp
		must[xlator.Stat](t)(p.Mkdir(bg, root, loc(path), 0o755, 0))
	}
	last := strings.Repeat("f", maxPath-len(path)-1)
	full := path + "/" + last
	if len(full) != 4096 {
		t.Fatalf("test path is %d bytes", len(full))
	}
	createFile(t, p, full, []byte("deep"))
	st, _, err := p.Lookup(bg, root, loc(full), nil)
	ok(t, err)
	if st.Size != 4 {
		t.Fatalf("size %d", st.Size)
	}
	n, _, err := p.Lookup(bg, root, &xlator.Loc{GFID: st.GFID}, nil)
	ok(t, err)
	if n.Ino != st.Ino {
		t.Fatal("nameless lookup of a deep file found another inode")
	}
	_, _, err = p.Lookup(bg, root, loc(full+"x"), nil)
	wantErrno(t, err, syscall.ENAMETOOLONG)
	ok(t, p.Unlink(bg, root, loc(full)))
}
