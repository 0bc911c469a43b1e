package fuse

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	gofuse "github.com/hanwen/go-fuse/v2/fuse"

	"github.com/loom-fs/loom/xlator"
)

// maxWrite is the largest READ and WRITE request the kernel sends.
const maxWrite = 1 << 20

// Session is a served FUSE mount of a translator graph, as returned by
// Mount. (Go does not allow a type and a function of the same name, so
// the brief's "*Mount" is called Session.)
type Session struct {
	mountpoint string
	server     *gofuse.Server
	bridge     *bridge
	direct     bool
	done       chan struct{}

	unmountOnce sync.Once
	unmountErr  error
}

// Mount serves top at mountpoint and returns once the kernel has the
// mount ready (a stat of the mountpoint works). Errors are one line:
// mountpoint missing / not a directory / already a mount point / mount(2)
// failure.
func Mount(top xlator.Translator, mountpoint string, o Options) (*Session, error) {
	o = o.withDefaults()
	abs, err := filepath.Abs(mountpoint)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %w", mountpoint, err)
	}
	if err := checkMountpoint(abs); err != nil {
		return nil, err
	}
	b := newBridge(newLiveTop(top), o) // liveTop: SwitchTop can replace the graph (switch.go)
	mo := mountOptions(o, os.Geteuid() == 0)
	_, readOnly := top.(xlator.ReadOnlyBackingFiler)
	if b.backer == nil || readOnly {
		// No handle open for writing is passed through, so every
		// write and truncate reaches the bridge, which clears the
		// set-id bits (killpriv.go); the kernel then stops asking for
		// security.capability before every write(2) (for replicate:
		// one GETXATTR round trip per write).
		b.killPriv = true
		mo.ExtraCapabilities |= gofuse.CAP_HANDLE_KILLPRIV_V2
	}
	if b.backer != nil && readOnly {
		// Writers skip the page cache, which only writers would fill
		// (passthrough.go, directWriter); they may still mmap.
		b.directWrites = true
		mo.ExtraCapabilities |= gofuse.CAP_DIRECT_IO_ALLOW_MMAP
	}
	if b.backer == nil {
		// Nothing to pass through: do not ask the kernel for it, which
		// would also forbid stacking another file system on the mount.
		mo.DisabledCapabilities |= gofuse.CAP_PASSTHROUGH
	}
	srv, err := gofuse.NewServer(b, abs, mo)
	if err != nil {
		return nil, fmt.Errorf("mount %s: %s", abs, oneLine(err))
	}
	b.server = srv
	m := &Session{mountpoint: abs, server: srv, bridge: b, direct: mo.DirectMount, done: make(chan struct{})}
	go func() {
		srv.Serve()
		close(m.done)
	}()
	if err := srv.WaitMount(); err != nil {
		m.Unmount()
		return nil, fmt.Errorf("mount %s: waiting for the kernel: %s", abs, oneLine(err))
	}
	if _, err := os.Stat(abs); err != nil {
		m.Unmount()
		return nil, fmt.Errorf("mount %s: the new mount does not answer: %s", abs, oneLine(err))
	}
	if mo.DirectMount {
		// Only root may write sysfs; a failure costs speed, not function.
		if _, err := raiseReadAhead(abs, mo.MaxReadAhead/1024); err != nil {
			o.Log.Warn("readahead stays at the system default", "mountpoint", abs, "err", err)
		}
	}
	o.Log.Info("mounted", "mountpoint", abs, "top", top.Name(), "fsname", o.FSName)
	return m, nil
}

// mountOptions turns o into go-fuse's options. As root the mount is made
// with mount(2) directly (no fusermount3), so flag-like options (ro,
// noatime, ...) become mount flags rather than option text, which the
// kernel's fuse module would reject.
func mountOptions(o Options, root bool) *gofuse.MountOptions {
	mo := &gofuse.MountOptions{
		AllowOther: o.AllowOther,
		FsName:     o.FSName,
		Name:       "loom",
		MaxWrite:   maxWrite,
		// Readahead up to one whole request: a sequential read through
		// a network graph (no passthrough) then costs 8x fewer round
		// trips (loom serve + loom mount on tmpfs, cold cache, 512 MiB,
		// alternated: 231-361 MB/s at 128 KiB, 350-501 MB/s at 1 MiB;
		// 4 KiB random reads unchanged within the noise).
		MaxReadAhead: maxWrite,
		EnableLocks:  true,
		EnableAcl:    true,
		DirectMount:  root,
		Debug:        o.Debug,
		Logger:       log.New(slogWriter{o.Log, logLevel(o.Debug)}, "", 0),
		// More background requests than go-fuse's 12 keep readahead
		// and async writes of several files in flight.
		MaxBackground: 64,
		// The kernel passes each creation's umask instead of applying
		// it: storage/posix applies it, except in a directory with a
		// default ACL, where POSIX says the ACL decides (a kernel-masked
		// mode would cut the inherited ACL's mask).
		ExtraCapabilities: gofuse.CAP_DONT_MASK,
	}
	var opts []string
	if o.DefaultPermissions {
		opts = append(opts, "default_permissions")
	}
	flags := uintptr(syscall.MS_NOSUID | syscall.MS_NODEV)
	if o.ReadOnly {
		flags |= syscall.MS_RDONLY
		if !root {
			opts = append(opts, "ro")
		}
	}
	for _, e := range o.Extra {
		if f, set, ok := mountFlag(e); ok && root {
			if set {
				flags |= f
			} else {
				flags &^= f
			}
			continue
		}
		opts = append(opts, e)
	}
	mo.Options = opts
	if root {
		mo.DirectMountFlags = flags
	}
	return mo
}

// mountFlag maps a flag-like mount option to its MS_* bit; set is false
// for options that clear the bit (dev, suid, exec, rw, ...).
func mountFlag(opt string) (flag uintptr, set, ok bool) {
	switch opt {
	case "ro":
		return syscall.MS_RDONLY, true, true
	case "rw":
		return syscall.MS_RDONLY, false, true
	case "nosuid":
		return syscall.MS_NOSUID, true, true
	case "suid":
		return syscall.MS_NOSUID, false, true
	case "nodev":
		return syscall.MS_NODEV, true, true
	case "dev":
		return syscall.MS_NODEV, false, true
	case "noexec":
		return syscall.MS_NOEXEC, true, true
	case "exec":
		return syscall.MS_NOEXEC, false, true
	case "noatime":
		return syscall.MS_NOATIME, true, true
	case "atime":
		return syscall.MS_NOATIME, false, true
	case "nodiratime":
		return syscall.MS_NODIRATIME, true, true
	case "diratime":
		return syscall.MS_NODIRATIME, false, true
	case "relatime":
		return syscall.MS_RELATIME, true, true
	case "norelatime":
		return syscall.MS_RELATIME, false, true
	case "strictatime":
		return syscall.MS_STRICTATIME, true, true
	case "sync":
		return syscall.MS_SYNCHRONOUS, true, true
	case "async":
		return syscall.MS_SYNCHRONOUS, false, true
	case "dirsync":
		return syscall.MS_DIRSYNC, true, true
	case "lazytime":
		return 1 << 25, true, true // MS_LAZYTIME
	}
	return 0, false, false
}

// checkMountpoint returns a one-line error if dir cannot be mounted on.
func checkMountpoint(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("mount %s: mountpoint does not exist", dir)
	case err != nil:
		return fmt.Errorf("mount %s: %s", dir, oneLine(err))
	case !st.IsDir():
		return fmt.Errorf("mount %s: mountpoint is not a directory", dir)
	}
	mounted, err := isMountpoint(dir)
	if err != nil {
		return fmt.Errorf("mount %s: %w", dir, err)
	}
	if mounted {
		return fmt.Errorf("mount %s: already a mount point (unmount it first)", dir)
	}
	return nil
}

// isMountpoint reports whether dir is the mount point of a mount listed
// in /proc/self/mountinfo.
func isMountpoint(dir string) (bool, error) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false, fmt.Errorf("resolve %s: %w", dir, err)
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false, fmt.Errorf("list mounts: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescapeMountinfo(fields[4]) == real {
			return true, nil
		}
	}
	if err := sc.Err(); err != nil {
		return false, fmt.Errorf("list mounts: %w", err)
	}
	return false, nil
}

// unescapeMountinfo decodes the \NNN octal escapes of mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, ok := octal3(s[i+1 : i+4]); ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func octal3(s string) (byte, bool) {
	if len(s) != 3 {
		return 0, false
	}
	v := 0
	for _, c := range s {
		if c < '0' || c > '7' {
			return 0, false
		}
		v = v*8 + int(c-'0')
	}
	return byte(v), v < 256
}

// oneLine flattens a multi-line error text (fusermount3 output).
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// Wait returns when the file system is unmounted (umount, fusermount3
// -u, Unmount).
func (m *Session) Wait() { <-m.done }

// Unmount unmounts (retrying lazily if busy) and waits for the serve loop
// to end.
func (m *Session) Unmount() error {
	m.unmountOnce.Do(func() { m.unmountErr = m.unmount() })
	return m.unmountErr
}

func (m *Session) unmount() error {
	select {
	case <-m.done:
		return nil
	default:
	}
	err := m.server.Unmount()
	if err != nil {
		// Busy: detach the mount now; the kernel ends the session
		// when the last user lets go.
		if lerr := m.lazyUnmount(); lerr != nil {
			return fmt.Errorf("unmount %s: %s (lazy unmount: %s)", m.mountpoint, oneLine(err), oneLine(lerr))
		}
	}
	select {
	case <-m.done:
	case <-time.After(time.Minute):
		return fmt.Errorf("unmount %s: serve loop did not end within a minute", m.mountpoint)
	}
	return nil
}

// lazyUnmount detaches the mount (umount -l).
func (m *Session) lazyUnmount() error {
	if m.direct {
		if err := syscall.Unmount(m.mountpoint, syscall.MNT_DETACH); err == nil {
			return nil
		}
	}
	for _, bin := range []string{"fusermount3", "fusermount"} {
		if path, err := exec.LookPath(bin); err == nil {
			out, err := exec.Command(path, "-u", "-z", m.mountpoint).CombinedOutput()
			if err != nil {
				return fmt.Errorf("%s -u -z: %s: %w", bin, strings.TrimSpace(string(out)), err)
			}
			return nil
		}
	}
	return errors.New("no fusermount3 to unmount with")
}

// Inodes returns the current size of the inode table.
func (m *Session) Inodes() int { return m.bridge.inodes.len() }

// slogWriter carries go-fuse's log lines into slog.
type slogWriter struct {
	log   *slog.Logger
	level slog.Level
}

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Log(context.Background(), w.level, strings.TrimRight(string(p), "\n"), "component", "go-fuse")
	return len(p), nil
}

// logLevel is Info for go-fuse's request log (asked for with Debug) and
// Warn otherwise, when go-fuse only reports trouble.
func logLevel(debug bool) slog.Level {
	if debug {
		return slog.LevelInfo
	}
	return slog.LevelWarn
}
