package loomcli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func init() {
	Register(&Command{
		Name:    "mount",
		Summary: "mount a volfile's top volume with FUSE",
		Usage:   "loom mount -f FILE [options] MOUNTPOINT",
		Help: `Parses the volfile, builds and starts the translator graph, waits until
its top volume is up and mounts it on MOUNTPOINT. Without -N the mount runs
as a background daemon: loom returns once the mount is ready (exit 0), or
prints why it failed (exit 1). The mount ends with "umount MOUNTPOINT",
"fusermount3 -u MOUNTPOINT", or SIGINT/SIGTERM to the loom process;
SIGHUP (or "loom volfile reload MOUNTPOINT") switches the mount to its
changed volfile without unmounting.

Run as root, the mount serves every local user and the kernel checks each
caller's permissions (allow_other and default_permissions are on);
-o adds to or overrides these.

Options:
  -f, --volfile FILE       the volfile (GlusterFS syntax or TOML); required
  --volume-name NAME       the volume to mount (default: the last one in the file)
  -o OPTIONS               mount options, comma separated; may be repeated:
                           ro, rw, allow_other, default_permissions, fsname=NAME,
                           entry_timeout=SECS, attr_timeout=SECS,
                           negative_timeout=SECS, resolve_groups, gid_timeout=SECS;
                           others (nosuid, nodev, noatime, ...) go to the kernel
  -N, --foreground         stay in the foreground and log to stderr
  -l, --log-file FILE      log here (default with -N: stderr; as a daemon:
                           /var/log/loom/MOUNTPOINT-WITH-DASHES.log for root,
                           ~/.local/state/loom/... otherwise)
  --log-level LEVEL        debug, info, warn or error (default info)
  --pid-file FILE          write the serving process's id here (removed on exit)
  --cpuprofile FILE        write a CPU profile (runtime/pprof) for the life of the mount
  --up-timeout DURATION    how long to wait for the top volume to come up (default 30s)`,
		Run: runMount,
	})
}

// mountFlags are the parsed options of "loom mount".
type mountFlags struct {
	volfile    string
	volumeName string
	opts       listFlag
	foreground bool
	logFile    string
	logLevel   string
	pidFile    string
	cpuProfile string
	upTimeout  time.Duration
}

// listFlag collects every use of a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func parseMountFlags(env *Env, args []string) (*mountFlags, string, int, bool) {
	c, _ := lookupCommand("mount")
	mf := &mountFlags{}
	fs := newFlagSet("mount")
	fs.StringVar(&mf.volfile, "f", "", "")
	fs.StringVar(&mf.volfile, "volfile", "", "")
	fs.StringVar(&mf.volumeName, "volume-name", "", "")
	fs.Var(&mf.opts, "o", "")
	fs.BoolVar(&mf.foreground, "N", false, "")
	fs.BoolVar(&mf.foreground, "foreground", false, "")
	fs.StringVar(&mf.logFile, "l", "", "")
	fs.StringVar(&mf.logFile, "log-file", "", "")
	fs.StringVar(&mf.logLevel, "log-level", "info", "")
	fs.StringVar(&mf.pidFile, "pid-file", "", "")
	fs.StringVar(&mf.cpuProfile, "cpuprofile", "", "")
	fs.DurationVar(&mf.upTimeout, "up-timeout", 30*time.Second, "")
	pos, status, ok := runFlags(env, c, fs, args)
	if !ok {
		return nil, "", status, false
	}
	switch {
	case mf.volfile == "":
		return nil, "", env.usagef("mount", "no volfile given (-f FILE)"), false
	case len(pos) == 0:
		return nil, "", env.usagef("mount", "no MOUNTPOINT given"), false
	case len(pos) > 1:
		return nil, "", env.usagef("mount", "one MOUNTPOINT expected, got %d arguments: %s", len(pos), strings.Join(pos, " ")), false
	case mf.upTimeout <= 0:
		return nil, "", env.usagef("mount", "--up-timeout must be positive"), false
	}
	if _, err := parseLevel(mf.logLevel); err != nil {
		return nil, "", env.usagef("mount", "--log-level: %v", err), false
	}
	return mf, pos[0], exitOK, true
}

func runMount(ctx context.Context, env *Env, args []string) int {
	mf, mountpoint, status, ok := parseMountFlags(env, args)
	if !ok {
		return status
	}
	// storage/posix applies each caller's umask itself; ours must not
	// interfere.
	syscall.Umask(0)
	pipe := readyPipe()
	fail := func(err error) int {
		reportError(pipe, err)
		return env.failf("mount", "%v", err)
	}
	specs, top, err := loadVolfile(mf.volfile, mf.volumeName)
	if err != nil {
		return fail(err)
	}
	mp, err := checkMountpoint(mountpoint)
	if err != nil {
		return fail(err)
	}
	if err := checkNotInBrick(specs, mp); err != nil {
		return fail(err)
	}
	opts, err := fuseOptions(mf, top)
	if err != nil {
		return fail(err)
	}
	if !mf.foreground && pipe == nil {
		if err := startDaemon(mf, mp); err != nil {
			return env.failf("mount", "%v", err)
		}
		return exitOK
	}
	ready := func() {
		if pipe != nil {
			// A daemon must not keep the directory it was started
			// in busy.
			os.Chdir("/")
			reportReady(pipe)
		}
	}
	if err := serve(ctx, env, mf, specs, top, mp, opts, pipe != nil, ready); err != nil {
		return fail(err)
	}
	return exitOK
}

// startDaemon re-executes loom as the mount daemon, with the paths it
// keeps using made absolute, and waits for it to be ready.
func startDaemon(mf *mountFlags, mountpoint string) error {
	logPath := mf.logFile
	if logPath == "" {
		logPath = defaultLogFile(mountpoint)
	}
	abs := func(p string) (string, error) {
		a, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("daemonize: %s: %w", p, err)
		}
		return a, nil
	}
	logPath, err := abs(logPath)
	if err != nil {
		return err
	}
	// The volfile keeps the name the user gave, so that errors show it:
	// the daemon starts in this directory and moves to / once mounted.
	args := []string{"mount", "-f", mf.volfile, "-l", logPath, "--log-level", mf.logLevel, "--up-timeout", mf.upTimeout.String()}
	if mf.volumeName != "" {
		args = append(args, "--volume-name", mf.volumeName)
	}
	for _, o := range mf.opts {
		args = append(args, "-o", o)
	}
	for _, f := range []struct{ name, path string }{{"--pid-file", mf.pidFile}, {"--cpuprofile", mf.cpuProfile}} {
		if f.path == "" {
			continue
		}
		a, err := abs(f.path)
		if err != nil {
			return err
		}
		args = append(args, f.name, a)
	}
	args = append(args, "--", mountpoint)
	return daemonize(args, logPath, mf.upTimeout+30*time.Second)
}
