package replicate_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/translators/cluster/replicate"
	"github.com/loom-fs/loom/xlator"
	"golang.org/x/sys/unix"
)

// fops is a small client of a translator for these tests.
type fops struct {
	t   *testing.T
	top xlator.Translator
	c   *xlator.Call
}

func client(t *testing.T, top xlator.Translator) *fops {
	return &fops{t: t, top: top, c: xlator.RootCall()}
}

// resolve looks p up component by component.
func (f *fops) resolve(p string) (*xlator.Loc, xlator.Stat, error) {
	ctx := context.Background()
	loc := xlator.RootLoc()
	st, _, err := f.top.Lookup(ctx, f.c, loc, nil)
	if err != nil {
		return nil, st, err
	}
	for _, name := range strings.Split(strings.Trim(p, "/"), "/") {
		if name == "" {
			continue
		}
		loc = loc.Child(name)
		st, _, err = f.top.Lookup(ctx, f.c, loc, nil)
		if err != nil {
			return nil, st, err
		}
		loc.GFID = st.GFID
	}
	return loc, st, nil
}

func (f *fops) loc(p string) *xlator.Loc {
	f.t.Helper()
	l, _, err := f.resolve(p)
	if err != nil {
		f.t.Fatalf("lookup %s: %v", p, err)
	}
	return l
}

func (f *fops) newLoc(p string) *xlator.Loc {
	f.t.Helper()
	l := f.loc(path.Dir(p)).Child(path.Base(p))
	l.GFID = xlator.NewGFID()
	return l
}

func (f *fops) create(p string) *xlator.FD {
	f.t.Helper()
	fd := xlator.NewFD(f.newLoc(p), syscall.O_CREAT|syscall.O_RDWR, false)
	st, err := f.top.Create(context.Background(), f.c, fd, 0o644, 0)
	if err != nil {
		f.t.Fatalf("create %s: %v", p, err)
	}
	fd.Loc.GFID = st.GFID
	return fd
}

func (f *fops) open(p string) *xlator.FD {
	f.t.Helper()
	fd := xlator.NewFD(f.loc(p), syscall.O_RDWR, false)
	if err := f.top.Open(context.Background(), f.c, fd); err != nil {
		f.t.Fatalf("open %s: %v", p, err)
	}
	return fd
}

func (f *fops) write(fd *xlator.FD, data []byte, off int64) {
	f.t.Helper()
	if _, err := f.top.Write(context.Background(), f.c, fd, data, off); err != nil {
		f.t.Fatalf("write %s at %d: %v", fd.Loc.Path, off, err)
	}
}

func (f *fops) close(fd *xlator.FD) {
	f.top.Flush(context.Background(), f.c, fd)
	f.top.Release(context.Background(), f.c, fd)
}

func (f *fops) writeFile(p string, data []byte) {
	f.t.Helper()
	fd := f.create(p)
	f.write(fd, data, 0)
	f.close(fd)
}

// read returns p's contents, or the error of reading it.
func (f *fops) read(p string) ([]byte, error) {
	l, st, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	fd := xlator.NewFD(l, syscall.O_RDONLY, false)
	if err := f.top.Open(context.Background(), f.c, fd); err != nil {
		return nil, err
	}
	defer f.top.Release(context.Background(), f.c, fd)
	buf := make([]byte, st.Size+4096)
	var out []byte
	for off := int64(0); ; {
		n, err := f.top.Read(context.Background(), f.c, fd, buf, off)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
		out = append(out, buf[:n]...)
		off += int64(n)
	}
}

func (f *fops) mkdir(p string) {
	f.t.Helper()
	if _, err := f.top.Mkdir(context.Background(), f.c, f.newLoc(p), 0o755, 0); err != nil {
		f.t.Fatalf("mkdir %s: %v", p, err)
	}
}

// control runs a heal command on the cluster's replicate.
func (cl *cluster) control(t *testing.T, cmd string, args ...string) any {
	t.Helper()
	res, err := cl.top.Control(context.Background(), cmd, args)
	if err != nil {
		t.Fatalf("control %s %v: %v", cmd, args, err)
	}
	return res
}

// waitHealed waits until heal info shows nothing pending and no full
// heal runs.
func (cl *cluster) waitHealed(t *testing.T, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		in := cl.control(t, "info").(*replicate.Info)
		st := cl.control(t, "status").(*replicate.Status)
		if in.Pending == 0 && !st.FullRunning {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("heal did not finish within %v: info %+v status %+v\n%s", within, in, st, cl.describeEntries(in))
		}
		if os.Getenv("REPLICATE_DEBUG") != "" {
			t.Logf("waiting: %+v", in)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// describeEntries says, for each inode heal info lists, what each brick
// holds of it: its type, size and links, and its xattrs (changelog
// included), read through the brick's handle index.
func (cl *cluster) describeEntries(in *replicate.Info) string {
	var b strings.Builder
	for _, e := range in.Entries {
		g, err := xlator.ParseGFID(e.GFID)
		if err != nil {
			continue
		}
		rel := fmt.Sprintf("%x/%x/%s", g[0:1], g[1:2], e.GFID)
		for i, dir := range cl.dirs {
			p := filepath.Join(dir, ".loom", "handles", rel)
			// A directory's handle is a symlink to it: follow it.
			var st unix.Stat_t
			if err := unix.Stat(p, &st); err != nil {
				fmt.Fprintf(&b, "%s on brick%d: %v\n", e.GFID, i, err)
				continue
			}
			fmt.Fprintf(&b, "%s on brick%d: mode=%o size=%d nlink=%d", e.GFID, i, st.Mode, st.Size, st.Nlink)
			buf := make([]byte, 64<<10)
			if n, err := unix.Listxattr(p, buf); err == nil {
				for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
					v := make([]byte, 4096)
					if m, err := unix.Getxattr(p, name, v); err == nil {
						fmt.Fprintf(&b, " %s=%x", name, v[:m])
					}
				}
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// treeOf describes a brick: every entry (Loom's own hidden directory
// left out) with type, mode, owner, size, times with nanoseconds, a hash
// of the contents, its holes, symlink target, xattrs (Loom's own left
// out) and which other names share its inode. skipTimes leaves out the
// times of the entries it names (the root, whose .loom changes it).
func treeOf(t *testing.T, root string, skipTimes ...string) string {
	t.Helper()
	var lines []string
	inodes := map[uint64][]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == ".loom" {
			return filepath.SkipDir
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		line := fmt.Sprintf("%s mode=%o uid=%d gid=%d", rel, st.Mode, st.Uid, st.Gid)
		times := true
		for _, s := range skipTimes {
			if s == rel {
				times = false
			}
		}
		if times && st.Mode&unix.S_IFMT != unix.S_IFLNK {
			line += fmt.Sprintf(" mtime=%d.%09d", st.Mtim.Sec, st.Mtim.Nsec)
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFREG:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" size=%d sha=%x holes=%s", st.Size, sha256.Sum256(data), holesOf(t, p))
			inodes[st.Ino] = append(inodes[st.Ino], rel)
		case unix.S_IFLNK:
			target, _ := os.Readlink(p)
			line += " -> " + target
		case unix.S_IFCHR, unix.S_IFBLK:
			line += fmt.Sprintf(" rdev=%d", st.Rdev)
		}
		line += " xattrs=" + xattrsOf(t, p)
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	for _, names := range inodes {
		if len(names) > 1 {
			sort.Strings(names)
			lines = append(lines, "hardlinks "+strings.Join(names, " "))
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// holesOf lists the data segments of a file (SEEK_DATA/SEEK_HOLE).
func holesOf(t *testing.T, p string) string {
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var segs []string
	for off := int64(0); ; {
		d, err := unix.Seek(int(f.Fd()), off, unix.SEEK_DATA)
		if err != nil {
			break
		}
		h, err := unix.Seek(int(f.Fd()), d, unix.SEEK_HOLE)
		if err != nil {
			break
		}
		segs = append(segs, fmt.Sprintf("%d-%d", d, h))
		off = h
	}
	return strings.Join(segs, ",")
}

// xattrsOf lists a file's xattrs and values, Loom's own left out.
func xattrsOf(t *testing.T, p string) string {
	buf := make([]byte, 64<<10)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		return "?"
	}
	var out []string
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name == "" || xlator.IsInternalXattr(name) {
			continue
		}
		v := make([]byte, 64<<10)
		m, err := unix.Lgetxattr(p, name, v)
		if err != nil {
			continue
		}
		out = append(out, fmt.Sprintf("%s=%x", name, v[:m]))
	}
	sort.Strings(out)
	return strings.Join(out, ";")
}

// sameTrees fails the test if the bricks differ.
func sameTrees(t *testing.T, a, b string) {
	t.Helper()
	ta, tb := treeOf(t, a, "."), treeOf(t, b, ".")
	if ta != tb {
		t.Errorf("bricks differ:\n--- %s\n%s\n--- %s\n%s", a, ta, b, tb)
	}
}

// fileOn reads a file straight from a brick.
func fileOn(t *testing.T, brick, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(brick, p))
	if err != nil {
		t.Fatalf("read %s on brick %s: %v", p, brick, err)
	}
	return b
}
