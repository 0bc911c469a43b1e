package loomcli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"syscall"

	"github.com/loom-fs/loom/translators/mount/fuse"
	"github.com/loom-fs/loom/xlator"
)

// serve builds and starts the graph, mounts its top on mountpoint, calls
// ready once the mount is in place, and then serves until the mount ends
// (umount, or SIGINT/SIGTERM, which unmount, even when they come while
// mounting; SIGHUP reloads the volfile instead). Everything it set up is
// undone on every path out.
func serve(ctx context.Context, env *Env, mf *mountFlags, specs []xlator.VolumeSpec, top, mountpoint string, opts fuse.Options, daemonChild bool, ready func()) (err error) {
	level, _ := parseLevel(mf.logLevel)
	var logw io.Writer = env.Stderr
	if mf.logFile != "" {
		f, err := openLogFile(mf.logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		logw = f
	}
	// A closed log pipe must not kill the server and leave a dead mount
	// behind: with SIGPIPE ignored, the write just fails.
	signal.Ignore(syscall.SIGPIPE)
	log := newLogger(logw, level)
	slog.SetDefault(log)
	// The caller prints a failure on stderr; a separate log file gets it
	// too. (A daemon's stderr is its log file, so it logs it once.)
	if mf.logFile != "" && !daemonChild {
		defer func() {
			if err != nil {
				log.Error("mount failed", "err", err)
			}
		}()
	}

	if mf.pidFile != "" {
		if err := os.WriteFile(mf.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("pid file: %w", err)
		}
		defer os.Remove(mf.pidFile)
	}
	if mf.cpuProfile != "" {
		stop, err := startCPUProfile(mf.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}

	st, ctx := newStopper(ctx, log)
	defer st.stop()
	interrupted := func() error {
		return fmt.Errorf("interrupted by %v before the mount was ready", st.signal())
	}

	g, err := xlator.Build(specs, xlator.BuildOptions{Top: mf.volumeName, Log: log})
	if err != nil {
		return err
	}
	if err := g.Start(ctx); err != nil {
		if st.signal() != nil {
			return interrupted()
		}
		return err // Start stops the graph on failure
	}
	upCtx, cancel := context.WithTimeout(ctx, mf.upTimeout)
	err = g.WaitUp(upCtx)
	cancel()
	if err != nil {
		g.Stop()
		if st.signal() != nil {
			return interrupted()
		}
		return fmt.Errorf("volume %q did not come up within %v: %w", top, mf.upTimeout, err)
	}

	opts.Log = log
	m, err := fuse.Mount(g.Top(), mountpoint, opts)
	if err != nil {
		g.Stop()
		return err // names the mountpoint
	}
	if ok, err := isMountpoint(mountpoint); !ok || err != nil {
		m.Unmount()
		g.Stop()
		return fmt.Errorf("mount %s: not in /proc/self/mountinfo after mounting (%v)", mountpoint, err)
	}
	ctl, err := startControl(mountpoint, liveGraphs(&g, m, mf, mountpoint, log), log)
	if err != nil {
		// Administration is unavailable, but the mount itself works.
		log.Warn("no control socket: loom heal/control will not reach this mount", "err", err)
	} else {
		defer ctl.Close()
	}
	log.Info("serving", "volfile", mf.volfile, "top", top, "mountpoint", mountpoint, "pid", os.Getpid(), "version", Version,
		"allow_other", opts.AllowOther, "default_permissions", opts.DefaultPermissions, "read_only", opts.ReadOnly)
	ready()
	st.mounted(m, mountpoint)
	m.Wait()
	log.Info("unmounted; stopping the graph", "mountpoint", mountpoint)
	if err := g.Stop(); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// fuseOptions are the mount options: as root, every local user is served
// with the kernel checking each one's permissions (GlusterFS's default);
// then each -o list in turn. The source shown in /proc/mounts is
// "loom:TOP".
func fuseOptions(mf *mountFlags, top string) (fuse.Options, error) {
	o := fuse.Options{FSName: "loom:" + top}
	if os.Geteuid() == 0 {
		o.AllowOther = true
		o.DefaultPermissions = true
	}
	for _, list := range mf.opts {
		if err := fuse.ParseMountOptions(list, &o); err != nil {
			return o, fmt.Errorf("-o %s: %w", list, err)
		}
	}
	return o, nil
}

// startCPUProfile starts writing a CPU profile to path and returns the
// function that finishes it.
func startCPUProfile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
