// Package treegen builds the migration fidelity tree: a directory that
// holds one of every kind of thing a file system migration can lose —
// file types, holes, hard links, odd names, owners, modes, nanosecond
// times, xattrs in every namespace, POSIX ACLs, a deep chain and a wide
// directory. The integration tests and the migration benchmark share it.
//
// Generate needs root (device nodes, chown, trusted.* xattrs). The tree
// is deterministic for a given Config.
package treegen

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Config sizes the tree.
type Config struct {
	// Seed makes the contents and times reproducible.
	Seed uint64
	// WideEntries is the number of entries of the one wide directory.
	WideEntries int
	// Depth is the depth of the deep directory chain.
	Depth int
	// BigFileSize is the size of the multi-MiB regular file.
	BigFileSize int64
	// SparseSize is the apparent size of the sparse file (data is only
	// a few chunks; the rest is holes).
	SparseSize int64
	// DataFiles and DataBytes add a bulk tree of DataFiles regular files
	// of mixed sizes totalling about DataBytes, in nested directories
	// (the benchmark's payload). Zero adds none.
	DataFiles int
	DataBytes int64
}

// Small is the default for tests: every kind of entry, modest sizes.
var Small = Config{Seed: 1, WideEntries: 2000, Depth: 110, BigFileSize: 5 << 20, SparseSize: 64 << 20}

// Summary counts what Generate made.
type Summary struct {
	Files, Dirs, Symlinks, Specials, HardLinks int
	Bytes                                      int64 // apparent bytes of regular files
}

// Generate builds the tree in root, which must exist and be empty.
func Generate(root string, cfg Config) (*Summary, error) {
	g := &gen{root: root, cfg: cfg, rng: newRand(cfg.Seed), sum: &Summary{}}
	steps := []func() error{g.files, g.sparse, g.hardlinks, g.symlinks, g.specials,
		g.modes, g.owners, g.xattrs, g.acls, g.names, g.deep, g.wide, g.bulk}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	if err := g.setTimes(); err != nil {
		return nil, err
	}
	return g.sum, nil
}

// gen is one run of Generate.
type gen struct {
	root string
	cfg  Config
	rng  *rng
	sum  *Summary
	dirs []string // made so far, relative; their times are set last
}

func (g *gen) p(rel string) string { return filepath.Join(g.root, rel) }

func (g *gen) mkdir(rel string, mode uint32) error {
	if err := unix.Mkdir(g.p(rel), mode); err != nil {
		return fmt.Errorf("treegen: mkdir %s: %w", rel, err)
	}
	// mkdir applies the umask; chmod sets exactly mode (and sticky,
	// setgid bits that mkdir may drop).
	if err := unix.Chmod(g.p(rel), mode); err != nil {
		return fmt.Errorf("treegen: chmod %s: %w", rel, err)
	}
	g.dirs = append(g.dirs, rel)
	g.sum.Dirs++
	return nil
}

// write creates rel with size bytes of pseudo-random contents and sets
// its times.
func (g *gen) write(rel string, size int64, mode uint32) error {
	f, err := os.OpenFile(g.p(rel), os.O_WRONLY|os.O_CREATE|os.O_EXCL, os.FileMode(mode))
	if err != nil {
		return fmt.Errorf("treegen: create %s: %w", rel, err)
	}
	buf := make([]byte, min(size, 1<<20))
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		g.rng.fill(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return fmt.Errorf("treegen: write %s: %w", rel, err)
		}
		left -= n
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("treegen: close %s: %w", rel, err)
	}
	if err := unix.Chmod(g.p(rel), mode); err != nil {
		return fmt.Errorf("treegen: chmod %s: %w", rel, err)
	}
	g.sum.Files++
	g.sum.Bytes += size
	return g.times(rel)
}

// times gives rel (not followed) a pseudo-random atime and mtime with
// nanoseconds, years apart.
func (g *gen) times(rel string) error {
	base := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC).Unix()
	at := unix.Timespec{Sec: base + int64(g.rng.next()%(20*365*86400)), Nsec: int64(g.rng.next() % 1e9)}
	mt := unix.Timespec{Sec: base + int64(g.rng.next()%(20*365*86400)), Nsec: int64(g.rng.next() % 1e9)}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, g.p(rel), []unix.Timespec{at, mt}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("treegen: utimensat %s: %w", rel, err)
	}
	return nil
}

// files: empty, small and multi-MiB regular files.
func (g *gen) files() error {
	if err := g.mkdir("files", 0o755); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		size int64
		mode uint32
	}{
		{"files/empty", 0, 0o644},
		{"files/one-byte", 1, 0o600},
		{"files/small", 4321, 0o644},
		{"files/exact-block", 4096, 0o640},
		{"files/big", g.cfg.BigFileSize, 0o644},
		{"files/setuid-exec", 100, 0o4755},
		{"files/setgid-exec", 100, 0o2750},
		{"files/no-perms", 10, 0},
	} {
		if err := g.write(f.name, f.size, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// sparse: a file of SparseSize apparent bytes with data at its start,
// in its middle and near (not at) its end: holes between, and after.
func (g *gen) sparse() error {
	if err := g.mkdir("sparse", 0o755); err != nil {
		return err
	}
	size := g.cfg.SparseSize
	if size < 16<<20 {
		size = 16 << 20
	}
	rel := "sparse/holes"
	f, err := os.OpenFile(g.p(rel), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("treegen: create %s: %w", rel, err)
	}
	chunk := make([]byte, 256<<10)
	for _, off := range []int64{0, 4 << 20, size / 2, size/2 + 1<<20, size - 8<<20} {
		g.rng.fill(chunk)
		if _, err := f.WriteAt(chunk, off&^4095); err != nil {
			f.Close()
			return fmt.Errorf("treegen: write %s: %w", rel, err)
		}
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return fmt.Errorf("treegen: truncate %s: %w", rel, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("treegen: close %s: %w", rel, err)
	}
	g.sum.Files++
	g.sum.Bytes += size
	if err := g.times(rel); err != nil {
		return err
	}
	// A file that is all hole.
	if err := os.WriteFile(g.p("sparse/all-hole"), nil, 0o644); err != nil {
		return fmt.Errorf("treegen: %w", err)
	}
	if err := os.Truncate(g.p("sparse/all-hole"), 3<<20); err != nil {
		return fmt.Errorf("treegen: %w", err)
	}
	g.sum.Files++
	g.sum.Bytes += 3 << 20
	return g.times("sparse/all-hole")
}

// hardlinks: one file with four names in three directories, one with
// two names in one.
func (g *gen) hardlinks() error {
	for _, d := range []string{"links", "links/sub", "links-other"} {
		if err := g.mkdir(d, 0o755); err != nil {
			return err
		}
	}
	if err := g.write("links/a", 7000, 0o644); err != nil {
		return err
	}
	for _, n := range []string{"links/b", "links/sub/c", "links-other/d"} {
		if err := unix.Link(g.p("links/a"), g.p(n)); err != nil {
			return fmt.Errorf("treegen: link %s: %w", n, err)
		}
		g.sum.HardLinks++
	}
	if err := g.write("links/pair-1", 10, 0o600); err != nil {
		return err
	}
	if err := unix.Link(g.p("links/pair-1"), g.p("links/pair-2")); err != nil {
		return fmt.Errorf("treegen: link links/pair-2: %w", err)
	}
	g.sum.HardLinks++
	return nil
}

// symlinks: relative, absolute, dangling, to a directory, a loop.
func (g *gen) symlinks() error {
	if err := g.mkdir("symlinks", 0o755); err != nil {
		return err
	}
	for _, s := range []struct{ name, target string }{
		{"symlinks/relative", "../files/small"},
		{"symlinks/absolute", "/etc/hostname"},
		{"symlinks/dangling", "does/not/exist"},
		{"symlinks/to-dir", "../files"},
		{"symlinks/loop", "loop"},
		{"symlinks/long-target", strings.Repeat("t/", 1000) + "end"},
	} {
		if err := unix.Symlink(s.target, g.p(s.name)); err != nil {
			return fmt.Errorf("treegen: symlink %s: %w", s.name, err)
		}
		g.sum.Symlinks++
		if err := g.times(s.name); err != nil {
			return err
		}
	}
	return nil
}

// specials: FIFO, unix socket, character and block devices.
func (g *gen) specials() error {
	if err := g.mkdir("special", 0o755); err != nil {
		return err
	}
	for _, s := range []struct {
		name string
		mode uint32
		dev  uint64
	}{
		{"special/fifo", unix.S_IFIFO | 0o640, 0},
		{"special/socket", unix.S_IFSOCK | 0o755, 0},
		{"special/char-null", unix.S_IFCHR | 0o666, unix.Mkdev(1, 3)},
		{"special/char-big", unix.S_IFCHR | 0o600, unix.Mkdev(250, 70000)},
		{"special/block", unix.S_IFBLK | 0o660, unix.Mkdev(7, 200)},
	} {
		if err := unix.Mknod(g.p(s.name), s.mode, int(s.dev)); err != nil {
			return fmt.Errorf("treegen: mknod %s: %w", s.name, err)
		}
		if err := unix.Chmod(g.p(s.name), s.mode&0o7777); err != nil {
			return fmt.Errorf("treegen: chmod %s: %w", s.name, err)
		}
		g.sum.Specials++
		if err := g.times(s.name); err != nil {
			return err
		}
	}
	return nil
}

// modes: directories with the sticky bit, setgid, 0700, 0000.
func (g *gen) modes() error {
	if err := g.mkdir("modes", 0o755); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		mode uint32
	}{
		{"modes/sticky", 0o1777}, {"modes/setgid", 0o2775}, {"modes/private", 0o700}, {"modes/none", 0},
	} {
		if err := g.mkdir(d.name, d.mode); err != nil {
			return err
		}
	}
	return g.write("modes/setgid/inside", 10, 0o664)
}

// owners: entries of several users and groups, a symlink included.
func (g *gen) owners() error {
	if err := g.mkdir("owners", 0o755); err != nil {
		return err
	}
	ids := [][2]int{{1000, 1000}, {1001, 100}, {65534, 65534}, {123456, 654321}, {0, 4242}}
	for i, id := range ids {
		name := fmt.Sprintf("owners/file-%d", i)
		if err := g.write(name, int64(10*i), 0o644); err != nil {
			return err
		}
		if err := unix.Lchown(g.p(name), id[0], id[1]); err != nil {
			return fmt.Errorf("treegen: chown %s: %w", name, err)
		}
		if err := g.times(name); err != nil {
			return err
		}
	}
	if err := g.mkdir("owners/dir", 0o750); err != nil {
		return err
	}
	if err := unix.Lchown(g.p("owners/dir"), 1000, 1001); err != nil {
		return fmt.Errorf("treegen: chown owners/dir: %w", err)
	}
	if err := unix.Symlink("file-1", g.p("owners/link")); err != nil {
		return fmt.Errorf("treegen: symlink owners/link: %w", err)
	}
	g.sum.Symlinks++
	if err := unix.Lchown(g.p("owners/link"), 1002, 1003); err != nil {
		return fmt.Errorf("treegen: chown owners/link: %w", err)
	}
	return g.times("owners/link")
}

// xattrs: user.*, security.* and trusted.* on files and directories,
// trusted.* on a symlink; empty, binary and large values.
func (g *gen) xattrs() error {
	if err := g.mkdir("xattrs", 0o755); err != nil {
		return err
	}
	if err := g.write("xattrs/file", 100, 0o644); err != nil {
		return err
	}
	if err := unix.Symlink("file", g.p("xattrs/link")); err != nil {
		return fmt.Errorf("treegen: symlink xattrs/link: %w", err)
	}
	g.sum.Symlinks++
	big := make([]byte, 2000)
	g.rng.fill(big)
	sets := []struct {
		rel, name string
		value     []byte
	}{
		{"xattrs/file", "user.comment", []byte("hello, migration")},
		{"xattrs/file", "user.empty", []byte{}},
		{"xattrs/file", "user.binary", []byte{0, 1, 2, 255, 0}},
		{"xattrs/file", "user.large", big},
		{"xattrs/file", "security.loomtest", []byte("sec")},
		{"xattrs/file", "trusted.loomtest", []byte("trusted value")},
		{"xattrs", "user.on-dir", []byte("dir value")},
		{"xattrs", "trusted.dir", []byte{9, 9}},
		{"xattrs/link", "trusted.on-symlink", []byte("link value")},
	}
	for _, s := range sets {
		if err := unix.Lsetxattr(g.p(s.rel), s.name, s.value, 0); err != nil {
			return fmt.Errorf("treegen: setxattr %s %s: %w", s.rel, s.name, err)
		}
	}
	if err := g.times("xattrs/link"); err != nil {
		return err
	}
	return g.times("xattrs/file")
}

// acls: an access ACL on a file, access and default ACLs on a directory.
func (g *gen) acls() error {
	if err := g.mkdir("acls", 0o755); err != nil {
		return err
	}
	if err := g.mkdir("acls/dir", 0o770); err != nil {
		return err
	}
	if err := g.write("acls/file", 50, 0o640); err != nil {
		return err
	}
	access := ACL([]ACLEntry{
		{Tag: ACLUserObj, Perm: 6}, {Tag: ACLUser, ID: 1000, Perm: 4}, {Tag: ACLUser, ID: 1001, Perm: 6},
		{Tag: ACLGroupObj, Perm: 4}, {Tag: ACLGroup, ID: 100, Perm: 4}, {Tag: ACLMask, Perm: 6}, {Tag: ACLOther, Perm: 0},
	})
	dflt := ACL([]ACLEntry{
		{Tag: ACLUserObj, Perm: 7}, {Tag: ACLUser, ID: 1002, Perm: 5},
		{Tag: ACLGroupObj, Perm: 5}, {Tag: ACLMask, Perm: 7}, {Tag: ACLOther, Perm: 1},
	})
	for _, s := range []struct {
		rel, name string
		v         []byte
	}{
		{"acls/file", "system.posix_acl_access", access},
		{"acls/dir", "system.posix_acl_access", access},
		{"acls/dir", "system.posix_acl_default", dflt},
	} {
		if err := unix.Lsetxattr(g.p(s.rel), s.name, s.v, 0); err != nil {
			return fmt.Errorf("treegen: setxattr %s %s: %w", s.rel, s.name, err)
		}
	}
	// A file created in a directory with a default ACL inherits it.
	return g.write("acls/dir/inherited", 5, 0o666)
}

// names: spaces, a newline, non-UTF-8 bytes, 255 bytes, leading dash
// and dots.
func (g *gen) names() error {
	if err := g.mkdir("names", 0o755); err != nil {
		return err
	}
	for _, n := range []string{
		"with space", " leading space", "trailing space ", "new\nline", "tab\there",
		"non-utf8-\xff\xfe\x80", "latin1-caf\xe9", "utf8-ünïcødé-日本", "-dash", "..dots", "back\\slash",
		strings.Repeat("n", 255), strings.Repeat("é", 127) + "x",
	} {
		if err := g.write("names/"+n, int64(len(n)), 0o644); err != nil {
			return err
		}
	}
	return g.mkdir("names/dir with\nnewline \xff", 0o755)
}

// deep: a chain of Depth directories with a file at the bottom.
func (g *gen) deep() error {
	rel := "deep"
	if err := g.mkdir(rel, 0o755); err != nil {
		return err
	}
	for i := 0; i < g.cfg.Depth; i++ {
		rel += fmt.Sprintf("/d%03d", i)
		if err := g.mkdir(rel, 0o755); err != nil {
			return err
		}
	}
	return g.write(rel+"/bottom", 33, 0o644)
}

// wide: one directory with WideEntries files (every tenth with a byte
// of data, the rest empty).
func (g *gen) wide() error {
	if err := g.mkdir("wide", 0o755); err != nil {
		return err
	}
	for i := 0; i < g.cfg.WideEntries; i++ {
		rel := fmt.Sprintf("wide/entry-%06d", i)
		fd, err := unix.Open(g.p(rel), unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
		if err != nil {
			return fmt.Errorf("treegen: create %s: %w", rel, err)
		}
		if i%10 == 0 {
			unix.Write(fd, []byte{byte(i) | 1})
			g.sum.Bytes++
		}
		unix.Close(fd)
		g.sum.Files++
	}
	return nil
}

// bulk: DataFiles files of mixed sizes, about DataBytes in all, in a
// three-level tree of directories of at most 100 files.
func (g *gen) bulk() error {
	if g.cfg.DataFiles == 0 {
		return nil
	}
	if err := g.mkdir("data", 0o755); err != nil {
		return err
	}
	sizes := bulkSizes(g.cfg.DataFiles, g.cfg.DataBytes, g.rng)
	made := map[string]bool{}
	for i, size := range sizes {
		d1, d2 := fmt.Sprintf("data/a%02d", i/1000), fmt.Sprintf("data/a%02d/b%02d", i/1000, i/100%10)
		for _, d := range []string{d1, d2} {
			if !made[d] {
				if err := g.mkdir(d, 0o755); err != nil {
					return err
				}
				made[d] = true
			}
		}
		if err := g.write(fmt.Sprintf("%s/f%05d", d2, i), size, 0o644); err != nil {
			return err
		}
		if i%50 == 0 {
			if err := unix.Lsetxattr(g.p(fmt.Sprintf("%s/f%05d", d2, i)), "user.bulk", []byte(fmt.Sprint(i)), 0); err != nil {
				return fmt.Errorf("treegen: setxattr: %w", err)
			}
		}
		if i%100 == 1 {
			if err := unix.Link(g.p(fmt.Sprintf("%s/f%05d", d2, i)), g.p(fmt.Sprintf("%s/f%05d.link", d2, i))); err != nil {
				return fmt.Errorf("treegen: link: %w", err)
			}
			g.sum.HardLinks++
		}
		if i%100 == 2 {
			if err := unix.Symlink(fmt.Sprintf("f%05d", i), g.p(fmt.Sprintf("%s/f%05d.sym", d2, i))); err != nil {
				return fmt.Errorf("treegen: symlink: %w", err)
			}
			g.sum.Symlinks++
		}
	}
	return nil
}

// bulkSizes picks n sizes summing to about total: most files small
// (under 64 KiB), some medium, a few large carrying most of the bytes.
func bulkSizes(n int, total int64, r *rng) []int64 {
	sizes := make([]int64, n)
	var used int64
	for i := range sizes {
		switch {
		case i%100 == 7 || i%100 == 57:
			continue // large, filled below
		case i%10 == 3:
			sizes[i] = 64<<10 + int64(r.next()%(448<<10))
		default:
			sizes[i] = int64(r.next() % (64 << 10))
		}
		used += sizes[i]
	}
	large := 0
	for i := range sizes {
		if i%100 == 7 || i%100 == 57 {
			large++
		}
	}
	if large > 0 && total > used {
		each := (total - used) / int64(large)
		for i := range sizes {
			if i%100 == 7 || i%100 == 57 {
				sizes[i] = each
			}
		}
	}
	return sizes
}

// setTimes gives every directory its times, deepest first, after all
// their entries exist.
func (g *gen) setTimes() error {
	dirs := append([]string(nil), g.dirs...)
	sort.Slice(dirs, func(a, b int) bool {
		return strings.Count(dirs[a], "/") > strings.Count(dirs[b], "/")
	})
	for _, d := range dirs {
		if err := g.times(d); err != nil {
			return err
		}
	}
	return g.times(".")
}
