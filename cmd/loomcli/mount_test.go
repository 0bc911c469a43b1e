package loomcli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator"
)

func TestParseFlagsAcceptsFlagsAfterArguments(t *testing.T) {
	cases := []struct {
		args []string
		want []string
		file string
	}{
		{[]string{"-f", "x.vol", "/mnt"}, []string{"/mnt"}, "x.vol"},
		{[]string{"/mnt", "-f", "x.vol"}, []string{"/mnt"}, "x.vol"},
		{[]string{"--volfile=x.vol", "a", "b"}, []string{"a", "b"}, "x.vol"},
		{[]string{"-f", "x.vol", "--", "-odd-dir"}, []string{"-odd-dir"}, "x.vol"},
	}
	for _, c := range cases {
		fs := newFlagSet("t")
		file := fs.String("f", "", "")
		fs.StringVar(file, "volfile", "", "")
		pos, err := parseFlags(fs, c.args)
		if err != nil || !reflect.DeepEqual(pos, c.want) || *file != c.file {
			t.Errorf("%v: got %v, %q, %v; want %v, %q", c.args, pos, *file, err, c.want, c.file)
		}
	}
}

func TestParseMountFlags(t *testing.T) {
	env := &Env{Stdout: &strings.Builder{}, Stderr: &strings.Builder{}, Prog: "loom"}
	mf, mp, _, ok := parseMountFlags(env, []string{"/mnt/v", "-f", "v.vol", "-N", "-o", "ro", "-o", "noatime,fsname=x",
		"-l", "/tmp/l.log", "--log-level", "debug", "--volume-name", "top", "--cpuprofile", "cpu.out", "--pid-file", "p", "--up-timeout", "3s"})
	if !ok {
		t.Fatalf("parse failed: %s", env.Stderr)
	}
	want := &mountFlags{processFlags: processFlags{volfile: "v.vol", volumeName: "top", foreground: true,
		logFile: "/tmp/l.log", logLevel: "debug", pidFile: "p", cpuProfile: "cpu.out", upTimeout: 3 * time.Second},
		opts: listFlag{"ro", "noatime,fsname=x"}}
	if mp != "/mnt/v" || !reflect.DeepEqual(mf, want) {
		t.Errorf("got %+v %q, want %+v", mf, mp, want)
	}
	mf, _, _, _ = parseMountFlags(env, []string{"--foreground", "--volfile", "v.vol", "/m"})
	if !mf.foreground || mf.volfile != "v.vol" || mf.logLevel != "info" || mf.upTimeout != 30*time.Second {
		t.Errorf("long forms / defaults: %+v", mf)
	}
}

func TestMountUsageErrors(t *testing.T) {
	keepUmask(t)
	vol := writeFile(t, "good.vol", goodVol)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-f", vol}, "no MOUNTPOINT given"},
		{[]string{"/mnt"}, "no volfile given (-f FILE)"},
		{[]string{"-f", vol, "/a", "/b"}, "one MOUNTPOINT expected, got 2 arguments"},
		{[]string{"-f", vol, "--log-level", "loud", "/mnt"}, `--log-level: log level "loud" is not one of debug, info, warn, error`},
		{[]string{"-f", vol, "--up-timeout", "0s", "/mnt"}, "--up-timeout must be positive"},
	}
	for _, c := range cases {
		status, _, errs := run(t, append([]string{"mount"}, c.args...)...)
		if status != exitUsage {
			t.Errorf("%v: status %d, want 2", c.args, status)
		}
		oneErrorLine(t, errs, "loom mount: "+c.want, "loom help mount")
	}
}

func TestMountRejectsBadMountpoints(t *testing.T) {
	keepUmask(t)
	vol := writeFile(t, "good.vol", goodVol)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		mp   string
		want string
	}{
		{filepath.Join(dir, "absent"), "does not exist"},
		{file, "is not a directory"},
		{"/proc", "is already mounted"},
	}
	for _, mode := range []string{"-N", "--log-level=info"} {
		status, _, errs := run(t, "mount", mode, "-f", vol, "-o", "ro,attr_timeout=soon", dir)
		if status != exitFail {
			t.Errorf("%s bad -o: status %d, want 1", mode, status)
		}
		oneErrorLine(t, errs, "loom mount: -o ro,attr_timeout=soon:", `"soon" is not a number of seconds`)
	}
	// Both modes must fail in the calling process, before any daemon.
	for _, mode := range []string{"-N", "--log-level=info"} {
		for _, c := range cases {
			status, _, errs := run(t, "mount", mode, "-f", vol, c.mp)
			if status != exitFail {
				t.Errorf("%s %s: status %d, want 1", mode, c.mp, status)
			}
			oneErrorLine(t, errs, "loom mount: mountpoint "+c.mp+" "+c.want)
		}
	}
}

func TestBrickDirectoryErrors(t *testing.T) {
	keepUmask(t)
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, brick := range []string{filepath.Join(dir, "absent"), notDir} {
		vol := writeFile(t, "posix.vol", "volume b\n  type storage/posix\n  option directory "+brick+"\nend-volume\n")
		mp := t.TempDir()
		status, _, errs := run(t, "mount", "-N", "-f", vol, mp)
		if status != exitFail {
			t.Errorf("brick %s: status %d, want 1", brick, status)
		}
		oneErrorLine(t, errs, "loom mount: "+vol+":1:1", `volume "b" (storage/posix)`, brick)
		if ok, _ := isMountpoint(mp); ok {
			t.Fatalf("%s is mounted after a failed mount", mp)
		}
	}
}

func TestMountinfoParsing(t *testing.T) {
	line := `36 35 98:0 /mnt1 /mnt/with\040space\134and\011tab rw,noatime master:1 - ext3 /dev/root rw,errors=continue`
	mp, ok := mountinfoMountpoint(line)
	if !ok || mp != "/mnt/with space\\and\ttab" {
		t.Errorf("mountpoint %q, %v", mp, ok)
	}
	if _, ok := mountinfoMountpoint("short line"); ok {
		t.Error("short line accepted")
	}
	if got := unescapeOctal(`a\04`); got != `a\04` {
		t.Errorf("truncated escape decoded: %q", got)
	}
	if ok, err := isMountpoint("/proc"); !ok || err != nil {
		t.Errorf("isMountpoint(/proc) = %v, %v", ok, err)
	}
	if ok, err := isMountpoint(t.TempDir()); ok || err != nil {
		t.Errorf("isMountpoint(tempdir) = %v, %v", ok, err)
	}
}

func TestDefaultLogFile(t *testing.T) {
	got := defaultLogFile("/mnt/gluster/vol1")
	if filepath.Base(got) != "mnt-gluster-vol1.log" {
		t.Errorf("defaultLogFile = %q", got)
	}
	if os.Geteuid() == 0 && filepath.Dir(got) != "/var/log/loom" {
		t.Errorf("root's log dir: %q", got)
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("fusermount3: failed\n  mount: busy\n"); got != "fusermount3: failed; mount: busy" {
		t.Errorf("oneLine = %q", got)
	}
}

func TestMountRefusesAMountpointInsideTheBrick(t *testing.T) {
	keepUmask(t)
	brick := t.TempDir()
	inside := filepath.Join(brick, "sub")
	if err := os.Mkdir(inside, 0o755); err != nil {
		t.Fatal(err)
	}
	vol := writeFile(t, "v.vol", "volume b\n  type storage/posix\n  option directory "+brick+"\nend-volume\n")
	for _, mp := range []string{brick, inside} {
		status, _, errs := run(t, "mount", "-N", "-f", vol, mp)
		if status != exitFail {
			t.Errorf("%s: status %d, want 1", mp, status)
		}
		oneErrorLine(t, errs, "loom mount: mountpoint "+mp+" is inside the brick directory "+brick, `volume "b"`, vol+":1")
	}
	// A sibling whose name merely starts with the brick's is fine.
	if err := checkNotInBrick([]xlator.VolumeSpec{{Name: "b", Type: "storage/posix",
		Options: []xlator.OptionSpec{{Key: "directory", Value: brick}}}}, brick+"-mnt"); err != nil {
		t.Errorf("sibling refused: %v", err)
	}
}
