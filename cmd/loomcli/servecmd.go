package loomcli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/loom-fs/loom/xlator"
)

// serverType is the translator type "loom serve" needs in the volfile.
const serverType = "protocol/server"

func init() {
	Register(&Command{
		Name:    "serve",
		Summary: "run a brick process: a volfile whose protocol/server exports volumes on the network",
		Usage:   "loom serve -f FILE [options]",
		Help: `Parses the volfile, builds and starts the translator graph, and serves the
volumes its protocol/server volume(s) export until SIGINT, SIGTERM or
SIGHUP stops it (a --cpuprofile is written then). It is GlusterFS's
glusterfsd. Without -N it runs as a background daemon: loom
returns once every server listens and the top volume is up (exit 0), or
prints why not (exit 1) - a port already in use, a bad option, a missing
brick directory.

The server listens on transport.socket.listen-port (default 24007, as
GlusterFS) or on a unix socket; see "loom help protocol/server".

Options:
` + processFlagsHelp("the top volume", "serve-VOLFILE.log"),
		Run: runServe,
	})
}

// parseServeFlags parses the options of "loom serve", which are the
// options every serving process has.
func parseServeFlags(env *Env, args []string) (*processFlags, int, bool) {
	c, _ := lookupCommand("serve")
	sf := &processFlags{}
	fs := newFlagSet("serve")
	sf.define(fs)
	pos, status, ok := runFlags(env, c, fs, args)
	if !ok {
		return nil, status, false
	}
	switch {
	case sf.volfile == "":
		return nil, env.usagef("serve", "no volfile given (-f FILE)"), false
	case len(pos) > 0:
		return nil, env.usagef("serve", "unexpected arguments: %s", strings.Join(pos, " ")), false
	}
	if err := sf.checkValues(); err != nil {
		return nil, env.usagef("serve", "%v", err), false
	}
	return sf, exitOK, true
}

func runServe(ctx context.Context, env *Env, args []string) int {
	sf, status, ok := parseServeFlags(env, args)
	if !ok {
		return status
	}
	// storage/posix applies each caller's umask itself.
	syscall.Umask(0)
	pipe := readyPipe()
	fail := func(err error) int {
		reportError(pipe, err)
		return env.failf("serve", "%v", err)
	}
	specs, top, err := loadVolfile(sf.volfile, sf.volumeName)
	if err != nil {
		return fail(err)
	}
	if !hasServer(specs) {
		return fail(fmt.Errorf("%s: no volume of type %s: nothing to serve (loom mount runs a client graph)", sf.volfile, serverType))
	}
	if !sf.foreground && pipe == nil {
		if err := sf.startDaemon("serve", serveLogFile(sf.volfile)); err != nil {
			return env.failf("serve", "%v", err)
		}
		return exitOK
	}
	if err := runServer(ctx, env, sf, specs, top, pipe != nil, readyReporter(pipe)); err != nil {
		return fail(err)
	}
	return exitOK
}

// hasServer reports whether the volfile has a protocol/server volume.
func hasServer(specs []xlator.VolumeSpec) bool {
	for _, s := range specs {
		if s.Type == serverType {
			return true
		}
	}
	return false
}

// runServer builds and starts the graph, waits for its top, reports
// readiness and serves until SIGINT, SIGTERM or SIGHUP (or ctx) ends it.
// The signals are caught before anything starts, so one that comes at
// any point (right after the ready report too) stops the server in
// order, and one during start-up cuts it short.
func runServer(ctx context.Context, env *Env, sf *processFlags, specs []xlator.VolumeSpec, top string, daemonChild bool, ready func()) (err error) {
	log, closeLog, err := openProcessLog(env, sf)
	if err != nil {
		return err
	}
	defer closeLog()
	defer logFailure(log, sf, daemonChild, "serve failed", &err)
	stopFiles, err := startProcessFiles(sf)
	if err != nil {
		return err
	}
	defer stopFiles()
	ctx, stopSignals := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stopSignals()
	g, err := startGraph(ctx, specs, sf, top, log)
	if err != nil {
		return err
	}
	log.Info("ready", "volfile", sf.volfile, "top", top, "pid", os.Getpid(), "version", Version)
	ready()

	<-ctx.Done()
	log.Info("stopping", "reason", context.Cause(ctx))
	if err := g.Stop(); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// serveLogFile is where a daemonized server logs when -l is not given:
// serve-VOLFILE.log (the volfile's name without its extension) in the
// default log directory.
func serveLogFile(volfile string) string {
	base := strings.TrimSuffix(filepath.Base(volfile), filepath.Ext(volfile))
	return filepath.Join(logDir(), "serve-"+base+".log")
}
