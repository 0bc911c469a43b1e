package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the helper that runs file operations under
// other credentials: started with helperEnv set, TestMain runs the helper
// instead of the tests.
const helperEnv = "LOOM_ITEST_HELPER"

// Set up once by TestMain.
var (
	baseDir   string // 0755 directory holding every test's files
	loomBin   string // the built loom binary
	helperBin string // a copy of this test binary that any user can run
	skipWhy   string // why the tests cannot run here (not root, no FUSE)
	setupErr  error  // building loom or copying the helper failed
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(runHelper(os.Args[1:]))
	}
	os.Exit(runTests(m))
}

// runTests prepares the shared state, runs the tests and removes what it
// made.
func runTests(m *testing.M) int {
	switch {
	case os.Geteuid() != 0:
		skipWhy = "integration tests need root (FUSE mounts with allow_other, chown, device nodes, trusted xattrs)"
	default:
		if _, err := os.Stat("/dev/fuse"); err != nil {
			skipWhy = "integration tests need /dev/fuse: " + err.Error()
		}
	}
	if skipWhy != "" {
		return m.Run()
	}
	// Daemonized loom processes are re-parented to the nearest subreaper;
	// being one lets the tests wait for them and see their exit status.
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintf(os.Stderr, "integration: PR_SET_CHILD_SUBREAPER: %v\n", err)
	}
	dir, err := os.MkdirTemp("", "loom-itest-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "integration: %v\n", err)
		return 1
	}
	defer removeBase(dir)
	defer unmountFusectl()
	baseDir = dir
	if err := os.Chmod(dir, 0o755); err != nil {
		setupErr = err
	}
	if setupErr == nil {
		setupErr = buildLoom(dir)
	}
	if setupErr == nil {
		setupErr = copyHelper(dir)
	}
	return m.Run()
}

// removeBase deletes the shared directory unless something is still
// mounted below it (then it says so and leaves it, rather than deleting
// through a mount into a brick).
func removeBase(dir string) {
	if mps := mountsUnder(dir); len(mps) > 0 {
		fmt.Fprintf(os.Stderr, "integration: mounts left under %s: %v; not removing it\n", dir, mps)
		return
	}
	os.RemoveAll(dir)
}

// buildLoom builds ./cmd/loom of this module into dir.
func buildLoom(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := filepath.Join(dir, "loom")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/loom")
	cmd.Dir = ".."
	var msg bytes.Buffer
	cmd.Stdout = &msg
	cmd.Stderr = &msg
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/loom: %v\n%s", err, msg.String())
	}
	fmt.Fprintf(os.Stderr, "integration: built loom in %v\n", time.Since(start).Round(time.Millisecond))
	loomBin = out
	return nil
}

// copyHelper copies the running test binary to dir with mode 0755, so
// that helper processes running as other users can execute it (the go
// tool's build directory is private to root).
func copyHelper(dir string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	in, err := os.Open(self)
	if err != nil {
		return err
	}
	defer in.Close()
	dst := filepath.Join(dir, "itest-helper")
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	helperBin = dst
	return nil
}

// requireEnv skips the test when it cannot run on this machine and fails
// it when the shared set-up (building loom) failed.
func requireEnv(t *testing.T) {
	t.Helper()
	if skipWhy != "" {
		t.Skip(skipWhy)
	}
	if setupErr != nil {
		t.Fatalf("set-up failed: %v", setupErr)
	}
}
