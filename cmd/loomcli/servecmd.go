package loomcli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

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
volumes its protocol/server volume(s) export until SIGINT or SIGTERM. It is
GlusterFS's glusterfsd. Without -N it runs as a background daemon: loom
returns once every server listens and the top volume is up (exit 0), or
prints why not (exit 1) - a port already in use, a bad option, a missing
brick directory.

The server listens on transport.socket.listen-port (default 24007, as
GlusterFS) or on a unix socket; see "loom help protocol/server".

Options:
  -f, --volfile FILE       the volfile (GlusterFS syntax or TOML); required
  --volume-name NAME       the top volume (default: the last one in the file)
  -N, --foreground         stay in the foreground and log to stderr
  -l, --log-file FILE      log here (default with -N: stderr; as a daemon:
                           /var/log/loom/serve-VOLFILE.log for root,
                           ~/.local/state/loom/... otherwise)
  --log-level LEVEL        debug, info, warn or error (default info)
  --pid-file FILE          write the serving process's id here (removed on exit)
  --up-timeout DURATION    how long to wait for the top volume to come up (default 30s)`,
		Run: runServe,
	})
}

// serveFlags are the parsed options of "loom serve".
type serveFlags struct {
	volfile    string
	volumeName string
	foreground bool
	logFile    string
	logLevel   string
	pidFile    string
	upTimeout  time.Duration
}

func parseServeFlags(env *Env, args []string) (*serveFlags, int, bool) {
	c, _ := lookupCommand("serve")
	sf := &serveFlags{}
	fs := newFlagSet("serve")
	fs.StringVar(&sf.volfile, "f", "", "")
	fs.StringVar(&sf.volfile, "volfile", "", "")
	fs.StringVar(&sf.volumeName, "volume-name", "", "")
	fs.BoolVar(&sf.foreground, "N", false, "")
	fs.BoolVar(&sf.foreground, "foreground", false, "")
	fs.StringVar(&sf.logFile, "l", "", "")
	fs.StringVar(&sf.logFile, "log-file", "", "")
	fs.StringVar(&sf.logLevel, "log-level", "info", "")
	fs.StringVar(&sf.pidFile, "pid-file", "", "")
	fs.DurationVar(&sf.upTimeout, "up-timeout", 30*time.Second, "")
	pos, status, ok := runFlags(env, c, fs, args)
	if !ok {
		return nil, status, false
	}
	switch {
	case sf.volfile == "":
		return nil, env.usagef("serve", "no volfile given (-f FILE)"), false
	case len(pos) > 0:
		return nil, env.usagef("serve", "unexpected arguments: %s", strings.Join(pos, " ")), false
	case sf.upTimeout <= 0:
		return nil, env.usagef("serve", "--up-timeout must be positive"), false
	}
	if _, err := parseLevel(sf.logLevel); err != nil {
		return nil, env.usagef("serve", "--log-level: %v", err), false
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
		if err := startServeDaemon(sf); err != nil {
			return env.failf("serve", "%v", err)
		}
		return exitOK
	}
	ready := func() {
		if pipe != nil {
			os.Chdir("/")
			reportReady(pipe)
		}
	}
	if err := runServer(ctx, env, sf, specs, top, pipe != nil, ready); err != nil {
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
// readiness and serves until a signal (or ctx) ends it.
func runServer(ctx context.Context, env *Env, sf *serveFlags, specs []xlator.VolumeSpec, top string, daemonChild bool, ready func()) (err error) {
	level, _ := parseLevel(sf.logLevel)
	var logw io.Writer = env.Stderr
	if sf.logFile != "" {
		f, err := openLogFile(sf.logFile)
		if err != nil {
			return err
		}
		defer f.Close()
		logw = f
	}
	log := newLogger(logw, level)
	slog.SetDefault(log)
	if sf.logFile != "" && !daemonChild {
		defer func() {
			if err != nil {
				log.Error("serve failed", "err", err)
			}
		}()
	}
	if sf.pidFile != "" {
		if err := os.WriteFile(sf.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return fmt.Errorf("pid file: %w", err)
		}
		defer os.Remove(sf.pidFile)
	}
	g, err := xlator.Build(specs, xlator.BuildOptions{Top: sf.volumeName, Log: log})
	if err != nil {
		return err
	}
	if err := g.Start(ctx); err != nil {
		return err // Start stops the graph on failure
	}
	upCtx, cancel := context.WithTimeout(ctx, sf.upTimeout)
	err = g.WaitUp(upCtx)
	cancel()
	if err != nil {
		g.Stop()
		return fmt.Errorf("volume %q did not come up within %v: %w", top, sf.upTimeout, err)
	}
	log.Info("ready", "volfile", sf.volfile, "top", top, "pid", os.Getpid(), "version", Version)
	ready()

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	select {
	case sig := <-sigs:
		log.Info("signal received; stopping", "signal", sig.String())
	case <-ctx.Done():
		log.Info("stopping", "reason", ctx.Err())
	}
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

// startServeDaemon re-executes loom serve as a daemon and waits for it to
// report that it serves.
func startServeDaemon(sf *serveFlags) error {
	logPath := sf.logFile
	if logPath == "" {
		logPath = serveLogFile(sf.volfile)
	}
	logPath, err := filepath.Abs(logPath)
	if err != nil {
		return fmt.Errorf("daemonize: %w", err)
	}
	args := []string{"serve", "-f", sf.volfile, "-l", logPath, "--log-level", sf.logLevel, "--up-timeout", sf.upTimeout.String()}
	if sf.volumeName != "" {
		args = append(args, "--volume-name", sf.volumeName)
	}
	if sf.pidFile != "" {
		a, err := filepath.Abs(sf.pidFile)
		if err != nil {
			return fmt.Errorf("daemonize: %w", err)
		}
		args = append(args, "--pid-file", a)
	}
	return daemonize(args, logPath, sf.upTimeout+30*time.Second)
}
