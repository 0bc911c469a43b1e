package loomcli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The bricks of a migration are not OLD and NEW themselves but noatime
// bind mounts of them under migrateRunDir: the copy reads every file,
// directory and symlink of OLD, and on OLD's own mount each of those
// reads would set the entry's access time to now (relatime), which the
// metadata heal would then carry to NEW. Through the noatime binds OLD's
// access times stay as they were and arrive on NEW unchanged. Reads by
// applications through MNT do not update access times while the
// migration runs, as on any noatime mount.

// migrateRunDir holds the bind mounts, one directory per migration.
const migrateRunDir = "/run/loom/migrate"

// bindPaths returns where OLD and NEW are bound for the migration
// mounted on mount.
func bindPaths(mount string) (oldBind, newBind string) {
	base := strings.ReplaceAll(strings.Trim(filepath.Clean(mount), "/"), "/", "-")
	dir := filepath.Join(migrateRunDir, base)
	return filepath.Join(dir, "old"), filepath.Join(dir, "new")
}

// bindNoatime bind-mounts src on dst with noatime, unless dst already is
// a mount (left by a migration process that died).
func bindNoatime(src, dst string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return fmt.Errorf("bind mount %s: %w", dst, err)
	}
	mounted, err := isMountpoint(dst)
	if err != nil {
		return err
	}
	if mounted {
		return nil
	}
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind mount %s on %s: %w", src, dst, err)
	}
	if err := unix.Mount("", dst, "", unix.MS_REMOUNT|unix.MS_BIND|unix.MS_NOATIME, ""); err != nil {
		unix.Unmount(dst, unix.MNT_DETACH)
		return fmt.Errorf("bind mount %s: making it noatime: %w", dst, err)
	}
	return nil
}

// unbind removes a bind mount made by bindNoatime and its directory.
func unbind(dst string) error {
	mounted, err := isMountpoint(dst)
	if err != nil {
		return err
	}
	if mounted {
		if err := unix.Unmount(dst, 0); err != nil {
			if !errors.Is(err, unix.EBUSY) {
				return fmt.Errorf("unmounting %s: %w", dst, err)
			}
			if err := unix.Unmount(dst, unix.MNT_DETACH); err != nil {
				return fmt.Errorf("unmounting %s: %w", dst, err)
			}
		}
	}
	os.Remove(dst)
	os.Remove(filepath.Dir(dst))
	return nil
}

// bindBricks makes the two bind mounts of a migration.
func bindBricks(st *migrateState) (oldBind, newBind string, err error) {
	oldBind, newBind = bindPaths(st.Mount)
	if err := bindNoatime(st.Old, oldBind); err != nil {
		return "", "", err
	}
	if err := bindNoatime(st.New, newBind); err != nil {
		unbind(oldBind)
		return "", "", err
	}
	return oldBind, newBind, nil
}

// unbindBricks removes the bind mounts of a migration.
func unbindBricks(st *migrateState) error {
	oldBind, newBind := bindPaths(st.Mount)
	return errors.Join(unbind(oldBind), unbind(newBind))
}
