package loomcli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/loom-fs/loom/translators/mount/fuse"
	"github.com/loom-fs/loom/xlator"
)

// serveMount builds and starts the graph, mounts its top on mountpoint, calls
// ready once the mount is in place, and then serves until the mount ends
// (umount, or SIGINT/SIGTERM, which unmount, even when they come while
// mounting; SIGHUP reloads the volfile instead). Everything it set up is
// undone on every path out.
func serveMount(ctx context.Context, env *Env, mf *mountFlags, specs []xlator.VolumeSpec, top, mountpoint string, opts fuse.Options, daemonChild bool, ready func()) (err error) {
	log, closeLog, err := openProcessLog(env, &mf.processFlags)
	if err != nil {
		return err
	}
	defer closeLog()
	// A closed log pipe must not kill the server and leave a dead mount
	// behind: with SIGPIPE ignored, the write just fails.
	signal.Ignore(syscall.SIGPIPE)
	defer logFailure(log, &mf.processFlags, daemonChild, "mount failed", &err)
	stopFiles, err := startProcessFiles(&mf.processFlags)
	if err != nil {
		return err
	}
	defer stopFiles()

	st, ctx := newStopper(ctx, log)
	defer st.stop()
	g, err := startGraph(ctx, specs, &mf.processFlags, top, log)
	if err != nil {
		if st.signal() != nil {
			return fmt.Errorf("interrupted by %v before the mount was ready", st.signal())
		}
		return err
	}

	opts.Log = log
	m, err := fuse.Mount(g.Top(), mountpoint, opts)
	if err != nil {
		g.Stop()
		return err // names the mountpoint
	}
	// The control socket first: whoever sees the mount may ask it at
	// once (loom heal), even while the check below still waits.
	ctl, err := startControl(mountpoint, liveGraphs(&g, m, mf, mountpoint, log), log)
	if err != nil {
		// Administration is unavailable, but the mount itself works.
		log.Warn("no control socket: loom heal/control will not reach this mount", "err", err)
	} else {
		defer ctl.Close()
	}
	// mount(2) and FUSE INIT succeeded, so the mount is made and
	// answering; its line in this process's own mountinfo is only a
	// cross-check, and a late one is reported, never a reason to tear a
	// working mount down.
	if ok, err := waitMountVisible(mountpoint, 2*time.Second); !ok || err != nil {
		log.Warn("the new mount is not in /proc/self/mountinfo yet; serving it anyway", "mountpoint", mountpoint, "waited", "2s", "err", err)
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

// waitMountVisible polls /proc/self/mountinfo until mountpoint is listed,
// for at most limit. The mount is made and answering when this runs, but
// under parallel mounting (integration tests) its line was seen to be
// missing from this process's mountinfo, and the mountpoint's st_dev to
// be the parent's, for a moment after mount(2) and FUSE INIT returned,
// while another process saw the mount shortly after: failing at once
// tore a working mount down (about one make test run in four).
func waitMountVisible(mountpoint string, limit time.Duration) (bool, error) {
	deadline := time.Now().Add(limit)
	for {
		ok, err := isMountpoint(mountpoint)
		if ok || err != nil || time.Now().After(deadline) {
			return ok, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}
