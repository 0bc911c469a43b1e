package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// badCase is one kind of bad input to "loom mount".
type badCase struct {
	name string
	// volfile returns the volfile text for a valid, populated brick;
	// nil means the plain posix volfile.
	volfile func(brick string) string
	// prepare may change the brick and mountpoint paths used (to make
	// them missing, a file, already mounted).
	prepare func(t *testing.T, brick, mp string) (string, string)
	// want are patterns the one stderr line must match: the place and
	// the reason. They may use {VOL}, {BRICK} and {MP}, replaced by the
	// quoted paths.
	want []string
	// volfileError marks errors "loom volfile check" must find too.
	volfileError bool
}

var badCases = []badCase{
	{
		name: "syntax error",
		volfile: func(brick string) string {
			return fmt.Sprintf("volume brick\n    type storage/posix\n    frobnicate directory %s\nend-volume\n", brick)
		},
		want:         []string{`{VOL}:3:\d+`, `frobnicate`},
		volfileError: true,
	},
	{
		name: "unknown type",
		volfile: func(brick string) string {
			return fmt.Sprintf("volume brick\n    type storage/nonesuch\n    option directory %s\nend-volume\n", brick)
		},
		want:         []string{`{VOL}:2\b`, `storage/nonesuch`, `(?i)unknown`},
		volfileError: true,
	},
	{
		name: "unknown option",
		volfile: func(brick string) string {
			return fmt.Sprintf("volume brick\n    type storage/posix\n    option directory %s\n    option no-such-option 1\nend-volume\n", brick)
		},
		want:         []string{`{VOL}:4\b`, `no-such-option`, `(?i)unknown`},
		volfileError: true,
	},
	{
		name: "mistyped option",
		volfile: func(brick string) string {
			return fmt.Sprintf("volume brick\n    type storage/posix\n    option directory %s\n    option xattr-namespace banana\nend-volume\n", brick)
		},
		want:         []string{`{VOL}:4\b`, `xattr-namespace`, `banana`},
		volfileError: true,
	},
	{
		name: "missing directory option",
		volfile: func(string) string {
			return "volume brick\n    type storage/posix\nend-volume\n"
		},
		want:         []string{`"?brick"?`, `directory`, `(?i)missing|required`},
		volfileError: true,
	},
	{
		name: "brick directory missing",
		prepare: func(t *testing.T, brick, mp string) (string, string) {
			return filepath.Join(brick, "does-not-exist"), mp
		},
		want: []string{`{BRICK}`, `(?i)not exist|no such`},
	},
	{
		name: "brick path is a file",
		prepare: func(t *testing.T, brick, mp string) (string, string) {
			return filepath.Join(brick, "a-file"), mp
		},
		want: []string{`{BRICK}`, `(?i)not a directory`},
	},
	{
		name: "mountpoint missing",
		prepare: func(t *testing.T, brick, mp string) (string, string) {
			return brick, filepath.Join(mp, "does-not-exist")
		},
		want: []string{`{MP}`, `(?i)not exist|no such`},
	},
	{
		name: "mountpoint already mounted",
		prepare: func(t *testing.T, brick, mp string) (string, string) {
			other := newBrick(t)
			m := mountLoom(t, posixVolfile(other))
			return brick, m.Dir
		},
		want: []string{`{MP}`, `(?i)already mounted`},
	},
	{
		name: "cycle",
		volfile: func(brick string) string {
			return posixVolfile(brick) +
				"volume x\n    type features/read-only\n    subvolumes y\nend-volume\n" +
				"volume y\n    type features/read-only\n    subvolumes x\nend-volume\n"
		},
		want:         []string{`{VOL}:\d+`, `(?i)cycle`, `\bx\b`, `\by\b`},
		volfileError: true,
	},
	{
		name: "unused volume",
		volfile: func(brick string) string {
			spare := fmt.Sprintf("volume spare\n    type storage/posix\n    option directory %s\nend-volume\n", brick)
			return spare + posixVolfile(brick)
		},
		want:         []string{`{VOL}:1\b`, `spare`, `(?i)not used|unused`},
		volfileError: true,
	},
	{
		name: "duplicate volume name",
		volfile: func(brick string) string {
			return posixVolfile(brick) + posixVolfile(brick)
		},
		want:         []string{`{VOL}:5\b`, `brick`, `(?i)twice|duplicate`},
		volfileError: true,
	},
}

// loomResult is what a finished loom command did.
type loomResult struct {
	code   int
	stdout string
	stderr string
}

// runLoom runs the loom binary with args and a timeout, in its own process
// group, and returns its exit code and output.
func runLoom(t *testing.T, args ...string) loomResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, loomBin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("loom %s: still running after %v", strings.Join(args, " "), commandTimeout)
	}
	res := loomResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	default:
		t.Fatalf("loom %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// checkOneLineError checks that r failed with exactly one stderr line
// matching every pattern.
func checkOneLineError(t *testing.T, what string, r loomResult, patterns []string, repl *strings.Replacer) {
	t.Helper()
	if r.code == 0 {
		t.Errorf("%s: exit status 0, want non-zero (stderr %q)", what, r.stderr)
		return
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" {
		t.Errorf("%s: stderr has %d lines, want exactly one:\n%s", what, len(lines), r.stderr)
		return
	}
	t.Logf("%s: exit %d: %s", what, r.code, lines[0])
	for _, p := range patterns {
		re := regexp.MustCompile(repl.Replace(p))
		if !re.MatchString(lines[0]) {
			t.Errorf("%s: stderr line does not match %s:\n%s", what, re, lines[0])
		}
	}
}

func TestBadInput(t *testing.T) {
	requireEnv(t)
	for _, bc := range badCases {
		t.Run(bc.name, func(t *testing.T) {
			for _, mode := range []string{"foreground", "daemon"} {
				t.Run(mode, func(t *testing.T) { runBadCase(t, bc, mode) })
			}
		})
	}
}

// runBadCase runs "loom mount" on one bad input, in foreground (-N) or
// daemon mode, and checks the error line, that nothing was mounted and
// that the brick's directory did not change.
func runBadCase(t *testing.T, bc badCase, mode string) {
	dir := testDir(t)
	brick := mkdirAll(t, filepath.Join(dir, "brick"))
	writeFile(t, filepath.Join(brick, "a-file"), []byte("precious"))
	mkdirAll(t, filepath.Join(brick, "sub"))
	writeFile(t, filepath.Join(brick, "sub", "nested"), []byte("also precious"))
	mp := mkdirAll(t, filepath.Join(dir, "mnt"))
	if bc.prepare != nil {
		brick, mp = bc.prepare(t, brick, mp)
	}
	vol := filepath.Join(dir, "bad.vol")
	text := posixVolfile(brick)
	if bc.volfile != nil {
		text = bc.volfile(brick)
	}
	writeFile(t, vol, []byte(text))
	mountsBefore := mountCount(mp)
	// Everything in the test's directory except the volfile and log.
	watched := filepath.Join(dir, "brick")
	before := snapshot(t, watched, snapshotOpts{})

	logFile := filepath.Join(dir, "loom.log")
	args := []string{"mount", "-f", vol, "-l", logFile, mp}
	if mode == "foreground" {
		args = append([]string{"mount", "-N"}, args[1:]...)
	}
	r := runLoom(t, args...)
	repl := strings.NewReplacer("{VOL}", regexp.QuoteMeta(vol), "{BRICK}", regexp.QuoteMeta(brick), "{MP}", regexp.QuoteMeta(mp))
	checkOneLineError(t, "loom "+strings.Join(args, " "), r, bc.want, repl)
	if n := mountCount(mp); n != mountsBefore {
		t.Errorf("%s had %d mounts before the failed mount, %d after", mp, mountsBefore, n)
		if n > mountsBefore {
			runUmount(mp, true)
		}
	}
	compareSnapshots(t, "the brick directory after a failed mount", before, snapshot(t, watched, snapshotOpts{}))
	if t.Failed() {
		t.Logf("log file:\n%s", tail(logFile, 20))
	}

	if bc.volfileError && mode == "foreground" {
		r := runLoom(t, "volfile", "check", vol)
		checkOneLineError(t, "loom volfile check", r, bc.want, repl)
		compareSnapshots(t, "the brick directory after volfile check", before, snapshot(t, watched, snapshotOpts{}))
	}
}

// mountCount is the number of mounts stacked on dir.
func mountCount(dir string) int {
	n := 0
	for _, e := range mountinfo() {
		if e.Point == dir {
			n++
		}
	}
	return n
}

// TestVolfileCheckAcceptsGoodVolfile makes sure the error cases above fail
// for their own reason: the same volfile without the fault passes.
func TestVolfileCheckAcceptsGoodVolfile(t *testing.T) {
	requireEnv(t)
	brick := newBrick(t)
	vol := filepath.Join(filepath.Dir(brick), "good.vol")
	writeFile(t, vol, []byte(stackVolfile(brick, "features/read-only")))
	if r := runLoom(t, "volfile", "check", vol); r.code != 0 {
		t.Errorf("loom volfile check of a good volfile: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(brick, internalDir)); err == nil {
		t.Errorf("volfile check touched the brick: %s exists", internalDir)
	}
}
