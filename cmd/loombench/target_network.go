package main

import (
	"context"
	"fmt"
	"net"
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
// -cpuprofile-dir profiles both (<name>.pprof for the mount,
// <name>-server.pprof for the server); -strace-dir traces both
// (<name>.strace, <name>-serve.strace).
type loomNetTarget struct {
	name string
	serverClient
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
	f, err := t.prepare(env, t.name, serverVolfile, clientVolfile)
	if err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	serverArgv := append([]string{bin, "serve", "-N", "-f", f.serverVol}, profileArgs(env, t.name+"-server")...)
	clientArgv := loomMountArgv(env, bin, t.name, f.clientVol, nil, t.mnt)
	if err := t.start(env, f.port, t.name+"-serve", serverArgv, t.name, clientArgv); err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	return nil
}
