package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Time limits: a mount that is not ready, I/O that hangs, or a server that
// will not exit fails the test instead of hanging it.
const (
	buildTimeout = 3 * time.Minute
	mountTimeout = 20 * time.Second
	ioTimeout    = 20 * time.Second
)

// buildBinary compiles this example into a loom binary of its own.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "loom-custom")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestBinaryKnowsTheCustomType(t *testing.T) {
	bin := buildBinary(t)
	if out := run(t, bin, "help"); !strings.Contains(out, "debug/delay") || !strings.Contains(out, "storage/posix") {
		t.Fatalf("help does not list debug/delay next to the built-in types:\n%s", out)
	}
	if out := run(t, bin, "help", "debug/delay"); !strings.Contains(out, "latency") || !strings.Contains(out, "10ms") {
		t.Fatalf("help debug/delay does not show the latency option:\n%s", out)
	}
	run(t, bin, "volfile", "check", "example.vol")
}

// serverLog is the file the mount subprocess logs to, shown when a test fails.
type serverLog struct{ path string }

func (l *serverLog) String() string {
	data, err := os.ReadFile(l.path)
	if err != nil {
		return err.Error()
	}
	return string(data)
}

// mounted reports whether mnt is in /proc/mounts.
func mounted(mnt string) bool {
	data, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == mnt {
			return true
		}
	}
	return false
}

// withTimeout runs fn in a goroutine and fails the test if it does not
// return in time (a hung FUSE request; cleanup's lazy unmount frees it).
func withTimeout(t *testing.T, what string, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(ioTimeout):
		t.Fatalf("%s: no answer after %v", what, ioTimeout)
	}
}

// TestMountExampleVolfile mounts example.vol with the custom binary in a
// subprocess and does real I/O through the kernel.
func TestMountExampleVolfile(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skip("no /dev/fuse")
	}
	bin := buildBinary(t)
	brick, mnt := t.TempDir(), t.TempDir()
	vol, err := os.ReadFile("example.vol")
	if err != nil {
		t.Fatal(err)
	}
	volfile := filepath.Join(t.TempDir(), "example.vol")
	vol = bytes.ReplaceAll(vol, []byte("/srv/export"), []byte(brick))
	if err := os.WriteFile(volfile, vol, 0o644); err != nil {
		t.Fatal(err)
	}

	logs := &serverLog{path: filepath.Join(t.TempDir(), "mount.log")}
	logFile, err := os.Create(logs.path)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "mount", "-N", "-f", volfile, mnt)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start loom-custom mount: %v", err)
	}
	exited := make(chan struct{}) // closed when the server has exited
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		if mounted(mnt) {
			if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
				t.Logf("umount %s: %v %s; unmounting lazily", mnt, err, out)
				exec.Command("umount", "-l", mnt).Run()
			}
		}
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if mounted(mnt) {
			t.Errorf("%s is still mounted", mnt)
		}
	})

	deadline := time.Now().Add(mountTimeout)
	for !mounted(mnt) {
		select {
		case <-exited:
			t.Fatalf("loom-custom mount exited before mounting: %v\n%s", exitErr, logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not mounted after %v\n%s", mnt, mountTimeout, logs.String())
		}
	}

	payload := []byte("written through a custom translator\n")
	var took time.Duration
	withTimeout(t, "write through the mount", func() error {
		start := time.Now()
		f, err := os.OpenFile(filepath.Join(mnt, "hello.txt"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write(payload); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		took = time.Since(start)
		return f.Close()
	})
	if took < 20*time.Millisecond {
		t.Errorf("writing through debug/delay took %v, want at least its 20ms latency", took)
	}
	withTimeout(t, "read back through the mount", func() error {
		got, err := os.ReadFile(filepath.Join(mnt, "hello.txt"))
		if err == nil && !bytes.Equal(got, payload) {
			t.Errorf("read back %q through the mount", got)
		}
		return err
	})
	if got, err := os.ReadFile(filepath.Join(brick, "hello.txt")); err != nil || !bytes.Equal(got, payload) {
		t.Errorf("brick holds %q, %v", got, err)
	}

	if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v %s", err, out)
	}
	select {
	case <-exited:
		if exitErr != nil {
			t.Fatalf("loom-custom mount exited with %v after umount\n%s", exitErr, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("loom-custom mount still running 10s after umount\n%s", logs.String())
	}
}
