package loomcli

import (
	"context"
	"strings"
	"syscall"
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
` + processFlagsHelp("the volume to mount", "MOUNTPOINT-WITH-DASHES.log") + `
  -o OPTIONS               mount options, comma separated; may be repeated:
                           ro, rw, allow_other, default_permissions, fsname=NAME,
                           entry_timeout=SECS, attr_timeout=SECS,
                           negative_timeout=SECS, resolve_groups, gid_timeout=SECS;
                           others (nosuid, nodev, noatime, ...) go to the kernel`,
		Run: runMount,
	})
}

// mountFlags are the parsed options of "loom mount".
type mountFlags struct {
	processFlags
	opts listFlag
}

// listFlag collects every use of a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func parseMountFlags(env *Env, args []string) (*mountFlags, string, int, bool) {
	c, _ := lookupCommand("mount")
	mf := &mountFlags{}
	fs := newFlagSet("mount")
	mf.define(fs)
	fs.Var(&mf.opts, "o", "")
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
	}
	if err := mf.checkValues(); err != nil {
		return nil, "", env.usagef("mount", "%v", err), false
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
		if err := startMountDaemon(mf, mp); err != nil {
			return env.failf("mount", "%v", err)
		}
		return exitOK
	}
	if err := serveMount(ctx, env, mf, specs, top, mp, opts, pipe != nil, readyReporter(pipe)); err != nil {
		return fail(err)
	}
	return exitOK
}

// startMountDaemon re-executes loom as the mount daemon and waits for it
// to be ready.
func startMountDaemon(mf *mountFlags, mountpoint string) error {
	var extra []string
	for _, o := range mf.opts {
		extra = append(extra, "-o", o)
	}
	extra = append(extra, "--", mountpoint)
	return mf.startDaemon("mount", defaultLogFile(mountpoint), extra...)
}
