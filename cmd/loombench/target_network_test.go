package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestQuickNet2Profiles runs `loombench -quick -only loom-net2 -groups seq
// -cpuprofile-dir D` end to end: loom serve and loom mount as two real
// processes on loopback TCP, and each writes its CPU profile when the
// target is torn down (loom-net2.pprof for the mount, loom-net2-server.pprof
// for the server).
func TestQuickNet2Profiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("loombench needs root (tmpfs, drop_caches, FUSE mounts)")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skipf("loombench needs /dev/fuse: %v", err)
	}
	work, profDir := t.TempDir(), t.TempDir()
	args := []string{"-quick", "-json", "-timeout", "4m", "-workdir", work, "-only", "loom-net2", "-groups", "seq", "-cpuprofile-dir", profDir}
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()
	var out, log bytes.Buffer
	runErr := run(ctx, cfg, args, &out, &log)
	assertNothingMounted(t, work)
	if runErr != nil {
		t.Fatalf("run: %v\nlog:\n%s", runErr, log.String())
	}
	var res Results
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("decode -json output: %v\n%s", err, out.String())
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
