package locks

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/loom-fs/loom/xlator"
)

func TestSpanOf(t *testing.T) {
	for _, tc := range []struct {
		start, len int64
		want       span
		err        error
	}{
		{0, 0, span{0, toEOF}, nil},
		{10, 0, span{10, toEOF}, nil},
		{10, 1, span{10, 10}, nil},
		{10, 5, span{10, 14}, nil},
		{10, -5, span{5, 9}, nil},
		{10, -10, span{0, 9}, nil},
		{10, -11, span{}, syscall.EINVAL},
		{-1, 5, span{}, syscall.EINVAL},
		{toEOF, 1, span{toEOF, toEOF}, nil},
		{toEOF, 2, span{}, syscall.EOVERFLOW},
		{1, toEOF, span{1, toEOF}, nil},
		{2, toEOF, span{}, syscall.EOVERFLOW},
	} {
		got, err := spanOf(xlator.Flock{Start: tc.start, Len: tc.len})
		if !errors.Is(err, tc.err) || (err == nil && got != tc.want) {
			t.Errorf("spanOf(start %d, len %d) = %v, %v; want %v, %v", tc.start, tc.len, got, err, tc.want, tc.err)
		}
	}
	if l := (span{5, 9}).length(); l != 5 {
		t.Errorf("length of 5-9 = %d", l)
	}
	if l := (span{5, toEOF}).length(); l != 0 {
		t.Errorf("length of 5-EOF = %d, want 0", l)
	}
}

// locksOf parses "r0-9 w20-EOF" into one owner's locks (pid 1).
func locksOf(t *testing.T, s string) []lockRec {
	t.Helper()
	var out []lockRec
	for _, f := range strings.Fields(s) {
		out = append(out, recOf(t, f, 1))
	}
	return out
}

// recOf parses one lock: r, w or u, then start-end (end may be EOF).
func recOf(t *testing.T, f string, pid uint32) lockRec {
	t.Helper()
	typ := map[byte]xlator.LockType{'r': xlator.ReadLock, 'w': xlator.WriteLock, 'u': xlator.Unlock}[f[0]]
	var sp span
	var end string
	if _, err := fmt.Sscanf(strings.Replace(f[1:], "-", " ", 1), "%d %s", &sp.start, &end); err != nil {
		t.Fatalf("bad lock %q: %v", f, err)
	}
	sp.end = toEOF
	if end != "EOF" {
		fmt.Sscanf(end, "%d", &sp.end)
	}
	return lockRec{owner: owner{id: 1}, typ: typ, span: sp, pid: pid}
}

func show(ls []lockRec) string {
	var parts []string
	for _, l := range ls {
		end := "EOF"
		if l.span.end != toEOF {
			end = fmt.Sprint(l.span.end)
		}
		parts = append(parts, fmt.Sprintf("%c%d-%s", "rwu"[l.typ], l.span.start, end))
	}
	return strings.Join(parts, " ")
}

// applyPosix follows fcntl(2): replace, split, merge, upgrade, downgrade.
func TestApplyPosix(t *testing.T) {
	for _, tc := range []struct{ have, req, want string }{
		{"", "w0-9", "w0-9"},
		{"", "u0-9", ""},
		{"w0-9", "u0-9", ""},
		{"w0-9", "u0-EOF", ""},
		{"w0-9", "u20-30", "w0-9"},
		// Unlocking the middle splits.
		{"w0-99", "u40-59", "w0-39 w60-99"},
		{"r0-EOF", "u10-19", "r0-9 r20-EOF"},
		// Adjacent and overlapping same-type locks coalesce.
		{"w0-9", "w10-19", "w0-19"},
		{"w10-19", "w0-9", "w0-19"},
		{"w0-9 w20-29", "w10-19", "w0-29"},
		{"r0-9", "r5-EOF", "r0-EOF"},
		{"r0-9 r30-39", "r5-34", "r0-39"},
		// Different types next to each other stay apart.
		{"r0-9", "w10-19", "r0-9 w10-19"},
		// Upgrade and downgrade of the whole or a part.
		{"r0-99", "w0-99", "w0-99"},
		{"w0-99", "r0-99", "r0-99"},
		{"r0-99", "w40-59", "r0-39 w40-59 r60-99"},
		{"w0-99", "r0-EOF", "r0-EOF"},
		{"w0-9 r10-19 w20-29", "w5-24", "w0-29"},
		{"w0-9 r10-19 w20-29", "r5-24", "w0-4 r5-24 w25-29"},
		// Unlock over several locks, leaving the edges.
		{"w0-9 r20-29 w40-EOF", "u5-44", "w0-4 w45-EOF"},
	} {
		got := applyPosix(locksOf(t, tc.have), recOf(t, tc.req, 1))
		if s := show(got); s != tc.want {
			t.Errorf("%q then %s = %q, want %q", tc.have, tc.req, s, tc.want)
		}
	}
}

// A lock merged with the new one takes the new pid; untouched ones keep
// theirs.
func TestApplyPosixPid(t *testing.T) {
	have := []lockRec{recOf(t, "w0-9", 7), recOf(t, "w100-109", 7)}
	got := applyPosix(have, recOf(t, "w10-19", 8))
	if len(got) != 2 || got[0].pid != 8 || got[1].pid != 7 {
		t.Fatalf("after merge: %+v", got)
	}
}

func TestConflicts(t *testing.T) {
	a, b := owner{"c", 1}, owner{"c", 2}
	other := owner{"d", 1}
	rng := func(o owner, typ xlator.LockType, s, e int64) *lockRec {
		return &lockRec{owner: o, typ: typ, span: span{s, e}}
	}
	ent := func(o owner, typ xlator.LockType, name string) *lockRec {
		return &lockRec{owner: o, typ: typ, name: name}
	}
	for i, tc := range []struct {
		k    kind
		x, y *lockRec
		want bool
	}{
		{kindPosix, rng(a, xlator.WriteLock, 0, 9), rng(b, xlator.WriteLock, 9, 20), true},
		{kindPosix, rng(a, xlator.WriteLock, 0, 9), rng(b, xlator.WriteLock, 10, 20), false},
		{kindPosix, rng(a, xlator.ReadLock, 0, 9), rng(b, xlator.ReadLock, 0, 9), false},
		{kindPosix, rng(a, xlator.ReadLock, 0, 9), rng(b, xlator.WriteLock, 5, toEOF), true},
		{kindPosix, rng(a, xlator.WriteLock, 0, 9), rng(a, xlator.WriteLock, 0, 9), false},
		// The same lock owner through two clients is two owners.
		{kindInode, rng(a, xlator.WriteLock, 0, 9), rng(other, xlator.WriteLock, 0, 9), true},
		{kindEntry, ent(a, xlator.WriteLock, "x"), ent(b, xlator.WriteLock, "y"), false},
		{kindEntry, ent(a, xlator.WriteLock, "x"), ent(b, xlator.WriteLock, "x"), true},
		{kindEntry, ent(a, xlator.WriteLock, ""), ent(b, xlator.ReadLock, "y"), true},
		{kindEntry, ent(a, xlator.ReadLock, ""), ent(b, xlator.ReadLock, "y"), false},
		{kindEntry, ent(a, xlator.ReadLock, "x"), ent(b, xlator.WriteLock, ""), true},
		{kindEntry, ent(a, xlator.WriteLock, ""), ent(a, xlator.WriteLock, "y"), false},
	} {
		if got := conflicts(tc.k, tc.x, tc.y); got != tc.want {
			t.Errorf("case %d: conflicts = %v, want %v", i, got, tc.want)
		}
		if got := conflicts(tc.k, tc.y, tc.x); got != tc.want {
			t.Errorf("case %d (swapped): conflicts = %v, want %v", i, got, tc.want)
		}
	}
}
