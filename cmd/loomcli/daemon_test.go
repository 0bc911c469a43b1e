package loomcli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asLoomEnv makes the test binary act as the loom command, so that the
// daemon tests can run "loom mount" (and its re-executed daemon) as real
// processes without building the binary first.
const asLoomEnv = "LOOMCLI_TEST_AS_LOOM"

func TestMain(m *testing.M) {
	if os.Getenv(asLoomEnv) == "1" {
		os.Exit(Main(append([]string{"loom"}, os.Args[1:]...)))
	}
	os.Exit(m.Run())
}

// needFUSE skips tests that mount unless running as root with /dev/fuse.
func needFUSE(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting needs root")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		t.Skipf("no /dev/fuse: %v", err)
	}
}

// loomProcess runs the test binary as "loom args..." in dir, with a time
// limit, and returns its exit status and combined output.
func loomProcess(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), asLoomEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("loom %v did not return within 60s; output: %s", args, out.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatalf("loom %v: %v", args, err)
	}
	return 0, out.String()
}

// processGone waits up to d for pid to exit.
func processGone(pid int, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
	}
	return false
}

func TestDaemonMountServesAndEndsWithUmount(t *testing.T) {
	needFUSE(t)
	dir := t.TempDir()
	brick, mnt := filepath.Join(dir, "brick"), filepath.Join(dir, "mnt")
	for _, d := range []string{brick, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	vol := "volume brick\n  type storage/posix\n  option directory " + brick + "\nend-volume\n"
	if err := os.WriteFile(filepath.Join(dir, "v.vol"), []byte(vol), 0o644); err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(dir, "loom.pid")
	var pid int
	t.Cleanup(func() {
		if ok, _ := isMountpoint(mnt); ok {
			t.Errorf("%s still mounted at cleanup; detaching it", mnt)
			syscall.Unmount(mnt, syscall.MNT_DETACH)
		}
		if pid > 0 && !processGone(pid, 5*time.Second) {
			t.Errorf("daemon %d still running at cleanup; killing it", pid)
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	// Relative paths, as a user types them; the daemon must resolve them.
	status, out := loomProcess(t, dir, "mount", "-f", "v.vol", "-l", "loom.log", "--pid-file", "loom.pid", "mnt")
	if data, err := os.ReadFile(pidFile); err == nil {
		pid, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	}
	if status != 0 || out != "" {
		t.Fatalf("loom mount: status %d, output %q", status, out)
	}
	if ok, err := isMountpoint(mnt); !ok {
		t.Fatalf("loom mount returned 0 but %s is not mounted (%v)", mnt, err)
	}
	if pid <= 0 {
		t.Fatalf("no pid in %s", pidFile)
	}

	// I/O on the mount from this process is safe: the daemon serves it.
	done := make(chan error, 1)
	go func() { done <- os.WriteFile(filepath.Join(mnt, "hello"), []byte("hi\n"), 0o644) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("write through the mount: %v", err)
		}
	case <-time.After(20 * time.Second):
		syscall.Kill(pid, syscall.SIGKILL) // aborts the FUSE connection
		t.Fatal("write through the mount hung for 20s; daemon killed")
	}
	if got, err := os.ReadFile(filepath.Join(brick, "hello")); err != nil || string(got) != "hi\n" {
		t.Fatalf("brick has %q, %v", got, err)
	}

	if err := exec.Command("umount", mnt).Run(); err != nil {
		t.Fatalf("umount %s: %v", mnt, err)
	}
	if !processGone(pid, 10*time.Second) {
		t.Fatalf("daemon %d still running 10s after umount", pid)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
	logText, _ := os.ReadFile(filepath.Join(dir, "loom.log"))
	for _, want := range []string{"msg=serving", "unmounted; stopping the graph", "msg=stopped"} {
		if !bytes.Contains(logText, []byte(want)) {
			t.Errorf("log lacks %q:\n%s", want, logText)
		}
	}
}

func TestDaemonReportsBuildErrorsToTheCaller(t *testing.T) {
	needFUSE(t)
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	vol := "volume brick\n  type storage/posix\n  option directory " + filepath.Join(dir, "absent") + "\nend-volume\n"
	if err := os.WriteFile(filepath.Join(dir, "v.vol"), []byte(vol), 0o644); err != nil {
		t.Fatal(err)
	}
	// The brick is only opened by the daemon: its error must come back
	// through the ready pipe as the caller's one line.
	status, out := loomProcess(t, dir, "mount", "-f", "v.vol", "-l", "loom.log", "mnt")
	if status != exitFail {
		t.Errorf("status %d, want 1", status)
	}
	oneErrorLine(t, out, "loom mount: v.vol:1:1:", "brick directory", "absent")
	if ok, _ := isMountpoint(mnt); ok {
		syscall.Unmount(mnt, syscall.MNT_DETACH)
		t.Fatal("mounted although the brick is missing")
	}
}

func TestMountRecognisesADeadMount(t *testing.T) {
	needFUSE(t)
	keepUmask(t)
	dir := t.TempDir()
	brick, mnt := filepath.Join(dir, "brick"), filepath.Join(dir, "mnt")
	for _, d := range []string{brick, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	vol := filepath.Join(dir, "v.vol")
	if err := os.WriteFile(vol, []byte("volume brick\n  type storage/posix\n  option directory "+brick+"\nend-volume\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if ok, _ := isMountpoint(mnt); ok {
			syscall.Unmount(mnt, syscall.MNT_DETACH)
		}
	})
	status, out := loomProcess(t, dir, "mount", "-f", vol, "-l", filepath.Join(dir, "log"), "--pid-file", filepath.Join(dir, "pid"), mnt)
	if status != 0 {
		t.Fatalf("loom mount: status %d: %s", status, out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid <= 0 || syscall.Kill(pid, syscall.SIGKILL) != nil || !processGone(pid, 10*time.Second) {
		t.Fatalf("could not kill the daemon (pid %q)", data)
	}
	status, _, errs := run(t, "mount", "-N", "-f", vol, mnt)
	if status != exitFail {
		t.Errorf("status %d, want 1", status)
	}
	oneErrorLine(t, errs, "a dead FUSE mount is still there", `umount -l `+mnt)
}
