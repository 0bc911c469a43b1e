package xlator

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
)

func TestGFIDStringRoundTrip(t *testing.T) {
	for i := 0; i < 100; i++ {
		g := NewGFID()
		back, err := ParseGFID(g.String())
		if err != nil || back != g {
			t.Fatalf("round trip of %s: %s, %v", g, back, err)
		}
		if g.Ino() <= 1 {
			t.Fatalf("ino of %s is %d", g, g.Ino())
		}
	}
	if RootGFID.String() != "00000000-0000-0000-0000-000000000001" || RootGFID.Ino() != 1 {
		t.Fatalf("root gfid %s ino %d", RootGFID, RootGFID.Ino())
	}
	for _, bad := range []string{"", "00000000-0000-0000-0000-00000000000g", "0000000000000000000000000000000000001"} {
		if _, err := ParseGFID(bad); err == nil {
			t.Errorf("ParseGFID(%q) accepted", bad)
		}
	}
}

func TestErrnoConversion(t *testing.T) {
	cases := []struct {
		err  error
		want syscall.Errno
	}{
		{nil, 0},
		{syscall.ENOENT, syscall.ENOENT},
		{Wrap("mkdir", "/a/b", syscall.EEXIST), syscall.EEXIST},
		{fmt.Errorf("outer: %w", Wrap("write", "/f", syscall.ENOSPC)), syscall.ENOSPC},
		{errors.New("no errno here"), syscall.EIO},
		{syscall.ENOSYS, syscall.ENOSYS},
		{Wrap("fsync", "/f", syscall.ENOSYS), syscall.ENOTSUP},
	}
	for _, c := range cases {
		if got := Errno(c.err); got != c.want {
			t.Errorf("Errno(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	if s := Wrap("mkdir", "/a", syscall.EEXIST).Error(); s != "mkdir /a: file exists" {
		t.Errorf("message %q", s)
	}
}

func TestFDContextPerTranslator(t *testing.T) {
	fd := NewFD(&Loc{Path: "/f", GFID: NewGFID()}, syscall.O_RDWR, false)
	a, b := new(int), new(int)
	fd.SetCtx(a, "posix-state")
	fd.SetCtx(b, 42)
	if fd.Ctx(a) != "posix-state" || fd.Ctx(b) != 42 {
		t.Fatal("contexts mixed up")
	}
	if fd.DelCtx(a) != "posix-state" || fd.Ctx(a) != nil {
		t.Fatal("DelCtx")
	}
}
