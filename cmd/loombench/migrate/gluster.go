package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/loom-fs/loom/cmd/loomcli/treecheck"
	"golang.org/x/sys/unix"
)

// runGluster migrates OLD to dst the GlusterFS 10 way (see
// /work/shared/GLUSTERFS-NOTES.md): glusterfsd serves both directories,
// a glusterfs client mounts replicate over them with the options a
// migration needs, every file is looked up and read through the mount,
// and the copy is over when dst holds every entry at its size.
func runGluster(ctx context.Context, b *bench, dst string) error {
	if _, err := exec.LookPath("glusterfsd"); err != nil {
		return fmt.Errorf("GlusterFS is not installed (apt-get install glusterfs-server glusterfs-client)")
	}
	work := dst + "-gluster"
	mnt := filepath.Join(work, "mnt")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		return err
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	server := fmt.Sprintf(`volume old
    type storage/posix
    option directory %s
end-volume
volume old-locks
    type features/locks
    subvolumes old
end-volume
volume new
    type storage/posix
    option directory %s
end-volume
volume new-locks
    type features/locks
    subvolumes new
end-volume
volume server
    type protocol/server
    option transport-type tcp
    option transport.socket.bind-address 127.0.0.1
    option transport.socket.listen-port %d
    option auth.addr.old-locks.allow 127.0.0.1
    option auth.addr.new-locks.allow 127.0.0.1
    subvolumes old-locks new-locks
end-volume
`, b.old, dst, port)
	client := ""
	for _, c := range []string{"old", "new"} {
		client += fmt.Sprintf("volume %s-client\n    type protocol/client\n    option remote-host 127.0.0.1\n    option remote-port %d\n    option remote-subvolume %s-locks\nend-volume\n", c, port, c)
	}
	client += `volume migrate
    type cluster/replicate
    option data-self-heal on
    option metadata-self-heal on
    option entry-self-heal on
    option read-subvolume old-client
    option choose-local off
    option heal-wait-queue-length 10000
    subvolumes old-client new-client
end-volume
`
	sv, cv := filepath.Join(work, "server.vol"), filepath.Join(work, "client.vol")
	if err := os.WriteFile(sv, []byte(server), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(cv, []byte(client), 0o644); err != nil {
		return err
	}
	spid, cpid := filepath.Join(work, "server.pid"), filepath.Join(work, "client.pid")
	defer stopPid(spid)
	if err := command(ctx, "glusterfsd", "-f", sv, "--volfile-id=migrate", "-l", filepath.Join(work, "server.log"), "-p", spid); err != nil {
		return err
	}
	if err := waitPort(port, 20*time.Second); err != nil {
		return err
	}
	defer func() {
		unix.Unmount(mnt, unix.MNT_DETACH)
		stopPid(cpid)
	}()
	if err := command(ctx, "glusterfs", "-f", cv, "-l", filepath.Join(work, "client.log"), "-p", cpid, mnt); err != nil {
		return err
	}
	if err := crawlRead(mnt); err != nil {
		return fmt.Errorf("crawling the GlusterFS mount: %w", err)
	}
	deadline := time.Now().Add(10 * time.Minute)
	for !complete(b, dst) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("dst still incomplete 10 minutes after the crawl")
		}
		time.Sleep(time.Second)
		crawlRead(mnt)
	}
	return unix.Unmount(mnt, 0)
}

// crawlRead looks up every entry, lists its xattrs and reads every
// regular file through the mount, as a GlusterFS user heals a volume.
func crawlRead(dir string) error {
	buf := make([]byte, 1<<20)
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil // keep going: a heal in progress may fail a lookup
		}
		treecheck.ListXattrs(p)
		if d.Type().IsRegular() {
			if f, err := os.Open(p); err == nil {
				io.CopyBuffer(io.Discard, f, buf)
				f.Close()
			}
		}
		return nil
	})
}

// complete reports whether dst holds every entry of the tree with its
// type and size.
func complete(b *bench, dst string) bool {
	t, err := treecheck.Scan(dst, treecheck.Options{NoContents: true})
	if err != nil {
		return false
	}
	for p, e := range b.before.Entries {
		got := t.Entries[p]
		if got == nil || got.Type() != e.Type() || got.Size != e.Size {
			return false
		}
	}
	return true
}

// cleanGluster removes GlusterFS's own metadata from the copy and from
// OLD, as a user would after a migration: .glusterfs at the root and the
// trusted.gfid, trusted.afr.*, trusted.glusterfs.* and trusted.pgfid.*
// xattrs (symlinks included, not followed).
func cleanGluster(b *bench, dst string) error {
	for _, root := range []string{dst, b.old} {
		if err := os.RemoveAll(filepath.Join(root, ".glusterfs")); err != nil {
			return err
		}
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			names, err := treecheck.ListXattrs(p)
			if err != nil {
				return err
			}
			for _, n := range names {
				if n == "trusted.gfid" || n == "trusted.gfid2path" || strings.HasPrefix(n, "trusted.gfid2path.") || strings.HasPrefix(n, "trusted.afr.") ||
					strings.HasPrefix(n, "trusted.glusterfs.") || strings.HasPrefix(n, "trusted.pgfid.") {
					if err := unix.Lremovexattr(p, n); err != nil {
						return fmt.Errorf("removexattr %s %s: %w", p, n, err)
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("removing GlusterFS metadata from %s: %w", root, err)
		}
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitPort(port int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("glusterfsd does not listen on port %d: %w", port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stopPid ends the process whose id is in the pid file (one this
// benchmark started).
func stopPid(pidFile string) {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
}
