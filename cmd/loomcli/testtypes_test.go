package loomcli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	_ "github.com/loom-fs/loom/translators/storage/posix"
	"github.com/loom-fs/loom/xlator"
)

// Test-only translator types: a brick-like leaf with a typed option of
// every kind "loom help" formats, and a passthrough.
func init() {
	xlator.Register(xlator.Descriptor{
		Type: "test/leaf",
		Doc:  "a leaf for loomcli's tests",
		New: func(cfg *xlator.Config) (xlator.Translator, error) {
			l := &struct{ xlator.Leaf }{xlator.NewLeaf(cfg)}
			return l, nil
		},
		Options: []xlator.OptionDef{
			{Key: "directory", Type: xlator.TypePath, Required: true, Help: "where the data lives"},
			{Key: "mode", Type: xlator.TypeEnum, Default: "fast", Allowed: []string{"fast", "safe"}, Help: "how to work"},
			{Key: "count", Type: xlator.TypeInt, Default: "4", Min: 1, Max: 64, Help: "how many"},
			{Key: "block", Type: xlator.TypeSize, Default: "128KiB", Min: 4096, Max: 1 << 30, Help: "block size"},
			{Key: "timeout", Type: xlator.TypeDuration, Default: "5s", Min: 100, Max: 60000, Help: "how long"},
			{Key: "verbose", Type: xlator.TypeBool, Default: "off", Help: "say more"},
		},
		MaxChildren: 0,
	})
	xlator.Register(xlator.Descriptor{
		Type: "test/pass",
		Doc:  "a passthrough for loomcli's tests",
		New: func(cfg *xlator.Config) (xlator.Translator, error) {
			return &struct{ xlator.Base }{xlator.NewBase(cfg)}, nil
		},
		MinChildren: 1,
		MaxChildren: -1,
	})
}

// run runs a loom command line in-process and returns its exit status,
// standard output and standard error.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Prog: "loom"}
	status := Run(context.Background(), env, args)
	return status, out.String(), errb.String()
}

// writeFile writes content to name in a fresh temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// keepUmask restores the process umask after a test that runs "mount"
// (which sets it to 0).
func keepUmask(t *testing.T) {
	old := syscall.Umask(0o022)
	syscall.Umask(old)
	t.Cleanup(func() { syscall.Umask(old) })
}

// oneErrorLine fails the test unless stderr is exactly one line that
// contains every want.
func oneErrorLine(t *testing.T, stderr string, want ...string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Errorf("stderr is not exactly one line: %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not contain %q", stderr, w)
		}
	}
}
