package main

import (
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestQuickNet2Profiles runs `loombench -quick -only loom-net2 -groups
// seq -cpuprofile-dir D -strace-dir D` end to end: loom serve and loom
// mount as two real processes on loopback TCP, each under strace when
// it is installed, and each writes its CPU profile when the target is
// torn down (loom-net2.pprof for the mount, loom-net2-server.pprof for
// the server).
func TestQuickNet2Profiles(t *testing.T) {
	profDir := t.TempDir()
	args := []string{"-only", "loom-net2", "-groups", "seq", "-cpuprofile-dir", profDir}
	// Under strace the server must still get the SIGTERM that makes it
	// write its profile (strace alone detaches and leaves it running).
	if _, err := exec.LookPath("strace"); err == nil {
		args = append(args, "-strace-dir", profDir)
	}
	_, res := quickRun(t, args...)
	if len(res.Workloads) == 0 {
		t.Fatal("no workloads ran")
	}
	for _, w := range res.Workloads {
		if c := w.cell("loom-net2"); c == nil || c.Median <= 0 {
			t.Errorf("%s: no figure for loom-net2: %+v", w.Name, c)
		}
	}
	for _, name := range []string{"loom-net2.pprof", "loom-net2-server.pprof"} {
		checkProfile(t, filepath.Join(profDir, name))
	}
}

// checkProfile fails unless path is a finished CPU profile: a complete,
// non-empty gzip stream, as runtime/pprof writes it.
func checkProfile(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("no profile: %v", err)
		return
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Errorf("%s is not a gzip stream: %v", path, err)
		return
	}
	if n, err := io.Copy(io.Discard, zr); err != nil || n == 0 {
		t.Errorf("%s: %d bytes, %v: the profile was not finished", path, n, err)
	}
}
