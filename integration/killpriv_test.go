package integration

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The set-id bits and security.capability that a write, a truncate or a
// chown must clear (as on a local file system), on the three write paths
// of a mount: storage/posix with FUSE passthrough (the kernel clears
// them), storage/posix without passthrough and cluster/replicate (the
// mount negotiates FUSE_HANDLE_KILLPRIV_V2 and the bridge clears them;
// the bricks drop security.capability on their own writes).
func TestKillPriv(t *testing.T) {
	for _, tc := range []struct {
		name  string
		mount func(t *testing.T) (*Mount, []string)
	}{
		{"posix", func(t *testing.T) (*Mount, []string) {
			m, brick := posixMount(t)
			return m, []string{brick}
		}},
		{"posix-nopt", func(t *testing.T) (*Mount, []string) {
			requireEnv(t)
			brick := newBrick(t)
			return mountLoom(t, posixVolfile(brick), "-o", "passthrough=off"), []string{brick}
		}},
		{"replicate", func(t *testing.T) (*Mount, []string) {
			requireEnv(t)
			bricks := newBricks(t, 2)
			return mountLoom(t, replicaVolfile(bricks)), bricks
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, bricks := tc.mount(t)
			testKillPriv(t, m, bricks)
		})
	}
}

func testKillPriv(t *testing.T, m *Mount, bricks []string) {
	u1000 := user{uid: 1000, gid: 1000}
	// mode checks the mode of name through the mount and on every brick.
	mode := func(name string, want uint32, why string) {
		t.Helper()
		if got := lstat(t, m.Path(name)).Mode & 0o7777; got != want {
			t.Errorf("%s: mode %04o after %s, want %04o", name, got, why, want)
		}
		for _, b := range bricks {
			if got := lstat(t, filepath.Join(b, name)).Mode & 0o7777; got != want {
				t.Errorf("%s on brick %s: mode %04o after %s, want %04o", name, b, got, why, want)
			}
		}
	}
	file := func(name string, perm uint32, gid int) string {
		t.Helper()
		p := m.Path(name)
		writeFile(t, p, []byte("start"))
		must(t, os.Chown(p, 0, gid))
		must(t, os.Chmod(p, os.FileMode(perm&0o777)|unixModeBits(perm)))
		mode(name, perm, "chmod")
		return p
	}

	// A write by a user without CAP_FSETID: set-user-ID goes, and
	// set-group-ID with group execute.
	p := file("suid-sgid", 0o6777, 0)
	if _, errno := asUser(t, u1000, "append", p, "more"); errno != 0 {
		t.Fatalf("append as uid 1000: errno %v", errno)
	}
	mode("suid-sgid", 0o777, "a write by uid 1000")

	// The same while a reader holds the file open (replicate passes
	// it through, and the writer's handle, tied to the same backing
	// file, writes through the graph with FOPEN_DIRECT_IO).
	p = file("suid-reader", 0o6777, 0)
	r, err := os.Open(p)
	must(t, err)
	if _, errno := asUser(t, u1000, "append", p, "more"); errno != 0 {
		t.Fatalf("append as uid 1000 beside a reader: errno %v", errno)
	}
	must(t, r.Close())
	mode("suid-reader", 0o777, "a write by uid 1000 beside a reader")

	// Set-group-ID without group execute (the mandatory locking mark)
	// stays, as on a local file system.
	p = file("sgid-noexec", 0o2766, 0)
	if _, errno := asUser(t, u1000, "append", p, "more"); errno != 0 {
		t.Fatalf("append as uid 1000: errno %v", errno)
	}
	mode("sgid-noexec", 0o2766, "a write by uid 1000")

	// truncate(2) and an O_TRUNC open by uid 1000.
	p = file("suid-truncate", 0o4777, 0)
	if _, errno := asUser(t, u1000, "truncate", p); errno != 0 {
		t.Fatalf("truncate as uid 1000: errno %v", errno)
	}
	mode("suid-truncate", 0o777, "a truncate by uid 1000")
	p = file("suid-otrunc", 0o4777, 0)
	if _, errno := asUser(t, u1000, "write", p, "new"); errno != 0 {
		t.Fatalf("O_TRUNC write as uid 1000: errno %v", errno)
	}
	mode("suid-otrunc", 0o777, "an O_TRUNC open and write by uid 1000")
	if got := string(readFile(t, p)); got != "new" {
		t.Errorf("suid-otrunc reads %q, want %q", got, "new")
	}

	// Root (CAP_FSETID) keeps the bits on a write; chown clears
	// set-user-ID whoever calls it.
	p = file("suid-root", 0o4755, 0)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.WriteString("by root")
	must(t, err)
	must(t, f.Close())
	mode("suid-root", 0o4755, "a write by root")
	must(t, os.Chown(p, 1000, 1000))
	mode("suid-root", 0o755, "chown by root")

	// security.capability goes on any write, root's too.
	p = m.Path("caps")
	writeFile(t, p, []byte("x"))
	if err := syscall.Setxattr(p, "security.capability", fileCaps(), 0); err != nil {
		t.Skipf("cannot set security.capability through the mount: %v", err)
	}
	f, err = os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	must(t, err)
	_, err = f.WriteString("y")
	must(t, err)
	must(t, f.Close())
	for _, q := range append([]string{p}, brickPaths(bricks, "caps")...) {
		if _, err := syscall.Getxattr(q, "security.capability", make([]byte, 64)); !errors.Is(err, syscall.ENODATA) {
			t.Errorf("%s: security.capability after a write: %v, want ENODATA", q, err)
		}
	}
}

// unixModeBits turns the set-id and sticky bits of perm into os.FileMode
// bits (os.Chmod does not take them as 0o7000).
func unixModeBits(perm uint32) os.FileMode {
	var m os.FileMode
	if perm&syscall.S_ISUID != 0 {
		m |= os.ModeSetuid
	}
	if perm&syscall.S_ISGID != 0 {
		m |= os.ModeSetgid
	}
	if perm&syscall.S_ISVTX != 0 {
		m |= os.ModeSticky
	}
	return m
}

// brickPaths returns name on every brick.
func brickPaths(bricks []string, name string) []string {
	var out []string
	for _, b := range bricks {
		out = append(out, filepath.Join(b, name))
	}
	return out
}

// fileCaps is a valid security.capability value (revision 2,
// CAP_DAC_OVERRIDE permitted).
func fileCaps() []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x02000000)
	b = binary.LittleEndian.AppendUint32(b, 1<<1)
	return append(b, make([]byte, 12)...)
}
