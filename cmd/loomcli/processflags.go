package loomcli

import (
	"flag"
	"fmt"
	"path/filepath"
	"time"
)

// processFlags are the options "loom mount" and "loom serve" share: both
// run a translator graph as a long-lived process (a daemon unless -N).
type processFlags struct {
	volfile    string
	volumeName string
	foreground bool
	logFile    string
	logLevel   string
	pidFile    string
	cpuProfile string
	upTimeout  time.Duration
}

// processFlagsHelp is the help text of the shared options, for the
// commands' help; volumeWord names what --volume-name picks and logHint
// the daemon's default log file name.
func processFlagsHelp(volumeWord, logHint string) string {
	return `  -f, --volfile FILE       the volfile (GlusterFS syntax or TOML); required
  --volume-name NAME       ` + volumeWord + ` (default: the last one in the file)
  -N, --foreground         stay in the foreground and log to stderr
  -l, --log-file FILE      log here (default with -N: stderr; as a daemon:
                           /var/log/loom/` + logHint + ` for root,
                           ~/.local/state/loom/... otherwise)
  --log-level LEVEL        debug, info, warn or error (default info)
  --pid-file FILE          write the serving process's id here (removed on exit)
  --cpuprofile FILE        write a CPU profile (runtime/pprof) for the life of the process
  --up-timeout DURATION    how long to wait for the top volume to come up (default 30s)`
}

// define adds the shared options to fs.
func (pf *processFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&pf.volfile, "f", "", "")
	fs.StringVar(&pf.volfile, "volfile", "", "")
	fs.StringVar(&pf.volumeName, "volume-name", "", "")
	fs.BoolVar(&pf.foreground, "N", false, "")
	fs.BoolVar(&pf.foreground, "foreground", false, "")
	fs.StringVar(&pf.logFile, "l", "", "")
	fs.StringVar(&pf.logFile, "log-file", "", "")
	fs.StringVar(&pf.logLevel, "log-level", "info", "")
	fs.StringVar(&pf.pidFile, "pid-file", "", "")
	fs.StringVar(&pf.cpuProfile, "cpuprofile", "", "")
	fs.DurationVar(&pf.upTimeout, "up-timeout", 30*time.Second, "")
}

// checkValues returns what is wrong with the values of the shared options
// other than the required volfile, or nil.
func (pf *processFlags) checkValues() error {
	if pf.upTimeout <= 0 {
		return fmt.Errorf("--up-timeout must be positive")
	}
	if _, err := parseLevel(pf.logLevel); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	return nil
}

// startDaemon re-executes loom as the daemon child of cmd with these
// options and the command's own extra arguments, and waits for it to
// report that it serves. The daemon logs to --log-file or else to
// defaultLog; the log, pid and profile paths are made absolute, since the
// daemon moves to / once it serves. The volfile keeps the name the user
// gave, so that errors show it: the daemon starts in this directory.
func (pf *processFlags) startDaemon(cmd, defaultLog string, extra ...string) error {
	logPath := pf.logFile
	if logPath == "" {
		logPath = defaultLog
	}
	logPath, err := absPath(logPath)
	if err != nil {
		return err
	}
	args := []string{cmd, "-f", pf.volfile, "-l", logPath, "--log-level", pf.logLevel, "--up-timeout", pf.upTimeout.String()}
	if pf.volumeName != "" {
		args = append(args, "--volume-name", pf.volumeName)
	}
	for _, f := range []struct{ name, path string }{{"--pid-file", pf.pidFile}, {"--cpuprofile", pf.cpuProfile}} {
		if f.path == "" {
			continue
		}
		a, err := absPath(f.path)
		if err != nil {
			return err
		}
		args = append(args, f.name, a)
	}
	args = append(args, extra...)
	return daemonize(args, logPath, pf.upTimeout+30*time.Second)
}

// absPath is filepath.Abs with an error that says it was for the daemon.
func absPath(p string) (string, error) {
	a, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("daemonize: %s: %w", p, err)
	}
	return a, nil
}
