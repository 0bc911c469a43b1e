package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/loom-fs/loom/cmd/loomcli/treecheck"
	"github.com/loom-fs/loom/integration/treegen"
	"golang.org/x/sys/unix"
)

// bench is one run: the tree and its scan.
type bench struct {
	c       *config
	dir     string
	old     string
	sum     *treegen.Summary
	before  *treecheck.Tree
	genTime time.Duration
	dropped bool // the page cache could be dropped before each method
}

// result is one method's outcome.
type result struct {
	name    string
	times   []time.Duration
	err     error
	diffs   []treecheck.Diff // the copy against the tree as it was
	oldDiff []treecheck.Diff // OLD afterwards against the tree as it was
}

func (r *result) median() time.Duration {
	if len(r.times) == 0 {
		return 0
	}
	t := append([]time.Duration(nil), r.times...)
	sort.Slice(t, func(a, b int) bool { return t[a] < t[b] })
	return t[len(t)/2]
}

func (r *result) summary() string {
	if r.err != nil {
		return "failed: " + r.err.Error()
	}
	return fmt.Sprintf("%v (rounds %v), %d paths differ", r.median(), r.times, len(r.diffs))
}

func buildLoom(out string) error {
	cmd := exec.Command("go", "build", "-o", out, "./cmd/loom")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/loom (run from the module root): %v\n%s", err, b)
	}
	return nil
}

// generate makes the tree and records it.
func (b *bench) generate() error {
	if err := os.Mkdir(b.old, 0o755); err != nil {
		return err
	}
	cfg := treegen.Config{Seed: 42, WideEntries: b.c.wide, Depth: 100, BigFileSize: 8 << 20,
		SparseSize: b.c.sparse, DataFiles: b.c.files, DataBytes: b.c.size}
	start := time.Now()
	sum, err := treegen.Generate(b.old, cfg)
	if err != nil {
		return err
	}
	b.sum, b.genTime = sum, elapsed(start)
	unix.Sync()
	if b.before, err = treecheck.Scan(b.old, treecheck.Options{}); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "tree: %d files, %d directories, %d symlinks, %d special, %d extra hard links, %.0f MiB apparent, %d entries, made in %v\n",
		sum.Files, sum.Dirs, sum.Symlinks, sum.Specials, sum.HardLinks, float64(sum.Bytes)/(1<<20), len(b.before.Entries), b.genTime)
	return nil
}

// measure runs m c.rounds times on fresh destinations.
func (b *bench) measure(ctx context.Context, m *method) *result {
	res := &result{name: m.name}
	for round := 0; round < b.c.rounds; round++ {
		dst := filepath.Join(b.dir, fmt.Sprintf("%s-%d", m.name, round))
		if err := os.Mkdir(dst, 0o755); err != nil {
			res.err = err
			return res
		}
		unix.Sync()
		b.dropped = os.WriteFile("/proc/sys/vm/drop_caches", []byte("3"), 0) == nil
		start := time.Now()
		err := m.run(ctx, b, dst)
		unix.Sync() // every method's copy is on disk at the end
		d := elapsed(start)
		if err != nil {
			res.err = err
			return res
		}
		res.times = append(res.times, d)
		if round == 0 {
			if m.clean != nil {
				if err := m.clean(b, dst); err != nil {
					res.err = err
					return res
				}
			}
			after, err := treecheck.Scan(dst, treecheck.Options{KeepLoom: true})
			if err != nil {
				res.err = err
				return res
			}
			res.diffs = treecheck.Compare(b.before, after, treecheck.CompareOptions{})
			old, err := treecheck.Scan(b.old, treecheck.Options{KeepLoom: true, NoContents: true})
			if err == nil {
				res.oldDiff = treecheck.Compare(b.before, old, treecheck.CompareOptions{IgnoreContents: true})
			}
		}
		if !b.c.keep {
			os.RemoveAll(dst)
		}
	}
	return res
}

// kinds summarises differences by kind: "atime 2180, xattr 12, ...".
func kinds(diffs []treecheck.Diff) string {
	count := map[string]int{}
	for _, d := range diffs {
		seen := map[string]bool{}
		for _, w := range d.What {
			k := w
			for _, prefix := range []string{"xattr system.posix_acl", "xattr trusted.", "xattr security.", "xattr user.", "hard links", "link count", "data map", "symlink target",
				"contents", "missing", "unexpected", "atime", "mtime", "mode", "owner", "size", "device", "type"} {
				if strings.HasPrefix(w, prefix) {
					k = prefix
					break
				}
			}
			if !seen[k] {
				seen[k] = true
				count[k]++
			}
		}
	}
	var parts []string
	for k, n := range count {
		parts = append(parts, fmt.Sprintf("%s %d", strings.TrimPrefix(k, "xattr "), n))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// printTable writes the results as a Markdown table.
func printTable(w *os.File, b *bench, results []*result) {
	var ref time.Duration
	for _, r := range results {
		if r.name == "cp-a" && r.err == nil {
			ref = r.median()
		}
	}
	fmt.Fprintf(w, "\nTree: %d files (%d bulk, %.0f MiB apparent incl. a %.0f MiB sparse file), %d directories, %d symlinks, %d special files, %d extra hard links; %d entries.\n",
		b.sum.Files, b.c.files, float64(b.sum.Bytes)/(1<<20), float64(b.c.sparse)/(1<<20), b.sum.Dirs, b.sum.Symlinks, b.sum.Specials, b.sum.HardLinks, len(b.before.Entries))
	fmt.Fprintf(w, "Page cache dropped before each method: %v. Times include a final sync.\n\n", b.dropped)
	fmt.Fprintln(w, "| method | time | vs cp -a | paths differing | what differs (paths per kind) |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(w, "| %s | failed | | | %s |\n", r.name, strings.ReplaceAll(r.err.Error(), "|", "/"))
			continue
		}
		ratio := ""
		if ref > 0 {
			ratio = fmt.Sprintf("%.2fx", float64(r.median())/float64(ref))
		}
		fmt.Fprintf(w, "| %s | %.2f s | %s | %d | %s |\n", r.name, r.median().Seconds(), ratio, len(r.diffs), kinds(r.diffs))
	}
	for _, r := range results {
		if len(r.oldDiff) > 0 {
			fmt.Fprintf(w, "\nAfter %s, OLD itself differs from before in %d paths: %s\n", r.name, len(r.oldDiff), kinds(r.oldDiff))
		}
	}
	for _, r := range results {
		if len(r.diffs) > 0 {
			fmt.Fprintf(w, "\n%s, first differences (other than times first):\n", r.name)
			var buf bytes.Buffer
			ordered := append([]treecheck.Diff(nil), r.diffs...)
			sort.SliceStable(ordered, func(i, j int) bool { return !timesOnly(ordered[i]) && timesOnly(ordered[j]) })
			for i, d := range ordered {
				if i == 8 {
					break
				}
				buf.WriteString("    " + d.String() + "\n")
			}
			w.Write(buf.Bytes())
		}
	}
}

// timesOnly reports whether d is only about atime and mtime.
func timesOnly(d treecheck.Diff) bool {
	for _, w := range d.What {
		if !strings.HasPrefix(w, "atime ") && !strings.HasPrefix(w, "mtime ") {
			return false
		}
	}
	return true
}
