package loomcli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/loom-fs/loom/cmd/loomcli/strip"
	"github.com/loom-fs/loom/cmd/loomcli/treecheck"
)

var migrateVerifyCommand = &Command{
	Name:    "verify",
	Summary: "compare two directory trees entry by entry",
	Usage:   "loom migrate verify [--json] [--no-atime] [--no-data-map] A B",
	Help: `Compares every entry of A and B without following symbolic links and
without changing access times: type, contents (and where the holes are),
mode, owner, mtime and atime with nanoseconds, xattrs and ACLs, link counts
and hard-link groups, symlink targets and device numbers. Loom's own
metadata (.loom at the root, trusted.loom.* and user.loom.* xattrs) is left
out. Prints each differing path (quoted) with what differs; exit status 1
if any differ.

Options:
  --json          print {"paths": N, "diffs": [...]} instead
  --no-atime      leave access times out
  --no-data-map   compare contents but not where the holes are`,
}

var migrateStripCommand = &Command{
	Name:    "strip",
	Summary: "remove Loom's metadata from a directory that was a brick",
	Usage:   "loom migrate strip DIR",
	Help: `Removes every trusted.loom.* and user.loom.* xattr of every entry of DIR
(symbolic links included, never followed) and DIR/.loom, keeping every
other attribute (the times of DIR included). "loom migrate finish" does
this to OLD and NEW; run it by hand only on a directory no mount uses.`,
}

func runMigrateVerify(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("migrate verify")
	asJSON := fs.Bool("json", false, "")
	noAtime := fs.Bool("no-atime", false, "")
	noMap := fs.Bool("no-data-map", false, "")
	pos, status, ok := runFlags(env, migrateVerifyCommand, fs, args)
	if !ok {
		return status
	}
	if len(pos) != 2 {
		return env.usagef("migrate verify", "two directories expected, got %d arguments", len(pos))
	}
	start := time.Now()
	ta, diffs, err := treecheck.CompareDirs(pos[0], pos[1], treecheck.CompareOptions{IgnoreAtime: *noAtime, IgnoreDataMap: *noMap})
	if err != nil {
		return env.failf("migrate verify", "%v", err)
	}
	n := len(ta.Entries)
	if *asJSON {
		json.NewEncoder(env.Stdout).Encode(struct {
			Paths int              `json:"paths"`
			Diffs []treecheck.Diff `json:"diffs"`
		}{n, diffs})
	} else {
		printDiffs(env.Stdout, diffs, 0)
		fmt.Fprintf(env.Stdout, "%d paths compared in %v: %d differ\n", n, time.Since(start).Round(time.Millisecond), len(diffs))
	}
	if len(diffs) > 0 {
		return exitFail
	}
	return exitOK
}

// scanBoth scans a and b at the same time.
func scanBoth(a, b string, opt treecheck.Options) (*treecheck.Tree, *treecheck.Tree, error) {
	type result struct {
		t   *treecheck.Tree
		err error
	}
	ch := make(chan result, 1)
	go func() {
		t, err := treecheck.Scan(b, opt)
		ch <- result{t, err}
	}()
	ta, errA := treecheck.Scan(a, opt)
	rb := <-ch
	if errA != nil {
		return nil, nil, errA
	}
	if rb.err != nil {
		return nil, nil, rb.err
	}
	return ta, rb.t, nil
}

// printDiffs prints each difference on its own line (at most limit of
// them; 0 is no limit).
func printDiffs(w io.Writer, diffs []treecheck.Diff, limit int) {
	for i, d := range diffs {
		if limit > 0 && i == limit {
			fmt.Fprintf(w, "... and %d more\n", len(diffs)-limit)
			return
		}
		fmt.Fprintln(w, d.String())
	}
}

func runMigrateStrip(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("migrate strip")
	pos, status, ok := runFlags(env, migrateStripCommand, fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		return env.usagef("migrate strip", "one directory expected, got %d arguments", len(pos))
	}
	res, err := strip.Tree(pos[0])
	if err != nil {
		return env.failf("migrate strip", "%v", err)
	}
	fmt.Fprintf(env.Stdout, "%s: %d entries, %d Loom xattrs removed, .loom removed: %v\n", pos[0], res.Entries, res.Xattrs, res.LoomDir)
	return exitOK
}
