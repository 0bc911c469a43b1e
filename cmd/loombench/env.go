package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Env is what every target shares during one run.
type Env struct {
	// Root is the module root (where go.mod is); binaries are built there.
	Root string
	// Work is the run's private directory on the ordinary disk: logs,
	// built binaries, volfiles, profiles.
	Work string
	// Scratch is the tmpfs mounted for the run; backing directories and
	// mount points live under it.
	Scratch string
	// Cleanup releases what targets acquire, on every exit path.
	Cleanup *cleaner
	// Cfg is the run's configuration (binaries, profiling switches).
	Cfg *Config
}

// moduleRoot finds the directory holding go.mod, asking the go tool so it
// works from any subdirectory.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("go env GOMOD: not inside a module (run from the loom checkout)")
	}
	return filepath.Dir(gomod), nil
}

// goBuild builds pkg into out from the module root.
func goBuild(ctx context.Context, root, out, pkg string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = root
	msg, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, strings.TrimSpace(string(msg)))
	}
	return nil
}

// gitDescribe returns the commit measured, with " (dirty)" when tracked
// files differ from it.
func gitDescribe(root string) string {
	if root == "" {
		return "unknown"
	}
	out, err := exec.Command("git", "-C", root, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	st, err := exec.Command("git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		rev += " (dirty)"
	}
	return rev
}
