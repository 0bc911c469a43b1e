package loomcli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

var migrateStartCommand = &Command{
	Name:    "start",
	Summary: "start (or resume) a live migration of OLD to NEW, mounted on MNT",
	Usage:   "loom migrate start --from OLD --to NEW --mount MNT [--rate-limit MiB/s] [--workers N] [--via-server] [--log-file FILE]",
	Help: `Checks the three directories (OLD a directory, NEW empty or a migration of
this OLD that stopped, MNT not mounted, none inside another), writes the
migration's volfile and state into NEW/.loom, mounts the replicate graph on
MNT as a daemon and starts a full heal. Applications use MNT from then on:
reads of what is not copied yet come from OLD, writes go to both.

Run again with the same arguments after a crash (or "loom migrate resume
MNT"): the copy continues from where it stopped.

Options:
  --from OLD           the directory in use
  --to NEW             the empty directory on the new storage
  --mount MNT          where applications will use the tree
  --rate-limit MIB_S   copy at most this many MiB per second (0: no limit)
  --workers N          directories and files healed in parallel (default 8)
  --via-server         go through protocol/server and protocol/client on
                       127.0.0.1 (one volfile, one process), as a networked
                       migration would
  --log-file FILE      the mount's log (default as loom mount's: the
                       mountpoint's path with dashes for slashes, under
                       /var/log/loom for root); kept for resume`,
}

func runMigrateStart(ctx context.Context, env *Env, args []string) int {
	fs := newFlagSet("migrate start")
	from := fs.String("from", "", "")
	to := fs.String("to", "", "")
	mnt := fs.String("mount", "", "")
	rate := fs.Float64("rate-limit", 0, "")
	workers := fs.Int("workers", 8, "")
	viaServer := fs.Bool("via-server", false, "")
	logFile := fs.String("log-file", "", "")
	pos, status, ok := runFlags(env, migrateStartCommand, fs, args)
	if !ok {
		return status
	}
	switch {
	case len(pos) > 0:
		return env.usagef("migrate start", "unexpected arguments: %s", strings.Join(pos, " "))
	case *from == "" || *to == "" || *mnt == "":
		return env.usagef("migrate start", "--from, --to and --mount are required")
	case *rate < 0:
		return env.usagef("migrate start", "--rate-limit must not be negative")
	case *workers < 1 || *workers > 64:
		return env.usagef("migrate start", "--workers must be 1..64")
	}
	st, err := prepareMigration(*from, *to, *mnt)
	if err != nil {
		return env.failf("migrate start", "%v", err)
	}
	st.RateLimit, st.Workers, st.ViaServer = *rate, *workers, *viaServer
	if *logFile != "" {
		if st.LogFile, err = absPath(*logFile); err != nil {
			return env.failf("migrate start", "--log-file: %v", err)
		}
	}
	resumed := st.Starts > 0
	if err := mountMigration(ctx, env, st); err != nil {
		return env.failf("migrate start", "%v", err)
	}
	verb := "started"
	if resumed {
		verb = "resumed"
	}
	fmt.Fprintf(env.Stdout, "migration %s: %s -> %s, in use on %s\n", verb, st.Old, st.New, st.Mount)
	fmt.Fprintf(env.Stdout, "follow it with \"%s migrate status %s\"; end it with \"%s migrate finish %s\"\n", env.Prog, st.Mount, env.Prog, st.Mount)
	return exitOK
}

// prepareMigration checks OLD, NEW and MNT and returns the state of a new
// migration, or of the stopped one in NEW.
func prepareMigration(from, to, mnt string) (*migrateState, error) {
	old, err := realDir("OLD", from)
	if err != nil {
		return nil, err
	}
	newDir, err := realDir("NEW", to)
	if err != nil {
		return nil, err
	}
	if ownsMount(mnt, newDir) {
		if err := clearDeadMount(mnt); err != nil {
			return nil, err
		}
	}
	mp, err := checkMountpoint(mnt)
	if err != nil {
		return nil, err
	}
	for _, p := range [][2]string{{old, newDir}, {old, mp}, {newDir, mp}} {
		if within(p[0], p[1]) || within(p[1], p[0]) {
			return nil, fmt.Errorf("%s and %s must not be one inside the other", p[0], p[1])
		}
	}
	ents, err := os.ReadDir(newDir)
	if err != nil {
		return nil, fmt.Errorf("NEW %s: %w", newDir, err)
	}
	if len(ents) > 0 {
		st, err := loadState(newDir)
		if err != nil {
			return nil, fmt.Errorf("NEW %s is not empty and holds no migration to resume (%v)", newDir, err)
		}
		if st.Old != old {
			return nil, fmt.Errorf("NEW %s holds a migration of %s, not of %s", newDir, st.Old, old)
		}
		if st.Phase != phaseCopying {
			return nil, fmt.Errorf("the migration in %s is %s; \"loom migrate finish %s\" completes it", newDir, st.Phase, st.Mount)
		}
		st.Mount = mp
		return st, nil
	}
	if _, err := os.Lstat(filepath.Join(old, ".loom")); err == nil {
		return nil, fmt.Errorf("OLD %s has a .loom entry at its root: it is (or was) a Loom brick; remove Loom's metadata with \"loom migrate strip %s\" first if it is no longer used", old, old)
	}
	if err := makeLoomDir(old); err != nil {
		return nil, err
	}
	return &migrateState{Version: 1, Phase: phaseCopying, Old: old, New: newDir, Mount: mp, StartedAt: time.Now().UTC()}, nil
}

// makeLoomDir makes OLD/.loom (where storage/posix keeps its handles)
// and puts back OLD's times, which making it changed: the brick would
// otherwise make it once mounted, and the root's new mtime would reach
// NEW.
func makeLoomDir(old string) error {
	var st unix.Stat_t
	if err := unix.Lstat(old, &st); err != nil {
		return fmt.Errorf("OLD %s: %w", old, err)
	}
	if err := unix.Mkdir(filepath.Join(old, ".loom"), 0o700); err != nil {
		return fmt.Errorf("OLD %s: %w", old, err)
	}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, old, []unix.Timespec{st.Atim, st.Mtim}, 0); err != nil {
		return fmt.Errorf("OLD %s: keeping its times: %w", old, err)
	}
	return nil
}

// mountMigration writes the volfile and state, mounts the graph and
// starts the full heal.
func mountMigration(ctx context.Context, env *Env, st *migrateState) error {
	if st.ViaServer {
		port, err := freeLoopbackPort()
		if err != nil {
			return err
		}
		st.Port = port
	}
	st.Starts++
	if err := st.save(); err != nil {
		return err
	}
	oldBind, newBind, err := bindBricks(st)
	if err != nil {
		return err
	}
	vol := migrateVolfilePath(st.New)
	if err := writeFileAtomic(vol, migrateVolfile(st, oldBind, newBind)); err != nil {
		unbindBricks(st)
		return err
	}
	if err := st.saveIndex(); err != nil {
		return err
	}
	var errOut strings.Builder
	menv := &Env{Stdin: env.Stdin, Stdout: env.Stdout, Stderr: &errOut, Prog: env.Prog}
	argv := []string{"mount", "-f", vol, "--pid-file", migratePidPath(st.New)}
	if st.LogFile != "" {
		argv = append(argv, "-l", st.LogFile)
	}
	if Run(ctx, menv, append(argv, "--", st.Mount)) != exitOK {
		unbindBricks(st)
		return fmt.Errorf("mounting the migration graph (%s): %s", vol, strings.TrimSpace(errOut.String()))
	}
	return startFullHeal(st.Mount)
}

// startFullHeal makes sure a full heal runs. Replicate starts one by
// itself when it finds NEW fresh (a first start); asking for another
// then would only crawl everything a second time, so it is asked for
// only when none began within a second (a resumed migration).
func startFullHeal(mnt string) error {
	for i := 0; i < 20; i++ {
		raw, err := replicateControl(mnt, "status")
		if err != nil {
			return fmt.Errorf("starting the full heal: %w", err)
		}
		var hs healStatus
		if json.Unmarshal(raw, &hs) == nil && (hs.FullRunning || hs.Seconds > 0) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := replicateControl(mnt, "full"); err != nil {
		return fmt.Errorf("starting the full heal: %w", err)
	}
	return nil
}

// replicateControl sends cmd to the replicate volume of the migration
// mounted on mnt and returns its raw JSON answer.
func replicateControl(mnt, cmd string, args ...string) ([]byte, error) {
	replies, err := sendControl(mnt, &ControlRequest{Type: "cluster/replicate", Volume: migrateTop, Cmd: cmd, Args: args})
	if err != nil {
		return nil, err
	}
	if len(replies) != 1 {
		return nil, fmt.Errorf("%s: %d answers to %q, want 1", mnt, len(replies), cmd)
	}
	if replies[0].Error != "" {
		return nil, errors.New(replies[0].Error)
	}
	return replies[0].Result, nil
}

// realDir returns dir absolute with symlinks resolved, if it is a
// directory.
func realDir(what, dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, dir, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, dir, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", what, dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%s %s is not a directory", what, dir)
	}
	return real, nil
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// ownsMount reports whether the migration index says mnt was the
// mountpoint of the migration to newDir.
func ownsMount(mnt, newDir string) bool {
	abs, err := filepath.Abs(mnt)
	if err != nil {
		return false
	}
	b, err := os.ReadFile(migrateIndexPath(abs))
	return err == nil && strings.TrimSpace(string(b)) == newDir
}

// clearDeadMount lazily unmounts a FUSE mount on mnt whose server died
// (a crashed migration): nothing can be using it any more.
func clearDeadMount(mnt string) error {
	var sfs unix.Statfs_t
	if err := unix.Statfs(mnt, &sfs); !errors.Is(err, unix.ENOTCONN) {
		return nil
	}
	if err := unix.Unmount(mnt, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("removing the dead mount on %s: %w", mnt, err)
	}
	return nil
}

// freeLoopbackPort returns a TCP port of 127.0.0.1 that was free a moment
// ago.
func freeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
