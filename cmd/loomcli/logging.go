package loomcli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// parseLevel maps a --log-level word to a slog level.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q is not one of debug, info, warn, error", s)
}

// newLogger returns a text logger writing to w at level.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// defaultLogFile is where a daemonized mount logs when -l is not given:
// as GlusterFS does, the mountpoint's path with the slashes turned into
// dashes (/mnt/vol -> mnt-vol.log), under /var/log/loom for root and under
// the user's state directory ($XDG_STATE_HOME/loom or ~/.local/state/loom)
// otherwise.
func defaultLogFile(mountpoint string) string {
	name := strings.ReplaceAll(strings.Trim(mountpoint, "/"), "/", "-")
	if name == "" {
		name = "root"
	}
	return filepath.Join(logDir(), name+".log")
}

// logDir is the directory of default log files.
func logDir() string {
	if os.Geteuid() == 0 {
		return "/var/log/loom"
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "loom")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "loom")
	}
	return filepath.Join(os.TempDir(), "loom-logs")
}

// openLogFile opens (creating it and its directory) a log file for
// appending.
func openLogFile(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log file %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log file %s: %w", path, err)
	}
	return f, nil
}
