package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/cmd/loomcli/strip"
	"github.com/loom-fs/loom/cmd/loomcli/treecheck"
	"github.com/loom-fs/loom/integration/treegen"
	"golang.org/x/sys/unix"
)

// migration is one "loom migrate" run of a test: OLD, NEW and MNT in
// the test's directory.
type migration struct {
	old, new, mnt string
	log           string // the mount's log, in the test's directory
}

// newMigration makes empty OLD, NEW and MNT directories. Cleanup
// unmounts whatever the migration left (the FUSE mount, the daemon, the
// noatime binds) and forgets it, so a failed test leaves nothing behind.
func newMigration(t *testing.T) *migration {
	t.Helper()
	dir := testDir(t)
	m := &migration{old: mkdirAll(t, filepath.Join(dir, "old")), new: mkdirAll(t, filepath.Join(dir, "new")),
		mnt: mkdirAll(t, filepath.Join(dir, "mnt")), log: filepath.Join(dir, "mount.log")}
	t.Cleanup(func() { m.cleanup(t) })
	return m
}

func (m *migration) cleanup(t *testing.T) {
	report := t.Errorf
	if t.Failed() {
		report = t.Logf // a test that failed half-way leaves its mount: just clean up
	}
	if isMounted(m.mnt) {
		report("the migration is still mounted on %s at the end of the test", m.mnt)
		if err := unmountWithin(m.mnt, unix.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", m.mnt, err)
		}
	}
	if pid := m.daemonPid(); pid > 0 {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	base := strings.ReplaceAll(strings.Trim(m.mnt, "/"), "/", "-")
	for _, b := range []string{"old", "new"} {
		p := filepath.Join("/run/loom/migrate", base, b)
		if isMounted(p) {
			report("bind mount %s left", p)
			unmountWithin(p, unix.MNT_DETACH)
		}
		os.Remove(p)
	}
	os.Remove(filepath.Join("/run/loom/migrate", base))
	os.Remove(filepath.Join("/var/lib/loom/migrate", base))
}

// daemonPid is the migration mount's process, or 0.
func (m *migration) daemonPid() int {
	b, err := os.ReadFile(filepath.Join(m.new, ".loom", "migrate.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// loom runs the loom binary with a time limit and returns its output and
// exit status.
func (m *migration) loom(t *testing.T, limit time.Duration, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, loomBin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("loom %s: no answer within %v:\n%s", strings.Join(args, " "), limit, out.String())
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("loom %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), code
}

// must runs loom and fails the test unless it succeeds.
func (m *migration) must(t *testing.T, limit time.Duration, args ...string) string {
	t.Helper()
	out, code := m.loom(t, limit, args...)
	if code != 0 {
		t.Fatalf("loom %s: exit %d:\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

func (m *migration) start(t *testing.T, extra ...string) {
	t.Helper()
	args := append([]string{"migrate", "start", "--from", m.old, "--to", m.new, "--mount", m.mnt, "--log-file", m.log}, extra...)
	m.must(t, time.Minute, args...)
	if fi, err := os.Stat(m.log); err != nil || fi.Size() == 0 {
		t.Errorf("the mount did not log to --log-file %s: %v", m.log, err)
	}
}

func (m *migration) finish(t *testing.T) string {
	t.Helper()
	return m.must(t, 3*time.Minute, "migrate", "finish", m.mnt)
}

// status returns "loom migrate status --json".
func (m *migration) status(t *testing.T) map[string]any {
	t.Helper()
	out := m.must(t, 30*time.Second, "migrate", "status", "--json", m.mnt)
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("migrate status --json: %v:\n%s", err, out)
	}
	return st
}

// scan scans dir or fails the test.
func scanTree(t *testing.T, dir string, opt treecheck.Options) *treecheck.Tree {
	t.Helper()
	tr, err := treecheck.Scan(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// noLoomLeft fails the test if dir holds any trace of Loom.
func noLoomLeft(t *testing.T, dir string) {
	t.Helper()
	tr := scanTree(t, dir, treecheck.Options{KeepLoom: true, NoContents: true})
	for p, e := range tr.Entries {
		if p == ".loom" || strings.HasPrefix(p, ".loom/") {
			t.Errorf("%s: %s left", dir, p)
			continue
		}
		for x := range e.Xattrs {
			if treecheck.IsLoomXattr(x) {
				t.Errorf("%s: %q still has %s", dir, p, x)
			}
		}
	}
}

// reportDiffs fails the test with the first differences.
func reportDiffs(t *testing.T, what string, diffs []treecheck.Diff) {
	t.Helper()
	if len(diffs) == 0 {
		return
	}
	var b strings.Builder
	for i, d := range diffs {
		if i == 30 {
			fmt.Fprintf(&b, "... and %d more\n", len(diffs)-30)
			break
		}
		b.WriteString(d.String() + "\n")
	}
	t.Errorf("%s: %d paths differ:\n%s", what, len(diffs), b.String())
}

// The fidelity tree migrates with nothing changed: NEW after finish
// equals OLD as it was before the start, entry by entry (atimes
// included), OLD is unchanged, and neither keeps a trace of Loom. One
// subtest per kind of thing the tree holds.
func TestMigrateFidelity(t *testing.T) {
	t.Run("direct", func(t *testing.T) { testMigrateFidelity(t) })
	t.Run("via-server", func(t *testing.T) { testMigrateFidelity(t, "--via-server") })
}

func testMigrateFidelity(t *testing.T, startArgs ...string) {
	m := newMigration(t)
	cfg := treegen.Small
	if _, err := treegen.Generate(m.old, cfg); err != nil {
		t.Fatal(err)
	}
	before := scanTree(t, m.old, treecheck.Options{})
	m.start(t, startArgs...)
	out := m.finish(t)
	t.Logf("finish:\n%s", out)
	if isMounted(m.mnt) {
		t.Fatalf("%s still mounted after finish", m.mnt)
	}
	newTree := scanTree(t, m.new, treecheck.Options{KeepLoom: true})
	diffs := treecheck.Compare(before, newTree, treecheck.CompareOptions{})
	byKind := map[string][]treecheck.Diff{}
	for _, d := range diffs {
		kind, _, _ := strings.Cut(d.Path, "/")
		byKind[kind] = append(byKind[kind], d)
	}
	for _, kind := range []string{".", "files", "sparse", "links", "links-other", "symlinks", "special", "modes",
		"owners", "xattrs", "acls", "names", "deep", "wide"} {
		t.Run(kind, func(t *testing.T) {
			n := 0
			for p := range before.Entries {
				if k, _, _ := strings.Cut(p, "/"); k == kind {
					n++
				}
			}
			if n == 0 {
				t.Fatalf("the fidelity tree has nothing under %q", kind)
			}
			reportDiffs(t, "NEW against OLD before the migration", byKind[kind])
		})
	}
	reportDiffs(t, "OLD after the migration against OLD before", treecheck.Compare(before, scanTree(t, m.old, treecheck.Options{KeepLoom: true}), treecheck.CompareOptions{}))
	noLoomLeft(t, m.new)
	noLoomLeft(t, m.old)
	if e := newTree.Entries["deep"]; e == nil {
		t.Error("deep missing")
	}
}

// The checks of migrate start: each bad set of directories is refused
// with a message that says why, and nothing is mounted.
func TestMigrateStartRefusals(t *testing.T) {
	m := newMigration(t)
	writeFile(t, filepath.Join(m.old, "f"), []byte("x"))
	notEmpty := mkdirAll(t, filepath.Join(filepath.Dir(m.old), "full"))
	writeFile(t, filepath.Join(notEmpty, "g"), []byte("y"))
	file := filepath.Join(filepath.Dir(m.old), "plain")
	writeFile(t, file, nil)
	inside := mkdirAll(t, filepath.Join(m.old, "sub"))
	for _, c := range []struct {
		name, from, to, mnt, want string
	}{
		{"NEW not empty", m.old, notEmpty, m.mnt, "not empty"},
		{"OLD missing", m.old + "-nope", m.new, m.mnt, "no such file"},
		{"OLD a file", file, m.new, m.mnt, "not a directory"},
		{"NEW inside OLD", m.old, inside, m.mnt, "inside the other"},
		{"MNT inside OLD", m.old, m.new, inside, "inside the other"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, code := m.loom(t, 30*time.Second, "migrate", "start", "--from", c.from, "--to", c.to, "--mount", c.mnt, "--log-file", m.log)
			if code == 0 || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, output %q; want a failure saying %q", code, out, c.want)
			}
			if isMounted(c.mnt) {
				t.Errorf("%s mounted", c.mnt)
			}
		})
	}
}

// A directory of 100,000 entries migrates whole. It takes a while, so it
// runs only with LOOM_MIGRATE_WIDE=1.
func TestMigrateWideDirectory(t *testing.T) {
	if os.Getenv("LOOM_MIGRATE_WIDE") == "" {
		t.Skip("set LOOM_MIGRATE_WIDE=1 to migrate a 100,000-entry directory")
	}
	m := newMigration(t)
	cfg := treegen.Config{Seed: 5, WideEntries: 100000, Depth: 100, BigFileSize: 1 << 20, SparseSize: 16 << 20}
	if _, err := treegen.Generate(m.old, cfg); err != nil {
		t.Fatal(err)
	}
	before := scanTree(t, m.old, treecheck.Options{})
	start := time.Now()
	m.start(t)
	out := m.must(t, 15*time.Minute, "migrate", "finish", m.mnt)
	t.Logf("migrated %d entries in %v:\n%s", len(before.Entries), time.Since(start), out)
	reportDiffs(t, "NEW against OLD before", treecheck.Compare(before, scanTree(t, m.new, treecheck.Options{}), treecheck.CompareOptions{}))
}

// liveModel is what the live workload wrote through the mount: every
// file and directory it made (relative paths under the mount), the
// contents and user xattrs of each file.
type liveModel struct {
	dirs  map[string]bool
	files map[string]*liveFile
}

type liveFile struct {
	data   []byte
	xattrs map[string]string
}

// liveWorkload changes the tree through the mount with one operation at
// a time (appends, overwrites at random offsets, truncates, renames
// across directories, unlinks, mkdir/rmdir, xattr changes), recording
// each in its model. Files of the migrated tree are written too, before
// or after the copy reaches them.
type liveWorkload struct {
	root  string
	rng   *rand.Rand
	model liveModel
	ops   map[string]int
	seq   int
}

func newLiveWorkload(t *testing.T, root, old string, seed uint64, existing []string) *liveWorkload {
	w := &liveWorkload{root: root, rng: rand.New(rand.NewPCG(seed, 1)),
		model: liveModel{dirs: map[string]bool{}, files: map[string]*liveFile{}}, ops: map[string]int{}}
	for _, p := range existing {
		w.model.files[p] = &liveFile{data: readFile(t, filepath.Join(old, p)), xattrs: map[string]string{}}
	}
	must(t, os.Mkdir(filepath.Join(root, "live"), 0o755))
	w.model.dirs["live"] = true
	for i := 0; i < 4; i++ {
		d := fmt.Sprintf("live/d%d", i)
		must(t, os.Mkdir(filepath.Join(root, d), 0o755))
		w.model.dirs[d] = true
	}
	return w
}

func (w *liveWorkload) pick(m map[string]*liveFile) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys[w.rng.IntN(len(keys))]
}

func (w *liveWorkload) liveDir() string {
	var ds []string
	for d := range w.model.dirs {
		ds = append(ds, d)
	}
	sortStrings(ds)
	return ds[w.rng.IntN(len(ds))]
}

func (w *liveWorkload) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(w.rng.IntN(255) + 1)
	}
	return b
}

// step does one operation; an error is a failure of the mount.
func (w *liveWorkload) step() error {
	w.seq++
	p := func(rel string) string { return filepath.Join(w.root, rel) }
	op := w.rng.IntN(10)
	f := w.pick(w.model.files)
	if f == "" || (op >= 1 && op <= 5 && !strings.HasPrefix(f, "live/") && w.rng.IntN(3) == 0) {
		op = 0
	}
	switch op {
	case 0: // create
		name := fmt.Sprintf("%s/f%05d", w.liveDir(), w.seq)
		data := w.bytes(w.rng.IntN(64 << 10))
		if err := os.WriteFile(p(name), data, 0o644); err != nil {
			return err
		}
		w.model.files[name] = &liveFile{data: data, xattrs: map[string]string{}}
		w.ops["create"]++
	case 1: // append
		data := w.bytes(w.rng.IntN(8 << 10))
		fh, err := os.OpenFile(p(f), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		_, err = fh.Write(data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		w.model.files[f].data = append(w.model.files[f].data, data...)
		w.ops["append"]++
	case 2: // overwrite at a random offset
		mf := w.model.files[f]
		off := 0
		if len(mf.data) > 0 {
			off = w.rng.IntN(len(mf.data))
		}
		data := w.bytes(1 + w.rng.IntN(4<<10))
		fh, err := os.OpenFile(p(f), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		_, err = fh.WriteAt(data, int64(off))
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		if end := off + len(data); end > len(mf.data) {
			mf.data = append(mf.data, make([]byte, end-len(mf.data))...)
		}
		copy(mf.data[off:], data)
		w.ops["overwrite"]++
	case 3: // truncate, shorter or longer
		mf := w.model.files[f]
		size := w.rng.IntN(len(mf.data) + 8<<10)
		if err := os.Truncate(p(f), int64(size)); err != nil {
			return err
		}
		if size <= len(mf.data) {
			mf.data = mf.data[:size]
		} else {
			mf.data = append(mf.data, make([]byte, size-len(mf.data))...)
		}
		w.ops["truncate"]++
	case 4: // rename across directories
		if !strings.HasPrefix(f, "live/") {
			return nil
		}
		to := fmt.Sprintf("%s/r%05d", w.liveDir(), w.seq)
		if err := os.Rename(p(f), p(to)); err != nil {
			return err
		}
		w.model.files[to] = w.model.files[f]
		delete(w.model.files, f)
		w.ops["rename"]++
	case 5: // unlink
		if !strings.HasPrefix(f, "live/") {
			return nil
		}
		if err := os.Remove(p(f)); err != nil {
			return err
		}
		delete(w.model.files, f)
		w.ops["unlink"]++
	case 6: // mkdir
		d := fmt.Sprintf("%s/m%05d", w.liveDir(), w.seq)
		if err := os.Mkdir(p(d), 0o750); err != nil {
			return err
		}
		w.model.dirs[d] = true
		w.ops["mkdir"]++
	case 7: // rmdir an empty directory made by the workload
		for d := range w.model.dirs {
			if !strings.Contains(d, "/m") || w.dirUsed(d) {
				continue
			}
			if err := os.Remove(p(d)); err != nil {
				return err
			}
			delete(w.model.dirs, d)
			w.ops["rmdir"]++
			break
		}
	case 8: // set an xattr
		name := fmt.Sprintf("user.live%d", w.rng.IntN(3))
		v := string(w.bytes(1 + w.rng.IntN(40)))
		if err := unix.Setxattr(p(f), name, []byte(v), 0); err != nil {
			return err
		}
		w.model.files[f].xattrs[name] = v
		w.ops["setxattr"]++
	case 9: // remove an xattr
		for name := range w.model.files[f].xattrs {
			if err := unix.Removexattr(p(f), name); err != nil {
				return err
			}
			delete(w.model.files[f].xattrs, name)
			w.ops["removexattr"]++
			break
		}
	}
	return nil
}

func (w *liveWorkload) dirUsed(d string) bool {
	for o := range w.model.dirs {
		if strings.HasPrefix(o, d+"/") {
			return true
		}
	}
	for f := range w.model.files {
		if strings.HasPrefix(f, d+"/") {
			return true
		}
	}
	return false
}

// run does steps until stop is closed.
func (w *liveWorkload) run(stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		if err := w.step(); err != nil {
			return fmt.Errorf("live workload, step %d: %w", w.seq, err)
		}
	}
}

// check compares tree (a migrated NEW) with the model: every file the
// workload knows with its contents and user.live* xattrs, every
// directory, and nothing else under live/.
func (w *liveWorkload) check(t *testing.T, tree *treecheck.Tree) {
	t.Helper()
	bad := 0
	fail := func(format string, a ...any) {
		if bad++; bad <= 20 {
			t.Errorf(format, a...)
		}
	}
	for d := range w.model.dirs {
		if e := tree.Entries[d]; e == nil || e.Type() != unix.S_IFDIR {
			fail("model directory %s: %+v", d, e)
		}
	}
	for f, mf := range w.model.files {
		got, err := os.ReadFile(filepath.Join(tree.Root, f))
		if err != nil || !bytes.Equal(got, mf.data) {
			fail("model file %s: %d bytes, want %d (%v)", f, len(got), len(mf.data), err)
			continue
		}
		e := tree.Entries[f]
		for name, v := range mf.xattrs {
			if e.Xattrs[name] != v {
				fail("model file %s: xattr %s = %q, want %q", f, name, e.Xattrs[name], v)
			}
		}
		for name := range e.Xattrs {
			if _, ok := mf.xattrs[name]; strings.HasPrefix(name, "user.live") && !ok {
				fail("model file %s: xattr %s should have been removed", f, name)
			}
		}
	}
	for p := range tree.Entries {
		if strings.HasPrefix(p, "live/") && !w.model.dirs[p] && w.model.files[p] == nil {
			fail("%s exists but the workload removed or never made it", p)
		}
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// The tree stays in use for the whole migration: the workload runs from
// the start until the copy is done (with a pause and resume in between,
// or a kill -9 of the mount and a resume), and at the end NEW equals the
// workload's model and equals OLD, entry by entry.
func TestMigrateLive(t *testing.T) {
	for _, mode := range []string{"plain", "pause-resume", "kill9-resume"} {
		t.Run(mode, func(t *testing.T) { testMigrateLive(t, mode) })
	}
}

func testMigrateLive(t *testing.T, mode string) {
	m := newMigration(t)
	cfg := treegen.Config{Seed: 11, WideEntries: 500, Depth: 100, BigFileSize: 6 << 20, SparseSize: 32 << 20}
	if _, err := treegen.Generate(m.old, cfg); err != nil {
		t.Fatal(err)
	}
	existing := []string{"files/small", "files/big", "owners/file-3", "deep/d000/d001/d002/d003/d004/d005/d006/d007/d008/d009/d010/d011/d012/d013/d014/d015/d016/d017/d018/d019/d020/d021/d022/d023/d024/d025/d026/d027/d028/d029/d030/d031/d032/d033/d034/d035/d036/d037/d038/d039/d040/d041/d042/d043/d044/d045/d046/d047/d048/d049/d050/d051/d052/d053/d054/d055/d056/d057/d058/d059/d060/d061/d062/d063/d064/d065/d066/d067/d068/d069/d070/d071/d072/d073/d074/d075/d076/d077/d078/d079/d080/d081/d082/d083/d084/d085/d086/d087/d088/d089/d090/d091/d092/d093/d094/d095/d096/d097/d098/d099/bottom"}
	// Slow enough that the workload overlaps the copy (about 8 MB of
	// data: at 3 MiB/s, with more files healed at once, the copy could
	// be over before the kill).
	m.start(t, "--rate-limit", "1", "--workers", "2")
	w := newLiveWorkload(t, m.mnt, m.old, 3, existing)
	phase := func(d time.Duration) {
		t.Helper()
		stop := make(chan struct{})
		errc := make(chan error, 1)
		go func() { errc <- w.run(stop) }()
		time.Sleep(d)
		close(stop)
		select {
		case err := <-errc:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(time.Minute):
			t.Fatal("the live workload did not stop within a minute")
		}
	}
	phase(time.Second)
	switch mode {
	case "pause-resume":
		m.must(t, 30*time.Second, "migrate", "pause", m.mnt)
		if st := m.status(t); st["phase"] != "paused" {
			t.Errorf("status after pause: %v", st)
		}
		// A chunk in flight when the pause came still completes.
		time.Sleep(500 * time.Millisecond)
		before := m.status(t)["bytes_done"]
		phase(time.Second)
		// Heals stop between chunks: at most the chunks in flight (one
		// per heal worker, 1 MiB each) may still land.
		if after := m.status(t)["bytes_done"].(float64); after-before.(float64) > 2<<20 {
			t.Errorf("bytes_done moved while paused: %v -> %v", before, after)
		}
		m.must(t, 30*time.Second, "migrate", "resume", m.mnt)
	case "kill9-resume":
		pid := m.daemonPid()
		if pid == 0 {
			t.Fatal("no migration daemon pid")
		}
		if st := m.status(t); st["copied"] == true {
			t.Fatalf("the copy was over before the crash: %v", st)
		}
		syscall.Kill(pid, syscall.SIGKILL)
		for i := 0; syscall.Kill(pid, 0) == nil && i < 100; i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if st := m.status(t); st["phase"] != "interrupted" {
			t.Errorf("status after kill -9: %v", st)
		}
		m.must(t, time.Minute, "migrate", "resume", m.mnt)
	}
	// Keep working until the copy is done.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		phase(500 * time.Millisecond)
		if st := m.status(t); st["copied"] == true {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the copy did not end within 2 minutes: %v", m.status(t))
		}
	}
	t.Logf("workload: %d steps %v", w.seq, w.ops)
	m.finish(t)
	newTree := scanTree(t, m.new, treecheck.Options{KeepLoom: true})
	w.check(t, newTree)
	reportDiffs(t, "NEW against OLD", treecheck.Compare(scanTree(t, m.old, treecheck.Options{KeepLoom: true}), newTree, treecheck.CompareOptions{}))
	noLoomLeft(t, m.new)
	noLoomLeft(t, m.old)
}

// The volfiles of examples/migrate work as they are, the GlusterFS way:
// mount the replicate graph of OLD and an empty NEW, use (crawl) the
// mount, and everything is healed to NEW with no option added. Then,
// unmounted and stripped, NEW equals OLD as it was, but for access times
// (the copy reads OLD through its own mount; "loom migrate" keeps them)
// and the root's times (the brick made .loom in OLD's root).
func TestMigrateExamples(t *testing.T) {
	for _, c := range []struct{ name, server, client string }{
		{"direct", "", "direct.vol"},
		{"split", "server.vol", "client.vol"},
		{"single-file", "", "migrate.vol"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := newMigration(t)
			cfg := treegen.Config{Seed: 9, WideEntries: 300, Depth: 100, BigFileSize: 3 << 20, SparseSize: 32 << 20}
			if _, err := treegen.Generate(m.old, cfg); err != nil {
				t.Fatal(err)
			}
			before := scanTree(t, m.old, treecheck.Options{})
			port := strconv.Itoa(freePort(t))
			example := func(name string) string {
				b, err := os.ReadFile(filepath.Join("..", "examples", "migrate", name))
				if err != nil {
					t.Fatal(err)
				}
				return strings.NewReplacer("/srv/old", m.old, "/srv/new", m.new, "24007", port).Replace(string(b))
			}
			if c.server != "" {
				startServe(t, example(c.server))
			}
			mnt := mountLoom(t, example(c.client))
			opt := treecheck.CompareOptions{IgnoreAtime: true, IgnoreRootTimes: true}
			deadline := time.Now().Add(90 * time.Second)
			var diffs []treecheck.Diff
			mnt.guard(t, 2*time.Minute, "crawling the mount", func() {
				// The mount is ready with OLD up; NEW may connect a
				// moment later (single-file: the server starts in the
				// same process). A crawl while NEW is down heals
				// nothing, so it starts once both bricks are up.
				for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
					in := pairHealInfo(t, mnt.Dir, "migrate")
					up := len(in.Bricks) == 2
					for _, b := range in.Bricks {
						up = up && b.Up
					}
					if up {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the bricks are not both up after a minute: %+v", in)
					}
				}
				crawl(t, mnt.Dir)
				// One crawl makes every entry, the 100-deep chain's
				// too: a lookup that finds an entry missing on NEW
				// creates it there before it answers (contents follow
				// in the background).
				if missing := missingEntries(t, m.old, m.new); len(missing) > 0 {
					t.Errorf("%d entries of OLD not on NEW after one crawl, such as %v", len(missing), missing[:min(len(missing), 5)])
				}
				for {
					crawl(t, mnt.Dir)
					diffs = treecheck.Compare(scanTree(t, m.old, treecheck.Options{}), scanTree(t, m.new, treecheck.Options{}), opt)
					if len(diffs) == 0 || time.Now().After(deadline) {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			})
			reportDiffs(t, "NEW against OLD through the mount", diffs)
			mnt.Unmount(t)
			for _, dir := range []string{m.old, m.new} {
				if _, err := strip.Tree(dir); err != nil {
					t.Fatal(err)
				}
			}
			reportDiffs(t, "NEW against OLD before", treecheck.Compare(before, scanTree(t, m.new, treecheck.Options{KeepLoom: true}), opt))
			noLoomLeft(t, m.new)
		})
	}
}

// missingEntries returns the paths below old that new lacks (Loom's own
// directory left out).
func missingEntries(t *testing.T, old, new string) []string {
	t.Helper()
	have := scanTree(t, new, treecheck.Options{NoContents: true}).Entries
	var missing []string
	for p := range scanTree(t, old, treecheck.Options{NoContents: true}).Entries {
		if _, ok := have[p]; !ok {
			missing = append(missing, p)
		}
	}
	sort.Strings(missing)
	return missing
}

// crawl does what a GlusterFS user does to heal a volume: list every
// directory with attributes and read every file and its xattrs
// ("ls -alR", "find -exec cat").
func crawl(t *testing.T, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		if _, err := treecheck.ListXattrs(p); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if _, err := os.ReadFile(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("crawling %s: %v", dir, err)
	}
}

// A copy that differs from OLD behind replicate's back (contents changed
// on NEW's disk with size and times kept: no heal knows of it) stops
// finish before the unmount: the verification, run on both trees and
// many files at once, names every differing path, the mount keeps
// serving, and OLD and NEW keep Loom's metadata and the migration's
// state. Once NEW is repaired, finish run again completes the migration.
func TestMigrateVerifyFailure(t *testing.T) {
	m := newMigration(t)
	cfg := treegen.Config{Seed: 7, WideEntries: 300, Depth: 30, BigFileSize: 2 << 20, SparseSize: 16 << 20}
	if _, err := treegen.Generate(m.old, cfg); err != nil {
		t.Fatal(err)
	}
	before := scanTree(t, m.old, treecheck.Options{})
	m.start(t)
	deadline := time.Now().Add(time.Minute)
	for m.status(t)["copied"] != true {
		if time.Now().After(deadline) {
			t.Fatalf("the copy did not end within a minute: %v", m.status(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
	damaged := []string{"files/big", "files/small", "owners/file-3", "sparse/holes"}
	flip := func(p string) {
		t.Helper()
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, 0); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0xff
		if _, err := f.WriteAt(b, 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{st.Atim, st.Mtim}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range damaged {
		flip(filepath.Join(m.new, p))
	}

	out, code := m.loom(t, 3*time.Minute, "migrate", "finish", m.mnt)
	t.Logf("finish:\n%s", out)
	if code == 0 {
		t.Fatal("finish succeeded with NEW damaged")
	}
	if !strings.Contains(out, fmt.Sprintf("NEW differs from OLD in %d paths", len(damaged))) {
		t.Errorf("finish does not say that %d paths differ", len(damaged))
	}
	for _, p := range damaged {
		if !strings.Contains(out, fmt.Sprintf("%q: contents differ", p)) {
			t.Errorf("finish does not name %s", p)
		}
	}
	if !isMounted(m.mnt) {
		t.Fatalf("%s was unmounted after a failed verification", m.mnt)
	}
	if st := m.status(t); st["running"] != true || st["phase"] != "copied" {
		t.Errorf("status after the failed finish: %v", st)
	}
	for _, dir := range []string{m.old, m.new} {
		tr := scanTree(t, dir, treecheck.Options{KeepLoom: true, NoContents: true})
		if tr.Entries[".loom"] == nil || len(tr.Entries["files/small"].Xattrs) == 0 {
			t.Errorf("%s lost Loom's metadata after a failed verification", dir)
		}
	}
	if _, err := os.Stat(filepath.Join(m.new, ".loom", "migrate.json")); err != nil {
		t.Errorf("the migration's state: %v", err)
	}
	// The mount still serves OLD's contents for every file (no heal
	// overwrote OLD with the damaged copy).
	reportDiffs(t, "OLD after the failed finish against OLD before", treecheck.Compare(before, scanTree(t, m.old, treecheck.Options{}), treecheck.CompareOptions{IgnoreAtime: true}))

	for _, p := range damaged {
		flip(filepath.Join(m.new, p))
	}
	m.finish(t)
	if isMounted(m.mnt) {
		t.Fatalf("%s still mounted after finish", m.mnt)
	}
	reportDiffs(t, "NEW against OLD before the migration", treecheck.Compare(before, scanTree(t, m.new, treecheck.Options{KeepLoom: true}), treecheck.CompareOptions{}))
	noLoomLeft(t, m.new)
	noLoomLeft(t, m.old)
}
