package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// serverClient is what the two-process network targets (loom-net2,
// glusterfs) share: a brick server process and a FUSE client process that
// mounts it over loopback TCP, each started from a volfile written to the
// work directory. A target embeds it for its Path and Teardown.
type serverClient struct {
	mnt string
	srv *serverProc
	d   *daemon
}

// serverClientFiles are the paths and port that prepare chose.
type serverClientFiles struct {
	serverVol, clientVol string
	port                 int
}

// prepare makes NAME-brick and NAME-mnt under the scratch directory,
// picks a free loopback port and writes NAME-server.vol (serverFmt with
// the brick directory and the port) and NAME-client.vol (clientFmt with
// the port) to the work directory.
func (p *serverClient) prepare(env *Env, name, serverFmt, clientFmt string) (serverClientFiles, error) {
	brick := filepath.Join(env.Scratch, name+"-brick")
	p.mnt = filepath.Join(env.Scratch, name+"-mnt")
	for _, dir := range []string{brick, p.mnt} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return serverClientFiles{}, err
		}
	}
	port, err := freePort()
	if err != nil {
		return serverClientFiles{}, err
	}
	f := serverClientFiles{
		serverVol: filepath.Join(env.Work, name+"-server.vol"),
		clientVol: filepath.Join(env.Work, name+"-client.vol"),
		port:      port,
	}
	if err := os.WriteFile(f.serverVol, fmt.Appendf(nil, serverFmt, brick, port), 0o644); err != nil {
		return serverClientFiles{}, err
	}
	if err := os.WriteFile(f.clientVol, fmt.Appendf(nil, clientFmt, port), 0o644); err != nil {
		return serverClientFiles{}, err
	}
	return f, nil
}

// start runs the server (serverArgv, logged as serverName) until it
// listens on port, then the client (clientArgv, logged as clientName)
// until its mount answers. The server is registered with the run's
// cleaner first, so the client is released before it.
func (p *serverClient) start(env *Env, port int, serverName string, serverArgv []string, clientName string, clientArgv []string) error {
	srv, err := startServer(env, serverName, serverArgv, port)
	if err != nil {
		return err
	}
	p.srv = srv
	d, err := startDaemon(env, clientName, clientArgv, p.mnt, nil)
	if err != nil {
		return err
	}
	p.d = d
	return nil
}

// Path is the client's mount point.
func (p *serverClient) Path() string { return p.mnt }

// Teardown unmounts the client first (it then exits), then stops the
// server.
func (p *serverClient) Teardown() error {
	var err error
	if p.d != nil {
		err = p.d.Release()
	}
	if p.srv != nil {
		if serr := p.srv.Release(); err == nil {
			err = serr
		}
	}
	return err
}
