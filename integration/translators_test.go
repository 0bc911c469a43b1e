package integration

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// stackVolfile is a storage/posix brick with one translator of type typ
// on top, given the option lines opts ("key value").
func stackVolfile(brick, typ string, opts ...string) string {
	var b strings.Builder
	b.WriteString(posixVolfile(brick))
	fmt.Fprintf(&b, "\nvolume top\n    type %s\n", typ)
	for _, o := range opts {
		fmt.Fprintf(&b, "    option %s\n", o)
	}
	b.WriteString("    subvolumes brick\nend-volume\n")
	return b.String()
}

func TestTraceLogsFops(t *testing.T) {
	requireEnv(t)
	brick := newBrick(t)
	logFile := filepath.Join(testDir(t), "trace.log")
	m := mountLoom(t, stackVolfile(brick, "debug/trace"), "-l", logFile)
	writeFile(t, m.Path("traced-file"), []byte("some data"))
	if got := readFile(t, m.Path("traced-file")); string(got) != "some data" {
		t.Errorf("read through trace: %q", got)
	}
	must(t, os.Mkdir(m.Path("traced-dir"), 0o755))
	must(t, os.Remove(m.Path("traced-file")))
	if code := m.Unmount(t); code != 0 {
		t.Errorf("loom exited with %d", code)
	}
	log := string(readFile(t, logFile))
	for _, c := range []struct{ fop, path string }{
		{"lookup", "/traced-file"},
		{"create", "/traced-file"},
		{"write", "/traced-file"},
		{"read", "/traced-file"},
		{"mkdir", "/traced-dir"},
		{"unlink", "/traced-file"},
	} {
		re := regexp.MustCompile(`(?m)^.*\bmsg="?` + c.fop + `"?\s.*path="?` + regexp.QuoteMeta(c.path) + `\b.*$`)
		if !re.MatchString(log) {
			t.Errorf("the log has no %s line for %s", c.fop, c.path)
		}
	}
	if t.Failed() {
		t.Logf("log (%d bytes), last lines:\n%s", len(log), tail(logFile, 20))
	}
}

func TestReadOnly(t *testing.T) {
	requireEnv(t)
	brick := newBrick(t)
	writeFile(t, filepath.Join(brick, "existing"), []byte("keep me"))
	must(t, os.Mkdir(filepath.Join(brick, "dir"), 0o755))
	before := snapshot(t, brick, snapshotOpts{skipInternal: true, skipRootTime: true})
	m := mountLoom(t, stackVolfile(brick, "features/read-only"))

	if got := readFile(t, m.Path("existing")); string(got) != "keep me" {
		t.Errorf("read through read-only: %q", got)
	}
	if entries, err := os.ReadDir(m.Dir); err != nil || len(entries) != 2 {
		t.Errorf("readdir through read-only: %d entries, %v", len(entries), err)
	}
	writeExisting := func() error {
		f, err := os.OpenFile(m.Path("existing"), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = f.WriteString("changed")
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	for _, c := range []struct {
		what string
		err  error
	}{
		{"write to an existing file", writeExisting()},
		{"create", os.WriteFile(m.Path("new"), []byte("x"), 0o644)},
		{"mkdir", os.Mkdir(m.Path("newdir"), 0o755)},
		{"unlink", os.Remove(m.Path("existing"))},
		{"rmdir", os.Remove(m.Path("dir"))},
		{"rename", os.Rename(m.Path("existing"), m.Path("renamed"))},
		{"chmod", os.Chmod(m.Path("existing"), 0o600)},
		{"truncate", os.Truncate(m.Path("existing"), 0)},
		{"symlink", os.Symlink("existing", m.Path("link"))},
		{"link", os.Link(m.Path("existing"), m.Path("hard"))},
		{"setxattr", syscall.Setxattr(m.Path("existing"), "user.x", []byte("1"), 0)},
	} {
		wantErrno(t, c.what+" through read-only", c.err, syscall.EROFS)
	}
	if got := readFile(t, m.Path("existing")); string(got) != "keep me" {
		t.Errorf("read after the refused writes: %q", got)
	}
	compareSnapshots(t, "brick under read-only", before, snapshot(t, brick, snapshotOpts{skipInternal: true, skipRootTime: true}))
}

func TestErrorGenWrite(t *testing.T) {
	requireEnv(t)
	brick := newBrick(t)
	writeFile(t, filepath.Join(brick, "existing"), []byte("readable"))
	m := mountLoom(t, stackVolfile(brick, "debug/error-gen", "error-no EIO", "enable write", "failure 100"))

	for i := 0; i < 3; i++ {
		if got := readFile(t, m.Path("existing")); string(got) != "readable" {
			t.Errorf("read %d through error-gen (writes only): %q", i, got)
		}
	}
	// The error may surface at write(2) or, with write-back caching, at
	// fsync or close: one of them must report EIO.
	writeVia := func(path string, flags int) error {
		f, err := os.OpenFile(path, flags, 0o644)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		_, werr := f.WriteString("must not land")
		serr := f.Sync()
		cerr := f.Close()
		return errors.Join(werr, serr, cerr)
	}
	for _, c := range []struct {
		name  string
		flags int
	}{
		{"existing", os.O_WRONLY},
		{"new", os.O_WRONLY | os.O_CREATE},
	} {
		err := writeVia(m.Path(c.name), c.flags)
		if !errors.Is(err, syscall.EIO) {
			t.Errorf("writing %s through error-gen: %v, want EIO", c.name, err)
		}
	}
	if got := readFile(t, filepath.Join(brick, "existing")); string(got) != "readable" {
		t.Errorf("the brick file changed to %q though every write failed", got)
	}
	if got, err := os.ReadFile(filepath.Join(brick, "new")); err == nil && len(got) != 0 {
		t.Errorf("the new brick file holds %q though every write failed", got)
	}
	if got := readFile(t, m.Path("existing")); string(got) != "readable" {
		t.Errorf("read after the failed writes: %q", got)
	}
}

func TestTOMLVolfile(t *testing.T) {
	requireEnv(t)
	brick := newBrick(t)
	vol := fmt.Sprintf(`# posix with trace on top, in TOML
[[volume]]
name = "brick"
type = "storage/posix"
[volume.options]
directory = %q

[[volume]]
name = "top"
type = "debug/trace"
subvolumes = ["brick"]
`, brick)
	m := mountLoomWith(t, vol, mountConfig{volName: "loom.toml"})
	writeFile(t, m.Path("from-toml"), []byte("mounted from TOML"))
	if got := readFile(t, filepath.Join(brick, "from-toml")); string(got) != "mounted from TOML" {
		t.Errorf("brick file reads %q", got)
	}
}
