package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// The network targets: storage/posix reached through protocol/client and
// protocol/server over loopback TCP, against the local posix graph
// ("loom") in the same run. loom-net runs both ends in one `loom mount`
// process (the single-file volfile); loom-net2 runs `loom serve` and
// `loom mount` as two processes, as a real deployment (and the glusterfs
// target) does.
func init() {
	targetFactories = append(targetFactories,
		func() Target {
			return newLoomTarget("loom-net", "Loom storage/posix via protocol/client -> loopback TCP -> protocol/server (one loom process, single-file volfile)", networkVolfile)
		},
		func() Target { return &loomNetTarget{name: "loom-net2"} })
	comparisons = append(comparisons,
		comparison{"loom-net", "loom"},
		comparison{"loom-net2", "loom"},
		comparison{"loom-net2", "loom-nopt"})
}

// networkVolfile is the single-file form: a brick, its protocol/server on
// a free loopback port, and the protocol/client graph that is mounted.
func networkVolfile(scratch, name string) (string, []string) {
	brick := filepath.Join(scratch, name+"-brick")
	port := 24007
	if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
		port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	text := fmt.Sprintf(`volume brick
    type storage/posix
    option directory %s
end-volume
volume server
    type protocol/server
    option transport.socket.listen-address 127.0.0.1
    option transport.socket.listen-port %d
    subvolumes brick
end-volume
volume remote
    type protocol/client
    option remote-host 127.0.0.1
    option remote-port %d
    option remote-subvolume brick
end-volume
`, brick, port, port)
	return text, []string{brick}
}

// serverVolfile is the brick side of loom-net2: storage/posix and
// features/locks under protocol/server, the same stack as the glusterfs
// target's brick.
const serverVolfile = `volume posix
    type storage/posix
    option directory %s
end-volume
volume locks
    type features/locks
    subvolumes posix
end-volume
volume server
    type protocol/server
    option transport.socket.listen-address 127.0.0.1
    option transport.socket.listen-port %d
    subvolumes locks
end-volume
`

// clientVolfile is the mounted side of loom-net2.
const clientVolfile = `volume remote
    type protocol/client
    option remote-host 127.0.0.1
    option remote-port %d
    option remote-subvolume locks
end-volume
`

// loomNetTarget is `loom serve -N -f server.vol` (a brick process) and
// `loom mount -N -f client.vol MNT` (a client process) on loopback TCP.
// -cpuprofile-dir profiles the mount (<name>.pprof); -strace-dir traces
// both (<name>.strace, <name>-serve.strace).
type loomNetTarget struct {
	name string
	mnt  string
	srv  *serverProc
	d    *daemon
}

func (t *loomNetTarget) Name() string { return t.name }

func (t *loomNetTarget) Describe() string {
	return "Loom storage/posix+features/locks via protocol/client -> loopback TCP -> protocol/server, as two processes (loom serve, loom mount)"
}

func (t *loomNetTarget) Setup(ctx context.Context, env *Env) error {
	bin, err := loomBinary(ctx, env)
	if err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	brick := filepath.Join(env.Scratch, t.name+"-brick")
	t.mnt = filepath.Join(env.Scratch, t.name+"-mnt")
	for _, dir := range []string{brick, t.mnt} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("setup %s: %w", t.name, err)
		}
	}
	port, err := freePort()
	if err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	svol := filepath.Join(env.Work, t.name+"-server.vol")
	cvol := filepath.Join(env.Work, t.name+"-client.vol")
	if err := os.WriteFile(svol, fmt.Appendf(nil, serverVolfile, brick, port), 0o644); err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	if err := os.WriteFile(cvol, fmt.Appendf(nil, clientVolfile, port), 0o644); err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	srv, err := startServer(env, t.name+"-serve", []string{bin, "serve", "-N", "-f", svol}, port)
	if err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	t.srv = srv
	argv := []string{bin, "mount", "-N", "-f", cvol}
	if env.Cfg.ProfileDir != "" {
		argv = append(argv, "--cpuprofile", filepath.Join(env.Cfg.ProfileDir, t.name+".pprof"))
	}
	argv = append(argv, env.Cfg.LoomArgs...)
	argv = append(argv, t.mnt)
	d, err := startDaemon(env, t.name, argv, t.mnt, nil)
	if err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	t.d = d
	return nil
}

func (t *loomNetTarget) Path() string { return t.mnt }

// Teardown unmounts the client first, then stops the server.
func (t *loomNetTarget) Teardown() error {
	var err error
	if t.d != nil {
		err = t.d.Release()
	}
	if t.srv != nil {
		if serr := t.srv.Release(); err == nil {
			err = serr
		}
	}
	return err
}
