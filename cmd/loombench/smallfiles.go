package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// The small-file phases work on cfg.Files files of cfg.SmallSize bytes,
// spread evenly over cfg.Dirs directories (d000/f000000 ...), visited
// directory by directory, the order an untar produces.

func smallDirs(v *visit) []string {
	dirs := make([]string, v.cfg.Dirs)
	for i := range dirs {
		dirs[i] = filepath.Join(v.dir, fmt.Sprintf("d%03d", i))
	}
	return dirs
}

func smallPaths(v *visit) []string {
	dirs := smallDirs(v)
	paths := make([]string, 0, v.cfg.Files)
	for i := 0; i < v.cfg.Files; i++ {
		d := dirs[i*len(dirs)/v.cfg.Files]
		paths = append(paths, filepath.Join(d, fmt.Sprintf("f%06d", i)))
	}
	return paths
}

// smallMkdirs creates the directories (untimed).
func smallMkdirs(ctx context.Context, v *visit) error {
	for _, d := range smallDirs(v) {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("small mkdir: %w", err)
		}
	}
	return nil
}

// smallCreate creates each file (O_CREAT|O_EXCL), writes it in one write,
// and closes it.
func smallCreate(ctx context.Context, v *visit) (float64, error) {
	paths := smallPaths(v)
	for i, p := range paths {
		if err := checkCtx(ctx, i); err != nil {
			return 0, err
		}
		f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return 0, fmt.Errorf("small-create: %w", err)
		}
		if _, err := f.Write(v.bufs.small); err != nil {
			f.Close()
			return 0, fmt.Errorf("small-create write %s: %w", p, err)
		}
		if err := f.Close(); err != nil {
			return 0, fmt.Errorf("small-create close %s: %w", p, err)
		}
	}
	return float64(len(paths)), nil
}

// smallStat lstats every file by path, cold (caches dropped before).
func smallStat(ctx context.Context, v *visit) (float64, error) {
	paths := smallPaths(v)
	for i, p := range paths {
		if err := checkCtx(ctx, i); err != nil {
			return 0, err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return 0, fmt.Errorf("small-stat: %w", err)
		}
		if fi.Size() != int64(v.cfg.SmallSize) {
			return 0, fmt.Errorf("small-stat %s: size %d, wrote %d", p, fi.Size(), v.cfg.SmallSize)
		}
	}
	return float64(len(paths)), nil
}

// smallReaddir lists every directory (getdents only, no stat per entry),
// cold; one op is one entry returned.
func smallReaddir(ctx context.Context, v *visit) (float64, error) {
	total := 0
	for _, d := range smallDirs(v) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		f, err := os.Open(d)
		if err != nil {
			return 0, fmt.Errorf("small-readdir: %w", err)
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			return 0, fmt.Errorf("small-readdir %s: %w", d, err)
		}
		total += len(names)
	}
	if total != v.cfg.Files {
		return 0, fmt.Errorf("small-readdir %s: %d entries, created %d", v.dir, total, v.cfg.Files)
	}
	return float64(total), nil
}

// smallRead opens each file, reads its content in one read, and closes
// it, cold.
func smallRead(ctx context.Context, v *visit) (float64, error) {
	paths := smallPaths(v)
	buf := v.bufs.read[:v.cfg.SmallSize]
	for i, p := range paths {
		if err := checkCtx(ctx, i); err != nil {
			return 0, err
		}
		f, err := os.Open(p)
		if err != nil {
			return 0, fmt.Errorf("small-read: %w", err)
		}
		n, err := f.Read(buf)
		f.Close()
		if err != nil || n != len(buf) {
			return 0, fmt.Errorf("small-read %s: %d bytes: %w", p, n, err)
		}
	}
	return float64(len(paths)), nil
}

// smallUnlink unlinks every file.
func smallUnlink(ctx context.Context, v *visit) (float64, error) {
	paths := smallPaths(v)
	for i, p := range paths {
		if err := checkCtx(ctx, i); err != nil {
			return 0, err
		}
		if err := syscall.Unlink(p); err != nil {
			return 0, fmt.Errorf("small-unlink %s: %w", p, err)
		}
	}
	return float64(len(paths)), nil
}

// smallRmdirs removes the emptied directories (untimed).
func smallRmdirs(ctx context.Context, v *visit) error {
	for _, d := range smallDirs(v) {
		if err := syscall.Rmdir(d); err != nil {
			return fmt.Errorf("small rmdir %s: %w", d, err)
		}
	}
	return nil
}
