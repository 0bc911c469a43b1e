package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// loopbackPkg is go-fuse's example loopback daemon, built from the version
// pinned in go.mod so the comparison moves with our dependency.
const loopbackPkg = "github.com/hanwen/go-fuse/v2/example/loopback"

// loopbackTarget mounts go-fuse's loopback example over a tmpfs
// directory, with the flags it ships with (1 s entry and attr timeouts,
// hard-coded in the example), plus -q. It is the reference for ratios.
//
// Run as root on a kernel with FUSE passthrough (6.9+), the example
// hands every opened file's fd to the kernel, and reads and writes then
// never reach the daemon. noPassthrough runs the same binary without
// CAP_SYS_ADMIN (we mount for it and pass /dev/fd/3), so the kernel
// refuses the backing fd and every read and write is a FUSE request:
// the daemon-to-daemon comparison.
//
// allowOther adds the example's -allow-other flag, with which go-fuse
// mounts with allow_other and default_permissions, as Loom does as root:
// the kernel then checks each caller's permissions itself and refreshes a
// directory's attributes (a GETATTR) after every create and unlink in it.
// That is the like-for-like comparison with Loom; the ratios stay
// relative to the example as shipped, the reference.
type loopbackTarget struct {
	name          string
	noPassthrough bool
	allowOther    bool
	mnt           string
	d             *daemon
}

func (t *loopbackTarget) Name() string { return t.name }

func (t *loopbackTarget) Describe() string {
	if t.allowOther {
		return "go-fuse v2 example/loopback -allow-other (allow_other,default_permissions as Loom as root), FUSE passthrough (entry/attr timeout 1s)"
	}
	if t.noPassthrough {
		return "go-fuse v2 example/loopback without CAP_SYS_ADMIN, so no FUSE passthrough (entry/attr timeout 1s)"
	}
	return "go-fuse v2 example/loopback as shipped, run as root: FUSE passthrough for read/write (entry/attr timeout 1s)"
}

func (t *loopbackTarget) Setup(ctx context.Context, env *Env) error {
	bin, err := loopbackBinary(ctx, env)
	if err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	backing := filepath.Join(env.Scratch, t.name+"-brick")
	t.mnt = filepath.Join(env.Scratch, t.name+"-mnt")
	for _, dir := range []string{backing, t.mnt} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("setup %s: %w", t.name, err)
		}
	}
	var argv []string
	if t.noPassthrough {
		argv = []string{"setpriv", "--bounding-set", "-sys_admin", "--inh-caps", "-sys_admin", "--"}
	}
	argv = append(argv, bin, "-q")
	if env.Cfg.ProfileDir != "" {
		argv = append(argv, "-cpuprofile", filepath.Join(env.Cfg.ProfileDir, t.name+".pprof"))
	}
	argv = append(argv, env.Cfg.LoopArgs...)
	if t.allowOther && !contains(env.Cfg.LoopArgs, "-allow-other") {
		argv = append(argv, "-allow-other")
	}
	mountArg := t.mnt
	var conn *os.File
	if t.noPassthrough {
		// What go-fuse would pass to fusermount for the example: max_read
		// = MaxWrite (128 KiB), and with -allow-other also
		// default_permissions.
		opts := "max_read=131072"
		if contains(env.Cfg.LoopArgs, "-allow-other") {
			opts += ",allow_other,default_permissions"
		}
		if conn, err = mountFuseFd(t.mnt, t.name, opts); err != nil {
			return fmt.Errorf("setup %s: %w", t.name, err)
		}
		mountArg = "/dev/fd/3"
	}
	argv = append(argv, mountArg, backing)
	d, err := startDaemon(env, t.name, argv, t.mnt, conn)
	if err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	t.d = d
	return nil
}

func (t *loopbackTarget) Path() string { return t.mnt }

func (t *loopbackTarget) Teardown() error {
	if t.d == nil {
		return nil
	}
	return t.d.Release()
}

// loopbackBinary returns -loopback-bin, or builds the example once per run.
func loopbackBinary(ctx context.Context, env *Env) (string, error) {
	if env.Cfg.LoopbackBin != "" {
		return env.Cfg.LoopbackBin, nil
	}
	bin := filepath.Join(env.Work, "loopback")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := goBuild(ctx, env.Root, bin, loopbackPkg); err != nil {
		return "", err
	}
	return bin, nil
}
