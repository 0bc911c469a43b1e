package distribute

import (
	"testing"

	"github.com/loom-fs/loom/xlator"
)

func TestCookieRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		sub, n int
		c      uint64
		want   uint64
		ok     bool
	}{
		{0, 1, 0, 0, true},
		{1, 2, 0, 1, true},
		{0, 2, 5, 10, true},
		{2, 3, 7, 23, true},
		{4, 5, 1 << 40, 5<<40 + 4, true},
		{1, 2, 1 << 61, 0, false},
		{0, 5, (bigCookie - 1) / 5, 0, true},
		{4, 5, (bigCookie - 1) / 5, 0, false},
	} {
		got, ok := EncodeCookie(tc.sub, tc.n, tc.c)
		if ok != tc.ok || (ok && tc.want != 0 && got != tc.want) {
			t.Errorf("EncodeCookie(%d, %d, %#x) = %#x, %v; want %#x, %v", tc.sub, tc.n, tc.c, got, ok, tc.want, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		sub, c, slot := DecodeCookie(got, tc.n)
		if sub != tc.sub || c != tc.c || slot {
			t.Errorf("DecodeCookie(%#x, %d) = %d, %#x, %v", got, tc.n, sub, c, slot)
		}
	}
}

func TestCookieSlots(t *testing.T) {
	for _, tc := range []struct {
		sub, n int
		i      uint64
	}{{0, 2, 0}, {1, 2, 0}, {4, 5, 99}, {2, 3, 1 << 31}} {
		off := EncodeSlot(tc.sub, tc.n, tc.i)
		if off < bigCookie || off >= 1<<63 {
			t.Errorf("slot cookie %#x outside [2^62, 2^63)", off)
		}
		sub, i, slot := DecodeCookie(off, tc.n)
		if sub != tc.sub || i != tc.i || !slot {
			t.Errorf("DecodeCookie(EncodeSlot(%d, %d, %d)) = %d, %d, %v", tc.sub, tc.n, tc.i, sub, i, slot)
		}
	}
}

func TestCookieTableSharedAcrossHandles(t *testing.T) {
	tab := newCookieTable()
	d1, d2 := xlator.NewGFID(), xlator.NewGFID()
	a := tab.slot(d1, 1<<62)
	b := tab.slot(d1, 1<<62+7)
	if a == b {
		t.Fatal("two cookies share a slot")
	}
	if again := tab.slot(d1, 1<<62); again != a {
		t.Fatalf("the same cookie got slot %d, then %d", a, again)
	}
	if c, ok := tab.get(d1, b); !ok || c != 1<<62+7 {
		t.Fatalf("get(%d) = %#x, %v", b, c, ok)
	}
	if _, ok := tab.get(d2, a); ok {
		t.Fatal("a slot of one directory answered for another")
	}
}
