package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// method is one way of copying the tree.
type method struct {
	name string
	run  func(ctx context.Context, b *bench, dst string) error
	// clean removes the method's own metadata from the copy (and OLD)
	// after the clock stopped, before the copy is verified.
	clean func(b *bench, dst string) error
}

// methods, in the order they run. GlusterFS last: it leaves its
// metadata in OLD.
var methods = []*method{
	{name: "cp-a", run: runCp},
	{name: "rsync-aHAX", run: runRsync},
	{name: "loom-migrate", run: func(ctx context.Context, b *bench, dst string) error { return runLoomMigrate(ctx, b, dst, false) }},
	{name: "loom-migrate-server", run: func(ctx context.Context, b *bench, dst string) error { return runLoomMigrate(ctx, b, dst, true) }},
	{name: "glusterfs", run: runGluster, clean: cleanGluster},
}

func methodNames() []string {
	var n []string
	for _, m := range methods {
		n = append(n, m.name)
	}
	return n
}

func findMethod(name string) *method {
	for _, m := range methods {
		if m.name == name {
			return m
		}
	}
	return nil
}

// command runs a program and returns its combined output in the error.
func command(ctx context.Context, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// readOnlySource binds OLD with noatime for cp and rsync, so that their
// reads leave OLD's access times as they are (loom migrate does the
// same), and returns the bind and a function that removes it.
func readOnlySource(b *bench) (string, func(), error) {
	src := filepath.Join(b.dir, "src-noatime")
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", nil, err
	}
	if err := unix.Mount(b.old, src, "", unix.MS_BIND, ""); err != nil {
		return "", nil, fmt.Errorf("bind %s: %w", b.old, err)
	}
	undo := func() { unix.Unmount(src, unix.MNT_DETACH); os.Remove(src) }
	if err := unix.Mount("", src, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_NOATIME, ""); err != nil {
		undo()
		return "", nil, fmt.Errorf("noatime %s: %w", src, err)
	}
	return src, undo, nil
}

func runCp(ctx context.Context, b *bench, dst string) error {
	src, undo, err := readOnlySource(b)
	if err != nil {
		return err
	}
	defer undo()
	return command(ctx, "cp", "-a", src+"/.", dst)
}

func runRsync(ctx context.Context, b *bench, dst string) error {
	if _, err := exec.LookPath("rsync"); err != nil {
		return fmt.Errorf("rsync is not installed (apt-get install rsync)")
	}
	src, undo, err := readOnlySource(b)
	if err != nil {
		return err
	}
	defer undo()
	return command(ctx, "rsync", "-aHAX", src+"/", dst+"/")
}

// runLoomMigrate migrates OLD to dst from start to a verified, stripped
// finish.
func runLoomMigrate(ctx context.Context, b *bench, dst string, viaServer bool) error {
	mnt := dst + "-mnt"
	if err := os.Mkdir(mnt, 0o755); err != nil {
		return err
	}
	defer os.Remove(mnt)
	args := []string{"migrate", "start", "--from", b.old, "--to", dst, "--mount", mnt, "--log-file", dst + "-mount.log"}
	if viaServer {
		args = append(args, "--via-server")
	}
	if err := command(ctx, b.c.loomBin, args...); err != nil {
		return err
	}
	start := time.Now()
	out, err := exec.CommandContext(ctx, b.c.loomBin, "migrate", "finish", mnt).CombinedOutput()
	fmt.Fprintf(os.Stderr, "loom migrate finish (%v):\n%s", elapsed(start), out)
	if err != nil {
		abandonMigration(b, dst, mnt)
		return fmt.Errorf("loom migrate finish: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// abandonMigration takes down a migration whose finish failed and puts
// OLD back as it was for the methods that follow.
func abandonMigration(b *bench, dst, mnt string) {
	unix.Unmount(mnt, unix.MNT_DETACH)
	if pb, err := os.ReadFile(filepath.Join(dst, ".loom", "migrate.pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(pb))); err == nil && pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
			time.Sleep(200 * time.Millisecond)
		}
	}
	base := strings.ReplaceAll(strings.Trim(mnt, "/"), "/", "-")
	for _, d := range []string{"old", "new"} {
		p := filepath.Join("/run/loom/migrate", base, d)
		unix.Unmount(p, unix.MNT_DETACH)
		os.Remove(p)
	}
	os.Remove(filepath.Join("/run/loom/migrate", base))
	os.Remove(filepath.Join("/var/lib/loom/migrate", base))
	command(context.Background(), b.c.loomBin, "migrate", "strip", b.old)
}
