package wire

import (
	"testing"

	"github.com/loom-fs/loom/xlator"
)

// Only requests that cannot wait may go one way.
func TestOneWay(t *testing.T) {
	unlock := xlator.Flock{Type: xlator.Unlock}
	write := xlator.Flock{Type: xlator.WriteLock}
	for _, tc := range []struct {
		name string
		req  Request
		want bool
	}{
		{"flush", Request{Op: OpFlush}, true},
		{"release", Request{Op: OpRelease}, true},
		{"releasedir", Request{Op: OpReleasedir}, true},
		{"small read", Request{Op: OpRead, Count: 1}, true},
		{"big read", Request{Op: OpRead, Count: MaxOneWayRead + 1}, false},
		{"inodelk unlock", Request{Op: OpInodelk, Cmd: uint32(xlator.LkSet), Lock: unlock}, true},
		{"finodelk unlock (setlkw)", Request{Op: OpFinodelk, Cmd: uint32(xlator.LkSetWait), Lock: unlock}, true},
		{"inodelk lock", Request{Op: OpInodelk, Cmd: uint32(xlator.LkSet), Lock: write}, false},
		{"inodelk wait", Request{Op: OpInodelk, Cmd: uint32(xlator.LkSetWait), Lock: write}, false},
		{"inodelk get", Request{Op: OpInodelk, Cmd: uint32(xlator.LkGet), Lock: unlock}, false},
		{"entrylk unlock", Request{Op: OpEntrylk, Cmd: uint32(xlator.EntryUnlock)}, true},
		{"fentrylk lock", Request{Op: OpFentrylk, Cmd: uint32(xlator.EntryLock)}, false},
		{"posix unlock", Request{Op: OpLk, Cmd: uint32(xlator.LkSet), Lock: unlock}, false},
		{"write", Request{Op: OpWrite}, false},
		{"fsync", Request{Op: OpFsync}, false},
	} {
		if got := OneWay(&tc.req); got != tc.want {
			t.Errorf("%s: OneWay = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A one-way frame header names a valid op and may carry a body.
func TestParseHeaderOneWay(t *testing.T) {
	var b [HeaderSize]byte
	(&Header{Len: 40, Kind: KindOneWay, Op: OpRelease}).Put(b[:])
	h, err := ParseHeader(b[:])
	if err != nil || h.Kind != KindOneWay || h.Op != OpRelease || h.Len != 40 {
		t.Fatalf("ParseHeader: %+v, %v", h, err)
	}
	(&Header{Len: 40, Kind: KindOneWay, Op: 0}).Put(b[:])
	if _, err := ParseHeader(b[:]); err == nil {
		t.Fatal("a one-way frame without an op was accepted")
	}
}
