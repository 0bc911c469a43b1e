package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The glusterfs target: a real GlusterFS 10 brick, storage/posix and
// features/locks under protocol/server run by `glusterfsd -f server.vol`,
// mounted by `glusterfs -f client.vol MNT` with a bare protocol/client —
// the same stack as loom-net2, without glusterd (standalone volfiles, as
// shared/GLUSTERFS-NOTES.md explains). GlusterFS is installed with
// apt-get only when this target is selected and its binaries are missing.
func init() {
	targetFactories = append(targetFactories, func() Target { return &glusterTarget{} })
	comparisons = append(comparisons, comparison{"loom-net2", "glusterfs"}, comparison{"loom-net", "glusterfs"})
}

// glusterPackages are the Debian packages that hold glusterfsd and glusterfs.
var glusterPackages = []string{"glusterfs-server", "glusterfs-client"}

// glusterServerVolfile is the brick: option auth.addr.<subvolume>.allow is
// mandatory (GlusterFS refuses every client without it).
const glusterServerVolfile = `volume posix
    type storage/posix
    option directory %s
end-volume

volume locks
    type features/locks
    subvolumes posix
end-volume

volume server
    type protocol/server
    option transport-type tcp
    option transport.socket.bind-address 127.0.0.1
    option transport.socket.listen-port %d
    option auth.addr.locks.allow 127.0.0.1
    subvolumes locks
end-volume
`

// glusterClientVolfile is the mounted graph; remote-port is required
// without a glusterd to ask.
const glusterClientVolfile = `volume client
    type protocol/client
    option transport-type tcp
    option remote-host 127.0.0.1
    option remote-port %d
    option remote-subvolume locks
end-volume
`

// glusterTarget runs glusterfsd and the glusterfs FUSE client, both in
// the foreground (-N) under this program's control.
type glusterTarget struct {
	serverClient
}

func (t *glusterTarget) Name() string { return "glusterfs" }

func (t *glusterTarget) Describe() string {
	v := "GlusterFS"
	if out, err := exec.Command("glusterfs", "--version").Output(); err == nil {
		v = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	return v + ": storage/posix+features/locks under protocol/server (glusterfsd -f), FUSE client glusterfs -f with protocol/client, loopback TCP"
}

func (t *glusterTarget) Setup(ctx context.Context, env *Env) error {
	if err := ensureGlusterFS(ctx, env); err != nil {
		return fmt.Errorf("setup glusterfs: %w", err)
	}
	f, err := t.prepare(env, "glusterfs", glusterServerVolfile, glusterClientVolfile)
	if err != nil {
		return fmt.Errorf("setup glusterfs: %w", err)
	}
	serverArgv := []string{"glusterfsd", "-N", "-f", f.serverVol, "--volfile-id=loombench",
		"-l", filepath.Join(env.Work, "glusterfsd-brick.log")}
	clientArgv := []string{"glusterfs", "-N", "-f", f.clientVol, "-l", filepath.Join(env.Work, "glusterfs-client.log"), t.mnt}
	if err := t.start(env, f.port, "glusterfsd", serverArgv, "glusterfs", clientArgv); err != nil {
		return fmt.Errorf("setup glusterfs: %w", err)
	}
	return nil
}

// ensureGlusterFS installs GlusterFS's server and client packages with
// apt-get unless glusterfsd and glusterfs are already on PATH; the output
// goes to glusterfs-install.log in the work directory.
func ensureGlusterFS(ctx context.Context, env *Env) error {
	_, errd := exec.LookPath("glusterfsd")
	_, errc := exec.LookPath("glusterfs")
	if errd == nil && errc == nil {
		return nil
	}
	logPath := filepath.Join(env.Work, "glusterfs-install.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(os.Stderr, "loombench: installing %s with apt-get (log: %s)\n", strings.Join(glusterPackages, " "), logPath)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	aptGet := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = logf, logf
		return cmd.Run()
	}
	install := append([]string{"install", "-y"}, glusterPackages...)
	if err := aptGet(install...); err != nil {
		// Stale package lists are the usual reason: refresh and retry.
		if err := aptGet("update"); err != nil {
			return fmt.Errorf("apt-get update: %w\n%s", err, logTail("apt-get", logPath))
		}
		if err := aptGet(install...); err != nil {
			return fmt.Errorf("apt-get install: %w\n%s", err, logTail("apt-get", logPath))
		}
	}
	return nil
}
