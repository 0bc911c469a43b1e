package loomcli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strconv"

	"github.com/loom-fs/loom/xlator"
)

// The set-up that "loom mount" and "loom serve" share once they run the
// graph themselves (in the foreground or as the daemon child): the log,
// the pid file, the CPU profile, and the graph brought up.

// openProcessLog returns the process's logger, made slog's default: text
// at --log-level to --log-file, or to env.Stderr without one; and the
// function that closes the log file.
func openProcessLog(env *Env, pf *processFlags) (*slog.Logger, func(), error) {
	level, err := parseLevel(pf.logLevel)
	if err != nil {
		return nil, nil, err
	}
	var w io.Writer = env.Stderr
	closeLog := func() {}
	if pf.logFile != "" {
		f, err := openLogFile(pf.logFile)
		if err != nil {
			return nil, nil, err
		}
		w, closeLog = f, func() { f.Close() }
	}
	log := newLogger(w, level)
	slog.SetDefault(log)
	return log, closeLog, nil
}

// logFailure logs *errp, if it is set, as msg when the process logs to a
// file of its own: the caller prints the failure on stderr, and the log
// file gets it too. A daemon child's stderr is its log file, so it is not
// logged twice. Call it deferred, with the address of the named error
// result.
func logFailure(log *slog.Logger, pf *processFlags, daemonChild bool, msg string, errp *error) {
	if *errp != nil && pf.logFile != "" && !daemonChild {
		log.Error(msg, "err", *errp)
	}
}

// startProcessFiles writes the pid file and starts the CPU profile that
// the options ask for; the returned function finishes the profile and
// removes the pid file.
func startProcessFiles(pf *processFlags) (func(), error) {
	removePID := func() {}
	if pf.pidFile != "" {
		if err := os.WriteFile(pf.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return nil, fmt.Errorf("pid file: %w", err)
		}
		removePID = func() { os.Remove(pf.pidFile) }
	}
	stopProfile := func() {}
	if pf.cpuProfile != "" {
		stop, err := startCPUProfile(pf.cpuProfile)
		if err != nil {
			removePID()
			return nil, err
		}
		stopProfile = stop
	}
	return func() {
		stopProfile()
		removePID()
	}, nil
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

// startGraph builds the graph of specs, starts it and waits up to
// --up-timeout for its top volume (called top) to come up. On failure
// nothing of the graph is left running.
func startGraph(ctx context.Context, specs []xlator.VolumeSpec, pf *processFlags, top string, log *slog.Logger) (*xlator.Graph, error) {
	g, err := xlator.Build(specs, xlator.BuildOptions{Top: pf.volumeName, Log: log})
	if err != nil {
		return nil, err
	}
	if err := g.Start(ctx); err != nil {
		return nil, err // Start stops the graph on failure
	}
	upCtx, cancel := context.WithTimeout(ctx, pf.upTimeout)
	err = g.WaitUp(upCtx)
	cancel()
	if err != nil {
		g.Stop()
		return nil, fmt.Errorf("volume %q did not come up within %v: %w", top, pf.upTimeout, err)
	}
	return g, nil
}
