package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loom-fs/loom/xlator/xlatortest"
	"golang.org/x/sys/unix"
)

// Server is a running "loom serve -N" subprocess.
type Server struct {
	cmd  *exec.Cmd
	out  *xlatortest.SyncBuffer
	done chan struct{}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startServe writes volfile and runs "loom serve -N -f VOLFILE" (with
// prefix, such as nsenter, before loom) until its readiness line. Cleanup
// ends it (SIGTERM, then SIGKILL).
func startServe(t *testing.T, volfile string, prefix ...string) *Server {
	t.Helper()
	requireEnv(t)
	vol := filepath.Join(testDir(t), "server.vol")
	if err := os.WriteFile(vol, []byte(volfile), 0o644); err != nil {
		t.Fatal(err)
	}
	argv := append(append([]string{}, prefix...), loomBin, "serve", "-N", "-f", vol)
	cmd := exec.Command(argv[0], argv[1:]...)
	s := &Server{cmd: cmd, out: &xlatortest.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting loom serve: %v", err)
	}
	go func() { cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
		if t.Failed() {
			t.Logf("loom serve output:\n%s", s.out.String())
		}
	})
	deadline := time.Now().Add(readyTimeout)
	for !strings.Contains(s.out.String(), "msg=ready") {
		select {
		case <-s.done:
			t.Fatalf("loom serve exited before it was ready:\n%s", s.out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("loom serve not ready after %v:\n%s", readyTimeout, s.out.String())
		}
	}
	return s
}

// kill9 kills the server with SIGKILL and waits for it.
func (s *Server) kill9(t *testing.T) {
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("loom serve did not die of SIGKILL")
	}
}

// serverVolfile exports brick (with features/locks on top when locks)
// on host:port.
func serverVolfile(brick, host string, port int, locks bool, opts ...string) string {
	top := "brick"
	v := fmt.Sprintf("volume brick\n    type storage/posix\n    option directory %s\nend-volume\n", brick)
	if locks {
		v += "volume locks\n    type features/locks\n    subvolumes brick\nend-volume\n"
		top = "locks"
	}
	v += fmt.Sprintf("volume server\n    type protocol/server\n    option transport.socket.listen-address %s\n    option transport.socket.listen-port %d\n", host, port)
	for _, o := range opts {
		v += "    option " + o + "\n"
	}
	return v + "    subvolumes " + top + "\nend-volume\n"
}

// clientVolfile uses subvolume on host:port.
func clientVolfile(host string, port int, subvolume string, opts ...string) string {
	v := fmt.Sprintf("volume remote\n    type protocol/client\n    option remote-host %s\n    option remote-port %d\n    option remote-subvolume %s\n", host, port, subvolume)
	for _, o := range opts {
		v += "    option " + o + "\n"
	}
	return v + "end-volume\n"
}

// go-fuse's posixtest through a real mount of a client graph against a
// real loom serve process.
func TestProtocolPosixtest(t *testing.T) {
	brick := newBrick(t)
	port := freePort(t)
	startServe(t, serverVolfile(brick, "127.0.0.1", port, true))
	m := mountLoomWith(t, clientVolfile("127.0.0.1", port, "locks"), mountConfig{deadline: 5 * time.Minute})
	runPosixtestCases(t, m, brick)
}

// kill -9 of the server during writes: fops fail with ENOTCONN (no
// hang), the client logs the disconnection; once the server is back on
// the same port, the client reconnects, the open file works again and
// new writes go through.
func TestProtocolServerKill9(t *testing.T) {
	brick := newBrick(t)
	port := freePort(t)
	vol := serverVolfile(brick, "127.0.0.1", port, false)
	srv := startServe(t, vol)
	m := mountLoomWith(t, clientVolfile("127.0.0.1", port, "brick", "ping-timeout 2s", "reconnect-max-backoff 500ms"), mountConfig{})
	f, err := os.OpenFile(m.Path("log"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := bytes.Repeat([]byte("x"), 64<<10)
	m.guard(t, 60*time.Second, "writes around a server kill", func() {
		for i := 0; i < 20; i++ {
			if _, err := f.Write(block); err != nil {
				t.Fatalf("write %d before the kill: %v", i, err)
			}
		}
		srv.kill9(t)
		start := time.Now()
		var werr error
		for time.Since(start) < 10*time.Second {
			if _, werr = f.Write(block); werr != nil {
				break
			}
		}
		if !errors.Is(werr, syscall.ENOTCONN) {
			t.Fatalf("write after the server died: %v, want ENOTCONN", werr)
		}
		if _, err := os.Stat(m.Path("missing-name")); !errors.Is(err, syscall.ENOTCONN) {
			t.Errorf("stat while the server is down: %v, want ENOTCONN", err)
		}
		t.Logf("fops failed %v after the kill", time.Since(start).Round(time.Millisecond))

		startServe(t, vol)
		deadline := time.Now().Add(15 * time.Second)
		for {
			err := os.WriteFile(m.Path("after"), []byte("back"), 0o644)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no write works 15s after the server came back: %v", err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if _, err := f.Write(block); err != nil {
			t.Errorf("write on the file opened before the kill: %v", err)
		}
	})
	if got, err := os.ReadFile(filepath.Join(brick, "after")); err != nil || string(got) != "back" {
		t.Errorf("brick file after the reconnect: %q, %v", got, err)
	}
	out, _ := os.ReadFile(m.Output)
	for _, want := range []string{"disconnected", "connected"} {
		if !strings.Contains(string(out), "msg="+want) {
			t.Errorf("the mount log has no %q line", want)
		}
	}
}

// setLock takes a whole-file write lock on f (F_SETLKW when wait).
func setLock(f *os.File, wait bool) error {
	cmd := unix.F_SETLK
	if wait {
		cmd = unix.F_SETLKW
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	return unix.FcntlFlock(f.Fd(), cmd, &lk)
}

// Two mounts of one server with features/locks: a lock through mount A
// blocks F_SETLKW through mount B; kill -9 of A's loom process releases
// A's locks on the server, and B's waiter gets the lock.
func TestProtocolLocksAcrossMounts(t *testing.T) {
	brick := newBrick(t)
	port := freePort(t)
	startServe(t, serverVolfile(brick, "127.0.0.1", port, true))
	client := clientVolfile("127.0.0.1", port, "locks")
	a := mountLoomWith(t, client, mountConfig{})
	b := mountLoomWith(t, client, mountConfig{})
	if err := os.WriteFile(a.Path("shared"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	fa, err := os.OpenFile(a.Path("shared"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.OpenFile(b.Path("shared"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	b.guard(t, 60*time.Second, "locks across mounts", func() {
		if err := setLock(fa, false); err != nil {
			t.Fatalf("lock through A: %v", err)
		}
		if err := setLock(fb, false); !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EACCES) {
			t.Fatalf("F_SETLK through B while A holds the lock: %v, want EAGAIN", err)
		}
		got := make(chan error, 1)
		go func() { got <- setLock(fb, true) }()
		select {
		case err := <-got:
			t.Fatalf("F_SETLKW through B returned while A holds the lock: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
		a.kill() // kill -9 of mount A's loom process
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("F_SETLKW through B after A died: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("B's waiter did not get the lock within 20s of A's death")
		}
	})
	if exited, _ := a.Exited(10 * time.Second); !exited {
		t.Error("mount A's loom is still running after SIGKILL")
	}
	if err := runUmount(a.Dir, true); err != nil {
		t.Errorf("cleaning mount A: %v", err)
	}
	if isMounted(a.Dir) {
		t.Errorf("%s still mounted after umount -l", a.Dir)
	}
}

// The single-file form: one volfile holds the brick, its server and the
// client graph; one loom mount runs both parts.
func TestProtocolSingleVolfile(t *testing.T) {
	brick := newBrick(t)
	port := freePort(t)
	vol := serverVolfile(brick, "127.0.0.1", port, true) + clientVolfile("127.0.0.1", port, "locks")
	m := mountLoom(t, vol)
	if err := os.WriteFile(m.Path("one"), []byte("single file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(brick, "one")); err != nil || string(got) != "single file" {
		t.Fatalf("brick: %q, %v", got, err)
	}
	out, _ := os.ReadFile(m.Output)
	if !strings.Contains(string(out), "msg=listening") || !strings.Contains(string(out), "msg=connected") {
		t.Errorf("the one process did not both listen and connect:\n%s", out)
	}
}

// A client graph whose only server does not answer fails loom mount
// after --up-timeout, and the log names host:port.
func TestProtocolMountNoServer(t *testing.T) {
	requireEnv(t)
	port := freePort(t)
	dir := testDir(t)
	vol := filepath.Join(dir, "client.vol")
	os.WriteFile(vol, []byte(clientVolfile("127.0.0.1", port, "brick")), 0o644)
	mp := mkdirAll(t, filepath.Join(dir, "mnt"))
	r := runLoom(t, "mount", "-N", "--up-timeout", "2s", "-f", vol, mp)
	if r.code == 0 {
		runUmount(mp, true)
		t.Fatal("loom mount succeeded without a server")
	}
	if !strings.Contains(r.stderr, "did not come up") || !strings.Contains(r.stderr, fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("stderr does not explain the failure with host:port:\n%s", r.stderr)
	}
}

// A refused password is printed by loom mount, and nothing is mounted.
func TestProtocolMountRefused(t *testing.T) {
	brick := newBrick(t)
	port := freePort(t)
	startServe(t, serverVolfile(brick, "127.0.0.1", port, false, "auth.login.brick.allow alice", "auth.login.alice.password right"))
	dir := testDir(t)
	vol := filepath.Join(dir, "client.vol")
	os.WriteFile(vol, []byte(clientVolfile("127.0.0.1", port, "brick", "username alice", "password wrong")), 0o644)
	mp := mkdirAll(t, filepath.Join(dir, "mnt"))
	r := runLoom(t, "mount", "-f", vol, "-l", filepath.Join(dir, "mount.log"), mp)
	if r.code == 0 {
		runUmount(mp, true)
		t.Fatal("loom mount succeeded with a wrong password")
	}
	if !strings.Contains(r.stderr, "wrong username or password") || !strings.Contains(r.stderr, fmt.Sprintf("127.0.0.1:%d", port)) {
		t.Errorf("loom mount did not print the refusal:\n%s", r.stderr)
	}
	if isMounted(mp) {
		t.Error("mounted despite the refusal")
	}
}

// netnsPair makes two network namespaces joined by a veth pair, with
// 10.77.0.1 in the first and 10.77.0.2 in the second; cleanup deletes
// them.
func netnsPair(t *testing.T) (srvNS, cliNS string) {
	t.Helper()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip(8) is not installed")
	}
	suffix := fmt.Sprintf("%d", os.Getpid()%100000)
	srvNS, cliNS = "loomsrv"+suffix, "loomcli"+suffix
	ipCmd := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput(); err != nil {
			t.Fatalf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	ipCmd("netns", "add", srvNS)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", srvNS).Run() })
	ipCmd("netns", "add", cliNS)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", cliNS).Run() })
	ipCmd("-n", srvNS, "link", "add", "vs"+suffix, "type", "veth", "peer", "name", "vc"+suffix, "netns", cliNS)
	ipCmd("-n", srvNS, "addr", "add", "10.77.0.1/24", "dev", "vs"+suffix)
	ipCmd("-n", cliNS, "addr", "add", "10.77.0.2/24", "dev", "vc"+suffix)
	for _, ns := range []string{srvNS, cliNS} {
		ipCmd("-n", ns, "link", "set", "lo", "up")
	}
	ipCmd("-n", srvNS, "link", "set", "vs"+suffix, "up")
	ipCmd("-n", cliNS, "link", "set", "vc"+suffix, "up")
	return srvNS, cliNS
}

// nsMount runs loom mount -N inside the network namespace ns (nsenter
// keeps the mount namespace, so the mount is visible here) and returns
// its result once the mount is ready or loom has exited. A mount that
// came up is unmounted at cleanup.
func nsMount(t *testing.T, ns, volfile string) (mounted bool, output string) {
	t.Helper()
	dir := testDir(t)
	vol := filepath.Join(dir, "client.vol")
	os.WriteFile(vol, []byte(volfile), 0o644)
	mp := mkdirAll(t, filepath.Join(dir, "mnt"))
	cmd := exec.Command("nsenter", "--net=/run/netns/"+ns, loomBin, "mount", "-N", "--up-timeout", "5s", "-f", vol, mp)
	out := &xlatortest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		if isMounted(mp) {
			runUmount(mp, true)
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if isMounted(mp) {
			if err := os.WriteFile(filepath.Join(mp, "from-ns"), []byte("ok"), 0o644); err != nil {
				t.Errorf("write through the namespaced mount: %v", err)
			}
			return true, out.String()
		}
		select {
		case <-done:
			return false, out.String()
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("loom mount in %s neither mounted nor exited:\n%s", ns, out.String())
	return false, ""
}

// Address auth with a real non-loopback peer: the server in one network
// namespace allows only 10.77.0.3, so the client at 10.77.0.2 is refused;
// allowed, it mounts and writes.
func TestProtocolAuthAddressNetns(t *testing.T) {
	requireEnv(t)
	srvNS, cliNS := netnsPair(t)
	nsenter := []string{"nsenter", "--net=/run/netns/" + srvNS}

	refusedBrick := newBrick(t)
	startServe(t, serverVolfile(refusedBrick, "10.77.0.1", 24101, false, "auth.addr.brick.allow 10.77.0.3"), nsenter...)
	mounted, out := nsMount(t, cliNS, clientVolfile("10.77.0.1", 24101, "brick"))
	if mounted {
		t.Fatal("a client at 10.77.0.2 mounted although only 10.77.0.3 is allowed")
	}
	if !strings.Contains(out, "10.77.0.2 is not in auth.addr allow") {
		t.Errorf("the refusal does not say why:\n%s", out)
	}
	if ents, _ := os.ReadDir(refusedBrick); len(ents) > 1 {
		t.Errorf("the refused client changed the brick: %v", ents)
	}

	// With no allow list only loopback clients are accepted.
	startServe(t, serverVolfile(newBrick(t), "10.77.0.1", 24102, false), nsenter...)
	if mounted, out := nsMount(t, cliNS, clientVolfile("10.77.0.1", 24102, "brick")); mounted || !strings.Contains(out, "only loopback clients") {
		t.Errorf("a remote client without an allow list: mounted=%v\n%s", mounted, out)
	}

	allowedBrick := newBrick(t)
	startServe(t, serverVolfile(allowedBrick, "10.77.0.1", 24103, false, "auth.addr.brick.allow 10.77.0.*"), nsenter...)
	if mounted, out := nsMount(t, cliNS, clientVolfile("10.77.0.1", 24103, "brick")); !mounted {
		t.Fatalf("the allowed client did not mount:\n%s", out)
	}
	if got, err := os.ReadFile(filepath.Join(allowedBrick, "from-ns")); err != nil || string(got) != "ok" {
		t.Errorf("brick after the allowed write: %q, %v", got, err)
	}
}
