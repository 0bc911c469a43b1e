package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// loomPkg is the Loom CLI, built from this checkout.
const loomPkg = "./cmd/loom"

// volfileFunc writes the volfile text for a Loom graph whose bricks live
// under scratch, and names the brick directories to create first.
type volfileFunc func(scratch, name string) (text string, bricks []string)

// posixVolfile is the single storage/posix brick graph of issue #2.
func posixVolfile(scratch, name string) (string, []string) {
	brick := filepath.Join(scratch, name+"-brick")
	text := fmt.Sprintf("volume brick\n    type storage/posix\n    option directory %s\nend-volume\n", brick)
	return text, []string{brick}
}

// loomTarget mounts one Loom graph with `loom mount -N -f VOLFILE MNT`.
// Graphs that need several processes (client/server) get their own type.
type loomTarget struct {
	name, desc string
	volfile    volfileFunc
	args       []string // extra `loom mount` arguments of this target
	mnt        string
	d          *daemon
}

func newLoomTarget(name, desc string, vf volfileFunc, args ...string) *loomTarget {
	return &loomTarget{name: name, desc: desc, volfile: vf, args: args}
}

func (t *loomTarget) Name() string { return t.name }

func (t *loomTarget) Describe() string { return t.desc }

func (t *loomTarget) Setup(ctx context.Context, env *Env) error {
	bin, err := loomBinary(ctx, env)
	if err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	text, bricks := t.volfile(env.Scratch, t.name)
	t.mnt = filepath.Join(env.Scratch, t.name+"-mnt")
	for _, dir := range append(bricks, t.mnt) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("setup %s: %w", t.name, err)
		}
	}
	vol := filepath.Join(env.Work, t.name+".vol")
	if err := os.WriteFile(vol, []byte(text), 0o644); err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	d, err := startDaemon(env, t.name, loomMountArgv(env, bin, t.name, vol, t.args, t.mnt), t.mnt, nil)
	if err != nil {
		return fmt.Errorf("setup %s: %w", t.name, err)
	}
	t.d = d
	return nil
}

func (t *loomTarget) Path() string { return t.mnt }

func (t *loomTarget) Teardown() error {
	if t.d == nil {
		return nil
	}
	return t.d.Release()
}

// loomMountArgv is `loom mount -N -f VOL` for the target called name:
// with -cpuprofile-dir its profile (NAME.pprof), then the target's own
// extra arguments, -loom-args and the mount point.
func loomMountArgv(env *Env, bin, name, vol string, extra []string, mnt string) []string {
	argv := []string{bin, "mount", "-N", "-f", vol}
	argv = append(argv, profileArgs(env, name)...)
	argv = append(argv, extra...)
	argv = append(argv, env.Cfg.LoomArgs...)
	return append(argv, mnt)
}

// profileArgs is the --cpuprofile option of a loom process called name
// (the profile NAME.pprof in -cpuprofile-dir), or nothing without
// -cpuprofile-dir.
func profileArgs(env *Env, name string) []string {
	if env.Cfg.ProfileDir == "" {
		return nil
	}
	return []string{"--cpuprofile", filepath.Join(env.Cfg.ProfileDir, name+".pprof")}
}

// loomBinary returns -loom-bin, or builds ./cmd/loom once per run.
func loomBinary(ctx context.Context, env *Env) (string, error) {
	if env.Cfg.LoomBin != "" {
		return env.Cfg.LoomBin, nil
	}
	bin := filepath.Join(env.Work, "loom")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := goBuild(ctx, env.Root, bin, loomPkg); err != nil {
		return "", err
	}
	return bin, nil
}
