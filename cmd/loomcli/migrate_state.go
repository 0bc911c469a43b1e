package loomcli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Migration phases, as the state file records them.
const (
	phaseCopying   = "copying"   // mounted (or to be remounted), heal running
	phaseFinishing = "finishing" // finish verified and is unmounting, stripping
	phaseDone      = "done"
)

// migrateState is a migration's record, kept in NEW/.loom/migrate.json.
// Everything needed to resume after a crash is here; the copy's own
// progress is on the bricks (replicate's changelog).
type migrateState struct {
	Version   int       `json:"version"`
	Phase     string    `json:"phase"`
	Old       string    `json:"old"`
	New       string    `json:"new"`
	Mount     string    `json:"mount"`
	ViaServer bool      `json:"via_server"`
	Port      int       `json:"port,omitempty"`
	RateLimit float64   `json:"rate_limit_mib_s,omitempty"` // 0: none
	Workers   int       `json:"workers"`
	LogFile   string    `json:"log_file,omitempty"` // the mount's log; "": loom mount's default
	StartedAt time.Time `json:"started_at"`
	Starts    int       `json:"starts"` // mounts so far (1 + resumes)
	// Checkpoint is the last progress seen by a loom migrate command.
	Checkpoint migrateCheckpoint `json:"checkpoint"`
}

// migrateCheckpoint is a progress snapshot.
type migrateCheckpoint struct {
	At         time.Time `json:"at"`
	FilesDone  int64     `json:"files_done"`
	FilesTotal int64     `json:"files_total"`
	BytesDone  int64     `json:"bytes_done"`
	BytesTotal int64     `json:"bytes_total"`
}

// Where a migration keeps its files.
func migrateDir(newDir string) string       { return filepath.Join(newDir, ".loom") }
func migrateStatePath(newDir string) string { return filepath.Join(migrateDir(newDir), "migrate.json") }
func migrateVolfilePath(newDir string) string {
	return filepath.Join(migrateDir(newDir), "migrate.vol")
}
func migratePidPath(newDir string) string { return filepath.Join(migrateDir(newDir), "migrate.pid") }

// migrateIndexDir maps mountpoints to migrations: one file per
// mountpoint (its path with slashes as dashes) holding NEW's path.
const migrateIndexDir = "/var/lib/loom/migrate"

func migrateIndexPath(mount string) string {
	base := strings.ReplaceAll(strings.Trim(filepath.Clean(mount), "/"), "/", "-")
	return filepath.Join(migrateIndexDir, base)
}

// loadState reads the state file of the migration in newDir.
func loadState(newDir string) (*migrateState, error) {
	b, err := os.ReadFile(migrateStatePath(newDir))
	if err != nil {
		return nil, fmt.Errorf("migration state: %w", err)
	}
	var st migrateState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("migration state %s: %w", migrateStatePath(newDir), err)
	}
	return &st, nil
}

// save writes the state file atomically (write, fsync, rename).
func (st *migrateState) save() error {
	if err := os.MkdirAll(migrateDir(st.New), 0o700); err != nil {
		return fmt.Errorf("migration state: %w", err)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("migration state: %w", err)
	}
	return writeFileAtomic(migrateStatePath(st.New), append(b, '\n'))
}

// writeFileAtomic replaces path with data so that a crash leaves the old
// or the new contents, never a mix.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// saveIndex records that mount serves the migration to st.New.
func (st *migrateState) saveIndex() error {
	if err := os.MkdirAll(migrateIndexDir, 0o700); err != nil {
		return fmt.Errorf("migration index: %w", err)
	}
	return writeFileAtomic(migrateIndexPath(st.Mount), []byte(st.New+"\n"))
}

// removeIndex forgets the mountpoint's migration.
func removeIndex(mount string) {
	os.Remove(migrateIndexPath(mount))
}

// stateForMount finds the migration mounted (or last mounted) on mount.
func stateForMount(mount string) (*migrateState, error) {
	abs, err := filepath.Abs(mount)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mount, err)
	}
	if _, err := os.ReadFile(migrateIndexPath(abs)); errors.Is(err, os.ErrNotExist) {
		// The index names the mountpoint with its symlinks resolved.
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		}
	}
	b, err := os.ReadFile(migrateIndexPath(abs))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no migration is known for %s (%s does not exist): start one with \"loom migrate start\"", abs, migrateIndexPath(abs))
	}
	if err != nil {
		return nil, fmt.Errorf("migration index: %w", err)
	}
	return loadState(strings.TrimSpace(string(b)))
}
